import ArgumentParser
import Foundation
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
        defaultSubcommand: Serve.self
    )
}

/// Options shared by every command that opens the database.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database"), help: .init(AppConfiguration.Setting.database.help))
    var path: String?
    @Option(name: .customLong("database-url"), help: .init(AppConfiguration.Setting.databaseURL.help))
    var url: String?

    var flags: [AppConfiguration.Setting: String?] { [.database: path, .databaseURL: url] }
}

/// The configuration as the one reader sees it: `flags` (what the command line set; `nil` for an option not
/// given), then environment variables, then `.env` in the working directory.
func readConfiguration(_ flags: [AppConfiguration.Setting: String?]) async throws -> AppConfiguration {
    try AppConfiguration(reader: await AppConfiguration.reader(flags: flags.compactMapValues { $0 }))
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server (the default command).")

    @Option(help: .init(AppConfiguration.Setting.host.help)) var host: String?
    @Option(help: .init(AppConfiguration.Setting.port.help)) var port: Int?
    @OptionGroup var database: DatabaseOptions
    @Option(help: .init(AppConfiguration.Setting.seedDirectory.help)) var seedDir: String?
    @Flag(help: "Do not seed a new database with the bundled agreements (env PACTA_SEED=false).") var noSeed = false
    @Option(help: .init(AppConfiguration.Setting.logLevel.help)) var logLevel: String?
    @Option(help: .init(AppConfiguration.Setting.idleTimeout.help)) var idleTimeout: Int?
    @Option(help: .init(AppConfiguration.Setting.maxBodyBytes.help)) var maxBodyBytes: Int?
    @Option(help: .init(AppConfiguration.Setting.corsOrigins.help)) var corsOrigins: String?
    @Option(help: .init(AppConfiguration.Setting.requestTimeout.help)) var requestTimeout: Int?
    @Option(help: .init(AppConfiguration.Setting.shutdownTimeout.help)) var shutdownTimeout: Int?
    @Flag(help: "Require a bearer token for reads too, except /healthz and /readyz (env PACTA_REQUIRE_TOKEN_FOR_READS=true).")
    var requireTokenForReads = false
    @Option(help: .init(AppConfiguration.Setting.logFormat.help)) var logFormat: String?
    @Option(help: .init(AppConfiguration.Setting.followInterval.help)) var followInterval: Int?
    @Flag(help: "Allow webhooks to loopback, link-local and private addresses (env PACTA_WEBHOOKS_ALLOW_PRIVATE=true).")
    var webhooksAllowPrivate = false
    @Option(help: .init(AppConfiguration.Setting.webhooksTimeout.help)) var webhooksTimeout: Int?
    @Option(help: .init(AppConfiguration.Setting.webhooksFirstRetry.help)) var webhooksFirstRetry: Int?
    @Option(help: .init(AppConfiguration.Setting.webhooksCAFile.help)) var webhooksCaFile: String?
    @Option(help: .init(AppConfiguration.Setting.alertLeadDays.help)) var alertLeadDays: String?
    @Option(help: .init(AppConfiguration.Setting.feedRetentionDays.help)) var feedRetentionDays: Int?
    @Option(help: .init(AppConfiguration.Setting.streamMaxClients.help)) var streamMaxClients: Int?
    @Option(help: .init(AppConfiguration.Setting.streamHeartbeat.help)) var streamHeartbeat: Int?
    @Option(help: .init(AppConfiguration.Setting.today.help)) var today: String?
    @Option(help: .init(AppConfiguration.Setting.snapshot.help)) var snapshot: String?

    func run() async throws {
        let configuration = try await readConfiguration([
            .host: host, .port: port.map(String.init), .database: database.path, .databaseURL: database.url,
            .seedDirectory: seedDir,
            .seed: noSeed ? "false" : nil, .logLevel: logLevel, .idleTimeout: idleTimeout.map(String.init),
            .maxBodyBytes: maxBodyBytes.map(String.init), .corsOrigins: corsOrigins,
            .requestTimeout: requestTimeout.map(String.init), .shutdownTimeout: shutdownTimeout.map(String.init),
            .requireTokenForReads: requireTokenForReads ? "true" : nil, .logFormat: logFormat,
            .followInterval: followInterval.map(String.init),
            .webhooksAllowPrivate: webhooksAllowPrivate ? "true" : nil, .webhooksTimeout: webhooksTimeout.map(String.init),
            .webhooksFirstRetry: webhooksFirstRetry.map(String.init), .webhooksCAFile: webhooksCaFile,
            .alertLeadDays: alertLeadDays, .feedRetentionDays: feedRetentionDays.map(String.init),
            .streamMaxClients: streamMaxClients.map(String.init), .streamHeartbeat: streamHeartbeat.map(String.init),
            .today: today, .snapshot: snapshot,
        ])
        configuration.logFormat.bootstrap(level: configuration.logLevel)
        var logger = Logger(label: "pacta")
        logger.logLevel = configuration.logLevel
        bootstrapMetrics(configuration)
        let store = try await openStore(configuration, logger: logger)
        let app = try await buildApplication(configuration: configuration, store: store, logger: logger)
        try await runUntilTerminated(app, store: store, configuration: configuration, logger: logger)
    }
}

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage API tokens for writes.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print it once; only its hash is stored."
        )
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
            try await store.close()
            print(token)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List token names (never the tokens).")
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let store = try await openExistingStore(database)
            let tokens = try await store.tokens()
            try await store.close()
            for token in tokens {
                print(
                    [token.name, "created \(token.createdAt)", token.revokedAt.map { "revoked \($0)" } ?? "active"]
                        .joined(separator: "\t")
                )
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by name; it stops working at once.")
        @Argument var name: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let store = try await openExistingStore(database)
            let revoked = try await store.revokeToken(name: name)
            try await store.close()
            guard revoked else {
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
        let found = try await store.agreement(id: id)
        // The agreements its rules name (`linkedWithdrawal`), as the server's catalog would give them to the engine.
        var linked: [String: Agreement] = [:]
        for other in found.map({ LinkedAgreements.ids(of: $0.agreement) }) ?? [] {
            linked[other] = try await store.agreement(id: other)?.agreement
        }
        try await store.close()
        guard let stored = found else { throw ValidationError("no agreement '\(id)'") }
        let status = RulesEngine.evaluate(LinkedAgreements.resolve(stored.agreement) { linked[$0] }, asOf: date)
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
/// `--database` is an error, never a new (and seeded) file. (A PostgreSQL database is migrated, never seeded.)
func openExistingStore(_ database: DatabaseOptions) async throws -> any AgreementStore {
    var configuration = try await readConfiguration(database.flags)
    if configuration.databaseURL == nil, !FileManager.default.fileExists(atPath: configuration.databasePath) {
        throw ValidationError("no database at '\(configuration.databasePath)' (`pacta serve` creates one)")
    }
    configuration.seed = false
    return try await openStore(configuration, logger: Logger(label: "pacta"))
}

func openStoreWithoutSeeding(_ database: DatabaseOptions) async throws -> any AgreementStore {
    var configuration = try await readConfiguration(database.flags)
    configuration.seed = false
    return try await openStore(configuration, logger: Logger(label: "pacta"))
}
