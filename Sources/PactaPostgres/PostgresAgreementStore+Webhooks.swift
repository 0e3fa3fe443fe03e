import Foundation
import Logging
import PactaStore
import PostgresNIO

extension PostgresAgreementStore {
    /// Migration 3: subscriptions with their delivery state, and the attempts.
    static let webhookMigration = [
        """
        CREATE TABLE pacta_webhooks (
            id text PRIMARY KEY, url text NOT NULL, events text NOT NULL, description text, secret text NOT NULL,
            created_at bigint NOT NULL, disabled_at bigint, disabled_reason text, feed_cursor bigint NOT NULL,
            failures integer NOT NULL DEFAULT 0, next_attempt_at bigint NOT NULL DEFAULT 0, pending_test_id text,
            lease_owner text, lease_until bigint NOT NULL DEFAULT 0)
        """,
        """
        CREATE TABLE pacta_webhook_attempts (
            sequence bigserial PRIMARY KEY, webhook_id text NOT NULL, event_id text NOT NULL, event_type text NOT NULL,
            event_sequence bigint NOT NULL, attempt integer NOT NULL, at bigint NOT NULL, duration_ms integer NOT NULL,
            status_code integer, error text, outcome text NOT NULL, next_attempt_at bigint)
        """,
        "CREATE INDEX pacta_webhook_attempts_webhook ON pacta_webhook_attempts (webhook_id, sequence)",
    ]

    /// The last feed sequence handed out (the meta row's counter, which pruning keeps).
    static func feedHead(_ connection: PostgresConnection, _ logger: Logger) async throws -> Int64 {
        let rows = try await connection.query("SELECT feed_sequence FROM pacta_meta", logger: logger)
        for try await head in rows.decode(Int64.self) { return head }
        return 0
    }

    /// Attempts kept per subscription: enough to see what went wrong, bounded however long a receiver fails.
    static let webhookAttemptsKept = 1_000

    private static let webhookColumns = """
        id, url, events, description, secret, created_at, disabled_at, disabled_reason, feed_cursor, failures,
        next_attempt_at, pending_test_id
        """

    private typealias WebhookRow = (
        String, String, String, String?, String, Int64, Int64?, String?, Int64, Int32, Int64, String?
    )

    private static func subscription(_ row: WebhookRow) -> WebhookSubscription {
        WebhookSubscription(
            id: row.0,
            url: row.1,
            events: row.2.split(separator: ",").map(String.init),
            description: row.3,
            secret: row.4,
            createdAt: row.5,
            disabledAt: row.6,
            disabledReason: row.7,
            cursor: row.8,
            failures: Int(row.9),
            nextAttemptAt: row.10,
            pendingTestId: row.11
        )
    }

    private static func subscriptions(_ rows: PostgresRowSequence) async throws -> [WebhookSubscription] {
        var result: [WebhookSubscription] = []
        for try await row in rows.decode(WebhookRow.self) { result.append(subscription(row)) }
        return result
    }

    public func createWebhook(_ new: NewWebhook) async throws -> WebhookSubscription {
        try await transaction { connection, logger in
            // The meta row's lock orders this with the writes (which record their feed events under it): every event
            // committed before is behind the cursor, every later one after it.
            try await connection.query("SELECT 1 FROM pacta_meta FOR UPDATE", logger: logger)
            let head = try await Self.feedHead(connection, logger)
            try await connection.query(
                """
                INSERT INTO pacta_webhooks (id, url, events, description, secret, created_at, feed_cursor)
                VALUES (\(new.id), \(new.url), \(new.events.joined(separator: ",")), \(new.description), \(new.secret),
                    \(new.createdAt), \(head))
                """,
                logger: logger
            )
            return new.subscription(cursor: head)
        }
    }

    public func webhooks() async throws -> [WebhookSubscription] {
        try await transaction(readOnlySnapshot: true) { connection, logger in
            try await Self.subscriptions(
                connection.query(
                    PostgresQuery(
                        unsafeSQL: "SELECT \(Self.webhookColumns) FROM pacta_webhooks ORDER BY created_at, id COLLATE \"C\""
                    ),
                    logger: logger
                )
            )
        }
    }

    public func webhook(id: String) async throws -> WebhookSubscription? {
        try await transaction(readOnlySnapshot: true) { connection, logger in
            var query = PostgresQuery(unsafeSQL: "SELECT \(Self.webhookColumns) FROM pacta_webhooks WHERE id = $1")
            query.binds.append(id)
            return try await Self.subscriptions(connection.query(query, logger: logger)).first
        }
    }

    public func deleteWebhook(id: String) async throws -> Bool {
        try await transaction { connection, logger in
            try await connection.query("DELETE FROM pacta_webhook_attempts WHERE webhook_id = \(id)", logger: logger)
            let rows = try await connection.query("DELETE FROM pacta_webhooks WHERE id = \(id) RETURNING 1", logger: logger)
            var deleted = false
            for try await _ in rows { deleted = true }
            return deleted
        }
    }

    public func requestWebhookTest(id: String, eventId: String) async throws -> Bool {
        try await transaction { connection, logger in
            let rows = try await connection.query(
                "UPDATE pacta_webhooks SET pending_test_id = \(eventId) WHERE id = \(id) RETURNING 1",
                logger: logger
            )
            var found = false
            for try await _ in rows { found = true }
            return found
        }
    }

    public func webhookAttempts(webhookId: String, limit: Int) async throws -> [WebhookAttempt] {
        try await transaction(readOnlySnapshot: true) { connection, logger in
            let rows = try await connection.query(
                """
                SELECT sequence, webhook_id, event_id, event_type, event_sequence, attempt, at, duration_ms, status_code,
                    error, outcome, next_attempt_at
                FROM pacta_webhook_attempts WHERE webhook_id = \(webhookId) ORDER BY sequence DESC LIMIT \(limit)
                """,
                logger: logger
            )
            var attempts: [WebhookAttempt] = []
            for try await row in rows.decode(
                (Int64, String, String, String, Int64, Int32, Int64, Int32, Int32?, String?, String, Int64?).self
            ) {
                attempts.append(
                    WebhookAttempt(
                        sequence: row.0,
                        webhookId: row.1,
                        eventId: row.2,
                        eventType: row.3,
                        eventSequence: row.4,
                        attempt: Int(row.5),
                        at: row.6,
                        durationMs: Int(row.7),
                        statusCode: row.8.map(Int.init),
                        error: row.9,
                        outcome: WebhookAttempt.Outcome(rawValue: row.10) ?? .retrying,
                        nextAttemptAt: row.11
                    )
                )
            }
            return attempts
        }
    }

    public func claimDueWebhooks(
        now: Int64,
        leaseUntil: Int64,
        owner: String,
        limit: Int
    ) async throws
        -> [WebhookSubscription]
    {
        // Most wake-ups (one per commit, on every server) find nothing due: one statement says so, outside a
        // transaction, instead of a claiming transaction's five round trips.
        let anything = try await withConnection { [logger] connection in
            var query = PostgresQuery(unsafeSQL: "SELECT EXISTS (SELECT 1 FROM pacta_webhooks WHERE \(Self.dueWebhook))")
            query.binds.append(now)
            let rows = try await connection.query(query, logger: logger)
            for try await exists in rows.decode(Bool.self) { return exists }
            return false
        }
        guard anything else { return [] }
        return try await transaction { connection, logger in
            // Progress lost to a crash of the database server only repeats deliveries (at least once): no need to
            // wait for its WAL flush.
            try await connection.query("SET LOCAL synchronous_commit TO off", logger: logger)
            // SKIP LOCKED: servers claiming at the same moment take different rows, and a row is leased to one of them.
            var query = PostgresQuery(
                unsafeSQL: """
                    WITH due AS (
                        SELECT id FROM pacta_webhooks WHERE \(Self.dueWebhook)
                        ORDER BY next_attempt_at, id LIMIT $2
                        FOR UPDATE SKIP LOCKED)
                    UPDATE pacta_webhooks SET lease_owner = $3, lease_until = $4 FROM due WHERE pacta_webhooks.id = due.id
                    RETURNING \(Self.webhookColumns.replacingOccurrences(of: "id, url,", with: "pacta_webhooks.id, url,"))
                    """
            )
            query.binds.append(now)
            query.binds.append(limit)
            query.binds.append(owner)
            query.binds.append(leaseUntil)
            return try await Self.subscriptions(connection.query(query, logger: logger))
        }
    }

    /// A subscription a deliverer may claim at `$1` (now): enabled, not leased (or its lease ran out), with events
    /// after its cursor whose retry is due, or a test to send.
    private static let dueWebhook = """
        disabled_at IS NULL AND (lease_owner IS NULL OR lease_until < $1)
            AND ((feed_cursor < (SELECT feed_sequence FROM pacta_meta) AND next_attempt_at <= $1)
                OR pending_test_id IS NOT NULL)
        """

    public func recordWebhookProgress(_ records: [WebhookProgressRecord]) async throws -> [Bool] {
        guard !records.isEmpty else { return [] }
        return try await transaction { connection, logger in
            // Progress lost to a crash of the database server only repeats deliveries (at least once).
            try await connection.query("SET LOCAL synchronous_commit TO off", logger: logger)
            var applied: [Bool] = []
            for record in records { applied.append(try await Self.apply(record, connection, logger)) }
            return applied
        }
    }

    /// Applies one record inside the batch's transaction; false (nothing written) when its owner lost the lease.
    private static func apply(
        _ record: WebhookProgressRecord,
        _ connection: PostgresConnection,
        _ logger: Logger
    ) async throws
        -> Bool
    {
        let webhookId = record.webhookId
        let rows = try await connection.query(
            "SELECT feed_cursor, lease_owner FROM pacta_webhooks WHERE id = \(webhookId) FOR UPDATE",
            logger: logger
        )
        var holds = false
        for try await (cursor, leaseOwner) in rows.decode((Int64, String?).self) {
            holds = cursor == record.expectedCursor && leaseOwner == record.owner
        }
        guard holds else { return false }
        let attempts = record.steps.compactMap(\.attempt)
        for attempt in attempts {
            try await connection.query(
                """
                INSERT INTO pacta_webhook_attempts (webhook_id, event_id, event_type, event_sequence, attempt, at,
                    duration_ms, status_code, error, outcome, next_attempt_at)
                VALUES (\(webhookId), \(attempt.eventId), \(attempt.eventType), \(attempt.eventSequence),
                    \(Int32(attempt.attempt)), \(attempt.at), \(Int32(attempt.durationMs)),
                    \(attempt.statusCode.map(Int32.init)), \(attempt.error), \(attempt.outcome.rawValue),
                    \(attempt.nextAttemptAt))
                """,
                logger: logger
            )
        }
        if !attempts.isEmpty {
            try await connection.query(
                """
                DELETE FROM pacta_webhook_attempts WHERE webhook_id = \(webhookId) AND sequence <= (
                    SELECT sequence FROM pacta_webhook_attempts WHERE webhook_id = \(webhookId)
                    ORDER BY sequence DESC LIMIT 1 OFFSET \(Self.webhookAttemptsKept))
                """,
                logger: logger
            )
        }
        let outcome = record.outcome
        let leaseOwner: String? = record.leaseUntil == 0 ? nil : record.owner
        // One statement for the whole record: a NULL leaves its column as it is.
        try await connection.query(
            """
            UPDATE pacta_webhooks SET feed_cursor = \(outcome.cursor),
                failures = coalesce(\(outcome.failures.map(Int32.init))::integer, failures),
                next_attempt_at = coalesce(\(outcome.nextAttemptAt)::bigint, next_attempt_at),
                disabled_at = coalesce(\(outcome.disabled?.at)::bigint, disabled_at),
                disabled_reason = coalesce(\(outcome.disabled?.reason)::text, disabled_reason),
                pending_test_id = CASE WHEN \(outcome.testDone) THEN NULL ELSE pending_test_id END,
                lease_owner = \(leaseOwner), lease_until = \(record.leaseUntil)
            WHERE id = \(webhookId)
            """,
            logger: logger
        )
        return true
    }
}
