import PactaCore
import PactaStore
import Testing

@testable import PactaServer

/// A snapshot updated write by write (binary search and insertion) equals one built from scratch.
@Suite struct CatalogSnapshotTests {
    static func stored(_ agreement: Agreement, _ tag: String = "\"1\"") -> StoredAgreement {
        StoredAgreement(agreement: agreement, version: tag, revision: 0)
    }

    /// Sixteen appends racing with the same expected version: the write gate and the store's check inside the write
    /// let exactly one through; every other one is refused with the version that won, and nothing is stored twice.
    @Test func parallelAppendsWithTheSameVersionLetExactlyOneThrough() async throws {
        let store = try SQLiteAgreementStore.inMemory()
        let catalog = try await AgreementCatalog(store: store)
        let created = try await catalog.create(SyntheticAgreements.generate(count: 1, seed: 9)[0])
        let id = created.agreement.id
        let date = try CalendarDate(parsing: "2020-01-01")
        let outcomes = await withTaskGroup(of: Result<AppendedEvents, any Error>.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    do {
                        return .success(
                            try await catalog.appendEvents(
                                [NewEvent(type: .signature, date: date)], to: id,
                                expected: .exactly(created.version), check: { _, _ in }))
                    } catch { return .failure(error) }
                }
            }
            var all: [Result<AppendedEvents, any Error>] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        let winners = outcomes.compactMap { try? $0.get() }
        try #require(winners.count == 1)
        for case .failure(let error) in outcomes {
            #expect(error as? StoreError == .versionMismatch(id: id, current: winners[0].stored.version))
        }
        let stored = try #require(try await store.agreement(id: id))
        #expect(stored.agreement.events.count == created.agreement.events.count + 1)
        #expect(catalog.snapshot.byId[id]?.version == winners[0].stored.version)
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
        for (index, (id, stored)) in writes.enumerated() {
            snapshot = snapshot.replacing(id, with: stored, revision: Int64(index + 1))
            expected[id] = stored
        }
        let fresh = AgreementCatalog.Snapshot(Array(expected.values), revision: Int64(writes.count))
        #expect(snapshot.revision == Int64(writes.count))
        #expect(snapshot.sortedIds == fresh.sortedIds)
        #expect(snapshot.ordered == fresh.ordered)
        #expect(snapshot.byId == fresh.byId)
        #expect(snapshot.ordered.map(\.agreement.id) == snapshot.sortedIds)
    }

    /// Answers held by a snapshot and patched write by write equal the answers computed afresh.
    @Test func carriedOverAnswersMatchAFreshComputation() async throws {
        let agreements = SyntheticAgreements.generate(count: 60, seed: 7)
        let asOf = try CalendarDate(parsing: "2025-06-01")
        let from = try CalendarDate(parsing: "2025-01-01")
        let to = try CalendarDate(parsing: "2027-12-31")
        let work = HeavyWork(threads: 1, queueLimit: 8, budget: .seconds(60))
        var snapshot = AgreementCatalog.Snapshot(agreements.prefix(40).map { Self.stored($0) }, revision: 0)
        _ = try await snapshot.states(asOf: asOf, work: work)
        _ = try await snapshot.deadlines(from: from, to: to, work: work)
        let untouchedTag = snapshot.catalogTag
        var expected = Dictionary(uniqueKeysWithValues: agreements.prefix(40).map { ($0.id, Self.stored($0)) })
        var writes: [(String, StoredAgreement?)] = agreements.suffix(20).map { ($0.id, Self.stored($0)) }
        writes += agreements.prefix(40).filter { $0.id.hasSuffix("2") }.map { ($0.id, nil) }
        // A replacement with different rules: a one-year term renewing from another date.
        var changed = agreements[5]
        changed.rules = agreements[0].rules
        changed.events = agreements[0].events
        writes.append((changed.id, Self.stored(changed, "\"2\"")))
        for (index, (id, stored)) in writes.enumerated() {
            snapshot = snapshot.replacing(id, with: stored, revision: Int64(index + 1))
            expected[id] = stored
        }
        #expect(snapshot.derived.inheritedStates.count == 1)
        #expect(snapshot.derived.inheritedDeadlines.count == 1)
        let fresh = AgreementCatalog.Snapshot(Array(expected.values), revision: 0)
        let carriedStates = try await snapshot.states(asOf: asOf, work: work)
        #expect(try await carriedStates == fresh.states(asOf: asOf, work: work))
        let carried = try await snapshot.deadlines(from: from, to: to, work: work)
        #expect(!carried.isEmpty)
        #expect(try await carried == fresh.deadlines(from: from, to: to, work: work))
        #expect(snapshot.catalogTag == fresh.catalogTag)
        #expect(snapshot.catalogTag != untouchedTag)
    }
}
