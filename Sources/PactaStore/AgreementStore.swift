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
}

/// Durable storage of agreements and API tokens. Every method that returns after a write has committed
/// it durably: a crash of the process afterwards loses nothing.
public protocol AgreementStore: Sendable {
    /// Throws when the database cannot answer a trivial query.
    func ping() async throws
    /// Every agreement, ordered by id.
    func allAgreements() async throws -> [StoredAgreement]
    func agreement(id: String) async throws -> StoredAgreement?
    /// Each write records an ``AuditRecord`` (who, when, which request, what changed) in its own transaction.
    func create(_ agreement: Agreement, audit: AuditContext) async throws -> StoredAgreement
    /// Replaces the agreement with the same id; `ifMatch` (an ETag) must name the current revision when given.
    func replace(_ agreement: Agreement, ifMatch: String?, audit: AuditContext) async throws -> StoredAgreement
    func delete(id: String, ifMatch: String?, audit: AuditContext) async throws
    /// Appends events to an agreement in one transaction.
    func appendEvents(_ events: [Event], to id: String, ifMatch: String?, audit: AuditContext) async throws
        -> StoredAgreement
    /// The audit records of an agreement, oldest first (deleted agreements keep theirs).
    func history(id: String) async throws -> [AuditRecord]
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

    public func appendEvents(_ events: [Event], to id: String, ifMatch: String?) async throws -> StoredAgreement {
        try await appendEvents(events, to: id, ifMatch: ifMatch, audit: .system)
    }
}
