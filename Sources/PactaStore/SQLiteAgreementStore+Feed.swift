import GRDB

/// The event log of live feeds on SQLite. Writes are serialized by SQLite, so sequences commit in order.
extension SQLiteAgreementStore {
    public func useFeedDrafting(_ drafting: (any FeedDrafting)?) {
        feedDrafting.set(drafting)
    }

    public func feedEvents(after sequence: Int64, limit: Int) async throws -> [FeedEvent] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT sequence, id, type, agreementId, recordedAt, data FROM feedEvent
                    WHERE sequence > ? ORDER BY sequence LIMIT ?
                    """,
                arguments: [sequence, limit]
            ).map { row in
                FeedEvent(
                    sequence: row["sequence"],
                    id: row["id"],
                    type: row["type"],
                    agreementId: row["agreementId"],
                    timestamp: row["recordedAt"],
                    data: row["data"]
                )
            }
        }
    }

    public func lastFeedSequence() async throws -> Int64 {
        try await read { db in
            try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'feedEvent'") ?? 0
        }
    }

    public func recordFeedEvents(_ drafts: [FeedEventDraft]) async throws -> [FeedEvent] {
        let now = StoredDocument.timestamp()
        let (recorded, revision) = try await write { db in
            (try Self.insertFeedEvents(db, drafts, at: now), try Self.currentRevision(db))
        }
        // No agreement changed: the revision is the current one, which tells readers of feed events to read and
        // costs a catalog nothing but a read that finds no change.
        if !recorded.isEmpty { signals.committed(revision) }
        return recorded
    }

    public func pruneFeedEvents(before timestamp: String) async throws -> Int {
        try await write { db in
            try db.execute(sql: "DELETE FROM feedEvent WHERE recordedAt < ?", arguments: [timestamp])
            return db.changesCount
        }
    }

    /// One process owns the file: nobody else can be scanning.
    public func withFeedSchedulerLock(_ body: @escaping @Sendable () async throws -> Void) async throws -> Bool {
        try await body()
        return true
    }

    /// Records a write's events inside its transaction: the store's own, then the drafter's (which gets the
    /// agreement before the write, decoded only when there is a drafter).
    static func recordWriteEvents(
        _ db: Database,
        at now: String,
        own: FeedEventDraft,
        drafting: (any FeedDrafting)?,
        before: () throws -> StoredAgreement?,
        after: StoredAgreement?
    ) throws {
        var drafts = [own]
        if let drafting { drafts += drafting.drafts(before: try before(), after: after) }
        _ = try insertFeedEvents(db, drafts, at: now)
    }

    /// Inserts the drafts whose dedupe keys are not recorded yet; returns the events recorded.
    static func insertFeedEvents(_ db: Database, _ drafts: [FeedEventDraft], at now: String) throws -> [FeedEvent] {
        var recorded: [FeedEvent] = []
        for draft in drafts {
            if let key = draft.dedupeKey {
                try db.execute(
                    sql: "INSERT INTO feedDedupe (key, sequence) VALUES (?, 0) ON CONFLICT(key) DO NOTHING",
                    arguments: [key]
                )
                if db.changesCount == 0 { continue }
            }
            let id = FeedEventID.make()
            try db.execute(
                sql: "INSERT INTO feedEvent (id, type, agreementId, recordedAt, data) VALUES (?, ?, ?, ?, ?)",
                arguments: [id, draft.type, draft.agreementId, now, draft.data]
            )
            let sequence = db.lastInsertedRowID
            if let key = draft.dedupeKey {
                try db.execute(sql: "UPDATE feedDedupe SET sequence = ? WHERE key = ?", arguments: [sequence, key])
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

    /// The revision of the stored row (read inside a write, before it changes the row).
    static func storedRevision(_ db: Database, id: String) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT revision FROM agreement WHERE id = ?", arguments: [id]) ?? 0
    }

    /// The agreement a stored document holds.
    static func stored(_ current: (document: String, version: String), revision: Int64) throws -> StoredAgreement {
        StoredAgreement(agreement: try StoredDocument.decode(current.document), version: current.version, revision: revision)
    }
}
