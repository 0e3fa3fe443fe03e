import Foundation
import Logging
import PactaCore
import Prometheus

/// Everything the server needs to start; each field has an environment variable and a flag (README).
public struct AppConfiguration: Sendable {
    /// Interface to listen on. `127.0.0.1` by default so a development server is not exposed; the container
    /// image sets `0.0.0.0`.
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    /// The SQLite file; created with its directory on first start.
    public var databasePath: String = "data/pacta.sqlite"
    /// Where the bundled agreements are read from to seed a new database; `nil` for the copy inside the binary's
    /// resource bundle.
    public var seedDirectory: String?
    /// Seed a new database with the bundled agreements.
    public var seed: Bool = true
    public var logLevel: Logger.Level = .info
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
    /// Heavy computations that may wait for a thread; more answer 503 at once.
    public var computeQueueLimit: Int = 32
    /// Seconds a request waits for a heavy answer before it gets 503 with `Retry-After` (the computation of a
    /// shared answer goes on, so a retry finds it).
    public var computeBudgetSeconds: Int = 10
    /// Require a token for reads too (except `/healthz` and `/readyz`).
    public var requireTokenForReads = false
    public var limits = Limits()
    /// Origins whose browser scripts may read the API (CORS); `*` for any. None by default.
    public var corsOrigins: [String] = []
    /// Where HTTP metrics are recorded and `/metrics` reads them; one per application.
    public var metricsRegistry = PrometheusCollectorRegistry()
    /// Today's civil date, the default `asOf`; replaced in tests.
    public var today: @Sendable () -> CalendarDate = { CalendarDate.todayUTC() }

    public init() {}
}
