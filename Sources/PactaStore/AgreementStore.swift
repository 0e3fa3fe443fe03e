import PactaCore

/// An agreement as stored, with the entity tag that names this exact revision.
///
/// Immutable and shared by reference: the catalog holds every agreement in an ordered array and a dictionary by
/// id, and scans copy them around; a reference is one word and one retain where the inline `Agreement` (rules
/// included) is hundreds of bytes and a retain per string.
public final class StoredAgreement: Sendable, Hashable {
    public let agreement: Agreement
    /// A strong entity tag derived from the stored document (quoted, as sent in `ETag`).
    public let etag: String

    public init(agreement: Agreement, etag: String) {
        self.agreement = agreement
        self.etag = etag
    }

    public static func == (lhs: StoredAgreement, rhs: StoredAgreement) -> Bool {
        lhs === rhs || (lhs.etag == rhs.etag && lhs.agreement == rhs.agreement)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(etag)
        hasher.combine(agreement)
    }
}

/// What a write can run into. The HTTP layer maps each case to one problem type.
public enum StoreError: Error, Equatable, Sendable {
    case notFound(id: String)
    case alreadyExists(id: String)
    /// The caller's `If-Match` names a revision that is no longer current.
    case preconditionFailed(id: String, current: String)
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

/// Durable storage of agreements and API tokens. Every method that returns after a write has committed
/// it durably: a crash of the process afterwards loses nothing.
public protocol AgreementStore: Sendable {
    /// Throws ``StoreError/unavailable(reason:)`` unless the store takes writes now (readiness).
    func checkWritable() async throws
    /// Waits for the operations in flight, refuses new ones, and closes the database.
    func close() async throws
    /// Every agreement, ordered by id.
    func allAgreements() async throws -> [StoredAgreement]
    func agreement(id: String) async throws -> StoredAgreement?
    /// Each write records an ``AuditRecord`` (who, when, which request, what changed) in its own transaction.
    func create(_ agreement: Agreement, audit: AuditContext) async throws -> StoredAgreement
    /// Replaces the agreement with the same id; `ifMatch` (an ETag) must name the current revision when given.
    /// Throws ``StoreError/recordedEventChanged(id:issue:)``, whatever `ifMatch` says, when the replacement does
    /// not start with every recorded event unchanged: checked inside the write.
    func replace(_ agreement: Agreement, ifMatch: String?, audit: AuditContext) async throws -> StoredAgreement
    func delete(id: String, ifMatch: String?, audit: AuditContext) async throws
    /// Appends events to an agreement in one transaction. Ids are assigned (``Agreement/appending(_:)``) and
    /// `check` is run inside the write, against the agreement as it is then, so concurrent appends never share
    /// an id and never pass a check against a stale copy.
    func appendEvents(
        _ drafts: [NewEvent], to id: String, ifMatch: String?, audit: AuditContext, check: @escaping AppendCheck
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
}

public struct TokenRecord: Sendable, Hashable {
    public let name: String
    public let createdAt: String
    public let revokedAt: String?
}

public enum TokenError: Error, Equatable, Sendable {
    case nameTaken(String)
    case invalidName(String)
}

extension AgreementStore {
    /// The whole audit trail of an agreement.
    public func history(id: String) async throws -> [AuditRecord] {
        try await history(id: id, after: nil, limit: Int.max)
    }

    /// Writes made by the server itself, recorded with ``AuditContext/system``.
    public func create(_ agreement: Agreement) async throws -> StoredAgreement {
        try await create(agreement, audit: .system)
    }

    public func replace(_ agreement: Agreement, ifMatch: String?) async throws -> StoredAgreement {
        try await replace(agreement, ifMatch: ifMatch, audit: .system)
    }

    public func delete(id: String, ifMatch: String?) async throws {
        try await delete(id: id, ifMatch: ifMatch, audit: .system)
    }

    public func appendEvents(_ drafts: [NewEvent], to id: String, ifMatch: String?) async throws -> AppendedEvents {
        try await appendEvents(drafts, to: id, ifMatch: ifMatch, audit: .system, check: { _, _ in })
    }
}
