import Hummingbird
import Logging
import PactaStore
import ServiceLifecycle

/// Keeps the database open while the server runs and closes it cleanly on shutdown. Listed before the
/// HTTP server in the ``ServiceGroup``, so it is shut down after the server has drained its requests.
public struct DatabaseService: Service {
    let store: SQLiteAgreementStore
    let logger: Logger

    public init(store: SQLiteAgreementStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public func run() async throws {
        try? await gracefulShutdown()
        try store.close()
        logger.info("Database closed")
    }
}

/// Runs the application until SIGTERM or SIGINT: the server stops accepting connections, finishes the
/// requests in flight (at most `shutdownTimeoutSeconds`), then the database closes. Returns normally after
/// a graceful shutdown, so the process exits 0.
public func runUntilTerminated(
    _ app: some ApplicationProtocol, store: SQLiteAgreementStore, configuration: AppConfiguration, logger: Logger
) async throws {
    var groupConfiguration = ServiceGroupConfiguration(
        services: [
            .init(service: DatabaseService(store: store, logger: logger)),
            .init(service: app),
        ],
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger)
    groupConfiguration.maximumGracefulShutdownDuration = .seconds(configuration.shutdownTimeoutSeconds)
    try await ServiceGroup(configuration: groupConfiguration).run()
}
