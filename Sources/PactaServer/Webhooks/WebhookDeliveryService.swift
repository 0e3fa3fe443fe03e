import Foundation
import Logging
import PactaStore
import ServiceLifecycle
import Synchronization

/// How deliveries are made; ``AppConfiguration/webhooks`` holds the user's settings.
public struct WebhookDeliverySettings: Sendable {
    public var allowPrivateAddresses = false
    /// CA certificates trusted besides the system's (`PACTA_WEBHOOKS_CA_FILE`).
    public var trust = WebhookTrust()
    public var connectTimeout: Duration = .seconds(5)
    public var totalTimeout: Duration = .seconds(10)
    public var retry = WebhookRetrySchedule()
    /// Subscriptions delivered to at the same time (each one's events stay in order).
    public var concurrency = 8
    /// How often due retries (and leases that ran out) are looked for when nothing else wakes the deliverer; every
    /// commit and every test request wake it at once, so this only bounds how late a retry can be.
    public var pollInterval: Duration = .seconds(1)
    /// Events delivered to one subscription per claim, so that a busy one does not hold a slot for ever.
    public var eventsPerClaim = 500
    /// A run records its progress after this many deliveries or this long after its first unrecorded one (and
    /// whenever one fails, and at its end): a crash repeats at most that much (delivery is at least once anyway).
    public var recordEvery = 50
    public var recordInterval: Duration = .seconds(1)

    public init() {}
}

/// Delivers the feed to webhook subscriptions, as a service of the server's `ServiceGroup`.
///
/// Each subscription is claimed with a lease in the store, so of several servers sharing a database one delivers it
/// at a time; its events go out in feed order, one at a time (the next only after the receiver accepted the one
/// before). Attempts are recorded with their consequence (the cursor's move, the retry's time or the subscription's
/// end) in the same transaction, a run's worth at a time (``WebhookDeliverySettings/recordEvery``), and the records of
/// every subscription in flight share one transaction (``WebhookProgressLog``). A crash between a receiver's answer and
/// that record means the event is sent again: delivery is at least once.
///
/// Deliveries run apart from requests and never hold up a write: they read the feed a write left behind (once for all
/// subscriptions: ``WebhookFeedTail``), wake-ups that find nothing due take no write lock, and at most one bookkeeping
/// transaction waits for SQLite's write lock at a time.
public final class WebhookDeliveryService: Service, Sendable {
    let store: any AgreementStore
    let settings: WebhookDeliverySettings
    let logger: Logger
    /// Milliseconds since 1970; injected so tests can move time.
    let now: @Sendable () -> Int64
    /// Names this process's leases.
    let owner = "deliverer-" + UUID().uuidString
    let metrics: FeedMetrics?
    let tail: WebhookFeedTail
    let progress: WebhookProgressLog
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let sessions: WebhookSessions

    init(
        store: any AgreementStore,
        settings: WebhookDeliverySettings,
        logger: Logger,
        metrics: FeedMetrics? = nil,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1_000) }
    ) {
        self.store = store
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
        self.now = now
        tail = WebhookFeedTail(store: store, now: now)
        progress = WebhookProgressLog(store: store)
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        wakeups = stream
        wake = continuation
        sessions = WebhookSessions(
            sender: WebhookSender(
                policy: WebhookAddressPolicy(allowPrivate: settings.allowPrivateAddresses),
                connectTimeout: settings.connectTimeout,
                totalTimeout: settings.totalTimeout,
                trust: settings.trust
            )
        )
    }

    /// Looks for work now (a write recorded feed events, or a test was asked for) rather than at the next poll.
    public func poke() { wake.yield() }

    /// How long a claim holds a subscription: longer than one attempt can take, so that a live deliverer keeps it,
    /// and short, so that the subscriptions of a server that died are taken over soon.
    var leaseMilliseconds: Int64 { WebhookRetrySchedule.milliseconds(settings.totalTimeout) * 2 + 5_000 }

    public func run() async throws {
        let running = RunningCount()
        let signals = store.changeSignals().signals
        await cancelWhenGracefulShutdown { [self] in
            await withDiscardingTaskGroup { group in
                // Another server's write (PostgreSQL) and the poll both wake the loop.
                group.addTask { [wake, tail] in
                    for await _ in signals {
                        tail.changed()
                        wake.yield()
                    }
                }
                group.addTask { [wake, tail, settings] in
                    while !Task.isCancelled {
                        try? await Task.sleep(for: settings.pollInterval)
                        tail.changed()
                        wake.yield()
                    }
                }
                for await _ in wakeups {
                    if Task.isCancelled { break }
                    let free = settings.concurrency - running.value.withLock { $0 }
                    guard free > 0 else { continue }
                    let moment = now()
                    let claimed: [WebhookSubscription]
                    do {
                        claimed = try await store.claimDueWebhooks(
                            now: moment,
                            leaseUntil: moment + leaseMilliseconds,
                            owner: owner,
                            limit: free
                        )
                    } catch is CancellationError {
                        // Shutdown ended the claim: nothing went wrong, and the loop ends with the task group.
                        continue
                    } catch {
                        logger.warning("Could not claim webhook deliveries", metadata: ["error": "\(type(of: error))"])
                        continue
                    }
                    // A subscription is due because the log has events after its cursor: make sure the tail reads them
                    // (once, for all of them) even if the commit's signal has not arrived yet.
                    if !claimed.isEmpty { tail.changed() }
                    for subscription in claimed {
                        running.value.withLock { $0 += 1 }
                        group.addTask { [wake] in
                            await self.deliver(subscription)
                            running.value.withLock { $0 -= 1 }
                            wake.yield()
                        }
                    }
                    // Every free slot was filled: more may be due.
                    if claimed.count == free { wake.yield() }
                }
                group.cancelAll()
            }
        }
        await sessions.closeAll()
    }

    /// Delivers what is due to one claimed subscription, then releases it.
    func deliver(_ subscription: WebhookSubscription) async {
        let session = await sessions.session(for: subscription.url)
        var run = DeliveryRun(service: self, subscription: subscription, session: session)
        do {
            try await run.go()
        } catch {
            logger.warning(
                "Webhook delivery stopped",
                metadata: ["webhook": "\(subscription.id)", "error": "\(type(of: error))"]
            )
        }
        await sessions.closeExpired()
    }
}

/// Deliveries in flight, shared by the loop that starts them and the tasks that end them.
private final class RunningCount: Sendable {
    let value = Mutex(0)
}
