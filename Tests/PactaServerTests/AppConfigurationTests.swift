import Configuration
import Foundation
import NIOSSL
import PactaCore
import Synchronization
import Testing

@testable import PactaServer

/// A value for every setting that differs from its default, and how to read it back from a configuration.
private let samples: [(setting: AppConfiguration.Setting, value: String, read: @Sendable (AppConfiguration) -> String)] = [
    (.host, "0.0.0.0", { $0.host }),
    (.port, "9090", { "\($0.port)" }),
    (.database, "/srv/pacta/pacta.sqlite", { $0.databasePath }),
    (.databaseURL, "postgres://pacta@db.example.org:5432/pacta?sslmode=require", { $0.databaseURL?.redacted ?? "" }),
    (.seed, "false", { "\($0.seed)" }),
    (.seedDirectory, "/srv/agreements", { $0.seedDirectory ?? "" }),
    (.logLevel, "trace", { $0.logLevel.rawValue }),
    (.idleTimeout, "5", { "\($0.idleTimeoutSeconds)" }),
    (.maxBodyBytes, "2048", { "\($0.limits.maxBodyBytes)" }),
    (.corsOrigins, "https://a.example,https://b.example", { $0.corsOrigins.joined(separator: ",") }),
    (.requestTimeout, "7", { "\($0.requestTimeoutSeconds)" }),
    (.shutdownTimeout, "9", { "\($0.shutdownTimeoutSeconds)" }),
    (.requireTokenForReads, "true", { "\($0.requireTokenForReads)" }),
    (.logFormat, "json", { $0.logFormat.rawValue }),
    (.followInterval, "2", { "\($0.followIntervalSeconds)" }),
    (.webhooksAllowPrivate, "true", { "\($0.webhooks.allowPrivateAddresses)" }),
    (.webhooksTimeout, "4", { "\($0.webhooks.totalTimeout.components.seconds)" }),
    (.webhooksFirstRetry, "2", { "\($0.webhooks.retry.first.components.seconds)" }),
    (.webhooksCAFile, sampleCAFile, { $0.webhooks.trust.file ?? "" }),
    (.alertLeadDays, "60,14", { $0.alertLeadDays.map(String.init).joined(separator: ",") }),
    (.feedRetentionDays, "7", { String($0.feedRetentionDays) }),
    (.streamMaxClients, "20", { String($0.streamMaxClients) }),
    (.streamHeartbeat, "5", { String($0.streamHeartbeatSeconds) }),
    (.today, "2031-05-17", { $0.fixedToday.map { "\($0)" } ?? "" }),
    (.snapshot, "/var/cache/pacta/catalog.snapshot", { $0.snapshotPath ?? "" }),
]

/// A throwaway self-signed CA (`openssl req -x509 -newkey ec ...`, basicConstraints CA:TRUE), for the CA file setting.
private let sampleCAPEM = """
    -----BEGIN CERTIFICATE-----
    MIIBtzCCAV2gAwIBAgIUUlxwbPyZyvWgstzUIJQLUQsFSdIwCgYIKoZIzj0EAwIw
    MDEuMCwGA1UEAwwlUGFjdGEgdGVzdCBDQSAoQXBwQ29uZmlndXJhdGlvblRlc3Rz
    KTAgFw0yNjEyMDcwMTM0MzFaGA8yMTI2MTExMzAxMzQzMVowMDEuMCwGA1UEAwwl
    UGFjdGEgdGVzdCBDQSAoQXBwQ29uZmlndXJhdGlvblRlc3RzKTBZMBMGByqGSM49
    AgEGCCqGSM49AwEHA0IABEb5aTQoCKQhqsruVxPsrBQL1tL54KxRUrz7vAPDOHU4
    94xylmLi8zAfOBfn2kzd035E1/bAv2jHsjvg25r+uUmjUzBRMB0GA1UdDgQWBBSt
    yWtDwLEnmnW/y4vh7xkbHqGxhDAfBgNVHSMEGDAWgBStyWtDwLEnmnW/y4vh7xkb
    HqGxhDAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQCVMFYJxqOx
    AKYnWpK/hUbS62pzGiwUzGBTmnRAhcKLSQIgISp0UxqF6FuVde0XWYoxd222g88F
    Tg+bSZC0g0PFwIA=
    -----END CERTIFICATE-----

    """

/// A file of its own in a directory of its own, kept for the test process (the samples are read by several tests).
private func temporaryFile(_ name: String, _ contents: String) -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pacta-config-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent(name).path
    FileManager.default.createFile(atPath: path, contents: Data(contents.utf8))
    return path
}

private let sampleCAFile = temporaryFile("ca.pem", sampleCAPEM)

/// A `.env` file in a directory of its own, removed at the end of the test.
private final class EnvFile {
    let directory: URL
    var path: String { directory.appendingPathComponent(".env").path }

    init(_ contents: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pacta-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
    }

    deinit { try? FileManager.default.removeItem(at: directory) }
}

private func configuration(
    flags: [AppConfiguration.Setting: String] = [:],
    environment: [String: String] = [:],
    file: String = "/nonexistent/.env"
) async throws -> AppConfiguration {
    try AppConfiguration(reader: await AppConfiguration.reader(flags: flags, environment: environment, environmentFile: file))
}

private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

struct AppConfigurationTests {
    // MARK: Precedence

    @Test func aFlagWinsOverTheEnvironmentWhichWinsOverTheEnvFileWhichWinsOverTheDefault() async throws {
        let file = try EnvFile("PACTA_PORT=7003\nPACTA_HOST=file.example\n# a comment\nPACTA_LOG_LEVEL=debug\n")
        let environment = ["PACTA_PORT": "7002", "PACTA_HOST": "environment.example"]

        let all = try await configuration(flags: [.port: "7001"], environment: environment, file: file.path)
        #expect(all.port == 7001)
        #expect(all.host == "environment.example")
        #expect(all.logLevel == .debug)
        #expect(all.databasePath == "data/pacta.sqlite")

        #expect(try await configuration(environment: environment, file: file.path).port == 7002)
        #expect(try await configuration(file: file.path).port == 7003)
        #expect(try await configuration().port == 8080)
    }

    @Test func aBadValueBelowTheOneThatWinsIsNeverRead() async throws {
        let file = try EnvFile("PACTA_PORT=abc\n")
        #expect(try await configuration(environment: ["PACTA_PORT": "7002"], file: file.path).port == 7002)
        #expect(try await configuration(flags: [.port: "7001"], environment: ["PACTA_PORT": "x"]).port == 7001)
    }

    @Test func anEmptyValueMeansTheDefault() async throws {
        let file = try EnvFile("PACTA_PORT=\nPACTA_HOST=\n")
        let read = try await configuration(environment: ["PACTA_LOG_LEVEL": ""], file: file.path)
        #expect(read.port == 8080)
        #expect(read.host == "127.0.0.1")
        #expect(read.logLevel == .info)
    }

    @Test func aMissingEnvFileIsNoError() async throws {
        #expect(try await configuration(file: "/nonexistent/directory/.env").port == 8080)
    }

    @Test func anEnvFileThatCannotBeReadIsOneClearError() async throws {
        let file = try EnvFile("")
        // A directory where the file should be.
        let error = await #expect(throws: ConfigurationError.self) {
            try await configuration(file: file.directory.path)
        }
        #expect(error?.description.hasPrefix("cannot read \(file.directory.path): ") == true)
    }

    // MARK: Every setting, every source

    @Test func everySettingIsReadFromItsFlagItsEnvironmentVariableAndTheEnvFile() async throws {
        #expect(samples.map(\.setting.key) == AppConfiguration.settings.map(\.key))
        for (setting, value, read) in samples {
            let file = try EnvFile("\(setting.environmentVariable)=\(value)\n")
            #expect(read(try await configuration(flags: [setting: value])) == value, "flag \(setting.flag)")
            #expect(
                read(try await configuration(environment: [setting.environmentVariable: value])) == value,
                "\(setting.environmentVariable)"
            )
            #expect(read(try await configuration(file: file.path)) == value, ".env \(setting.environmentVariable)")
        }
    }

    @Test func theListedDefaultsAreTheDefaults() async throws {
        let defaults = try await configuration()
        for (setting, _, read) in samples {
            #expect(read(defaults) == setting.defaultValue ?? "", "\(setting.environmentVariable)")
        }
    }

    @Test func theSettingsListedAreExactlyTheKeysTheCodeReads() throws {
        let recorder = KeyRecorder()
        let reader = ConfigReader(provider: InMemoryProvider(values: [:]), accessReporter: recorder).scoped(to: "pacta")
        _ = try AppConfiguration(reader: reader)
        let read = recorder.keys.withLock { $0 }
        #expect(read == Set(AppConfiguration.settings.map { "pacta.\($0.key)" }))
        #expect(Set(AppConfiguration.settings.map(\.environmentVariable)).count == AppConfiguration.settings.count)
    }

    /// A database URL can hold a password: from every source it is a secret, which swift-configuration never prints.
    @Test func theDatabaseURLIsASecretFromEverySource() async throws {
        let value = "postgres://pacta:hunter2@db/pacta?sslmode=disable"
        let file = try EnvFile("PACTA_DATABASE_URL=\(value)\n")
        let sources: [(name: String, flags: [AppConfiguration.Setting: String], environment: [String: String], file: String)] = [
            ("flag", [.databaseURL: value], [:], "/nonexistent/.env"),
            ("environment", [:], ["PACTA_DATABASE_URL": value], "/nonexistent/.env"),
            (".env", [:], [:], file.path),
        ]
        for source in sources {
            let recorder = KeyRecorder()
            let reader = try await AppConfiguration.reader(
                flags: source.flags,
                environment: source.environment,
                environmentFile: source.file,
                accessReporter: recorder
            )
            #expect(try AppConfiguration(reader: reader).databaseURL?.host == "db", "\(source.name)")
            #expect(recorder.secretKeys.withLock { $0 } == ["pacta.database.url"], "\(source.name)")
        }
    }

    @Test func environmentVariablesAreTheKeysUnderPactaInUpperSnakeCase() {
        #expect(AppConfiguration.Setting.port.environmentVariable == "PACTA_PORT")
        #expect(AppConfiguration.Setting.seedDirectory.environmentVariable == "PACTA_SEED_DIR")
        #expect(AppConfiguration.Setting.requireTokenForReads.environmentVariable == "PACTA_REQUIRE_TOKEN_FOR_READS")
        #expect(AppConfiguration.Setting.databaseURL.environmentVariable == "PACTA_DATABASE_URL")
    }

    // MARK: Errors

    @Test(arguments: [
        ("PACTA_PORT", "abc", "PACTA_PORT (--port) is 'abc', expected a whole number from 0 to 65535"),
        ("PACTA_PORT", "65536", "PACTA_PORT (--port) is '65536', expected a whole number from 0 to 65535"),
        ("PACTA_PORT", "-1", "PACTA_PORT (--port) is '-1', expected a whole number from 0 to 65535"),
        ("PACTA_SEED", "yes", "PACTA_SEED is 'yes', expected true or false"),
        (
            "PACTA_LOG_LEVEL", "loud",
            "PACTA_LOG_LEVEL (--log-level) is 'loud', expected one of trace, debug, info, notice, warning, error, critical"
        ),
        ("PACTA_LOG_FORMAT", "xml", "PACTA_LOG_FORMAT (--log-format) is 'xml', expected one of text, json"),
        (
            "PACTA_IDLE_TIMEOUT", "0",
            "PACTA_IDLE_TIMEOUT (--idle-timeout) is '0', expected a whole number of seconds from 1 to 86400"
        ),
        (
            "PACTA_IDLE_TIMEOUT", "1.5",
            "PACTA_IDLE_TIMEOUT (--idle-timeout) is '1.5', expected a whole number of seconds from 1 to 86400"
        ),
        (
            "PACTA_MAX_BODY_BYTES", "1MB",
            "PACTA_MAX_BODY_BYTES (--max-body-bytes) is '1MB', expected a whole number of bytes above 0"
        ),
        ("PACTA_MAX_BODY_BYTES", "0", "PACTA_MAX_BODY_BYTES (--max-body-bytes) is '0', expected a whole number of bytes above 0"),
        (
            "PACTA_REQUEST_TIMEOUT", "86401",
            "PACTA_REQUEST_TIMEOUT (--request-timeout) is '86401', expected a whole number of seconds from 1 to 86400"
        ),
        (
            "PACTA_SHUTDOWN_TIMEOUT", "99999999999999999999",
            "PACTA_SHUTDOWN_TIMEOUT (--shutdown-timeout) is '99999999999999999999', expected a whole number of seconds from 1 to 86400"
        ),
        ("PACTA_REQUIRE_TOKEN_FOR_READS", "1", "PACTA_REQUIRE_TOKEN_FOR_READS is '1', expected true or false"),
        (
            "PACTA_DATABASE_URL", "postgres://pacta:hunter2@db/pacta?sslmode=maybe",
            "PACTA_DATABASE_URL (--database-url) is 'postgres://pacta:***@db/pacta?sslmode=maybe', expected a postgres:// URL (sslmode must be one of disable, prefer, require, verify-full)"
        ),
    ])
    func aBadValueIsOneLineNamingTheSettingAndTheValue(variable: String, value: String, message: String) async throws {
        #expect(!message.contains("\n"))
        let fromEnvironment = await #expect(throws: ConfigurationError.self) {
            try await configuration(environment: [variable: value])
        }
        #expect(fromEnvironment?.description == message)
        let file = try EnvFile("\(variable)=\(value)\n")
        let fromFile = await #expect(throws: ConfigurationError.self) { try await configuration(file: file.path) }
        #expect(fromFile?.description == message)
    }

    @Test func aBadFlagValueNamesTheSettingToo() async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            try await configuration(flags: [.logLevel: "loud"], environment: ["PACTA_LOG_LEVEL": "debug"])
        }
        #expect(error?.description.hasPrefix("PACTA_LOG_LEVEL (--log-level) is 'loud', expected one of") == true)
    }

    // MARK: Webhook CA file and a fixed today

    @Test func aCAFileIsAddedToTheSystemRootsWithFullVerification() async throws {
        #expect(try await configuration().webhooks.trust.tlsConfiguration == nil, "unset: async-http-client's default")
        let trust = try await configuration(environment: ["PACTA_WEBHOOKS_CA_FILE": sampleCAFile]).webhooks.trust
        #expect(trust.extraRoots == (try NIOSSLCertificate.fromPEMBytes(Array(sampleCAPEM.utf8))))
        let tls = try #require(trust.tlsConfiguration)
        #expect(tls.trustRoots == .default, "the system's roots are kept")
        #expect(tls.additionalTrustRoots == [.certificates(trust.extraRoots)])
        #expect(tls.certificateVerification == .fullVerification)

        // Other PEM blocks are skipped; every certificate is trusted.
        let bundle = temporaryFile("bundle.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" + sampleCAPEM + sampleCAPEM)
        #expect(try await configuration(flags: [.webhooksCAFile: bundle]).webhooks.trust.extraRoots.count == 2)
    }

    @Test func aCAFileThatCannotBeUsedStopsTheStartWithOneLine() async throws {
        let empty = temporaryFile("empty.pem", "")
        let text = temporaryFile("text.pem", "not a certificate\n")
        let damaged = temporaryFile("damaged.pem", sampleCAPEM.replacingOccurrences(of: "MIIBtzCCAV2g", with: "MIIBtzCCAV2x"))
        let directory = URL(fileURLWithPath: empty).deletingLastPathComponent().path
        let cases: [(path: String, reason: String)] = [
            ("/nonexistent/ca.pem", "no such file"),
            (directory, "it is a directory"),
            (empty, "no PEM certificate could be read from it"),
            (text, "no PEM certificate could be read from it"),
            (damaged, "no PEM certificate could be read from it"),
        ]
        for (path, reason) in cases {
            let error = await #expect(throws: ConfigurationError.self) {
                try await configuration(environment: ["PACTA_WEBHOOKS_CA_FILE": path])
            }
            #expect(
                error?.description
                    == "PACTA_WEBHOOKS_CA_FILE (--webhooks-ca-file) is '\(path)', expected a readable PEM file of CA certificates (\(reason))"
            )
        }
    }

    @Test func aFixedTodayIsWhatTheServerTakesAsToday() async throws {
        let unset = try await configuration()
        #expect(unset.fixedToday == nil)
        #expect(unset.today() == CalendarDate.todayUTC())
        let fixed = try await configuration(environment: ["PACTA_TODAY": "2031-05-17"])
        #expect(fixed.today() == (try CalendarDate(parsing: "2031-05-17")))
        for bad in ["2031-02-30", "tomorrow", "2031-5-17"] {
            let error = await #expect(throws: ConfigurationError.self) {
                try await configuration(environment: ["PACTA_TODAY": bad])
            }
            #expect(error?.description == "PACTA_TODAY (--today) is '\(bad)', expected a date YYYY-MM-DD")
        }
    }

    // MARK: The documentation lists what the code reads

    @Test func envExampleListsEverySettingWithItsDefaultAndSummary() throws {
        let lines = try String(contentsOf: repositoryRoot.appendingPathComponent(".env.example"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var listed: [String: (line: String, summary: String)] = [:]
        for (index, line) in lines.enumerated() {
            let assignment = line.hasPrefix("# ") ? String(line.dropFirst(2)) : line
            guard let equals = assignment.firstIndex(of: "="), assignment.hasPrefix("PACTA_") else { continue }
            let name = String(assignment[..<equals])
            #expect(listed[name] == nil, "\(name) is listed twice")
            listed[name] = (line, index > 0 ? lines[index - 1] : "")
        }
        #expect(Set(listed.keys) == Set(AppConfiguration.settings.map(\.environmentVariable)))
        for setting in AppConfiguration.settings {
            guard let entry = listed[setting.environmentVariable] else { continue }
            if let defaultValue = setting.defaultValue {
                #expect(entry.line == "\(setting.environmentVariable)=\(defaultValue)")
            } else {
                #expect(entry.line.hasPrefix("# \(setting.environmentVariable)="), "no default: an example, commented out")
            }
            let unset = setting.unsetMeans.map { " (unset: \($0))" } ?? ""
            #expect(entry.summary == "# \(setting.summary)\(unset)", "the line above \(setting.environmentVariable)")
        }
    }

    @Test func theReadmeConfigurationTableListsEverySettingWithItsFlagAndDefault() throws {
        let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section =
            try #require(readme.components(separatedBy: "\n## Configuration\n").dropFirst().first)
            .components(separatedBy: "\n## ").first ?? ""
        var rows: [String: [String]] = [:]
        for line in section.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let name = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            #expect(rows[name] == nil, "\(name) is listed twice")
            rows[name] = cells
        }
        #expect(Set(rows.keys) == Set(AppConfiguration.settings.map(\.environmentVariable)))
        for setting in AppConfiguration.settings {
            guard let cells = rows[setting.environmentVariable] else { continue }
            #expect(cells.count == 4, "\(setting.environmentVariable): variable | flag | default | meaning")
            guard cells.count == 4 else { continue }
            #expect(cells[1] == "`\(setting.flag)`")
            if let defaultValue = setting.defaultValue {
                #expect(cells[2] == "`\(defaultValue)`", "\(setting.environmentVariable)")
            } else {
                #expect(!cells[2].hasPrefix("`"), "\(setting.environmentVariable) has no default value, only words")
            }
        }
    }
}

/// Records the keys a reader is asked for.
private final class KeyRecorder: AccessReporter, Sendable {
    let keys = Mutex<Set<String>>([])
    /// The keys whose value was found and marked secret (redacted in access logs).
    let secretKeys = Mutex<Set<String>>([])

    func report(_ event: AccessEvent) {
        let key = event.metadata.key.components.joined(separator: ".")
        keys.withLock { _ = $0.insert(key) }
        if case .success(let value?) = event.result, value.isSecret {
            secretKeys.withLock { _ = $0.insert(key) }
        }
    }
}
