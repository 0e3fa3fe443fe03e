import PactaStore

/// One claim's worth of deliveries to one subscription: its events in order, one at a time, its progress recorded a
/// run's worth at a time through the deliverer's ``WebhookProgressLog``.
struct DeliveryRun {
    let service: WebhookDeliveryService
    let subscription: WebhookSubscription
    let session: WebhookSender.Session
    /// The cursor as recorded (what the next record expects to find).
    var cursor: Int64
    var failures: Int
    /// The last event done with here (delivered, or not wanted), recorded or not.
    var position: Int64
    /// What happened since the last record, in order.
    var steps: [WebhookProgressStep] = []
    var firstUnrecorded: ContinuousClock.Instant?

    init(service: WebhookDeliveryService, subscription: WebhookSubscription, session: WebhookSender.Session) {
        self.service = service
        self.subscription = subscription
        self.session = session
        cursor = subscription.cursor
        position = subscription.cursor
        failures = subscription.failures
    }

    /// The cursor the steps so far leave.
    private var steppedCursor: Int64 {
        for step in steps.reversed() {
            if case .advance(let cursor) = step.progress { return cursor }
        }
        return cursor
    }

    /// Events passed over (not wanted) since the last step move the cursor before whatever comes next.
    private mutating func settlePassedOver() {
        if position > steppedCursor { steps.append(WebhookProgressStep(attempt: nil, progress: .advance(cursor: position))) }
    }

    /// Records the steps and keeps (or, with `release`, gives up) the lease; false when the lease is lost.
    private mutating func record(release: Bool) async throws -> Bool {
        settlePassedOver()
        let record = WebhookProgressRecord(
            webhookId: subscription.id,
            owner: service.owner,
            expectedCursor: cursor,
            steps: steps,
            leaseUntil: release ? 0 : service.now() + service.leaseMilliseconds
        )
        guard try await service.progress.record(record) else { return false }
        cursor = record.outcome.cursor
        steps = []
        firstUnrecorded = nil
        return true
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
            service.metrics?.attempted(.test)
            steps.append(WebhookProgressStep(attempt: attempt, progress: .testDone))
            guard try await record(release: false) else { return }
        }
        // A subscription claimed only for its test may be waiting for a retry: leave that for its time.
        guard subscription.nextAttemptAt <= service.now() else {
            _ = try await record(release: true)
            return
        }
        let page = 100
        var delivered = 0
        while delivered < service.settings.eventsPerClaim {
            let entries = try await service.tail.events(after: position, limit: page)
            for entry in entries {
                guard subscription.wants(entry.event.type) else {
                    position = entry.event.sequence
                    continue
                }
                guard await attempt(entry) else {
                    // Failed: the retry (or the end) is recorded with everything before it, and the lease released.
                    _ = try await record(release: true)
                    return
                }
                delivered += 1
                let due = firstUnrecorded.map { ContinuousClock.now - $0 >= service.settings.recordInterval } ?? false
                if steps.count >= service.settings.recordEvery || due {
                    guard try await record(release: false) else { return }
                }
            }
            if entries.count < page { break }
        }
        _ = try await record(release: true)
    }

    /// One attempt at one event, its step appended; true when it was delivered and the run goes on.
    mutating func attempt(_ entry: WebhookFeedTail.Entry) async -> Bool {
        let event = entry.event
        let at = service.now()
        let outcome = await session.post(id: event.id, timestamp: at / 1_000, body: entry.body, secret: subscription.secret)
        let number = failures + 1
        func step(_ result: WebhookAttempt.Outcome, next: Int64?, _ progress: WebhookProgress) {
            let attempt = WebhookAttempt(
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
            if firstUnrecorded == nil { firstUnrecorded = .now }
            steps.append(WebhookProgressStep(attempt: attempt, progress: progress))
            service.metrics?.attempted(result)
        }
        if outcome.isSuccess {
            step(.delivered, next: nil, .advance(cursor: event.sequence))
            service.metrics?.delivered(afterMilliseconds: service.now() - entry.committedAt)
            position = event.sequence
            failures = 0
            return true
        }
        // Events passed over before this one are done with, whatever becomes of this one.
        settlePassedOver()
        let schedule = service.settings.retry
        if outcome.statusCode == 410 || schedule.isExhausted(afterFailures: number) {
            let reason =
                outcome.statusCode == 410
                ? "The receiver answered 410 Gone."
                : "\(number) attempts at event \(event.id) failed; the last: \(outcome.statusCode.map { "HTTP \($0)" } ?? outcome.error ?? "no answer")."
            step(.disabled, next: nil, .disable(reason: reason, at: service.now()))
            service.logger.notice("Webhook subscription disabled", metadata: ["webhook": "\(subscription.id)", "reason": "\(reason)"])
            return false
        }
        let delay = schedule.delayMilliseconds(afterFailures: number, spread: Double.random(in: -1...1))
        let next = service.now() + delay
        step(.retrying, next: next, .retry(failures: number, at: next))
        return false
    }
}
