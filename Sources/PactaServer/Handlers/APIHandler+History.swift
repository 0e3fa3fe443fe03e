import Foundation
import PactaAPI
import PactaStore

extension APIHandler {
    /// The audit trail, read from the store (not the in-memory catalog): deleted agreements keep theirs.
    func getAgreementHistory(
        _ input: Operations.GetAgreementHistory.Input
    ) async throws
        -> Operations.GetAgreementHistory.Output
    {
        let id = input.path.id
        let limit = try limits.pageSize(input.query.limit)
        let after = try input.query.cursor.map { cursor in
            guard cursor.hasPrefix("h"), let sequence = Int(cursor.dropFirst()), sequence >= 0 else {
                throw Problem.badParameter("cursor", "is not a cursor this server issued")
            }
            return sequence
        }
        // One more than the page, to know whether another follows.
        let fetched = try await catalog.store.history(id: id, after: after, limit: limit + 1)
        if fetched.isEmpty, after == nil, catalog.snapshot.byId[id] == nil { throw Problem.agreementNotFound(id) }
        let records = fetched.prefix(limit)
        let nextCursor = fetched.count > limit ? records.last.map { "h\($0.sequence)" } : nil
        let items = records.map { record in
            Components.Schemas.AuditEntry(
                sequence: record.sequence,
                at: Self.instant(record.at),
                actor: record.actor,
                requestId: record.requestId,
                action: .init(rawValue: record.action.rawValue)!,
                etagBefore: record.versionBefore.map(EntityTag.of(version:)),
                etagAfter: record.versionAfter.map(EntityTag.of(version:)),
                changes: record.changes.map { .init(op: .init(rawValue: $0.op.rawValue)!, path: $0.path) }
            )
        }
        return .ok(
            .init(
                body: .json(
                    .init(
                        agreementId: id,
                        items: items,
                        nextCursor: nextCursor,
                        next: nextCursor.map { "/v1/agreements/\(id)/history?limit=\(limit)&cursor=\($0)" }
                    )
                )
            )
        )
    }

    private static func instant(_ text: String) -> Date {
        ISO8601DateFormatter().date(from: text) ?? Date(timeIntervalSince1970: 0)
    }
}
