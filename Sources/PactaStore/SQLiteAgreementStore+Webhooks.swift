import GRDB

extension SQLiteAgreementStore {
    /// Migration v5: subscriptions with their delivery state, and the attempts.
    static func createWebhookTables(_ db: Database) throws {
        try db.create(table: "webhook") { table in
            table.primaryKey("id", .text)
            table.column("url", .text).notNull()
            // Event types joined by commas (types never hold one).
            table.column("events", .text).notNull()
            table.column("description", .text)
            table.column("secret", .text).notNull()
            table.column("createdAt", .integer).notNull()
            table.column("disabledAt", .integer)
            table.column("disabledReason", .text)
            table.column("cursor", .integer).notNull()
            table.column("failures", .integer).notNull().defaults(to: 0)
            table.column("nextAttemptAt", .integer).notNull().defaults(to: 0)
            table.column("pendingTestId", .text)
            table.column("leaseOwner", .text)
            table.column("leaseUntil", .integer).notNull().defaults(to: 0)
        }
        try db.create(table: "webhookAttempt") { table in
            table.autoIncrementedPrimaryKey("sequence")
            table.column("webhookId", .text).notNull()
            table.column("eventId", .text).notNull()
            table.column("eventType", .text).notNull()
            table.column("eventSequence", .integer).notNull()
            table.column("attempt", .integer).notNull()
            table.column("at", .integer).notNull()
            table.column("durationMs", .integer).notNull()
            table.column("statusCode", .integer)
            table.column("error", .text)
            table.column("outcome", .text).notNull()
            table.column("nextAttemptAt", .integer)
        }
        try db.create(index: "webhookAttempt_webhook", on: "webhookAttempt", columns: ["webhookId", "sequence"])
    }

    /// One process owns an SQLite file, so a lease still set when it opens was left by a process that died: void it,
    /// or the subscription would wait for the lease to run out before its deliveries resume.
    static func voidWebhookLeases(_ writer: any DatabaseWriter) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE webhook SET leaseOwner = NULL, leaseUntil = 0 WHERE leaseOwner IS NOT NULL")
        }
    }

    /// The sequence of the last feed event recorded (pruned or not): AUTOINCREMENT never hands it out again.
    static func feedHead(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'feedEvent'") ?? 0
    }

    /// Attempts kept per subscription: enough to see what went wrong, bounded however long a receiver fails.
    static let attemptsKept = 1_000

    private static let columns = """
        id, url, events, description, secret, createdAt, disabledAt, disabledReason, cursor, failures, nextAttemptAt,
        pendingTestId
        """

    private static func subscription(_ row: Row) -> WebhookSubscription {
        WebhookSubscription(
            id: row["id"],
            url: row["url"],
            events: (row["events"] as String).split(separator: ",").map(String.init),
            description: row["description"],
            secret: row["secret"],
            createdAt: row["createdAt"],
            disabledAt: row["disabledAt"],
            disabledReason: row["disabledReason"],
            cursor: row["cursor"],
            failures: row["failures"],
            nextAttemptAt: row["nextAttemptAt"],
            pendingTestId: row["pendingTestId"]
        )
    }

    public func createWebhook(_ new: NewWebhook) async throws -> WebhookSubscription {
        try await write { db in
            // Inside the write: every event committed before this transaction is behind the cursor, every later
            // one after it.
            let head = try Self.feedHead(db)
            try db.execute(
                sql: """
                    INSERT INTO webhook (id, url, events, description, secret, createdAt, cursor)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    new.id, new.url, new.events.joined(separator: ","), new.description, new.secret, new.createdAt, head,
                ]
            )
            return new.subscription(cursor: head)
        }
    }

    public func webhooks() async throws -> [WebhookSubscription] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.columns) FROM webhook ORDER BY createdAt, id").map(Self.subscription)
        }
    }

    public func webhook(id: String) async throws -> WebhookSubscription? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.columns) FROM webhook WHERE id = ?", arguments: [id])
                .map(Self.subscription)
        }
    }

    public func deleteWebhook(id: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM webhookAttempt WHERE webhookId = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM webhook WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    public func requestWebhookTest(id: String, eventId: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE webhook SET pendingTestId = ? WHERE id = ?", arguments: [eventId, id])
            return db.changesCount > 0
        }
    }

    public func webhookAttempts(webhookId: String, limit: Int) async throws -> [WebhookAttempt] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT sequence, webhookId, eventId, eventType, eventSequence, attempt, at, durationMs, statusCode,
                        error, outcome, nextAttemptAt
                    FROM webhookAttempt WHERE webhookId = ? ORDER BY sequence DESC LIMIT ?
                    """,
                arguments: [webhookId, limit]
            ).map { row in
                WebhookAttempt(
                    sequence: row["sequence"],
                    webhookId: row["webhookId"],
                    eventId: row["eventId"],
                    eventType: row["eventType"],
                    eventSequence: row["eventSequence"],
                    attempt: row["attempt"],
                    at: row["at"],
                    durationMs: row["durationMs"],
                    statusCode: row["statusCode"],
                    error: row["error"],
                    outcome: WebhookAttempt.Outcome(rawValue: row["outcome"]) ?? .retrying,
                    nextAttemptAt: row["nextAttemptAt"]
                )
            }
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
        // Most wake-ups (one per commit) find nothing to claim (every subscription is up to date or already held):
        // a read says so without taking the write lock from the writes.
        let due = """
            disabledAt IS NULL AND (leaseOwner IS NULL OR leaseUntil < :now)
                AND ((cursor < :head AND nextAttemptAt <= :now) OR pendingTestId IS NOT NULL)
            """
        let anything = try await read { db in
            let head = try Self.feedHead(db)
            return try Bool.fetchOne(
                db,
                sql: "SELECT EXISTS (SELECT 1 FROM webhook WHERE \(due))",
                arguments: ["now": now, "head": head]
            ) ?? false
        }
        guard anything else { return [] }
        return try await write(waitForDisk: false) { db in
            let head = try Self.feedHead(db)
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT \(Self.columns) FROM webhook WHERE \(due) ORDER BY nextAttemptAt, id LIMIT :limit",
                arguments: ["now": now, "head": head, "limit": limit]
            )
            for row in rows {
                try db.execute(
                    sql: "UPDATE webhook SET leaseOwner = ?, leaseUntil = ? WHERE id = ?",
                    arguments: [owner, leaseUntil, row["id"] as String]
                )
            }
            return rows.map(Self.subscription)
        }
    }

    public func recordWebhookProgress(_ records: [WebhookProgressRecord]) async throws -> [Bool] {
        guard !records.isEmpty else { return [] }
        // Progress lost to a power cut only repeats deliveries (at least once), so it takes no fsync from writes; and
        // every record of the batch shares one transaction.
        return try await write(waitForDisk: false) { db in
            try records.map { try Self.apply($0, db) }
        }
    }

    /// Applies one record inside the batch's transaction; false (nothing written) when its owner lost the lease.
    private static func apply(_ record: WebhookProgressRecord, _ db: Database) throws -> Bool {
        let holder = try db.cachedStatement(sql: "SELECT cursor, leaseOwner FROM webhook WHERE id = ?")
        guard
            let row = try Row.fetchOne(holder, arguments: [record.webhookId]),
            row["leaseOwner"] as String? == record.owner, row["cursor"] as Int64 == record.expectedCursor
        else { return false }
        let attempts = record.steps.compactMap(\.attempt)
        if !attempts.isEmpty {
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO webhookAttempt (webhookId, eventId, eventType, eventSequence, attempt, at, durationMs,
                        statusCode, error, outcome, nextAttemptAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            )
            for attempt in attempts {
                try insert.execute(arguments: [
                    record.webhookId, attempt.eventId, attempt.eventType, attempt.eventSequence, attempt.attempt,
                    attempt.at, attempt.durationMs, attempt.statusCode, attempt.error, attempt.outcome.rawValue,
                    attempt.nextAttemptAt,
                ])
            }
            try db.cachedStatement(
                sql: """
                    DELETE FROM webhookAttempt WHERE webhookId = ?1 AND sequence <= (
                        SELECT sequence FROM webhookAttempt WHERE webhookId = ?1 ORDER BY sequence DESC LIMIT 1 OFFSET ?2)
                    """
            ).execute(arguments: [record.webhookId, Self.attemptsKept])
        }
        let outcome = record.outcome
        // One statement for the whole record: a NULL argument leaves its column as it is.
        try db.cachedStatement(
            sql: """
                UPDATE webhook SET cursor = ?2, failures = coalesce(?3, failures),
                    nextAttemptAt = coalesce(?4, nextAttemptAt), disabledAt = coalesce(?5, disabledAt),
                    disabledReason = coalesce(?6, disabledReason),
                    pendingTestId = CASE WHEN ?7 THEN NULL ELSE pendingTestId END, leaseOwner = ?8, leaseUntil = ?9
                WHERE id = ?1
                """
        ).execute(arguments: [
            record.webhookId, outcome.cursor, outcome.failures, outcome.nextAttemptAt, outcome.disabled?.at,
            outcome.disabled?.reason, outcome.testDone, record.leaseUntil == 0 ? nil : record.owner, record.leaseUntil,
        ])
        return true
    }
}
