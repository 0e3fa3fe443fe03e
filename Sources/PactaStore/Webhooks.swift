/// A webhook subscription as stored, with its delivery state.
///
/// Deliveries follow the feed (the outbox of ``FeedEvent``s) in order: `cursor` is the sequence of the last feed
/// event this subscription is done with (delivered, or skipped because it does not want that type). Only the event
/// after it is ever attempted, so a receiver sees its events in order, each at least once.
public struct WebhookSubscription: Sendable, Hashable {
    /// `wh_` and 20 random base64url characters.
    public let id: String
    public let url: String
    /// The event types delivered (``WebhookEventTypes/all`` names them).
    public let events: [String]
    public let description: String?
    /// `whsec_` and the base64 key: stored as it is because it signs (a hash could not), shown once at creation and
    /// never logged.
    public let secret: String
    /// Milliseconds since 1970 (UTC).
    public let createdAt: Int64
    /// Set once the subscription stopped delivering for good (a 410, or every attempt of an event failed).
    public let disabledAt: Int64?
    public let disabledReason: String?
    /// The sequence of the last feed event this subscription is done with.
    public let cursor: Int64
    /// Failed attempts at the event after `cursor` so far.
    public let failures: Int
    /// When the next attempt is due (milliseconds since 1970); 0 for at once.
    public let nextAttemptAt: Int64
    /// A test delivery asked for (``WebhookStore/requestWebhookTest(id:eventId:)``) and not attempted yet: its id.
    public let pendingTestId: String?

    public init(
        id: String,
        url: String,
        events: [String],
        description: String?,
        secret: String,
        createdAt: Int64,
        disabledAt: Int64? = nil,
        disabledReason: String? = nil,
        cursor: Int64 = 0,
        failures: Int = 0,
        nextAttemptAt: Int64 = 0,
        pendingTestId: String? = nil
    ) {
        self.id = id
        self.url = url
        self.events = events
        self.description = description
        self.secret = secret
        self.createdAt = createdAt
        self.disabledAt = disabledAt
        self.disabledReason = disabledReason
        self.cursor = cursor
        self.failures = failures
        self.nextAttemptAt = nextAttemptAt
        self.pendingTestId = pendingTestId
    }

    public var isEnabled: Bool { disabledAt == nil }

    /// Whether this subscription wants events of `type`.
    public func wants(_ type: String) -> Bool { events.contains(type) }
}

/// The event types a subscription can ask for (recorded in the feed by the writes and the deadline watcher).
public enum WebhookEventTypes {
    public static let all = [
        "agreement.created", "agreement.updated", "agreement.deleted", "events.appended", "status.changed",
        "deadline.approaching", "deadline.passed",
    ]
    /// The type of the payload `POST /v1/webhooks/{id}/test` sends; never in the feed.
    public static let test = "webhook.test"
}

/// What a new subscription is made of; the id and secret are chosen by the caller.
public struct NewWebhook: Sendable, Hashable {
    public let id: String
    public let url: String
    public let events: [String]
    public let description: String?
    public let secret: String
    public let createdAt: Int64

    public init(id: String, url: String, events: [String], description: String?, secret: String, createdAt: Int64) {
        self.id = id
        self.url = url
        self.events = events
        self.description = description
        self.secret = secret
        self.createdAt = createdAt
    }

    /// The subscription as stored, starting after event `cursor` (the feed's last one when it was created).
    public func subscription(cursor: Int64) -> WebhookSubscription {
        WebhookSubscription(
            id: id,
            url: url,
            events: events,
            description: description,
            secret: secret,
            createdAt: createdAt,
            cursor: cursor
        )
    }
}

/// One delivery attempt, as recorded (before the subscription's cursor moves past its event).
public struct WebhookAttempt: Sendable, Hashable {
    public enum Outcome: String, Sendable, Hashable {
        /// A 2xx answer: the event is done.
        case delivered
        /// Failed; another attempt is scheduled at `nextAttemptAt`.
        case retrying
        /// Failed, and the subscription is now disabled (a 410, or the last allowed attempt).
        case disabled
        /// A test delivery (`POST /v1/webhooks/{id}/test`): tried once, whatever the answer.
        case test
    }

    /// Increasing across every attempt of every subscription (0 before it is recorded).
    public let sequence: Int64
    public let webhookId: String
    /// The `webhook-id` sent: the feed event's id (the same for every attempt at that event).
    public let eventId: String
    public let eventType: String
    /// The feed sequence of the event (0 for a test delivery).
    public let eventSequence: Int64
    /// 1 for the first attempt at this event.
    public let attempt: Int
    /// When the attempt started, in milliseconds since 1970.
    public let at: Int64
    public let durationMs: Int
    /// The receiver's answer, when there was one.
    public let statusCode: Int?
    /// Why there was no usable answer (`timeout`, `connect`, `refusedAddress`, `invalidURL`, `tooLarge`, …): a class
    /// of error, never a message that could hold the receiver's words.
    public let error: String?
    public let outcome: Outcome
    public let nextAttemptAt: Int64?

    public init(
        sequence: Int64 = 0,
        webhookId: String,
        eventId: String,
        eventType: String,
        eventSequence: Int64,
        attempt: Int,
        at: Int64,
        durationMs: Int,
        statusCode: Int?,
        error: String?,
        outcome: Outcome,
        nextAttemptAt: Int64?
    ) {
        self.sequence = sequence
        self.webhookId = webhookId
        self.eventId = eventId
        self.eventType = eventType
        self.eventSequence = eventSequence
        self.attempt = attempt
        self.at = at
        self.durationMs = durationMs
        self.statusCode = statusCode
        self.error = error
        self.outcome = outcome
        self.nextAttemptAt = nextAttemptAt
    }
}

/// What an attempt does to its subscription, recorded in the same transaction as the attempt.
public enum WebhookProgress: Sendable, Hashable {
    /// The event is done: the cursor moves to `cursor`, failures reset.
    case advance(cursor: Int64)
    /// Try the same event again at `at` (milliseconds since 1970), `failures` failed attempts so far.
    case retry(failures: Int, at: Int64)
    /// Stop delivering for good.
    case disable(reason: String, at: Int64)
    /// A test delivery was attempted: clear it.
    case testDone
}

/// Subscriptions and their delivery state, next to the agreements in the same database (both stores implement it).
///
/// Deliverers claim subscriptions with a lease (``claimDueWebhooks(now:leaseUntil:owner:limit:)``), so that of
/// several servers sharing a database exactly one attempts each delivery at a time; each attempt is then recorded
/// with its consequence in one transaction, only while the claimer still holds the lease.
public protocol WebhookStore: Sendable {
    /// Stores a new subscription whose cursor is the feed's last event now: it receives what is committed after.
    func createWebhook(_ new: NewWebhook) async throws -> WebhookSubscription
    /// Every subscription, ordered by creation.
    func webhooks() async throws -> [WebhookSubscription]
    func webhook(id: String) async throws -> WebhookSubscription?
    /// Deletes the subscription and its attempts; false when there was none.
    func deleteWebhook(id: String) async throws -> Bool
    /// Asks for a test delivery with this event id; false when there is no such subscription.
    func requestWebhookTest(id: String, eventId: String) async throws -> Bool
    /// The latest attempts of a subscription, newest first.
    func webhookAttempts(webhookId: String, limit: Int) async throws -> [WebhookAttempt]
    /// Leases (until `leaseUntil`, for `owner`) up to `limit` enabled subscriptions that have something to do at
    /// `now` (a feed event after their cursor, or a test) and are not leased by another owner, and returns them.
    func claimDueWebhooks(now: Int64, leaseUntil: Int64, owner: String, limit: Int) async throws -> [WebhookSubscription]
    /// Applies each record (each subscription's attempts and their consequences, in order) in one transaction, each
    /// only while its `owner` holds the lease and the cursor is still `expectedCursor`, and extends or releases the
    /// lease. Returns, per record, whether it was applied: false means that `owner` lost the subscription (another
    /// deliverer took over) and nothing of that record was recorded; the caller stops delivering to it.
    ///
    /// One transaction for many records is what keeps delivery bookkeeping from competing with writes: deliverers
    /// gather the records of all their subscriptions and commit them together.
    func recordWebhookProgress(_ records: [WebhookProgressRecord]) async throws -> [Bool]
}

extension WebhookStore {
    /// Records an attempt (if any) and its consequence, and extends the lease to `leaseUntil` (0 releases it).
    /// Returns false, recording nothing, when `owner` no longer holds the lease or the cursor moved (another
    /// deliverer took over): the caller stops.
    public func recordWebhookProgress(
        webhookId: String,
        owner: String,
        expectedCursor: Int64,
        attempt: WebhookAttempt?,
        progress: WebhookProgress?,
        leaseUntil: Int64
    ) async throws -> Bool {
        let record = WebhookProgressRecord(
            webhookId: webhookId,
            owner: owner,
            expectedCursor: expectedCursor,
            steps: [WebhookProgressStep(attempt: attempt, progress: progress)],
            leaseUntil: leaseUntil
        )
        return try await recordWebhookProgress([record]).first ?? false
    }
}

/// One attempt (if any) and what it does to its subscription.
public struct WebhookProgressStep: Sendable, Hashable {
    public let attempt: WebhookAttempt?
    public let progress: WebhookProgress?

    public init(attempt: WebhookAttempt?, progress: WebhookProgress?) {
        self.attempt = attempt
        self.progress = progress
    }
}

/// A deliverer's progress on one subscription since its last record: the steps in the order they happened, applied
/// in that order in one transaction, so that an attempt's outcome is recorded with (never after) the cursor's move
/// past its event.
public struct WebhookProgressRecord: Sendable, Hashable {
    public let webhookId: String
    public let owner: String
    /// The cursor the subscription had when the deliverer last recorded (or claimed) it.
    public let expectedCursor: Int64
    public let steps: [WebhookProgressStep]
    /// The lease's new end; 0 releases it.
    public let leaseUntil: Int64

    public init(webhookId: String, owner: String, expectedCursor: Int64, steps: [WebhookProgressStep], leaseUntil: Int64) {
        self.webhookId = webhookId
        self.owner = owner
        self.expectedCursor = expectedCursor
        self.steps = steps
        self.leaseUntil = leaseUntil
    }

    /// What the steps change in the subscription's row, taken together.
    public var outcome: WebhookProgressOutcome {
        var result = WebhookProgressOutcome(cursor: expectedCursor)
        for step in steps {
            switch step.progress {
            case .advance(let cursor):
                result.cursor = cursor
                result.failures = 0
                result.nextAttemptAt = 0
            case .retry(let failures, let at):
                result.failures = failures
                result.nextAttemptAt = at
            case .disable(let reason, let at):
                result.disabled = (at, reason)
            case .testDone:
                result.testDone = true
            case nil:
                break
            }
        }
        return result
    }
}

/// What a ``WebhookProgressRecord`` changes in its subscription's row (``WebhookProgressRecord/outcome``); a `nil`
/// field is left as it is.
public struct WebhookProgressOutcome: Sendable {
    public var cursor: Int64
    public var failures: Int?
    public var nextAttemptAt: Int64?
    public var disabled: (at: Int64, reason: String)?
    public var testDone = false

    init(cursor: Int64) {
        self.cursor = cursor
    }
}
