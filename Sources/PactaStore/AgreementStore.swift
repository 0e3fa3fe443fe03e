import PactaCore

/// An agreement as stored: its document, the version that names this exact document, and the store revision
/// of the write that stored it.
///
/// Immutable and shared by reference: the catalog holds every agreement in an ordered array and a dictionary by
/// id, and scans copy them around; a reference is one word and one retain where the inline `Agreement` (rules
/// included) is hundreds of bytes and a retain per string.
public final class StoredAgreement: Sendable, Hashable {
    public let agreement: Agreement
    /// Names this exact document: 24 hex digits of the SHA-256 of its canonical JSON. Equal documents have equal
    /// versions. (The HTTP layer sends it, quoted, as the `ETag`.)
    public let version: String
    /// The store revision of the write that stored this version (``StoreChange/revision``).
    public let revision: Int64

    public init(agreement: Agreement, version: String, revision: Int64) {
        self.agreement = agreement
        self.version = version
        self.revision = revision
    }

    /// Calls `body` with the agreement where it is held: read through a reference from outside, it is copied out
    /// first, retaining each of its fields (9% of a deadline page's CPU at 100,000 agreements, perf).
    public func withAgreement<T>(_ body: (borrowing Agreement) -> T) -> T { body(agreement) }

    public static func == (lhs: StoredAgreement, rhs: StoredAgreement) -> Bool {
        lhs === rhs || (lhs.version == rhs.version && lhs.revision == rhs.revision && lhs.agreement == rhs.agreement)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(version)
        hasher.combine(revision)
    }
}

/// What a write expects the agreement's current version to be, checked inside the write's transaction.
public enum ExpectedVersion: Sendable, Hashable {
    /// Whatever version is current (the agreement must still exist).
    case any
    /// One of these versions must be current.
    case oneOf(Set<String>)

    public static func exactly(_ version: String) -> ExpectedVersion { .oneOf([version]) }

    package func admits(_ current: String) -> Bool {
        switch self {
        case .any: return true
        case .oneOf(let versions): return versions.contains(current)
        }
    }
}

/// One committed write, as a replica or a feed learns of it: the store revision it committed at (monotonically
/// increasing across every agreement, with no gaps a reader could miss) and the agreement as it stands after it
/// (`nil` once deleted).
public struct StoreChange: Sendable {
    public let revision: Int64
    public let id: String
    public let stored: StoredAgreement?

    public init(revision: Int64, id: String, stored: StoredAgreement?) {
        self.revision = revision
        self.id = id
        self.stored = stored
    }
}

/// Every agreement as of one store revision, read in one transaction.
public struct StoreContents: Sendable {
    /// The revision of the last write the contents include; 0 for an empty store.
    public let revision: Int64
    /// Ordered by id.
    public let agreements: [StoredAgreement]

    public init(revision: Int64, agreements: [StoredAgreement]) {
        self.revision = revision
        self.agreements = agreements
    }
}

/// What a write can run into. The HTTP layer maps each case to one problem type.
public enum StoreError: Error, Equatable, Sendable {
    case notFound(id: String)
    case alreadyExists(id: String)
    /// The version the write expected is no longer current.
    case versionMismatch(id: String, current: String)
    /// A replacement would drop, change or move a recorded event (events are append-only).
    case recordedEventChanged(id: String, issue: ValidationIssue)
    /// The write was refused by the caller's check, run inside the write against the record as it was then.
    case invalid([ValidationIssue])
    /// The database cannot take writes now (file replaced or removed, read-only, full or damaged); nothing was
    /// written. `reason` is for operators and never holds request data.
    case unavailable(reason: String)
}

/// What an append committed: the agreement as stored afterwards and the appended events with their ids.
public struct AppendedEvents: Sendable {
    public let stored: StoredAgreement
    public let events: [Event]

    public init(stored: StoredAgreement, events: [Event]) {
        self.stored = stored
        self.events = events
    }
}

/// A caller's check of the agreement an append would store, run inside the serialized write; `firstNew` is the
/// index of the first appended event. It throws ``StoreError/invalid(_:)`` (or any error) to refuse the write.
public typealias AppendCheck = @Sendable (_ proposed: Agreement, _ firstNew: Int) throws -> Void

/// Durable storage of agreements and API tokens, knowing nothing of HTTP. Every method that returns after a write
/// has committed it durably: a crash of the process afterwards loses nothing.
///
/// Every write commits at a new store revision, greater than every earlier one, and records an ``AuditRecord``
/// in the same transaction. Invariants (the expected version, append-only events, event ids) are checked inside
/// that transaction, against the row as it is then.
public protocol AgreementStore: WebhookStore {
    /// Throws ``StoreError/unavailable(reason:)`` unless the store takes writes now (readiness).
    func checkWritable() async throws
    /// Waits for the operations in flight, refuses new ones, and closes the database. Later calls throw
    /// ``StoreError/unavailable(reason:)``.
    func close() async throws
    /// Every agreement and the revision they stand at, read in one transaction.
    func contents() async throws -> StoreContents
    /// The agreements changed by writes after `revision`, each once as it stands now, in revision order (at most
    /// `limit`): how a reader that has seen everything up to `revision` catches up without missing a write.
    func changes(after revision: Int64, limit: Int) async throws -> [StoreChange]
    /// Signals that the store's revision moved, so that a reader holding a copy (the catalog of each replica) reads
    /// ``changes(after:limit:)`` when there is something to read rather than polling hard. The stream starts with
    /// ``StoreChangeSignal/catchUp`` once the store hears of every write, and finishes when the store closes.
    func changeSignals() -> StoreChangeSubscription
    func agreement(id: String) async throws -> StoredAgreement?
    func create(_ agreement: Agreement, audit: AuditContext) async throws -> StoredAgreement
    /// Replaces the agreement with the same id, if its current version is `expected`.
    /// Throws ``StoreError/recordedEventChanged(id:issue:)``, whatever was expected, when the replacement does
    /// not start with every recorded event unchanged.
    func replace(_ agreement: Agreement, expected: ExpectedVersion, audit: AuditContext) async throws -> StoredAgreement
    /// Deletes the agreement if its current version is `expected`; returns the revision the deletion committed at.
    @discardableResult
    func delete(id: String, expected: ExpectedVersion, audit: AuditContext) async throws -> Int64
    /// Appends events to an agreement in one transaction. Ids are assigned (``Agreement/appending(_:)``) and
    /// `check` is run inside the write, against the agreement as it is then, so concurrent appends never share
    /// an id and never pass a check against a stale copy.
    func appendEvents(
        _ drafts: [NewEvent],
        to id: String,
        expected: ExpectedVersion,
        audit: AuditContext,
        check: @escaping AppendCheck
    ) async throws -> AppendedEvents
    /// The audit records of an agreement, oldest first (deleted agreements keep theirs).
    /// At most `limit` of them, those with a sequence after `after` when it is given (a page of the history).
    func history(id: String, after: Int?, limit: Int) async throws -> [AuditRecord]
    /// Inserts the agreements that are not stored yet, once per database: later calls do nothing, so an
    /// operator's deletions stay deleted. Returns how many were inserted.
    func seedIfNeeded(_ agreements: [Agreement]) async throws -> Int

    func createToken(name: String, hash: [UInt8]) async throws
    /// The name of the unrevoked token with this hash, if any.
    func tokenName(hash: [UInt8]) async throws -> String?
    func tokens() async throws -> [TokenRecord]
    /// Returns false when no unrevoked token has that name.
    func revokeToken(name: String) async throws -> Bool

    // MARK: The event log of live feeds (the outbox)

    /// Sets the drafter whose events every later agreement write records in its own transaction (the server's
    /// `status.changed`); `nil` records only the store's own events.
    func useFeedDrafting(_ drafting: (any FeedDrafting)?)
    /// The recorded feed events with a sequence after `sequence`, oldest first (at most `limit`). A reader that
    /// remembers the last sequence it read misses none, in any order of commits.
    func feedEvents(after sequence: Int64, limit: Int) async throws -> [FeedEvent]
    /// The sequence of the last event recorded (0 before the first), pruned or not: where a reader starts that
    /// wants only what comes next.
    func lastFeedSequence() async throws -> Int64
    /// Records events that no agreement write causes (the deadline scheduler), in one transaction, and signals
    /// them (``changeSignals()``). A draft whose ``FeedEventDraft/dedupeKey`` is already recorded (or repeated in
    /// `drafts`) is skipped; returns the events recorded.
    func recordFeedEvents(_ drafts: [FeedEventDraft]) async throws -> [FeedEvent]
    /// Deletes the events recorded before `timestamp` (RFC 3339 UTC); returns how many were deleted. Sequences
    /// are never reused, and dedupe keys outlive their events, so an alert pruned is never sent again.
    func pruneFeedEvents(before timestamp: String) async throws -> Int
    /// Runs `body` unless another process of the database is running a body under the same lock (PostgreSQL:
    /// a session advisory lock; SQLite has one process); returns whether it ran. The deadline scheduler's scans
    /// take it so that replicas do not repeat each other's work (the dedupe keys keep them exact anyway).
    func withFeedSchedulerLock(_ body: @escaping @Sendable () async throws -> Void) async throws -> Bool

    /// A name for this database, made once when first asked and the same for the database's whole life (a copy of
    /// the file keeps it): what a cache of its contents kept elsewhere (the catalog's snapshot file) is checked
    /// against, so that it is never loaded for another database. `nil` when the backend keeps none; such a store
    /// gets no cache.
    func storeIdentity() async throws -> String?
    /// The fingerprint (``AuditRecord/revisionMark``) of the write that committed at `revision`, `nil` when no write
    /// of this database did. A cache of the contents as of a revision (the catalog's snapshot file) keeps it and is
    /// used only while the store's write at that revision still has it: a database restored from an older backup and
    /// written again reuses revision numbers, for other writes.
    func revisionMark(_ revision: Int64) async throws -> String?
}

public struct TokenRecord: Sendable, Hashable {
    public let name: String
    public let createdAt: String
    public let revokedAt: String?

    public init(name: String, createdAt: String, revokedAt: String?) {
        self.name = name
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

public enum TokenError: Error, Equatable, Sendable {
    case nameTaken(String)
}

extension AgreementStore {
    public func storeIdentity() async throws -> String? { nil }

    /// The whole audit trail of an agreement.
    public func history(id: String) async throws -> [AuditRecord] {
        try await history(id: id, after: nil, limit: Int.max)
    }

    /// Every agreement, ordered by id.
    public func allAgreements() async throws -> [StoredAgreement] { try await contents().agreements }

    /// Writes made by the server itself, recorded with ``AuditContext/system``.
    public func create(_ agreement: Agreement) async throws -> StoredAgreement {
        try await create(agreement, audit: .system)
    }

    public func replace(_ agreement: Agreement, expected: ExpectedVersion = .any) async throws -> StoredAgreement {
        try await replace(agreement, expected: expected, audit: .system)
    }

    public func delete(id: String, expected: ExpectedVersion = .any) async throws {
        try await delete(id: id, expected: expected, audit: .system)
    }

    public func appendEvents(
        _ drafts: [NewEvent],
        to id: String,
        expected: ExpectedVersion = .any
    ) async throws
        -> AppendedEvents
    {
        try await appendEvents(drafts, to: id, expected: expected, audit: .system, check: { _, _ in })
    }
}
