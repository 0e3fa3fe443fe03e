import Foundation
import PactaAPI
import PactaStore

extension APIHandler {
    /// The audit trail, read from the store (not the in-memory catalog): deleted agreements keep theirs.
    func getAgreementHistory(_ input: Operations.GetAgreementHistory.Input) async throws
        -> Operations.GetAgreementHistory.Output
    {
        let id = input.path.id
        let records = try await catalog.store.history(id: id)
        if records.isEmpty, catalog.snapshot.byId[id] == nil { throw Problem.agreementNotFound(id) }
        let items = records.map { record in
            Components.Schemas.AuditEntry(
                sequence: record.sequence, at: Self.instant(record.at), actor: record.actor, requestId: record.requestId,
                action: .init(rawValue: record.action.rawValue)!, etagBefore: record.etagBefore,
                etagAfter: record.etagAfter,
                changes: record.changes.map { .init(op: .init(rawValue: $0.op.rawValue)!, path: $0.path) })
        }
        return .ok(.init(body: .json(.init(agreementId: id, items: items))))
    }

    private static func instant(_ text: String) -> Date {
        ISO8601DateFormatter().date(from: text) ?? Date(timeIntervalSince1970: 0)
    }
}
