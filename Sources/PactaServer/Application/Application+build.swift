import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import Metrics
import NIOCore
import OpenAPIHummingbird
import OpenAPIRuntime
import PactaCore
import PactaPostgres
import PactaStore
import ServiceLifecycle

/// Opens the configured database, seeding a new one with the bundled agreements: PostgreSQL when
/// ``AppConfiguration/databaseURL`` is set (migrated on the way), else the SQLite file (created with its directory).
public func openStore(_ configuration: AppConfiguration, logger: Logger) async throws -> any AgreementStore {
    let store: any AgreementStore
    if let url = configuration.databaseURL {
        logger.info("Opening PostgreSQL", metadata: ["url": "\(url.redacted)"])
        store = try await PostgresAgreementStore.open(url: url, logger: logger)
    } else {
        let directory = URL(fileURLWithPath: configuration.databasePath).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteAgreementStore(path: configuration.databasePath)
    }
    if configuration.seed {
        let agreements =
            try configuration.seedDirectory.map { try BundledData.agreements(in: URL(fileURLWithPath: $0)) }
            ?? BundledData.agreements()
        let inserted = try await store.seedIfNeeded(agreements)
        if inserted > 0 {
            logger.info(
                "Seeded a new database",
                metadata: ["agreements": "\(inserted)", "from": "\(configuration.seedDirectory ?? "the bundled dataset")"]
            )
        }
    }
    return store
}

/// Builds the whole application around a store: the in-process entry point for tests and for `pacta serve`.
public func buildApplication(
    configuration: AppConfiguration,
    store: any AgreementStore,
    logger: Logger
) async throws -> some ApplicationProtocol {
    let parts = try await buildParts(configuration: configuration, store: store, logger: logger)
    return Application(
        router: parts.router,
        server: .http1(configuration: httpConfiguration(configuration)),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "Pacta"
        ),
        services: parts.services,
        logger: logger
    )
}

/// HTTP/1 limits: idle timeout, request deadline and header sizes (see ``ConnectionGuardHandler``).
func httpConfiguration(_ configuration: AppConfiguration) -> HTTP1Channel.Configuration {
    let requestTimeout = TimeAmount.seconds(Int64(configuration.requestTimeoutSeconds))
    let limits = configuration.limits
    return HTTP1Channel.Configuration(
        additionalChannelHandlers: [ConnectionGuardHandler(requestTimeout: requestTimeout)],
        idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds)),
        httpDecoderConfiguration: .init(
            maxHeaderFieldSize: limits.maxHeaderBytes,
            maxHeaderListSize: limits.maxHeaderBytes,
            maxHeaderFieldCount: limits.maxHeaderFields
        )
    )
}

/// The router with every route and middleware, without a server: what router tests drive.
public func buildRouter(
    configuration: AppConfiguration,
    store: any AgreementStore
) async throws
    -> Router<BasicRequestContext>
{
    try await buildParts(configuration: configuration, store: store, logger: Logger(label: "pacta")).router
}

/// The router, and the services that run beside the HTTP server (webhook deliveries, the deadline-alert scheduler).
func buildParts(
    configuration: AppConfiguration,
    store: any AgreementStore,
    logger: Logger
) async throws
    -> (router: Router<BasicRequestContext>, services: [any Service], hub: FeedStreamHub)
{
    // Webhook deliveries run as a service of the application: started with it, and stopped after the server has
    // drained (and so before the database closes).
    let feedMetrics = FeedMetrics(registry: configuration.metricsRegistry)
    let deliverer = WebhookDeliveryService(
        store: store,
        settings: configuration.webhooks,
        logger: logger,
        metrics: feedMetrics
    )
    if let file = configuration.webhooks.trust.file {
        logger.info(
            "Webhook deliveries trust extra CA certificates besides the system's",
            metadata: ["file": "\(file)", "certificates": "\(configuration.webhooks.trust.extraRoots.count)"]
        )
    }
    if let day = configuration.fixedToday {
        logger.notice("Today is fixed by PACTA_TODAY, not read from the clock", metadata: ["today": "\(day)"])
    }
    // The first index is built on every core: requests are answered meanwhile (from the engine), and the sooner it
    // is ready the sooner they are cheap.
    let catalog = try await AgreementCatalog(
        store: store,
        lifecycleThreads: ProcessInfo.processInfo.activeProcessorCount,
        followInterval: .seconds(configuration.followIntervalSeconds),
        snapshot: configuration.catalogSnapshot
    )
    // Every write from now on records its status.changed events, judged on the server's today, with links resolved
    // against the catalog (held weakly: the store holds the drafter, and the catalog the store).
    store.useFeedDrafting(StatusChangeDrafter(today: configuration.today, snapshot: { [weak catalog] in catalog?.snapshot }))
    let work = HeavyWork(
        threads: configuration.computeThreads,
        queueLimit: configuration.computeQueueLimit,
        budget: .seconds(configuration.computeBudgetSeconds)
    )
    let handler = APIHandler(
        catalog: catalog,
        limits: configuration.limits,
        today: configuration.today,
        work: work,
        openAPIDocument: BundledData.openAPIDocument(),
        webhooks: WebhookAPIContext(
            policy: WebhookAddressPolicy(allowPrivate: configuration.webhooks.allowPrivateAddresses),
            deliverer: deliverer
        )
    )
    // HEAD on every GET route: the GET's status and headers without the body.
    let router = Router(options: .autoGenerateHeadEndpoints)
    let operations = OperationRegistrations()
    // Compact JSON with stable key order: smaller and faster than the generator's pretty default.
    try handler.registerHandlers(
        on: operations,
        configuration: .init(jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes]),
        middlewares: [HeaderPercentDecoding()]
    )
    // What every answer needs, probes included: its id and log line, metrics, CORS, staleness, ETag and problem
    // rendering.
    router.addMiddleware {
        RequestLogMiddleware()
        HTTPMetricsMiddleware(metrics: HTTPMetrics(registry: configuration.metricsRegistry))
        CORSMiddleware(origins: configuration.corsOrigins)
        StalenessMiddleware(catalog: catalog)
        ETagMiddleware()
        ProblemMiddleware()
    }
    HealthRoute.register(on: router, handler: handler)
    operations.add(to: router) { $1 == "/readyz" }
    // The API's own guards and the response cache, after the probes, so a probe never passes through them.
    router.addMiddleware {
        MethodGuardMiddleware()
        QueryLimitsMiddleware()
        AuthMiddleware(store: store, requireTokenForReads: configuration.requireTokenForReads)
        BodyGuardMiddleware(maxBodyBytes: configuration.limits.maxBodyBytes, shapeLimits: configuration.limits.json)
        ResponseCacheMiddleware(catalog: catalog, cache: ResponseCache(), today: configuration.today)
    }
    // The stream, the status, the deadlines, the calendar and the list are direct routes (StreamRoute, StatusRoute,
    // DeadlinesRoute, CalendarRoute and AgreementsRoute say why); their generated registrations are left out (the
    // list's GET only).
    operations.add(to: router) { method, path in
        !["/healthz", "/readyz", StreamRoute.path, StatusRoute.path, DeadlinesRoute.path, CalendarRoute.path].contains(path)
            && !(method == .get && path == AgreementsRoute.path)
    }
    StatusRoute.register(on: router, handler: handler)
    DeadlinesRoute.register(on: router, handler: handler)
    CalendarRoute.register(on: router, handler: handler)
    AgreementsRoute.register(on: router, handler: handler)
    var streamSettings = FeedStreamHub.Settings()
    streamSettings.maxClients = configuration.streamMaxClients
    streamSettings.heartbeat = .seconds(configuration.streamHeartbeatSeconds)
    streamSettings.followInterval = .seconds(configuration.followIntervalSeconds)
    let hub = try await FeedStreamHub.start(store: store, settings: streamSettings, logger: logger, metrics: feedMetrics)
    StreamRoute.register(on: router, hub: hub)
    router.get("/metrics") { _, _ -> Response in
        let feeds = await FeedMetrics.exposition(store: store, hub: hub)
        return Response.prometheus(
            PactaMetrics.exposition(
                registry: configuration.metricsRegistry,
                snapshot: catalog.snapshot,
                asOf: configuration.today()
            ) + feeds
        )
    }
    var services: [any Service] = [deliverer]
    if configuration.runsDeadlineAlerts {
        var alertSettings = DeadlineAlertScheduler.Settings()
        alertSettings.leadDays = configuration.alertLeadDays
        alertSettings.retentionDays = configuration.feedRetentionDays
        services.append(
            DeadlineAlertScheduler(
                store: store,
                catalog: catalog,
                work: work,
                today: configuration.today,
                settings: alertSettings,
                logger: logger
            )
        )
    }
    return (router, services, hub)
}

/// Sends everything recorded through swift-metrics in this process to `configuration`'s registry. Call once
/// per process, from `main` (`MetricsSystem.bootstrap` traps when called twice).
public func bootstrapMetrics(_ configuration: AppConfiguration) {
    MetricsSystem.bootstrap(PactaMetrics.factory(registry: configuration.metricsRegistry))
}
