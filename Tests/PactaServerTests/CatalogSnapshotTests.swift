import PactaCore
import PactaStore
import Testing

@testable import PactaServer

/// A snapshot updated write by write (binary search and insertion) equals one built from scratch.
@Suite struct CatalogSnapshotTests {
    static func stored(_ agreement: Agreement, _ tag: String = "\"1\"") -> StoredAgreement {
        StoredAgreement(agreement: agreement, etag: tag)
    }

    @Test func incrementalWritesMatchAFreshSnapshot() {
        let agreements = SyntheticAgreements.generate(count: 40, seed: 5)
        var expected = Dictionary(uniqueKeysWithValues: agreements.prefix(20).map { ($0.id, Self.stored($0)) })
        var snapshot = AgreementCatalog.Snapshot(Array(expected.values), revision: 0)
        var writes: [(String, StoredAgreement?)] = []
        for agreement in agreements.suffix(20).reversed() { writes.append((agreement.id, Self.stored(agreement))) }
        for agreement in agreements.prefix(20) where agreement.id.hasSuffix("3") { writes.append((agreement.id, nil)) }
        for agreement in agreements.prefix(20) where agreement.id.hasSuffix("5") {
            writes.append((agreement.id, Self.stored(agreement, "\"2\"")))
        }
        writes.append(("synthetic-999999", nil))
        for (id, stored) in writes {
            snapshot = snapshot.replacing(id, with: stored)
            expected[id] = stored
        }
        let fresh = AgreementCatalog.Snapshot(Array(expected.values), revision: writes.count)
        #expect(snapshot.revision == writes.count)
        #expect(snapshot.sortedIds == fresh.sortedIds)
        #expect(snapshot.ordered == fresh.ordered)
        #expect(snapshot.byId == fresh.byId)
        #expect(snapshot.ordered.map(\.agreement.id) == snapshot.sortedIds)
    }
}
