import Dispatch
import Foundation
import Hummingbird
import Logging
import PactaStore
import ServiceLifecycle

/// Keeps the database open while the server runs and closes it on shutdown. Listed before the HTTP server in
/// the ``ServiceGroup``, so it is asked to stop only after the server has drained its requests; closing then
/// waits for any store operation still running (``AgreementStore/close()``), so no request ever finds the
/// database closed under it.
public struct DatabaseService: Service {
    let store: any AgreementStore
    let logger: Logger

    public init(store: any AgreementStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public func run() async throws {
        try? await gracefulShutdown()
        try await store.close()
        logger.info("Database closed")
    }
}

/// Bounds shutdown whatever the tasks do: `timeout` after SIGTERM or SIGINT, plus one second, the process exits
/// with status 1 if it is still running. It runs on a Dispatch queue of its own, not on Swift's cooperative
/// threads, so work that holds those threads cannot hold it back. Committed writes are durable (WAL,
/// `synchronous=FULL`), so exiting then loses nothing that was acknowledged.
final class ShutdownWatchdog {
    private let queue = DispatchQueue(label: "pacta.shutdown-watchdog")
    private let sources: [any DispatchSourceSignal]

    init(timeoutSeconds: Int, logger: Logger) {
        let queue = queue
        sources = [SIGTERM, SIGINT].map { signalNumber in
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler {
                queue.asyncAfter(deadline: .now() + .seconds(timeoutSeconds + 1)) {
                    logger.error(
                        "Shutdown did not finish in time; exiting",
                        metadata: ["timeout_s": "\(timeoutSeconds)"]
                    )
                    exit(1)
                }
            }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }
}

/// Runs the application until SIGTERM or SIGINT: the server stops accepting connections, finishes the
/// requests in flight (at most `shutdownTimeoutSeconds`), then the database closes. Returns normally after
/// a graceful shutdown, so the process exits 0; ``ShutdownWatchdog`` ends it one second after the timeout
/// otherwise.
public func runUntilTerminated(
    _ app: some ApplicationProtocol,
    store: any AgreementStore,
    configuration: AppConfiguration,
    logger: Logger
) async throws {
    var groupConfiguration = ServiceGroupConfiguration(
        services: [
            .init(service: DatabaseService(store: store, logger: logger)),
            .init(service: app),
        ],
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger
    )
    groupConfiguration.maximumGracefulShutdownDuration = .seconds(configuration.shutdownTimeoutSeconds)
    let watchdog = ShutdownWatchdog(timeoutSeconds: configuration.shutdownTimeoutSeconds, logger: logger)
    try await ServiceGroup(configuration: groupConfiguration).run()
    withExtendedLifetime(watchdog) {}
}
