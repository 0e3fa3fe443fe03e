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
    public var limits = Limits()
    /// Origins whose browser scripts may read the API (CORS); `*` for any. None by default.
    public var corsOrigins: [String] = []
    /// Where HTTP metrics are recorded and `/metrics` reads them; one per application.
    public var metricsRegistry = PrometheusCollectorRegistry()
    /// Today's civil date, the default `asOf`; replaced in tests.
    public var today: @Sendable () -> CalendarDate = { CalendarDate.todayUTC() }

    public init() {}
}
