import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PactaCore
import PactaServer
import PactaStore

@main
struct Pacta: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pacta",
        abstract: "Where an international agreement stands, on any date, and why.",
        subcommands: [Serve.self, Token.self, Status.self, DateCommand.self, Healthcheck.self, Generate.self],
        defaultSubcommand: Serve.self)
}

/// Options shared by every command that opens the database.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database"), help: "SQLite file (env PACTA_DATABASE; default data/pacta.sqlite).")
    var path: String?

    func resolvedPath() -> String {
        path ?? ProcessInfo.processInfo.environment["PACTA_DATABASE"] ?? AppConfiguration().databasePath
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server (the default command).")

    @Option(help: "Interface to listen on (env PACTA_HOST; default 127.0.0.1).") var host: String?
    @Option(help: "TCP port (env PACTA_PORT; default 8080).") var port: Int?
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Directory of agreement JSON files to seed a new database (env PACTA_SEED_DIR; default: the bundled dataset).")
    var seedDir: String?
    @Flag(help: "Do not seed a new database with the bundled agreements (env PACTA_SEED=false).") var noSeed = false
    @Option(help: "trace, debug, info, notice, warning, error or critical (env PACTA_LOG_LEVEL; default info).")
    var logLevel: String?
    @Option(help: "Seconds before an idle connection is closed (env PACTA_IDLE_TIMEOUT; default 60).")
    var idleTimeout: Int?
    @Option(help: "Largest request body in bytes (env PACTA_MAX_BODY_BYTES; default 1048576).")
    var maxBodyBytes: Int?
    @Option(help: "Comma-separated origins allowed to read the API from a browser, or * (env PACTA_CORS_ORIGINS; default none).")
    var corsOrigins: String?
    @Option(help: "Seconds a client has to send a whole request, body included (env PACTA_REQUEST_TIMEOUT; default 30).")
    var requestTimeout: Int?
    @Option(help: "Seconds in-flight requests get to finish after SIGTERM (env PACTA_SHUTDOWN_TIMEOUT; default 15).")
    var shutdownTimeout: Int?
    @Flag(help: "Require a bearer token for reads too, except /healthz and /readyz (env PACTA_REQUIRE_TOKEN_FOR_READS=true).")
    var requireTokenForReads = false
    @Option(help: "text or json: one JSON object per line, for log shippers (env PACTA_LOG_FORMAT; default text).")
    var logFormat: String?

    func run() async throws {
        let environment = Environment.process
        let configuration = try resolve(environment)
        let format = try resolveLogFormat(environment)
        format.bootstrap(level: configuration.logLevel)
        var logger = Logger(label: "pacta")
        logger.logLevel = configuration.logLevel
        bootstrapMetrics(configuration)
        let store = try await openStore(configuration, logger: logger)
        let app = try await buildApplication(configuration: configuration, store: store, logger: logger)
        try await runUntilTerminated(app, store: store, configuration: configuration, logger: logger)
    }

    func resolveLogFormat(_ environment: [String: String]) throws -> LogFormat {
        let text = logFormat ?? environment["PACTA_LOG_FORMAT"] ?? LogFormat.text.rawValue
        guard let format = LogFormat(rawValue: text) else {
            throw ValidationError("log format '\(text)' is not one of text, json")
        }
        return format
    }

    func resolve(_ environment: [String: String]) throws -> AppConfiguration {
        var configuration = AppConfiguration()
        func setting<T>(_ flag: T?, _ name: String, _ parse: (String) -> T?) throws -> T? {
            if let flag { return flag }
            guard let text = environment[name] else { return nil }
            guard let value = parse(text) else { throw ValidationError("\(name)='\(text)' is not valid") }
            return value
        }
        configuration.host = try setting(host, "PACTA_HOST", { $0.isEmpty ? nil : $0 }) ?? configuration.host
        configuration.port = try setting(port, "PACTA_PORT", { Int($0) }) ?? configuration.port
        guard (0...65535).contains(configuration.port) else { throw ValidationError("port must be 0...65535") }
        configuration.databasePath = database.resolvedPath()
        configuration.seedDirectory = try setting(seedDir, "PACTA_SEED_DIR", { $0 })
        let seedSetting = try setting(noSeed ? false : nil, "PACTA_SEED", { ["true": true, "false": false][$0] })
        configuration.seed = seedSetting ?? true
        configuration.logLevel = try setting(logLevel.map { try parseLevel($0) }, "PACTA_LOG_LEVEL", { Logger.Level(rawValue: $0) })
            ?? configuration.logLevel
        configuration.idleTimeoutSeconds = try setting(idleTimeout, "PACTA_IDLE_TIMEOUT", { Int($0) })
            ?? configuration.idleTimeoutSeconds
        guard configuration.idleTimeoutSeconds > 0 else { throw ValidationError("idle timeout must be positive") }
        configuration.limits.maxBodyBytes = try setting(maxBodyBytes, "PACTA_MAX_BODY_BYTES", { Int($0) })
            ?? configuration.limits.maxBodyBytes
        guard configuration.limits.maxBodyBytes > 0 else { throw ValidationError("max body bytes must be positive") }
        configuration.corsOrigins = (try setting(corsOrigins, "PACTA_CORS_ORIGINS", { $0 }) ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        configuration.requestTimeoutSeconds = try setting(requestTimeout, "PACTA_REQUEST_TIMEOUT", { Int($0) })
            ?? configuration.requestTimeoutSeconds
        guard configuration.requestTimeoutSeconds > 0 else { throw ValidationError("request timeout must be positive") }
        configuration.shutdownTimeoutSeconds = try setting(shutdownTimeout, "PACTA_SHUTDOWN_TIMEOUT", { Int($0) })
            ?? configuration.shutdownTimeoutSeconds
        guard configuration.shutdownTimeoutSeconds > 0 else { throw ValidationError("shutdown timeout must be positive") }
        configuration.requireTokenForReads = try setting(
            requireTokenForReads ? true : nil, "PACTA_REQUIRE_TOKEN_FOR_READS", { ["true": true, "false": false][$0] })
            ?? false
        return configuration
    }

    private func parseLevel(_ text: String) throws -> Logger.Level {
        guard let level = Logger.Level(rawValue: text) else { throw ValidationError("unknown log level '\(text)'") }
        return level
    }
}

extension Environment {
    static var process: [String: String] { ProcessInfo.processInfo.environment }
}

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage API tokens for writes.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print it once; only its hash is stored.")
        @Argument(help: "A name for the token holder (letters, digits, '-', '_', '.').") var name: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            guard Tokens.isValidName(name) else {
                throw ValidationError("token names are 1–64 characters of letters, digits, '-', '_' and '.'")
            }
            let store = try await openStoreWithoutSeeding(database)
            let (token, hash) = Tokens.generate()
            do {
                try await store.createToken(name: name, hash: hash)
            } catch TokenError.nameTaken {
                throw ValidationError("a token named '\(name)' exists; revoke it or choose another name")
            }
            print(token)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List token names (never the tokens).")
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let store = try await openExistingStore(database)
            for token in try await store.tokens() {
                print([token.name, "created \(token.createdAt)", token.revokedAt.map { "revoked \($0)" } ?? "active"]
                    .joined(separator: "\t"))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by name; it stops working at once.")
        @Argument var name: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let store = try await openExistingStore(database)
            guard try await store.revokeToken(name: name) else {
                throw ValidationError("no active token is named '\(name)'")
            }
            print("revoked \(name)")
        }
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print an agreement's status and its trace.")
    @Argument(help: "The agreement id, such as gsomia.") var id: String
    @Option(help: "The day to evaluate, YYYY-MM-DD (default: today in UTC).") var asOf: String?
    @Flag(help: "Print the status as JSON.") var json = false
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let date: CalendarDate
        do {
            date = try asOf.map { try CalendarDate(parsing: $0) } ?? CalendarDate.todayUTC()
        } catch {
            throw ValidationError("--as-of: \(error)")
        }
        let store = try await openExistingStore(database)
        guard let stored = try await store.agreement(id: id) else { throw ValidationError("no agreement '\(id)'") }
        let status = RulesEngine.evaluate(stored.agreement, asOf: date)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
        } else {
            print(StatusReport.text(status, title: stored.agreement.shortTitle ?? stored.agreement.title))
        }
    }
}

/// Opens a database that already exists, for commands that only read or change what is there: a mistyped
/// `--database` is an error, never a new (and seeded) file.
func openExistingStore(_ database: DatabaseOptions) async throws -> SQLiteAgreementStore {
    let path = database.resolvedPath()
    guard FileManager.default.fileExists(atPath: path) else {
        throw ValidationError("no database at '\(path)' (`pacta serve` creates one)")
    }
    return try await openStoreWithoutSeeding(database)
}

func openStoreWithoutSeeding(_ database: DatabaseOptions) async throws -> SQLiteAgreementStore {
    var configuration = AppConfiguration()
    configuration.databasePath = database.resolvedPath()
    configuration.seed = false
    return try await openStore(configuration, logger: Logger(label: "pacta"))
}
