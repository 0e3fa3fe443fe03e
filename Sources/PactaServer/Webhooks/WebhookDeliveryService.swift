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

    public init() {}
}

/// Delivers the feed to webhook subscriptions, as a service of the server's `ServiceGroup`.
///
/// Each subscription is claimed with a lease in the store, so of several servers sharing a database one delivers it
/// at a time; its events go out in feed order, one at a time, each attempt recorded (with the cursor's move, the
/// retry's time or the subscription's end) in one transaction before the next. A crash between a receiver's answer
/// and that record means the event is sent again: delivery is at least once. Deliveries run apart from requests:
/// they read the feed a write left behind and never hold up a write.
public final class WebhookDeliveryService: Service, Sendable {
    let store: any AgreementStore
    let settings: WebhookDeliverySettings
    let logger: Logger
    /// Milliseconds since 1970; injected so tests can move time.
    let now: @Sendable () -> Int64
    /// Names this process's leases.
    let owner = "deliverer-" + UUID().uuidString
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let sessions: WebhookSessions

    public init(
        store: any AgreementStore,
        settings: WebhookDeliverySettings,
        logger: Logger,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1_000) }
    ) {
        self.store = store
        self.settings = settings
        self.logger = logger
        self.now = now
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
                group.addTask { [wake] in
                    for await _ in signals { wake.yield() }
                }
                group.addTask { [wake, settings] in
                    while !Task.isCancelled {
                        try? await Task.sleep(for: settings.pollInterval)
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
                    } catch {
                        logger.warning("Could not claim webhook deliveries", metadata: ["error": "\(type(of: error))"])
                        continue
                    }
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

/// One claim's worth of deliveries to one subscription.
struct DeliveryRun {
    let service: WebhookDeliveryService
    let subscription: WebhookSubscription
    let session: WebhookSender.Session
    var cursor: Int64
    var failures: Int

    init(service: WebhookDeliveryService, subscription: WebhookSubscription, session: WebhookSender.Session) {
        self.service = service
        self.subscription = subscription
        self.session = session
        cursor = subscription.cursor
        failures = subscription.failures
    }

    var store: any AgreementStore { service.store }

    /// Records progress and keeps (or, with `release`, gives up) the lease; false when the lease is lost.
    mutating func record(_ attempt: WebhookAttempt?, _ progress: WebhookProgress?, release: Bool = false) async throws -> Bool {
        let now = service.now()
        let recorded = try await store.recordWebhookProgress(
            webhookId: subscription.id,
            owner: service.owner,
            expectedCursor: cursor,
            attempt: attempt,
            progress: progress,
            leaseUntil: release ? 0 : now + service.leaseMilliseconds
        )
        if recorded, case .advance(let next) = progress { cursor = next }
        return recorded
    }

    mutating func go() async throws {
        if let testId = subscription.pendingTestId {
            let at = service.now()
            let body = WebhookPayload.test(webhookId: subscription.id, at: at)
            let outcome = await session.post(id: testId, timestamp: at / 1_000, body: body, secret: subscription.secret)
            let attempt = WebhookAttempt(
                webhookId: subscription.id,
                eventId: testId,
                eventType: WebhookEventTypes.test,
                eventSequence: 0,
                attempt: 1,
                at: at,
                durationMs: outcome.durationMs,
                statusCode: outcome.statusCode,
                error: outcome.error,
                outcome: .test,
                nextAttemptAt: nil
            )
            guard try await record(attempt, .testDone) else { return }
        }
        // A subscription claimed only for its test may be waiting for a retry: leave that for its time.
        guard subscription.nextAttemptAt <= service.now() else {
            _ = try await record(nil, nil, release: true)
            return
        }
        var delivered = 0
        while delivered < service.settings.eventsPerClaim {
            let events = try await store.feedEvents(after: cursor, limit: 100)
            var skipTo = cursor
            for event in events {
                guard subscription.wants(event.type) else {
                    skipTo = event.sequence
                    continue
                }
                if skipTo != cursor { guard try await record(nil, .advance(cursor: skipTo)) else { return } }
                guard try await attempt(event) else { return }
                delivered += 1
                skipTo = cursor
            }
            if skipTo != cursor { guard try await record(nil, .advance(cursor: skipTo)) else { return } }
            if events.count < 100 { break }
        }
        _ = try await record(nil, nil, release: true)
    }

    /// One attempt at one event; true when it was delivered and the run goes on.
    mutating func attempt(_ event: FeedEvent) async throws -> Bool {
        let at = service.now()
        let outcome = await session.post(
            id: event.id,
            timestamp: at / 1_000,
            body: WebhookPayload.bytes(of: event),
            secret: subscription.secret
        )
        let number = failures + 1
        func made(_ result: WebhookAttempt.Outcome, next: Int64?) -> WebhookAttempt {
            WebhookAttempt(
                webhookId: subscription.id,
                eventId: event.id,
                eventType: event.type,
                eventSequence: event.sequence,
                attempt: number,
                at: at,
                durationMs: outcome.durationMs,
                statusCode: outcome.statusCode,
                error: outcome.error,
                outcome: result,
                nextAttemptAt: next
            )
        }
        if outcome.isSuccess {
            guard try await record(made(.delivered, next: nil), .advance(cursor: event.sequence)) else { return false }
            failures = 0
            return true
        }
        let schedule = service.settings.retry
        if outcome.statusCode == 410 || schedule.isExhausted(afterFailures: number) {
            let reason =
                outcome.statusCode == 410
                ? "The receiver answered 410 Gone."
                : "\(number) attempts at event \(event.id) failed; the last: \(outcome.statusCode.map { "HTTP \($0)" } ?? outcome.error ?? "no answer")."
            let now = service.now()
            _ = try await record(made(.disabled, next: nil), .disable(reason: reason, at: now), release: true)
            service.logger.notice("Webhook subscription disabled", metadata: ["webhook": "\(subscription.id)", "reason": "\(reason)"])
            return false
        }
        let delay = schedule.delayMilliseconds(afterFailures: number, spread: Double.random(in: -1...1))
        let next = service.now() + delay
        _ = try await record(made(.retrying, next: next), .retry(failures: number, at: next), release: true)
        return false
    }
}
