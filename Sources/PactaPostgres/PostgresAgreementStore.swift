import Foundation
import Logging
import PactaCore
import PactaStore
import PostgresNIO
import Synchronization

/// The `AgreementStore` contract on PostgreSQL, for several servers sharing one database.
///
/// Every agreement write first increments the revision in the one `pacta_meta` row
/// (`UPDATE … RETURNING revision`), which holds that row's lock until commit: writers are serialized, so they
/// commit in revision order and a reader of ``changes(after:limit:)`` can never see revision n+1 before n. (A
/// sequence would not do: its values are handed out at once and can commit out of order.) The row checks that
/// follow (`SELECT … FOR UPDATE`) therefore see every write committed before, and invariants are checked against
/// the row as it is inside the transaction.
public final class PostgresAgreementStore: AgreementStore {
    private let client: PostgresClient
    private let running: Task<Void, Never>
    private let usage = StoreUsage()
    private let health = StoreHealth(file: nil)
    let logger: Logger
    /// How long an operation waits for a connection before it answers ``StoreError/unavailable(reason:)``: the
    /// pool itself keeps retrying an unreachable server for a minute, far longer than a client waits for an answer.
    private let connectionWait: Duration
    /// The longest an operation may take, connection wait included, before it answers
    /// ``StoreError/unavailable(reason:)`` (bulk ones excepted). A safety net: postgres-nio leaves a query unanswered
    /// when it was written to a connection closed under it, and the catalog's write gate must not wait for it forever.
    /// The connections' `statement_timeout` is the same (``PostgresURL/statementTimeoutSeconds``).
    let operationLimit: Duration
    /// What this store hears of the writes committed to its database, by any server (``changeSignals()``).
    let signals = StoreChangeSignals(established: false)
    /// The server's `status.changed` drafter (``useFeedDrafting(_:)``).
    let feedDrafting = FeedDraftingSlot()
    /// Holds the one connection that LISTENs for ``changeChannel``, reconnecting when it is lost.
    private let listening: Task<Void, Never>
    /// The listening connection's pool, apart from the operations' so that it never takes one of theirs.
    private let listenerClient: PostgresClient
    private let listenerRunning: Task<Void, Never>
    /// The server process of the listening connection, while it is up (tests end it to cut the feed).
    private let listenerBackend = ListenerBackend()

    private final class ListenerBackend: Sendable {
        let processID = Mutex<Int32?>(nil)
    }

    /// Every write transaction notifies this channel with its revision; PostgreSQL delivers the notification at
    /// commit (never for a rollback), to every listening connection of the database.
    static let changeChannel = "pacta_changes"

    /// Connects, runs the migrations that are not applied yet, and returns the store. `searchPath` makes every
    /// connection use that schema (tests give each store its own). A lost listening connection is opened again
    /// after `listenRetryPause`, doubled while attempts fail (up to five seconds).
    public static func open(
        url: PostgresURL,
        searchPath: String? = nil,
        connectionWait: Duration = .seconds(5),
        operationLimit: Duration = .seconds(PostgresURL.statementTimeoutSeconds),
        listenRetryPause: Duration = .milliseconds(100),
        logger: Logger = Logger(label: "pacta.postgres")
    ) async throws -> PostgresAgreementStore {
        var listenerConfiguration = url.clientConfiguration()
        listenerConfiguration.options.maximumConnections = 1
        let store = PostgresAgreementStore(
            client: PostgresClient(configuration: url.clientConfiguration(searchPath: searchPath)),
            listenerClient: PostgresClient(configuration: listenerConfiguration),
            connectionWait: connectionWait,
            operationLimit: operationLimit,
            listenRetryPause: listenRetryPause,
            logger: logger
        )
        do {
            try await store.migrate()
        } catch {
            try? await store.close()
            throw error
        }
        return store
    }

    private init(
        client: PostgresClient,
        listenerClient: PostgresClient,
        connectionWait: Duration,
        operationLimit: Duration,
        listenRetryPause: Duration,
        logger: Logger
    ) {
        self.client = client
        self.listenerClient = listenerClient
        self.connectionWait = connectionWait
        self.operationLimit = operationLimit
        self.logger = logger
        running = Task { await client.run() }
        listenerRunning = Task { await listenerClient.run() }
        listening = Task { [signals, listenerBackend] in
            await Self.listen(
                client: listenerClient,
                signals: signals,
                backend: listenerBackend,
                firstPause: listenRetryPause,
                logger: logger
            )
        }
    }

    /// Waits for the operations in flight, refuses new ones, then shuts the connection pools down.
    public func close() async throws {
        await usage.drain()
        listening.cancel()
        await listening.value
        signals.finish()
        listenerRunning.cancel()
        await listenerRunning.value
        running.cancel()
        await running.value
    }

    // MARK: Change signals

    public func changeSignals() -> StoreChangeSubscription { signals.subscribe() }

    /// The server process id of the listening connection, while it listens.
    package var listenerProcessID: Int32? { listenerBackend.processID.withLock { $0 } }

    /// LISTENs on one connection until cancelled. Losing it is announced at once (``StoreChangeSignal/interrupted``);
    /// it is then opened again, after `firstPause`, doubled up to five seconds while attempts fail, and announced
    /// with ``StoreChangeSignal/catchUp``, since writes committed meanwhile were not heard of.
    private static func listen(
        client: PostgresClient,
        signals: StoreChangeSignals,
        backend: ListenerBackend,
        firstPause: Duration,
        logger: Logger
    ) async {
        var pause = firstPause
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    // A query written to a connection closed under it is never answered (see `leased`).
                    guard !connection.isClosed else {
                        throw StoreError.unavailable(reason: "PostgreSQL: the pool handed out a closed connection")
                    }
                    for try await pid in try await connection.query("SELECT pg_backend_pid()", logger: logger)
                        .decode(Int32.self)
                    {
                        backend.processID.withLock { $0 = pid }
                    }
                    try await connection.listen(on: changeChannel) { notifications in
                        // LISTEN has returned: every commit from now on is heard of.
                        signals.established()
                        for try await notification in notifications {
                            // Another schema's stores share the channel; a stray number only costs a read.
                            if let revision = Int64(notification.payload) { signals.committed(revision) }
                        }
                    }
                }
            } catch {
                if !Task.isCancelled {
                    logger.warning(
                        "Lost the connection listening for other servers' writes; reconnecting",
                        metadata: ["reason": "\(unavailability(error) ?? String(describing: type(of: error)))"]
                    )
                }
            }
            backend.processID.withLock { $0 = nil }
            if signals.lost() { pause = firstPause }
            guard !Task.isCancelled else { return }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
        }
    }

    // MARK: Connections and transactions

    /// Whether an operation got its connection or gave up waiting for it, decided once by whichever comes first.
    private final class Lease: Sendable {
        enum State { case waiting, leased, abandoned }
        private let state = Mutex(State.waiting)

        /// Moves from waiting to `next`; false when the other outcome came first.
        func settle(_ next: State) -> Bool {
            state.withLock { state in
                guard state == .waiting else { return false }
                state = next
                return true
            }
        }

        var wasLeased: Bool { state.withLock { $0 == .leased } }
    }

    /// The first of several outcomes to arrive, handed to the one task waiting for it.
    private final class FirstOutcome<T: Sendable>: Sendable {
        private struct State {
            var result: Result<T, any Error>?
            var waiting: CheckedContinuation<T, any Error>?
        }

        private let state = Mutex(State())

        /// Records `result` unless one came first; returns whether it was first.
        @discardableResult
        func settle(_ result: Result<T, any Error>) -> Bool {
            let (first, waiting) = state.withLock { state -> (Bool, CheckedContinuation<T, any Error>?) in
                guard state.result == nil else { return (false, nil) }
                state.result = result
                defer { state.waiting = nil }
                return (true, state.waiting)
            }
            waiting?.resume(with: result)
            return first
        }

        func value() async throws -> T {
            try await withCheckedThrowingContinuation { continuation in
                let ready = state.withLock { state -> Result<T, any Error>? in
                    if state.result == nil { state.waiting = continuation }
                    return state.result
                }
                if let ready { continuation.resume(with: ready) }
            }
        }
    }

    /// Runs `body` on a pooled connection, counted so that ``close()`` waits for it. Failing to get a connection
    /// within ``connectionWait`` (or losing it) is ``StoreError/unavailable(reason:)``. Unless it works in `bulk`
    /// (loading everything, seeding, migrating), the whole operation is bounded by ``operationLimit`` too, after which
    /// it is ``StoreError/unavailable(reason:)`` with an unknown outcome, like a connection lost during `COMMIT`.
    func withConnection<T: Sendable>(
        bulk: Bool = false,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    )
        async throws -> T
    {
        try usage.enter()
        defer { usage.leave() }
        let watch = ConnectionWatch()
        guard !bulk else { return try await leased(watch, body) }
        return try await Self.bounded(by: operationLimit, watching: watch, logger: logger) {
            try await self.leased(watch, body)
        }
    }

    /// The connection an operation runs on, once it has one, for ``bounded(by:watching:logger:_:)`` to look at.
    private final class ConnectionWatch: Sendable {
        let connection = Mutex<PostgresConnection?>(nil)

        var isClosed: Bool { connection.withLock { $0?.isClosed ?? false } }
    }

    /// `body` on a pooled connection, waiting at most ``connectionWait`` for one.
    private func leased<T: Sendable>(
        _ watch: ConnectionWatch,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let lease = Lease()
        let wait = connectionWait
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await self.client.withConnection { connection in
                        guard lease.settle(.leased) else { throw CancellationError() }
                        // The pool can hand out a connection the server has just closed (it learns of the close a
                        // moment later), and postgres-nio never answers a query written to a closed channel.
                        guard !connection.isClosed else {
                            throw StoreError.unavailable(reason: "PostgreSQL: the pool handed out a closed connection")
                        }
                        watch.connection.withLock { $0 = connection }
                        return try await body(connection)
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: wait)
                    if lease.settle(.abandoned) {
                        throw StoreError.unavailable(reason: "PostgreSQL: no connection within \(wait)")
                    }
                    return nil
                }
                while let result = try await group.next() {
                    if let value = result {
                        group.cancelAll()
                        return value
                    }
                }
                throw StoreError.unavailable(reason: "PostgreSQL: the operation ended without an answer")
            }
        } catch let error as StoreError {
            throw error
        } catch let error as TokenError {
            throw error
        } catch {
            // Whatever kept the pool from handing out a connection (refused, timed out, the circuit breaker open).
            guard lease.wasLeased else {
                throw StoreError.unavailable(reason: "PostgreSQL: no connection (\(type(of: error)))")
            }
            guard let reason = Self.unavailability(error) else { throw error }
            throw StoreError.unavailable(reason: reason)
        }
    }

    /// The result of `operation`, or ``StoreError/unavailable(reason:)`` (its outcome unknown) once its connection
    /// has closed or `limit` has passed without one. postgres-nio can leave a query in flight when its connection
    /// closes (seen when PostgreSQL restarts under writes) unanswered for ever; the catalog's write gate, and so every
    /// write and catch-up of the server, would wait for it. The operation runs in a task of its own, so that giving up
    /// on it never waits for it (a task group would): it stays suspended, holding a closed connection, instead.
    private static func bounded<T: Sendable>(
        by limit: Duration,
        watching watch: ConnectionWatch,
        logger: Logger,
        _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let outcome = FirstOutcome<T>()
        let work = Task {
            do { outcome.settle(.success(try await operation())) } catch { outcome.settle(.failure(error)) }
        }
        let timer = Task {
            let deadline = ContinuousClock.now + limit
            var reason = "PostgreSQL: no answer within \(limit) (the outcome is unknown)"
            while ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(200))
                guard !Task.isCancelled else { return }
                if watch.isClosed {
                    reason = "PostgreSQL: the connection closed during the operation (the outcome is unknown)"
                    break
                }
            }
            if outcome.settle(.failure(StoreError.unavailable(reason: reason))) {
                logger.warning("Gave up on a database operation", metadata: ["reason": "\(reason)"])
                work.cancel()
            }
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await outcome.value()
        } onCancel: {
            work.cancel()
        }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws (its error is
    /// rethrown as it was). A `bulk` transaction (loading everything, seeding, migrating) is bounded neither by
    /// ``operationLimit`` nor by the connections' `statement_timeout`.
    func transaction<T: Sendable>(
        readOnlySnapshot: Bool = false,
        bulk: Bool = false,
        _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T
    ) async throws -> T {
        let logger = self.logger
        return try await withConnection(bulk: bulk) { connection in
            // Reads of several statements see one snapshot; writes see every commit before the lock they take.
            let begin =
                readOnlySnapshot ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN ISOLATION LEVEL READ COMMITTED"
            try await connection.query(PostgresQuery(unsafeSQL: begin), logger: logger)
            if bulk { try await connection.query("SET LOCAL statement_timeout = 0", logger: logger) }
            do {
                let value = try await body(connection, logger)
                try await connection.query("COMMIT", logger: logger)
                return value
            } catch {
                // Not on a closed connection (the usual reason for the error): postgres-nio never answers a query
                // written to one, and the server has rolled the transaction back anyway.
                if !connection.isClosed { _ = try? await connection.query("ROLLBACK", logger: logger) }
                throw error
            }
        }
    }

    /// Whether an error means the database cannot be reached or cannot take writes now, and why, in words
    /// that hold no request data (never the query, its values or the server's message text).
    static func unavailability(_ error: any Error) -> String? {
        if let error = error as? PSQLError {
            switch error.code {
            case .server:
                let state = error.serverInfo?[.sqlState] ?? ""
                // 08: connection exceptions; 53: insufficient resources (disk full, too many connections);
                // 57P0x: the server is shutting down or starting; 25006: a read-only (standby) server.
                if state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57P") || state == "25006" {
                    return "PostgreSQL: SQLSTATE \(state)"
                }
                return nil
            case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection, .poolClosed,
                .sslUnsupported, .failedToAddSSLHandler, .queryCancelled:
                return "PostgreSQL: \(error.code)"
            default:
                return nil
            }
        }
        if error is CancellationError { return "PostgreSQL: the operation was cancelled" }
        return nil
    }

    // MARK: Migrations

    /// Applied in order, each in its own transaction, under a transaction-level advisory lock: two servers
    /// starting together apply each migration once, the second finding it recorded.
    static let migrations: [(version: Int, name: String, statements: [String])] = [
        (
            1, "agreements, audit, tokens and meta",
            [
                // The document is the canonical JSON text whose hash is the version; `json` keeps it verbatim.
                """
                CREATE TABLE pacta_agreements (
                    id text PRIMARY KEY, document json NOT NULL, version text NOT NULL, revision bigint NOT NULL,
                    created_at text NOT NULL, updated_at text NOT NULL)
                """,
                // One row per write; its sequence is the write's revision.
                """
                CREATE TABLE pacta_audit (
                    sequence bigint PRIMARY KEY, agreement_id text NOT NULL, at text NOT NULL, actor text,
                    request_id text, action text NOT NULL, version_before text, version_after text,
                    changes text NOT NULL)
                """,
                "CREATE INDEX pacta_audit_agreement ON pacta_audit (agreement_id, sequence)",
                """
                CREATE TABLE pacta_tokens (
                    name text PRIMARY KEY, hash bytea NOT NULL UNIQUE, created_at text NOT NULL, revoked_at text)
                """,
                // Exactly one row: the revision of the last write (its lock serializes writers) and whether the
                // database was seeded.
                """
                CREATE TABLE pacta_meta (
                    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton), revision bigint NOT NULL,
                    seeded_at text)
                """,
                "INSERT INTO pacta_meta (revision) VALUES (0)",
                // Readiness probes write here, not to the meta row, so they never wait for a writer's lock.
                "CREATE TABLE pacta_probe (singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton), at text NOT NULL)",
            ]
        ),
        (
            2, "the event log of live feeds",
            [
                // The last feed sequence handed out, in the meta row whose lock already serializes writers: events
                // commit in sequence order, and a pruned sequence is never handed out again.
                "ALTER TABLE pacta_meta ADD COLUMN feed_sequence bigint NOT NULL DEFAULT 0",
                """
                CREATE TABLE pacta_feed_events (
                    sequence bigint PRIMARY KEY, id text NOT NULL UNIQUE, type text NOT NULL, agreement_id text,
                    recorded_at text NOT NULL, data text NOT NULL)
                """,
                "CREATE INDEX pacta_feed_events_recorded_at ON pacta_feed_events (recorded_at)",
                // Outlives the events (pruning keeps it), so a deadline alert is recorded once, by one replica, ever.
                "CREATE TABLE pacta_feed_dedupe (key text PRIMARY KEY, sequence bigint NOT NULL)",
            ]
        ),
        (3, "webhook subscriptions and attempts", webhookMigration),
    ]

    /// An arbitrary constant naming the migration lock among the database's advisory locks.
    static let migrationLock: Int64 = 0x7061_6374_615f_6d67

    private func migrate() async throws {
        for migration in Self.migrations {
            try await transaction(bulk: true) { connection, logger in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS pacta_schema_migrations (
                        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                    """,
                    logger: logger
                )
                let applied = try await connection.query(
                    "SELECT 1 FROM pacta_schema_migrations WHERE version = \(migration.version)",
                    logger: logger
                )
                for try await _ in applied { return }
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO pacta_schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger: logger
                )
            }
        }
    }

    /// The migrations recorded as applied, in order (tests).
    public func appliedMigrations() async throws -> [Int] {
        try await withConnection { connection in
            var versions: [Int] = []
            let rows = try await connection.query(
                "SELECT version FROM pacta_schema_migrations ORDER BY version",
                logger: self.logger
            )
            for try await version in rows.decode(Int.self) { versions.append(version) }
            return versions
        }
    }

    // MARK: Readiness

    /// Whether a real (tiny) write commits now; probes less than a second apart share one result.
    public func checkWritable() async throws {
        try await health.probe {
            try await self.transaction { connection, logger in
                try await connection.query(
                    """
                    INSERT INTO pacta_probe (at) VALUES (\(StoredDocument.timestamp()))
                    ON CONFLICT (singleton) DO UPDATE SET at = excluded.at
                    """,
                    logger: logger
                )
                return ()
            }
        }
    }

    // MARK: Reads

    public func contents() async throws -> StoreContents {
        try await transaction(readOnlySnapshot: true, bulk: true) { connection, logger in
            var revision: Int64 = 0
            for try await value in try await connection.query("SELECT revision FROM pacta_meta", logger: logger)
                .decode(Int64.self)
            {
                revision = value
            }
            var agreements: [StoredAgreement] = []
            // Byte order, as SQLite orders ids, whatever the database's collation.
            let rows = try await connection.query(
                "SELECT document::text, version, revision FROM pacta_agreements ORDER BY id COLLATE \"C\"",
                logger: logger
            )
            // Decoded a batch at a time on every core, as SQLite's are: only one batch of text is alive at once.
            var batch: [StoredDocument.Encoded] = []
            let decoder = StoredDocument.BatchDecoder()
            for try await (document, version, revision) in rows.decode((String, String, Int64).self) {
                batch.append(StoredDocument.Encoded(document: Data(document.utf8), version: version, revision: revision))
                if batch.count == 4_096 {
                    agreements += try decoder.decode(batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            agreements += try decoder.decode(batch)
            return StoreContents(revision: revision, agreements: agreements)
        }
    }

    public func changes(after revision: Int64, limit: Int) async throws -> [StoreChange] {
        try await transaction(readOnlySnapshot: true) { connection, logger in
            // The last write to each agreement after `revision`, oldest first; deleted agreements have no row.
            let rows = try await connection.query(
                """
                SELECT changed.agreement_id, changed.last, a.document::text, a.version, a.revision
                FROM (SELECT agreement_id, max(sequence) AS last FROM pacta_audit WHERE sequence > \(revision)
                      GROUP BY agreement_id) AS changed
                LEFT JOIN pacta_agreements a ON a.id = changed.agreement_id
                ORDER BY changed.last LIMIT \(Int64(clamping: limit))
                """,
                logger: logger
            )
            var changes: [StoreChange] = []
            for try await (id, last, document, version, stored) in rows.decode(
                (String, Int64, String?, String?, Int64?).self
            ) {
                guard let document, let version, let stored else {
                    changes.append(StoreChange(revision: last, id: id, stored: nil))
                    continue
                }
                let agreement = try StoredDocument.decode(document)
                changes.append(
                    StoreChange(
                        revision: last,
                        id: id,
                        stored: StoredAgreement(agreement: agreement, version: version, revision: stored)
                    )
                )
            }
            return changes
        }
    }

    public func agreement(id: String) async throws -> StoredAgreement? {
        try await withConnection { connection in
            let rows = try await connection.query(
                "SELECT document::text, version, revision FROM pacta_agreements WHERE id = \(id)",
                logger: self.logger
            )
            for try await (document, version, revision) in rows.decode((String, String, Int64).self) {
                return StoredAgreement(agreement: try StoredDocument.decode(document), version: version, revision: revision)
            }
            return nil
        }
    }

    public func history(id: String, after: Int?, limit: Int) async throws -> [AuditRecord] {
        try await withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT sequence, agreement_id, at, actor, request_id, action, version_before, version_after, changes
                FROM pacta_audit WHERE agreement_id = \(id) AND sequence > \(Int64(after ?? -1))
                ORDER BY sequence LIMIT \(Int64(clamping: limit))
                """,
                logger: self.logger
            )
            return try await Self.auditRecords(rows)
        }
    }

    public func revisionMark(_ revision: Int64) async throws -> String? {
        try await withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT sequence, agreement_id, at, actor, request_id, action, version_before, version_after, changes
                FROM pacta_audit WHERE sequence = \(revision)
                """,
                logger: self.logger
            )
            return try await Self.auditRecords(rows).first?.revisionMark
        }
    }

    /// The audit records of rows selected as `history(id:after:limit:)` selects them.
    private static func auditRecords(_ rows: PostgresRowSequence) async throws -> [AuditRecord] {
        var records: [AuditRecord] = []
        let decoder = JSONDecoder()
        for try await (sequence, agreementId, at, actor, requestId, action, before, after, changes) in rows.decode(
            (Int64, String, String, String?, String?, String, String?, String?, String).self
        ) {
            records.append(
                AuditRecord(
                    sequence: Int(sequence),
                    agreementId: agreementId,
                    at: at,
                    actor: actor,
                    requestId: requestId,
                    action: AuditAction(rawValue: action) ?? .replace,
                    versionBefore: before,
                    versionAfter: after,
                    changes: try decoder.decode([AuditChange].self, from: Data(changes.utf8))
                )
            )
        }
        return records
    }

    // MARK: Writes

    public func create(_ agreement: Agreement, audit: AuditContext) async throws -> StoredAgreement {
        let (document, version) = try StoredDocument.encode(agreement)
        let now = StoredDocument.timestamp()
        let drafting = feedDrafting.current
        let revision = try await transaction { connection, logger in
            let revision = try await Self.nextRevision(connection, logger)
            // After the revision lock: a create of the same id that committed first is visible here.
            let inserted = try await connection.query(
                """
                INSERT INTO pacta_agreements (id, document, version, revision, created_at, updated_at)
                VALUES (\(agreement.id), \(document)::json, \(version), \(revision), \(now), \(now))
                ON CONFLICT (id) DO NOTHING RETURNING 1
                """,
                logger: logger
            )
            var wasInserted = false
            for try await _ in inserted { wasInserted = true }
            guard wasInserted else { throw StoreError.alreadyExists(id: agreement.id) }
            try await Self.record(
                connection,
                logger,
                revision: revision,
                id: agreement.id,
                at: now,
                audit: audit,
                action: .create,
                before: nil,
                after: (document, version)
            )
            try await Self.recordWriteEvents(
                connection,
                logger,
                at: now,
                own: try AgreementWriteData.draft(
                    .agreementCreated,
                    id: agreement.id,
                    revision: revision,
                    version: version,
                    versionBefore: nil
                ),
                drafting: drafting,
                before: nil,
                after: StoredAgreement(agreement: agreement, version: version, revision: revision)
            )
            return revision
        }
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
        let revision = try await transaction { connection, logger in
            let revision = try await Self.nextRevision(connection, logger)
            let current = try await Self.checkCurrent(connection, logger, id: agreement.id, expected: expected)
            try StoredDocument.checkReplacement(agreement, over: current.document)
            let before = try await Self.storedBefore(connection, logger, id: agreement.id, current, drafting: drafting)
            try await Self.update(
                connection,
                logger,
                revision: revision,
                id: agreement.id,
                at: now,
                audit: audit,
                action: .replace,
                before: current,
                after: (document, version)
            )
            try await Self.recordWriteEvents(
                connection,
                logger,
                at: now,
                own: try AgreementWriteData.draft(
                    .agreementUpdated,
                    id: agreement.id,
                    revision: revision,
                    version: version,
                    versionBefore: current.version
                ),
                drafting: drafting,
                before: before,
                after: StoredAgreement(agreement: agreement, version: version, revision: revision)
            )
            return revision
        }
        return StoredAgreement(agreement: agreement, version: version, revision: revision)
    }

    public func delete(id: String, expected: ExpectedVersion, audit: AuditContext) async throws -> Int64 {
        let now = StoredDocument.timestamp()
        let drafting = feedDrafting.current
        return try await transaction { connection, logger in
            let revision = try await Self.nextRevision(connection, logger)
            let current = try await Self.checkCurrent(connection, logger, id: id, expected: expected)
            let before = try await Self.storedBefore(connection, logger, id: id, current, drafting: drafting)
            try await connection.query("DELETE FROM pacta_agreements WHERE id = \(id)", logger: logger)
            try await Self.record(
                connection,
                logger,
                revision: revision,
                id: id,
                at: now,
                audit: audit,
                action: .delete,
                before: current,
                after: nil
            )
            try await Self.recordWriteEvents(
                connection,
                logger,
                at: now,
                own: try AgreementWriteData.draft(
                    .agreementDeleted,
                    id: id,
                    revision: revision,
                    version: nil,
                    versionBefore: current.version
                ),
                drafting: drafting,
                before: before,
                after: nil
            )
            return revision
        }
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
        return try await transaction { connection, logger in
            let revision = try await Self.nextRevision(connection, logger)
            let current = try await Self.checkCurrent(connection, logger, id: id, expected: expected)
            let before = try await Self.storedBefore(connection, logger, id: id, current, drafting: drafting)
            // Against the locked row: two concurrent appends can never both take `e7`.
            let (agreement, appended, document, version) = try StoredDocument.appending(
                drafts,
                to: current.document,
                check: check
            )
            try await Self.update(
                connection,
                logger,
                revision: revision,
                id: id,
                at: now,
                audit: audit,
                action: .appendEvents,
                before: current,
                after: (document, version)
            )
            let stored = StoredAgreement(agreement: agreement, version: version, revision: revision)
            try await Self.recordWriteEvents(
                connection,
                logger,
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
                before: before,
                after: stored
            )
            return AppendedEvents(stored: stored, events: appended)
        }
    }

    /// Takes the revision row's lock (held until the transaction ends) and returns this write's revision.
    private static func nextRevision(_ connection: PostgresConnection, _ logger: Logger) async throws -> Int64 {
        // The notification goes out at commit, so other servers read the write as soon as it can be read.
        let rows = try await connection.query(
            """
            WITH next AS (UPDATE pacta_meta SET revision = revision + 1 RETURNING revision)
            SELECT next.revision FROM next, LATERAL pg_notify(\(changeChannel), next.revision::text) AS notified
            """,
            logger: logger
        )
        for try await revision in rows.decode(Int64.self) { return revision }
        throw StoreError.unavailable(reason: "PostgreSQL: the pacta_meta row is missing")
    }

    /// The current document and version, locked for this transaction; throws when the row is missing or its
    /// version is not the expected one.
    private static func checkCurrent(
        _ connection: PostgresConnection,
        _ logger: Logger,
        id: String,
        expected: ExpectedVersion
    ) async throws -> (document: String, version: String) {
        let rows = try await connection.query(
            "SELECT document::text, version FROM pacta_agreements WHERE id = \(id) FOR UPDATE",
            logger: logger
        )
        var current: (document: String, version: String)?
        for try await (document, version) in rows.decode((String, String).self) { current = (document, version) }
        guard let current else { throw StoreError.notFound(id: id) }
        guard expected.admits(current.version) else {
            throw StoreError.versionMismatch(id: id, current: current.version)
        }
        return current
    }

    private static func update(
        _ connection: PostgresConnection,
        _ logger: Logger,
        revision: Int64,
        id: String,
        at now: String,
        audit: AuditContext,
        action: AuditAction,
        before: (document: String, version: String),
        after: (document: String, version: String)
    ) async throws {
        try await connection.query(
            """
            UPDATE pacta_agreements SET document = \(after.document)::json, version = \(after.version),
                revision = \(revision), updated_at = \(now)
            WHERE id = \(id)
            """,
            logger: logger
        )
        try await record(
            connection,
            logger,
            revision: revision,
            id: id,
            at: now,
            audit: audit,
            action: action,
            before: before,
            after: after
        )
    }

    /// Writes the audit record of a write inside the write's transaction: both commit or neither does.
    private static func record(
        _ connection: PostgresConnection,
        _ logger: Logger,
        revision: Int64,
        id: String,
        at: String,
        audit: AuditContext,
        action: AuditAction,
        before: (document: String, version: String)?,
        after: (document: String, version: String)?
    ) async throws {
        let changes = AuditDiff.changes(from: before?.document, to: after?.document)
        let encoded = String(decoding: try JSONEncoder().encode(changes), as: UTF8.self)
        try await connection.query(
            """
            INSERT INTO pacta_audit
                (sequence, agreement_id, at, actor, request_id, action, version_before, version_after, changes)
            VALUES (\(revision), \(id), \(at), \(audit.actor), \(audit.requestId), \(action.rawValue),
                \(before?.version), \(after?.version), \(encoded))
            """,
            logger: logger
        )
    }

    // MARK: Seeding and bulk loading

    public func seedIfNeeded(_ agreements: [Agreement]) async throws -> Int {
        let encoded = try agreements.map { ($0.id, try StoredDocument.encode($0)) }
        let now = StoredDocument.timestamp()
        return try await transaction(bulk: true) { connection, logger in
            // The meta row's lock: a second server seeding at the same time waits here, then finds it seeded.
            let rows = try await connection.query(
                "SELECT revision, seeded_at FROM pacta_meta FOR UPDATE",
                logger: logger
            )
            var state: (revision: Int64, seededAt: String?)?
            for try await (revision, seededAt) in rows.decode((Int64, String?).self) { state = (revision, seededAt) }
            guard let state else { throw StoreError.unavailable(reason: "PostgreSQL: the pacta_meta row is missing") }
            if state.seededAt != nil { return 0 }
            let inserted = try await Self.insertNew(encoded, after: state.revision, at: now, connection, logger)
            try await connection.query("UPDATE pacta_meta SET seeded_at = \(now)", logger: logger)
            return inserted
        }
    }

    /// Inserts, in one transaction, the agreements whose ids are not stored yet (bulk loading, e.g. `pacta
    /// generate`), each with a `seed` entry in the history. Returns how many were inserted; runs every time.
    public func insertMissing(_ agreements: [Agreement]) async throws -> Int {
        let encoded = try agreements.map { ($0.id, try StoredDocument.encode($0)) }
        let now = StoredDocument.timestamp()
        return try await transaction(bulk: true) { connection, logger in
            let rows = try await connection.query("SELECT revision FROM pacta_meta FOR UPDATE", logger: logger)
            var revision: Int64?
            for try await value in rows.decode(Int64.self) { revision = value }
            guard let revision else { throw StoreError.unavailable(reason: "PostgreSQL: the pacta_meta row is missing") }
            return try await Self.insertNew(encoded, after: revision, at: now, connection, logger)
        }
    }

    /// Inserts the documents whose ids are not stored yet, numbering their revisions after `revision`, and
    /// advances the meta row to the last one. The caller holds the meta row's lock.
    private static func insertNew(
        _ encoded: [(String, (document: String, version: String))],
        after revision: Int64,
        at now: String,
        _ connection: PostgresConnection,
        _ logger: Logger
    ) async throws -> Int {
        var existing: Set<String> = []
        let rows = try await connection.query(
            "SELECT id FROM pacta_agreements WHERE id = ANY(\(encoded.map(\.0)))",
            logger: logger
        )
        for try await id in rows.decode(String.self) { existing.insert(id) }
        var last = revision
        var inserted = 0
        for (id, (document, version)) in encoded where !existing.contains(id) {
            existing.insert(id)
            last += 1
            inserted += 1
            try await connection.query(
                """
                INSERT INTO pacta_agreements (id, document, version, revision, created_at, updated_at)
                VALUES (\(id), \(document)::json, \(version), \(last), \(now), \(now))
                """,
                logger: logger
            )
            try await record(
                connection,
                logger,
                revision: last,
                id: id,
                at: now,
                audit: .system,
                action: .seed,
                before: nil,
                after: (document, version)
            )
        }
        try await connection.query("UPDATE pacta_meta SET revision = \(last)", logger: logger)
        if inserted > 0 {
            try await connection.query("SELECT pg_notify(\(changeChannel), \(String(last)))", logger: logger)
        }
        return inserted
    }

    // MARK: Tokens

    public func createToken(name: String, hash: [UInt8]) async throws {
        let now = StoredDocument.timestamp()
        try await withConnection { connection in
            let rows = try await connection.query(
                """
                INSERT INTO pacta_tokens (name, hash, created_at) VALUES (\(name), \(ByteBuffer(bytes: hash)), \(now))
                ON CONFLICT (name) DO NOTHING RETURNING 1
                """,
                logger: self.logger
            )
            var created = false
            for try await _ in rows { created = true }
            guard created else { throw TokenError.nameTaken(name) }
        }
    }

    /// The lookup is by the token's SHA-256, so its timing reveals nothing about the token itself.
    public func tokenName(hash: [UInt8]) async throws -> String? {
        try await withConnection { connection in
            let rows = try await connection.query(
                "SELECT name FROM pacta_tokens WHERE hash = \(ByteBuffer(bytes: hash)) AND revoked_at IS NULL",
                logger: self.logger
            )
            for try await name in rows.decode(String.self) { return name }
            return nil
        }
    }

    public func tokens() async throws -> [TokenRecord] {
        try await withConnection { connection in
            let rows = try await connection.query(
                "SELECT name, created_at, revoked_at FROM pacta_tokens ORDER BY name COLLATE \"C\"",
                logger: self.logger
            )
            var records: [TokenRecord] = []
            for try await (name, createdAt, revokedAt) in rows.decode((String, String, String?).self) {
                records.append(TokenRecord(name: name, createdAt: createdAt, revokedAt: revokedAt))
            }
            return records
        }
    }

    public func revokeToken(name: String) async throws -> Bool {
        let now = StoredDocument.timestamp()
        return try await withConnection { connection in
            let rows = try await connection.query(
                "UPDATE pacta_tokens SET revoked_at = \(now) WHERE name = \(name) AND revoked_at IS NULL RETURNING 1",
                logger: self.logger
            )
            var revoked = false
            for try await _ in rows { revoked = true }
            return revoked
        }
    }
}
