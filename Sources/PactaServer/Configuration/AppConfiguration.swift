import Configuration
import Foundation
import Logging
import PactaCore
import PactaPostgres
import Prometheus
import SystemPackage

/// Everything the server needs to start. What a user can set is listed once, in ``settings``, and read through one
/// `ConfigReader` (``reader(flags:environment:environmentFile:)``) by ``init(reader:)``.
public struct AppConfiguration: Sendable {
    /// Interface to listen on. `127.0.0.1` by default so a development server is not exposed; the container
    /// image sets `0.0.0.0`.
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    /// The SQLite file; created with its directory on first start.
    public var databasePath: String = "data/pacta.sqlite"
    /// A PostgreSQL database to use instead of the SQLite file (``databasePath`` is then not read).
    public var databaseURL: PostgresURL?
    /// Where the bundled agreements are read from to seed a new database; `nil` for the copy inside the binary's
    /// resource bundle.
    public var seedDirectory: String?
    /// Seed a new database with the bundled agreements.
    public var seed: Bool = true
    public var logLevel: Logger.Level = .info
    /// How log lines are written: for people, or one JSON object per line for log shippers.
    public var logFormat: LogFormat = .text
    /// Seconds a connection may stay idle before it is closed.
    public var idleTimeoutSeconds: Int = 60
    /// Seconds a client has to send a whole request, from its head to the last byte of its body (408 beyond):
    /// the idle timeout alone does not stop a client that trickles a body, as each byte counts as activity.
    public var requestTimeoutSeconds: Int = 30
    /// Seconds that in-flight requests get to finish after SIGTERM before the server gives up on them.
    public var shutdownTimeoutSeconds: Int = 15
    /// Threads for heavy computations (catalog-wide answers, long projections, feeds), off the request threads;
    /// by default all cores but one, at least one.
    public var computeThreads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)
    /// Heavy computations that may wait for a thread; more answer 503 at once. From the lifecycle index a
    /// catalog-wide answer takes milliseconds, so 64 dashboards asking 64 different dates wait their turn rather
    /// than half of them being refused; the per-request budget still bounds the wait.
    public var computeQueueLimit: Int = 256
    /// Seconds a request waits for a heavy answer before it gets 503 with `Retry-After` (the computation of a
    /// shared answer goes on, so a retry finds it).
    public var computeBudgetSeconds: Int = 10
    /// Seconds between the catalog's reads of the store's changes when no signal came (a safety net: it reads at
    /// once when the store signals another server's write).
    public var followIntervalSeconds: Int = 5
    /// Require a token for reads too (except `/healthz` and `/readyz`).
    public var requireTokenForReads = false
    public var limits = Limits()
    /// Origins whose browser scripts may read the API (CORS); `*` for any. None by default.
    public var corsOrigins: [String] = []
    /// How webhook deliveries are made (outbound address rules, timeouts, retries).
    public var webhooks = WebhookDeliverySettings()
    /// Where HTTP metrics are recorded and `/metrics` reads them; one per application.
    public var metricsRegistry = PrometheusCollectorRegistry()
    /// Today's civil date, the default `asOf`; replaced in tests.
    public var today: @Sendable () -> CalendarDate = { CalendarDate.todayUTC() }
    /// The day ``today`` is fixed to by `PACTA_TODAY` (end-to-end tests and rehearsals of deadline alerts on several
    /// replicas); `nil` when it follows the clock.
    public var fixedToday: CalendarDate?
    /// Days before a dated item at which `deadline.approaching` is recorded, largest first.
    public var alertLeadDays: [Int] = [90, 30, 7, 1]
    /// Days the event log keeps events (how far back `Last-Event-ID` can resume); pruned hourly.
    public var feedRetentionDays: Int = 30
    /// Clients `GET /v1/stream` serves at once; more are answered 503.
    public var streamMaxClients: Int = 1_000
    /// Seconds between heartbeat comments on the stream.
    public var streamHeartbeatSeconds: Int = 15
    /// The catalog's snapshot file (``CatalogSnapshotFile``): `nil` for the default, `<database>.snapshot` beside the
    /// SQLite file and none with PostgreSQL; `off` for none.
    public var snapshotPath: String?
    /// The least time between two writes of the snapshot file.
    public var snapshotInterval: Duration = .seconds(60)
    /// Whether the server runs the deadline-alert scheduler (tests of other things turn it off).
    public var runsDeadlineAlerts = true

    /// The defaults, with nothing read.
    public init() {}

    /// Reads every setting in ``settings`` from `reader`, which is scoped to `pacta` (as
    /// ``reader(flags:environment:environmentFile:)`` returns it). A setting that is absent or empty keeps its default.
    ///
    /// - Throws: ``ConfigurationError``, one line naming the setting and the value, for a value that cannot be used.
    public init(reader: ConfigReader) throws {
        self.init()
        let read = SettingReader(reader: reader)
        host = read.text(.host) ?? host
        port = try read.integer(.port, in: 0...65535, expected: "a whole number from 0 to 65535") ?? port
        databasePath = read.text(.database) ?? databasePath
        databaseURL = try read.text(.databaseURL).map { text in
            do {
                return try PostgresURL(text)
            } catch let error as PostgresURLError {
                // The value is quoted with its password redacted: this line goes to logs.
                throw ConfigurationError(.databaseURL, error.url, expected: "a postgres:// URL (\(error.problem))")
            }
        }
        seed = try read.boolean(.seed) ?? seed
        seedDirectory = read.text(.seedDirectory)
        logLevel = try read.choice(.logLevel, from: Logger.Level.allCases) ?? logLevel
        logFormat = try read.choice(.logFormat, from: LogFormat.allCases) ?? logFormat
        idleTimeoutSeconds = try read.seconds(.idleTimeout) ?? idleTimeoutSeconds
        limits.maxBodyBytes =
            try read.integer(.maxBodyBytes, in: 1...Int.max, expected: "a whole number of bytes above 0")
            ?? limits.maxBodyBytes
        corsOrigins = (read.text(.corsOrigins) ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        requestTimeoutSeconds = try read.seconds(.requestTimeout) ?? requestTimeoutSeconds
        shutdownTimeoutSeconds = try read.seconds(.shutdownTimeout) ?? shutdownTimeoutSeconds
        requireTokenForReads = try read.boolean(.requireTokenForReads) ?? requireTokenForReads
        followIntervalSeconds = try read.seconds(.followInterval) ?? followIntervalSeconds
        webhooks.allowPrivateAddresses = try read.boolean(.webhooksAllowPrivate) ?? webhooks.allowPrivateAddresses
        if let seconds = try read.integer(.webhooksTimeout, in: 1...300, expected: "a whole number of seconds from 1 to 300") {
            webhooks.totalTimeout = .seconds(seconds)
            webhooks.connectTimeout = .seconds(min(5, max(1, seconds / 2)))
        }
        if let path = read.text(.webhooksCAFile) {
            do {
                webhooks.trust = try WebhookTrust(file: path)
            } catch {
                throw ConfigurationError(.webhooksCAFile, path, expected: "a readable PEM file of CA certificates (\(error.reason))")
            }
        }
        if let seconds = try read.integer(
            .webhooksFirstRetry,
            in: 1...3_600,
            expected: "a whole number of seconds from 1 to 3600"
        ) {
            webhooks.retry.first = .seconds(seconds)
        }
        if let text = read.text(.alertLeadDays) {
            guard let days = DeadlineAlertScheduler.parseLeadDays(text) else {
                throw ConfigurationError(.alertLeadDays, text, expected: "comma-separated whole days from 0 to 3660")
            }
            alertLeadDays = days
        }
        feedRetentionDays =
            try read.integer(.feedRetentionDays, in: 1...3_660, expected: "a whole number of days from 1 to 3660")
            ?? feedRetentionDays
        streamMaxClients =
            try read.integer(.streamMaxClients, in: 0...100_000, expected: "a whole number from 0 to 100000")
            ?? streamMaxClients
        streamHeartbeatSeconds = try read.seconds(.streamHeartbeat) ?? streamHeartbeatSeconds
        if let text = read.text(.today) {
            guard let day = try? CalendarDate(parsing: text) else {
                throw ConfigurationError(.today, text, expected: "a date YYYY-MM-DD")
            }
            fixedToday = day
            today = { day }
        }
        snapshotPath = read.text(.snapshot)
    }

    /// Where and how often the catalog keeps its snapshot, as ``snapshotPath`` says.
    public var catalogSnapshot: CatalogSnapshotSettings? {
        switch snapshotPath {
        case "off": return nil
        case let path?: return CatalogSnapshotSettings(path: path, minimumInterval: snapshotInterval)
        case nil:
            guard databaseURL == nil else { return nil }
            return CatalogSnapshotSettings(path: databasePath + ".snapshot", minimumInterval: snapshotInterval)
        }
    }
}

// MARK: - The settings

extension AppConfiguration {
    /// One setting a user can change: its key under `pacta`, the `pacta serve` flag, its default and what it means.
    /// `.env.example` and the README's configuration table list exactly these (a test checks both).
    public struct Setting: Sendable, Hashable {
        /// The key under `pacta`, in camelCase: `seedDir` is `pacta.seedDir`, read from the environment as
        /// `PACTA_SEED_DIR`.
        public let key: String
        /// The `pacta serve` flag that sets it.
        public let flag: String
        /// Whether the flag is a switch (it takes no value and can set the setting one way only).
        public let flagIsSwitch: Bool
        /// The default as it would be written in the environment; `nil` when leaving it unset means something no
        /// value can say (``unsetMeans`` tells what).
        public let defaultValue: String?
        /// What leaving a setting without a ``defaultValue`` unset means, in words.
        public let unsetMeans: String?
        /// One line for `.env.example` and the flag's help.
        public let summary: String

        init(_ key: String, flag: String, switch flagIsSwitch: Bool = false, default defaultValue: String, _ summary: String) {
            self.key = key
            self.flag = flag
            self.flagIsSwitch = flagIsSwitch
            self.defaultValue = defaultValue
            self.unsetMeans = nil
            self.summary = summary
        }

        init(_ key: String, flag: String, unsetMeans: String, _ summary: String) {
            self.key = key
            self.flag = flag
            self.flagIsSwitch = false
            self.defaultValue = nil
            self.unsetMeans = unsetMeans
            self.summary = summary
        }

        /// The environment variable (and `.env` line) that sets it: the key under `pacta` in upper case, words
        /// separated by `_`, as swift-configuration's `EnvironmentVariablesProvider` looks it up.
        public var environmentVariable: String {
            var name = "PACTA_"
            var previousIsLowercase = false
            for character in key {
                if character.isUppercase && previousIsLowercase { name += "_" }
                name += character.isLetter || character.isNumber ? character.uppercased() : "_"
                previousIsLowercase = character.isLowercase
            }
            return name
        }

        /// Whether the value can hold a credential: swift-configuration then redacts it wherever it reports values
        /// (access logs, `description`).
        public var isSecret: Bool { self == .databaseURL }

        /// The flag's help: the summary, the environment variable and the default.
        public var help: String {
            "\(summary) (env \(environmentVariable); default \(defaultValue ?? unsetMeans ?? "none"))."
        }
    }

    /// Every setting Pacta reads, in the order the README lists them.
    public static let settings: [Setting] = [
        .host, .port, .database, .databaseURL, .seed, .seedDirectory, .logLevel, .idleTimeout, .maxBodyBytes, .corsOrigins,
        .requestTimeout, .shutdownTimeout, .requireTokenForReads, .logFormat, .followInterval, .webhooksAllowPrivate,
        .webhooksTimeout, .webhooksFirstRetry, .webhooksCAFile, .alertLeadDays, .feedRetentionDays, .streamMaxClients,
        .streamHeartbeat, .today, .snapshot,
    ]
}

extension AppConfiguration.Setting {
    public static let host = Self(
        "host",
        flag: "--host",
        default: "127.0.0.1",
        "Interface to listen on (0.0.0.0 to accept remote connections)"
    )
    public static let port = Self("port", flag: "--port", default: "8080", "TCP port")
    public static let database = Self(
        "database",
        flag: "--database",
        default: "data/pacta.sqlite",
        "SQLite file; created with its directory on first start"
    )
    public static let databaseURL = Self(
        "database.url",
        flag: "--database-url",
        unsetMeans: "the SQLite file",
        "PostgreSQL URL, postgres://user:password@host:port/database?sslmode=disable|prefer|require|verify-full"
    )
    public static let seed = Self(
        "seed",
        flag: "--no-seed",
        switch: true,
        default: "true",
        "Seed a new database with the bundled agreements"
    )
    public static let seedDirectory = Self(
        "seedDir",
        flag: "--seed-dir",
        unsetMeans: "the bundled dataset",
        "Directory of agreement JSON files to seed a new database from"
    )
    public static let logLevel = Self(
        "logLevel",
        flag: "--log-level",
        default: "info",
        "trace, debug, info, notice, warning, error or critical"
    )
    public static let idleTimeout = Self(
        "idleTimeout",
        flag: "--idle-timeout",
        default: "60",
        "Seconds before an idle connection is closed"
    )
    public static let maxBodyBytes = Self("maxBodyBytes", flag: "--max-body-bytes", default: "1048576", "Largest request body in bytes")
    public static let corsOrigins = Self(
        "corsOrigins",
        flag: "--cors-origins",
        unsetMeans: "none",
        "Comma-separated origins allowed to read the API from a browser, or *"
    )
    public static let requestTimeout = Self(
        "requestTimeout",
        flag: "--request-timeout",
        default: "30",
        "Seconds a client has to send a whole request, body included"
    )
    public static let shutdownTimeout = Self(
        "shutdownTimeout",
        flag: "--shutdown-timeout",
        default: "15",
        "Seconds in-flight requests get to finish after SIGTERM"
    )
    public static let requireTokenForReads = Self(
        "requireTokenForReads",
        flag: "--require-token-for-reads",
        switch: true,
        default: "false",
        "Require a bearer token for reads too, except /healthz and /readyz"
    )
    public static let webhooksAllowPrivate = Self(
        "webhooks.allowPrivate",
        flag: "--webhooks-allow-private",
        switch: true,
        default: "false",
        "Allow webhooks to loopback, link-local and private addresses (tests, private networks)"
    )
    public static let webhooksTimeout = Self(
        "webhooks.timeout",
        flag: "--webhooks-timeout",
        default: "10",
        "Seconds a webhook delivery may take in all (connecting: half of it, at most 5)"
    )
    public static let webhooksFirstRetry = Self(
        "webhooks.firstRetry",
        flag: "--webhooks-first-retry",
        default: "5",
        "Seconds before the first retry of a failed webhook delivery (then doubling, with jitter, up to an hour; 15 attempts)"
    )
    public static let webhooksCAFile = Self(
        "webhooks.caFile",
        flag: "--webhooks-ca-file",
        unsetMeans: "the system's trust roots only",
        "PEM file of CA certificates that webhook deliveries over HTTPS trust besides the system's (never instead of them)"
    )
    public static let today = Self(
        "today",
        flag: "--today",
        unsetMeans: "the UTC date of the clock",
        "The date the server takes as today, YYYY-MM-DD, fixed (tests and rehearsals of deadline alerts)"
    )
    public static let logFormat = Self(
        "logFormat",
        flag: "--log-format",
        default: "text",
        "text, or json for one JSON object per line (for log shippers)"
    )
    public static let followInterval = Self(
        "followInterval",
        flag: "--follow-interval",
        default: "5",
        "Seconds between a replica's unprompted reads of other servers' writes (PostgreSQL; a safety net for a lost notification)"
    )
    public static let alertLeadDays = Self(
        "alertLeadDays",
        flag: "--alert-lead-days",
        default: "90,30,7,1",
        "Days before each deadline at which deadline.approaching is sent, comma-separated"
    )
    public static let feedRetentionDays = Self(
        "feedRetentionDays",
        flag: "--feed-retention-days",
        default: "30",
        "Days the event log keeps events for stream resumes (Last-Event-ID)"
    )
    public static let streamMaxClients = Self(
        "streamMaxClients",
        flag: "--stream-max-clients",
        default: "1000",
        "Clients GET /v1/stream serves at once; more get 503"
    )
    public static let snapshot = Self(
        "snapshot",
        flag: "--snapshot",
        unsetMeans: "<database>.snapshot with SQLite, none with PostgreSQL",
        "File the catalog is loaded from at start and saved to in the background (a cache of the rows), or off"
    )
    public static let streamHeartbeat = Self(
        "streamHeartbeat",
        flag: "--stream-heartbeat",
        default: "15",
        "Seconds between heartbeat comments on GET /v1/stream"
    )
}

// MARK: - The reader

extension AppConfiguration {
    /// The one reader of Pacta's settings, scoped to `pacta`. It asks, in order: `flags` (the options
    /// swift-argument-parser parsed), the `environment`, then the `.env`-style file at `environmentFile`, which
    /// may be missing.
    ///
    /// - Throws: ``ConfigurationError`` when the file exists but cannot be read.
    public static func reader(
        flags: [Setting: String] = [:],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        environmentFile: String = ".env",
        accessReporter: (any AccessReporter)? = nil
    ) async throws -> ConfigReader {
        let secrets = SecretsSpecifier<String, String>.specific(
            Set(settings.filter(\.isSecret).map(\.environmentVariable))
        )
        let file: EnvironmentVariablesProvider
        do {
            file = try await EnvironmentVariablesProvider(
                environmentFilePath: FilePath(environmentFile),
                allowMissing: true,
                secretsSpecifier: secrets
            )
        } catch {
            throw ConfigurationError(description: "cannot read \(environmentFile): \(error)")
        }
        let flagValues = Dictionary(
            uniqueKeysWithValues: flags.map { setting, value in
                (AbsoluteConfigKey(["pacta", setting.key]), ConfigValue(.string(value), isSecret: setting.isSecret))
            }
        )
        return ConfigReader(
            providers: [
                InMemoryProvider(name: "flags", values: flagValues),
                EnvironmentVariablesProvider(environmentVariables: environment, secretsSpecifier: secrets),
                file,
            ],
            accessReporter: accessReporter
        ).scoped(to: "pacta")
    }
}

/// A setting whose value cannot be used. Its description is one line that names the setting (its environment
/// variable, and its flag when the flag takes a value) and the value.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(description: String) {
        self.description = description
    }

    init(_ setting: AppConfiguration.Setting, _ value: String, expected: String) {
        let name = setting.flagIsSwitch ? setting.environmentVariable : "\(setting.environmentVariable) (\(setting.flag))"
        description = "\(name) is '\(value)', expected \(expected)"
    }
}

/// Reads settings as text and parses them here, so that an error can quote the value (swift-configuration's own
/// conversion errors name the key only).
private struct SettingReader {
    let reader: ConfigReader

    /// The value, or `nil` when no source sets it or it is empty (`PACTA_PORT=` in a `.env` file means the default).
    func text(_ setting: AppConfiguration.Setting) -> String? {
        guard let value = reader.string(forKey: ConfigKey([setting.key])), !value.isEmpty else { return nil }
        return value
    }

    func integer(_ setting: AppConfiguration.Setting, in range: ClosedRange<Int>, expected: String) throws -> Int? {
        guard let text = text(setting) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(setting, text, expected: expected)
        }
        return value
    }

    /// A timeout: at most a day, which keeps it far from overflowing NIO's nanosecond `TimeAmount`.
    func seconds(_ setting: AppConfiguration.Setting) throws -> Int? {
        try integer(setting, in: 1...86_400, expected: "a whole number of seconds from 1 to 86400")
    }

    func boolean(_ setting: AppConfiguration.Setting) throws -> Bool? {
        guard let text = text(setting) else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default: throw ConfigurationError(setting, text, expected: "true or false")
        }
    }

    func choice<Value: RawRepresentable<String>>(_ setting: AppConfiguration.Setting, from values: [Value]) throws -> Value? {
        guard let text = text(setting) else { return nil }
        guard let value = Value(rawValue: text) else {
            throw ConfigurationError(
                setting,
                text,
                expected: "one of \(values.map(\.rawValue).joined(separator: ", "))"
            )
        }
        return value
    }
}
