import Logging
import PactaStore
import PostgresNIO

/// The event log of live feeds on PostgreSQL. Every transaction that records events holds the `pacta_meta` row's
/// lock (agreement writes take it for their revision), and sequences are handed out from that row: events commit in
/// sequence order, so a reader never sees n+1 before n.
extension PostgresAgreementStore {
    /// Names the deadline scheduler's session advisory lock among the database's advisory locks.
    static let feedSchedulerLock: Int64 = 0x7061_6374_615f_6673

    public func useFeedDrafting(_ drafting: (any FeedDrafting)?) {
        feedDrafting.set(drafting)
    }

    public func feedEvents(after sequence: Int64, limit: Int) async throws -> [FeedEvent] {
        try await withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT sequence, id, type, agreement_id, recorded_at, data FROM pacta_feed_events
                WHERE sequence > \(sequence) ORDER BY sequence LIMIT \(Int64(clamping: limit))
                """,
                logger: self.logger
            )
            var events: [FeedEvent] = []
            for try await (sequence, id, type, agreementId, recordedAt, data) in rows.decode(
                (Int64, String, String, String?, String, String).self
            ) {
                events.append(
                    FeedEvent(
                        sequence: sequence,
                        id: id,
                        type: type,
                        agreementId: agreementId,
                        timestamp: recordedAt,
                        data: data
                    )
                )
            }
            return events
        }
    }

    public func lastFeedSequence() async throws -> Int64 {
        try await withConnection { connection in
            let rows = try await connection.query("SELECT feed_sequence FROM pacta_meta", logger: self.logger)
            for try await value in rows.decode(Int64.self) { return value }
            throw StoreError.unavailable(reason: "PostgreSQL: the pacta_meta row is missing")
        }
    }

    public func recordFeedEvents(_ drafts: [FeedEventDraft]) async throws -> [FeedEvent] {
        let now = StoredDocument.timestamp()
        return try await transaction { connection, logger in
            // The meta row's lock first, as every writer takes it: a second replica recording the same dedupe key
            // waits here and then finds it recorded.
            var revision: Int64?
            let locked = try await connection.query("SELECT revision FROM pacta_meta FOR UPDATE", logger: logger)
            for try await value in locked.decode(Int64.self) { revision = value }
            guard let revision else { throw StoreError.unavailable(reason: "PostgreSQL: the pacta_meta row is missing") }
            let recorded = try await Self.insertFeedEvents(connection, logger, drafts, at: now)
            if !recorded.isEmpty {
                // Delivered at commit: other replicas' streams read the new events. The revision is unchanged, so a
                // catalog that reads after it finds nothing to apply.
                try await connection.query(
                    "SELECT pg_notify(\(Self.changeChannel), \(String(revision)))",
                    logger: logger
                )
            }
            return recorded
        }
    }

    public func pruneFeedEvents(before timestamp: String) async throws -> Int {
        try await withConnection { connection in
            let rows = try await connection.query(
                "DELETE FROM pacta_feed_events WHERE recorded_at < \(timestamp) RETURNING 1",
                logger: self.logger
            )
            var deleted = 0
            for try await _ in rows { deleted += 1 }
            return deleted
        }
    }

    /// A session advisory lock, tried without waiting: a replica that finds it taken skips its scan. PostgreSQL
    /// releases it if the connection is lost.
    public func withFeedSchedulerLock(_ body: @escaping @Sendable () async throws -> Void) async throws -> Bool {
        try await withConnection { connection in
            let rows = try await connection.query(
                "SELECT pg_try_advisory_lock(\(Self.feedSchedulerLock))",
                logger: self.logger
            )
            var locked = false
            for try await value in rows.decode(Bool.self) { locked = value }
            guard locked else { return false }
            do {
                try await body()
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.feedSchedulerLock))", logger: self.logger)
                throw error
            }
            try await connection.query("SELECT pg_advisory_unlock(\(Self.feedSchedulerLock))", logger: self.logger)
            return true
        }
    }

    /// Records a write's events inside its transaction (which holds the meta row's lock): the store's own, then
    /// the drafter's.
    static func recordWriteEvents(
        _ connection: PostgresConnection,
        _ logger: Logger,
        at now: String,
        own: FeedEventDraft,
        drafting: (any FeedDrafting)?,
        before: StoredAgreement?,
        after: StoredAgreement?
    ) async throws {
        var drafts = [own]
        if let drafting { drafts += drafting.drafts(before: before, after: after) }
        _ = try await insertFeedEvents(connection, logger, drafts, at: now)
    }

    /// Inserts the drafts whose dedupe keys are not recorded yet, numbered from the meta row; the caller holds
    /// that row's lock. Returns the events recorded.
    static func insertFeedEvents(
        _ connection: PostgresConnection,
        _ logger: Logger,
        _ drafts: [FeedEventDraft],
        at now: String
    ) async throws -> [FeedEvent] {
        var kept: [FeedEventDraft] = []
        for draft in drafts {
            if let key = draft.dedupeKey {
                let rows = try await connection.query(
                    "INSERT INTO pacta_feed_dedupe (key, sequence) VALUES (\(key), 0) ON CONFLICT (key) DO NOTHING RETURNING 1",
                    logger: logger
                )
                var inserted = false
                for try await _ in rows { inserted = true }
                guard inserted else { continue }
            }
            kept.append(draft)
        }
        guard !kept.isEmpty else { return [] }
        let rows = try await connection.query(
            "UPDATE pacta_meta SET feed_sequence = feed_sequence + \(Int64(kept.count)) RETURNING feed_sequence",
            logger: logger
        )
        var last: Int64?
        for try await value in rows.decode(Int64.self) { last = value }
        guard let last else { throw StoreError.unavailable(reason: "PostgreSQL: the pacta_meta row is missing") }
        var sequence = last - Int64(kept.count)
        var recorded: [FeedEvent] = []
        for draft in kept {
            sequence += 1
            let id = FeedEventID.make()
            try await connection.query(
                """
                INSERT INTO pacta_feed_events (sequence, id, type, agreement_id, recorded_at, data)
                VALUES (\(sequence), \(id), \(draft.type), \(draft.agreementId), \(now), \(draft.data))
                """,
                logger: logger
            )
            if let key = draft.dedupeKey {
                try await connection.query(
                    "UPDATE pacta_feed_dedupe SET sequence = \(sequence) WHERE key = \(key)",
                    logger: logger
                )
            }
            recorded.append(
                FeedEvent(
                    sequence: sequence,
                    id: id,
                    type: draft.type,
                    agreementId: draft.agreementId,
                    timestamp: now,
                    data: draft.data
                )
            )
        }
        return recorded
    }

    /// The agreement as stored before a write (decoded only when a drafter needs it); read after the row's lock.
    static func storedBefore(
        _ connection: PostgresConnection,
        _ logger: Logger,
        id: String,
        _ current: (document: String, version: String),
        drafting: (any FeedDrafting)?
    ) async throws -> StoredAgreement? {
        guard drafting != nil else { return nil }
        let rows = try await connection.query("SELECT revision FROM pacta_agreements WHERE id = \(id)", logger: logger)
        var revision: Int64 = 0
        for try await value in rows.decode(Int64.self) { revision = value }
        return StoredAgreement(agreement: try StoredDocument.decode(current.document), version: current.version, revision: revision)
    }
}
