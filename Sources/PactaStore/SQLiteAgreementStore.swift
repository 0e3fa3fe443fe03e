import Crypto
import Foundation
import GRDB
import PactaCore
import Synchronization

/// The default store: one SQLite file in WAL mode with `synchronous=FULL`.
///
/// `FULL` makes every acknowledged commit survive a crash of the process *and* a power loss or kernel
/// crash; `NORMAL` would survive only the former. Writes in Pacta are rare and small (measured ~7.4k
/// single-row commits/s with FULL on this machine kind), so there is no reason to risk acknowledged data.
/// Each agreement is one row holding its JSON document, so every write, events included, is one atomic
/// transaction.
public final class SQLiteAgreementStore: AgreementStore {
    private let writer: any DatabaseWriter
    /// Whether the database can take writes (``StoreHealth``).
    let health: StoreHealth
    private let usage = StoreUsage()
    /// One process owns the database, so it applies its own writes and has no one else's to hear of: established
    /// from the start and never interrupted.
    let signals = StoreChangeSignals(established: true)
    /// The server's `status.changed` drafter (``useFeedDrafting(_:)``).
    let feedDrafting = FeedDraftingSlot()
    /// Whether the database is a file (not in memory).
    private let isFile: Bool

    /// Opens (creating if needed) the database at `path`, migrates it and checks its pages
    /// (`PRAGMA quick_check`): a damaged file opens but refuses writes and is never ready.
    public convenience init(path: String) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        configuration.busyMode = .timeout(5)
        try self.init(writer: DatabasePool(path: path, configuration: configuration), file: FileIdentity(path: path))
    }

    /// A private in-memory database, for tests.
    public static func inMemory() throws -> SQLiteAgreementStore {
        try SQLiteAgreementStore(writer: DatabaseQueue(), file: nil)
    }

    init(writer: any DatabaseWriter, file: FileIdentity?) throws {
        self.writer = writer
        self.health = StoreHealth(file: file)
        self.isFile = file != nil
        try Self.migrator.migrate(writer)
        try Self.voidWebhookLeases(writer)
        let check = try writer.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
        if check != ["ok"] {
            health.fail("integrity check failed at start: \(check.prefix(3).joined(separator: "; "))")
        }
    }

    /// Runs a write transaction only while the database is healthy, and records why when it cannot be done:
    /// a write into a file that was replaced or removed would be acknowledged and then lost, so it is refused.
    ///
    /// `waitForDisk: false` commits with `synchronous=NORMAL` (WAL): durable across a crash of the process, not
    /// across a power loss. Only for bookkeeping whose loss repeats work and loses nothing (webhook delivery
    /// progress: an event is then delivered again), so that it does not take an fsync from the writes.
    func write<T: Sendable>(
        waitForDisk: Bool = true,
        _ body: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        try usage.enter()
        defer { usage.leave() }
        try health.checkNoLastingFailure()
        do {
            guard !waitForDisk else {
                return try await writer.write { db in
                    // Inside the transaction: the file may have been replaced while this write waited its turn.
                    try self.health.checkFile()
                    return try body(db)
                }
            }
            return try await writer.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                defer { try? db.execute(sql: "PRAGMA synchronous = FULL") }
                var result: T?
                try db.inTransaction {
                    try self.health.checkFile()
                    result = try body(db)
                    return .commit
                }
                guard let result else { throw StoreError.unavailable(reason: "SQLite: the transaction returned nothing") }
                return result
            }
        } catch let error as DatabaseError {
            guard let unavailability = StoreHealth.unavailability(error.resultCode) else { throw error }
            let reason = "SQLite: \(error.resultCode) (\(error.message ?? "no message"))"
            if unavailability == .lasting { health.fail(reason) }
            throw StoreError.unavailable(reason: reason)
        }
    }

    /// Caps the file at its current size, so the next write that needs a page fails as on a full disk (tests).
    func limitPageCountForTesting() async throws {
        try await writer.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 1
            try db.execute(sql: "PRAGMA max_page_count = \(pages)")
        }
    }

    /// A read, counted so that ``close()`` waits for it.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try usage.enter()
        defer { usage.leave() }
        return try await writer.read(body)
    }

    /// Whether the database takes writes now: the file is the one opened and a real (tiny) write commits.
    /// Probes less than a second apart share one result, so an anonymous `/readyz` flood cannot turn into a
    /// flood of fsyncs.
    public func checkWritable() async throws {
        try await health.probe {
            try await self.write { db in
                try db.execute(
                    sql: "INSERT INTO meta (key, value) VALUES ('probe', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    arguments: [StoredDocument.timestamp()]
                )
            }
        }
    }

    /// A random identity kept in the `meta` table, made by the first call; `nil` for an in-memory database, which
    /// does not outlive the process.
    public func storeIdentity() async throws -> String? {
        guard isFile else { return nil }
        if let identity = try await read({ db in
            try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'identity'")
        }) {
            return identity
        }
        return try await write { db in
            try db.execute(
                sql: "INSERT INTO meta (key, value) VALUES ('identity', ?) ON CONFLICT(key) DO NOTHING",
                arguments: [UUID().uuidString.lowercased()]
            )
            return try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'identity'")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "agreement") { table in
                table.primaryKey("id", .text)
                table.column("document", .text).notNull()
                table.column("etag", .text).notNull()
                table.column("createdAt", .text).notNull()
                table.column("updatedAt", .text).notNull()
            }
            try db.create(table: "token") { table in
                table.primaryKey("name", .text)
                table.column("hash", .blob).notNull().unique()
                table.column("createdAt", .text).notNull()
                table.column("revokedAt", .text)
            }
            try db.create(table: "meta") { table in
                table.primaryKey("key", .text)
                table.column("value", .text).notNull()
            }
        }
        migrator.registerMigration("v2") { db in
            // The audit trail: one row per write, inserted in the write's own transaction.
            try db.create(table: "audit") { table in
                table.autoIncrementedPrimaryKey("sequence")
                table.column("agreementId", .text).notNull().indexed()
                table.column("at", .text).notNull()
                table.column("actor", .text)
                table.column("requestId", .text)
                table.column("action", .text).notNull()
                table.column("etagBefore", .text)
                table.column("etagAfter", .text)
                table.column("changes", .text).notNull()
            }
        }
        migrator.registerMigration("v3") { db in
            // Versions are stored bare (the HTTP layer quotes them into ETags), and each row names the revision
            // (audit sequence) of the write that stored it, so readers can catch up from a revision.
            try db.execute(sql: "UPDATE agreement SET etag = trim(etag, '\"')")
            try db.execute(sql: "UPDATE audit SET etagBefore = trim(etagBefore, '\"'), etagAfter = trim(etagAfter, '\"')")
            try db.execute(sql: "ALTER TABLE agreement RENAME COLUMN etag TO version")
            try db.execute(sql: "ALTER TABLE audit RENAME COLUMN etagBefore TO versionBefore")
            try db.execute(sql: "ALTER TABLE audit RENAME COLUMN etagAfter TO versionAfter")
            try db.alter(table: "agreement") { table in
                table.add(column: "revision", .integer).notNull().defaults(to: 0)
            }
            try db.execute(
                sql: """
                    UPDATE agreement SET revision = coalesce(
                        (SELECT max(sequence) FROM audit WHERE audit.agreementId = agreement.id), 0)
                    """
            )
        }
        migrator.registerMigration("v4") { db in
            // The event log of live feeds (the outbox), written in the transaction of the write that causes each
            // event. AUTOINCREMENT: a pruned sequence is never handed out again.
            try db.create(table: "feedEvent") { table in
                table.autoIncrementedPrimaryKey("sequence")
                table.column("id", .text).notNull().unique()
                table.column("type", .text).notNull()
                table.column("agreementId", .text)
                table.column("recordedAt", .text).notNull().indexed()
                table.column("data", .text).notNull()
            }
            // Outlives the events (pruning keeps it), so a deadline alert is recorded once, ever.
            try db.create(table: "feedDedupe") { table in
                table.primaryKey("key", .text)
                table.column("sequence", .integer).notNull()
            }
        }
        migrator.registerMigration("v5") { db in try Self.createWebhookTables(db) }
        return migrator
    }

    /// Runs SQLite's own consistency check; "ok" when the file is sound.
    public func integrityCheck() async throws -> String {
        try await read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
    }

    // MARK: Agreements

    public func contents() async throws -> StoreContents {
        // Decoding JSON is 80% of startup (perf, 100,000 agreements), so documents are decoded on every core, a
        // batch at a time: only one batch of documents' text is alive at once, so peak memory at startup stays
        // close to the decoded agreements alone.
        try await read { db in
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM agreement") ?? 0
            let revision = try Self.currentRevision(db)
            var result: [StoredAgreement] = []
            result.reserveCapacity(count)
            let rows = try Row.fetchCursor(db, sql: "SELECT document, version, revision FROM agreement ORDER BY id")
            var batch: [StoredDocument.Encoded] = []
            let decoder = StoredDocument.BatchDecoder()
            func decodeBatch() throws {
                result += try decoder.decode(batch)
                batch.removeAll(keepingCapacity: true)
            }
            while let row = try rows.next() {
                batch.append(StoredDocument.Encoded(document: row[0], version: row[1], revision: row[2]))
                if batch.count == 4_096 { try decodeBatch() }
            }
            try decodeBatch()
            return StoreContents(revision: revision, agreements: result)
        }
    }

    public func changes(after revision: Int64, limit: Int) async throws -> [StoreChange] {
        try await read { db in
            // The last write to each agreement after `revision`, oldest first; deleted agreements have no row.
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT changed.agreementId, changed.last, agreement.document, agreement.version, agreement.revision
                    FROM (SELECT agreementId, max(sequence) AS last FROM audit WHERE sequence > ? GROUP BY agreementId)
                        AS changed
                    LEFT JOIN agreement ON agreement.id = changed.agreementId
                    ORDER BY changed.last LIMIT ?
                    """,
                arguments: [revision, limit]
            )
            return try rows.map { row in
                let id: String = row[0]
                let last: Int64 = row[1]
                guard let document = row[2] as String? else { return StoreChange(revision: last, id: id, stored: nil) }
                let stored = StoredAgreement(agreement: try StoredDocument.decode(document), version: row[3], revision: row[4])
                return StoreChange(revision: last, id: id, stored: stored)
            }
        }
    }

    /// The revision of the last committed write (the audit sequence; SQLite never reuses one).
    static func currentRevision(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'audit'") ?? 0
    }

    public func agreement(id: String) async throws -> StoredAgreement? {
        let row = try await read { db in
            try Row.fetchOne(db, sql: "SELECT document, version, revision FROM agreement WHERE id = ?", arguments: [id])
                .map { (document: $0[0] as String, version: $0[1] as String, revision: $0[2] as Int64) }
        }
        return try row.map {
            StoredAgreement(agreement: try StoredDocument.decode($0.document), version: $0.version, revision: $0.revision)
        }
    }

    public func create(_ agreement: Agreement, audit: AuditContext) async throws -> StoredAgreement {
        let (document, version) = try StoredDocument.encode(agreement)
        let now = StoredDocument.timestamp()
        let drafting = feedDrafting.current
        let revision = try await write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM agreement WHERE id = ?", arguments: [agreement.id]) == true {
                throw StoreError.alreadyExists(id: agreement.id)
            }
            let revision = try Self.record(
                db,
                id: agreement.id,
                at: now,
                audit: audit,
                action: .create,
                before: nil,
                after: (document, version)
            )
            try db.execute(
                sql: "INSERT INTO agreement (id, document, version, revision, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [agreement.id, document, version, revision, now, now]
            )
            try Self.recordWriteEvents(
                db,
                at: now,
                own: try AgreementWriteData.draft(
                    .agreementCreated,
                    id: agreement.id,
                    revision: revision,
                    version: version,
                    versionBefore: nil
                ),
                drafting: drafting,
                before: { nil },
                after: StoredAgreement(agreement: agreement, version: version, revision: revision)
            )
            return revision
        }
        signals.committed(revision)
        return StoredAgreement(agreement: agreement, version: version, revision: revision)
    }

    public func replace(
        _ agreement: Agreement,
        expected: ExpectedVersion,
        audit: AuditContext
    ) async throws
        -> StoredAgreement
    {
        let (document, version) = try StoredDocument.encode(agreement)
        let now = StoredDocument.timestamp()
        let drafting = feedDrafting.current
        let revision = try await write { db in
            let current = try Self.checkCurrent(db, id: agreement.id, expected: expected)
            try StoredDocument.checkReplacement(agreement, over: current.document)
            let before = drafting == nil ? 0 : try Self.storedRevision(db, id: agreement.id)
            let revision = try Self.update(
                db,
                id: agreement.id,
                at: now,
                audit: audit,
                action: .replace,
                before: current,
                after: (document, version)
            )
            try Self.recordWriteEvents(
                db,
                at: now,
                own: try AgreementWriteData.draft(
                    .agreementUpdated,
                    id: agreement.id,
                    revision: revision,
                    version: version,
                    versionBefore: current.version
                ),
                drafting: drafting,
                before: { try Self.stored(current, revision: before) },
                after: StoredAgreement(agreement: agreement, version: version, revision: revision)
            )
            return revision
        }
        signals.committed(revision)
        return StoredAgreement(agreement: agreement, version: version, revision: revision)
    }

    public func delete(id: String, expected: ExpectedVersion, audit: AuditContext) async throws -> Int64 {
        let now = StoredDocument.timestamp()
        let drafting = feedDrafting.current
        let revision = try await write { db in
            let current = try Self.checkCurrent(db, id: id, expected: expected)
            let before = drafting == nil ? 0 : try Self.storedRevision(db, id: id)
            try db.execute(sql: "DELETE FROM agreement WHERE id = ?", arguments: [id])
            let revision = try Self.record(db, id: id, at: now, audit: audit, action: .delete, before: current, after: nil)
            try Self.recordWriteEvents(
                db,
                at: now,
                own: try AgreementWriteData.draft(
                    .agreementDeleted,
                    id: id,
                    revision: revision,
                    version: nil,
                    versionBefore: current.version
                ),
                drafting: drafting,
                before: { try Self.stored(current, revision: before) },
                after: nil
            )
            return revision
        }
        signals.committed(revision)
        return revision
    }

    public func appendEvents(
        _ drafts: [NewEvent],
        to id: String,
        expected: ExpectedVersion,
        audit: AuditContext,
        check: @escaping AppendCheck
    ) async throws -> AppendedEvents {
        let now = StoredDocument.timestamp()
        let drafting = feedDrafting.current
        let appendedEvents = try await write { db in
            let current = try Self.checkCurrent(db, id: id, expected: expected)
            let before = drafting == nil ? 0 : try Self.storedRevision(db, id: id)
            // Inside the serialized write, against the row as it is now: two concurrent appends can never both
            // take `e7`.
            let (agreement, appended, document, version) = try StoredDocument.appending(
                drafts,
                to: current.document,
                check: check
            )
            let revision = try Self.update(
                db,
                id: id,
                at: now,
                audit: audit,
                action: .appendEvents,
                before: current,
                after: (document, version)
            )
            let stored = StoredAgreement(agreement: agreement, version: version, revision: revision)
            try Self.recordWriteEvents(
                db,
                at: now,
                own: try AgreementWriteData.draft(
                    .eventsAppended,
                    id: id,
                    revision: revision,
                    version: version,
                    versionBefore: current.version,
                    eventIds: appended.map(\.id)
                ),
                drafting: drafting,
                before: { try Self.stored(current, revision: before) },
                after: stored
            )
            return AppendedEvents(stored: stored, events: appended)
        }
        signals.committed(appendedEvents.stored.revision)
        return appendedEvents
    }

    /// Stores a new document for an existing row, with its audit record; returns the write's revision.
    private static func update(
        _ db: Database,
        id: String,
        at now: String,
        audit: AuditContext,
        action: AuditAction,
        before: (document: String, version: String),
        after: (document: String, version: String)
    ) throws -> Int64 {
        let revision = try record(db, id: id, at: now, audit: audit, action: action, before: before, after: after)
        try db.execute(
            sql: "UPDATE agreement SET document = ?, version = ?, revision = ?, updatedAt = ? WHERE id = ?",
            arguments: [after.document, after.version, revision, now, id]
        )
        return revision
    }

    public func history(id: String, after: Int?, limit: Int) async throws -> [AuditRecord] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT sequence, agreementId, at, actor, requestId, action, versionBefore, versionAfter, changes
                    FROM audit WHERE agreementId = ? AND sequence > ? ORDER BY sequence LIMIT ?
                    """,
                arguments: [id, after ?? -1, limit]
            ).map(Self.auditRecord)
        }
    }

    public func revisionMark(_ revision: Int64) async throws -> String? {
        try await read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT sequence, agreementId, at, actor, requestId, action, versionBefore, versionAfter, changes
                    FROM audit WHERE sequence = ?
                    """,
                arguments: [revision]
            ).map(Self.auditRecord)?.revisionMark
        }
    }

    private static func auditRecord(_ row: Row) throws -> AuditRecord {
        let changes = try JSONDecoder().decode([AuditChange].self, from: Data((row["changes"] as String).utf8))
        return AuditRecord(
            sequence: row["sequence"],
            agreementId: row["agreementId"],
            at: row["at"],
            actor: row["actor"],
            requestId: row["requestId"],
            action: AuditAction(rawValue: row["action"]) ?? .replace,
            versionBefore: row["versionBefore"],
            versionAfter: row["versionAfter"],
            changes: changes
        )
    }

    /// Writes the audit record of a write, inside the write's transaction: both commit or neither does. Its
    /// sequence is the write's revision.
    private static func record(
        _ db: Database,
        id: String,
        at: String,
        audit: AuditContext,
        action: AuditAction,
        before: (document: String, version: String)?,
        after: (document: String, version: String)?
    ) throws -> Int64 {
        let changes = AuditDiff.changes(from: before?.document, to: after?.document)
        let encoded = String(decoding: try JSONEncoder().encode(changes), as: UTF8.self)
        try db.execute(
            sql: """
                INSERT INTO audit (agreementId, at, actor, requestId, action, versionBefore, versionAfter, changes)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [id, at, audit.actor, audit.requestId, action.rawValue, before?.version, after?.version, encoded]
        )
        return db.lastInsertedRowID
    }

    public func seedIfNeeded(_ agreements: [Agreement]) async throws -> Int {
        let encoded = try agreements.map { ($0.id, try StoredDocument.encode($0)) }
        let now = StoredDocument.timestamp()
        return try await write { db in
            if try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'seededAt'") != nil { return 0 }
            let inserted = try Self.insertNew(encoded, at: now, in: db)
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('seededAt', ?)", arguments: [now])
            return inserted
        }
    }

    /// Inserts, in one transaction, the agreements whose ids are not stored yet (bulk loading, e.g. `pacta
    /// generate`), each with a `seed` entry in the history. Returns how many were inserted. Unlike
    /// ``seedIfNeeded(_:)`` it runs every time.
    public func insertMissing(_ agreements: [Agreement]) async throws -> Int {
        let encoded = try agreements.map { ($0.id, try StoredDocument.encode($0)) }
        let now = StoredDocument.timestamp()
        return try await write { db in try Self.insertNew(encoded, at: now, in: db) }
    }

    /// Inserts the documents whose ids are not stored yet, each with a `seed` entry in the history; returns how
    /// many were inserted.
    private static func insertNew(
        _ encoded: [(String, (document: String, version: String))],
        at now: String,
        in db: Database
    ) throws -> Int {
        var inserted = 0
        for (id, (document, version)) in encoded {
            try db.execute(
                sql: """
                    INSERT INTO agreement (id, document, version, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO NOTHING
                    """,
                arguments: [id, document, version, now, now]
            )
            if db.changesCount > 0 {
                inserted += 1
                let revision = try Self.record(
                    db,
                    id: id,
                    at: now,
                    audit: .system,
                    action: .seed,
                    before: nil,
                    after: (document, version)
                )
                try db.execute(sql: "UPDATE agreement SET revision = ? WHERE id = ?", arguments: [revision, id])
            }
        }
        return inserted
    }

    /// Returns the current document and version, or throws when the row is missing or its version is not the
    /// expected one.
    @discardableResult
    private static func checkCurrent(
        _ db: Database,
        id: String,
        expected: ExpectedVersion
    ) throws
        -> (document: String, version: String)
    {
        guard let row = try Row.fetchOne(db, sql: "SELECT document, version FROM agreement WHERE id = ?", arguments: [id])
        else { throw StoreError.notFound(id: id) }
        let version: String = row["version"]
        guard expected.admits(version) else { throw StoreError.versionMismatch(id: id, current: version) }
        return (row["document"], version)
    }

    /// Closes the database: waits for running statements, checkpoints the WAL. Later calls fail.
    public func close() async throws {
        await usage.drain()
        signals.finish()
        try writer.close()
    }

    public func changeSignals() -> StoreChangeSubscription { signals.subscribe() }

    // MARK: Tokens

    public func createToken(name: String, hash: [UInt8]) async throws {
        let now = StoredDocument.timestamp()
        try await write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM token WHERE name = ?", arguments: [name]) == true {
                throw TokenError.nameTaken(name)
            }
            try db.execute(
                sql: "INSERT INTO token (name, hash, createdAt) VALUES (?, ?, ?)",
                arguments: [name, Data(hash), now]
            )
        }
    }

    /// The name of the active token with this hash. The lookup is by the token's SHA-256, so its timing reveals
    /// nothing about the token itself, and the SQL equality is the whole comparison (no second compare is needed).
    public func tokenName(hash: [UInt8]) async throws -> String? {
        try await read { db in
            try String.fetchOne(
                db,
                sql: "SELECT name FROM token WHERE hash = ? AND revokedAt IS NULL",
                arguments: [Data(hash)]
            )
        }
    }

    public func tokens() async throws -> [TokenRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT name, createdAt, revokedAt FROM token ORDER BY name").map {
                TokenRecord(name: $0["name"], createdAt: $0["createdAt"], revokedAt: $0["revokedAt"])
            }
        }
    }

    public func revokeToken(name: String) async throws -> Bool {
        let now = StoredDocument.timestamp()
        return try await write { db in
            try db.execute(
                sql: "UPDATE token SET revokedAt = ? WHERE name = ? AND revokedAt IS NULL",
                arguments: [now, name]
            )
            return db.changesCount > 0
        }
    }
}
