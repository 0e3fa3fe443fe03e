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
                                [NewEvent(type: .signature, date: date)],
                                to: id,
                                expected: .exactly(created.version),
                                check: { _, _ in }
                            )
                        )
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

    /// The catalog builds its lifecycle index in the background after a start and again after writes; every write
    /// is visible to the next read whether or not an index has caught up with it.
    @Test func theCatalogsIndexFollowsItsWrites() async throws {
        let store = try SQLiteAgreementStore.inMemory()
        let agreements = SyntheticAgreements.generate(count: 60, seed: 21)
        for agreement in agreements.prefix(30) { _ = try await store.create(agreement, audit: .current) }
        let catalog = try await AgreementCatalog(store: store, lifecycleThreads: 2)
        let work = HeavyWork(threads: 1, queueLimit: 8, budget: .seconds(60))
        let asOf = try CalendarDate(parsing: "2026-03-01")
        let from = try CalendarDate(parsing: "2026-01-01")
        let to = try CalendarDate(parsing: "2028-12-31")
        func engineAnswers() -> ([AgreementStatus.State], [Deadline]) {
            let ordered = catalog.snapshot.ordered.map(\.agreement)
            let deadlines = ordered.flatMap { DeadlineProjection.deadlines(for: $0, from: from, through: to) }
            return (ordered.map { RulesEngine.state(of: $0, asOf: asOf) }, deadlines.sorted { $0.sortKey < $1.sortKey })
        }
        try await catalog.waitForLifecycleIndex(withFewerChangesThan: 1)
        #expect(catalog.lifecyclesReady)
        // With no write queued on the index, a list filtered by state jumps from candidate to candidate and finds
        // what reading every agreement's state finds, pages and "more" included.
        let indexed = catalog.snapshot
        let reader = try #require(indexed.stateReader(asOf: asOf))
        let (statesBefore, _) = engineAnswers()
        for state in AgreementStatus.State.allCases {
            let filter = ListFilter(party: nil, tag: nil, text: nil, state: state)
            let candidates = try #require(reader.candidates(of: state))
            let wanted = statesBefore.indices.filter { statesBefore[$0] == state }
            let all = filter.scan(indexed.ordered, from: 0, limit: 1_000, state: reader.state(at:), candidates: candidates)
            #expect(all.positions.map(\.0) == wanted, "\(state)")
            let page = filter.scan(indexed.ordered, from: 1, limit: 2, state: reader.state(at:), candidates: candidates)
            #expect(page.positions.map(\.0) == Array(wanted.filter { $0 >= 1 }.prefix(2)), "\(state) from 1")
            #expect(page.hasMore == (wanted.filter { $0 >= 1 }.count > 2), "\(state) from 1")
        }
        #expect(Set(statesBefore).count > 1)
        for (index, agreement) in agreements.suffix(30).enumerated() {
            _ = try await catalog.create(agreement)
            if index % 3 == 0 { try await catalog.delete(id: agreements[index].id, expected: .any) }
            // Every write is visible to the very next read.
            let snapshot = catalog.snapshot
            let (states, deadlines) = engineAnswers()
            #expect(try await snapshot.states(asOf: asOf, work: work) == states)
            let reader = try #require(snapshot.stateReader(asOf: asOf))
            #expect(snapshot.ordered.indices.map(reader.state(at:)) == states)
            #expect(try await Array(snapshot.deadlines(from: from, to: to, work: work)) == deadlines)
        }
        try await catalog.waitForLifecycleIndex(withFewerChangesThan: AgreementCatalog.rebuildAfterWrites)
        let snapshot = catalog.snapshot
        let (states, deadlines) = engineAnswers()
        #expect(try await snapshot.states(asOf: asOf, work: work) == states)
        #expect(try await Array(snapshot.deadlines(from: from, to: to, work: work)) == deadlines)
    }

    /// A list filtered by a party visits only the positions held for that party (found in the background after the
    /// first ask), and finds what a pass over every agreement finds, pages and "more" included, before and after writes
    /// move the positions.
    @Test func aPartyListVisitsOnlyThePartysAgreements() async throws {
        let agreements = SyntheticAgreements.generate(count: 120, seed: 33)
        let asOf = try CalendarDate(parsing: "2031-07-01")
        let work = HeavyWork(threads: 1, queueLimit: 8, budget: .seconds(60))
        var snapshot = AgreementCatalog.Snapshot(agreements.prefix(80).map { Self.stored($0) }, revision: 0)
        let parties =
            Dictionary(grouping: agreements.flatMap { $0.parties.map(\.code) }, by: { $0 })
            .sorted { $0.value.count > $1.value.count }.prefix(4).map(\.key) + ["ZZ"]
        func check(_ snapshot: AgreementCatalog.Snapshot, _ label: String) async throws {
            let states = snapshot.ordered.map { RulesEngine.state(of: $0.agreement, asOf: asOf) }
            for party in parties {
                // The first ask starts the pass and answers nil: no request waits for it.
                #expect(snapshot.positions(listing: party, work: work) == nil, "\(label) \(party)")
                var held: [Int32]?
                for _ in 0..<500 where held == nil {
                    try await Task.sleep(for: .milliseconds(10))
                    held = snapshot.positions(listing: party, work: work)
                }
                let listed = try #require(held, "\(label) \(party): never held")
                let listing = snapshot.ordered.indices.filter { snapshot.ordered[$0].agreement.parties.contains { $0.code == party } }
                #expect(listed.map(Int.init) == listing, "\(label) \(party)")
                for state in [nil] + AgreementStatus.State.allCases {
                    let filter = ListFilter(party: party, tag: nil, text: nil, state: state)
                    for (start, limit) in [(0, 1_000), (1, 2), (40, 3)] {
                        let visiting = filter.scan(snapshot.ordered, from: start, limit: limit, state: { states[$0] }, listed: listed)
                        let passing = filter.scan(snapshot.ordered, from: start, limit: limit, state: { states[$0] })
                        #expect(
                            visiting.positions.map(\.0) == passing.positions.map(\.0),
                            "\(label) \(party) \(String(describing: state)) from \(start)"
                        )
                        #expect(visiting.hasMore == passing.hasMore)
                    }
                }
            }
        }
        try await check(snapshot, "as loaded")
        for (index, agreement) in agreements.suffix(40).enumerated() {
            snapshot = snapshot.replacing(agreement.id, with: Self.stored(agreement), revision: Int64(index + 1))
        }
        for agreement in agreements.prefix(80) where agreement.id.hasSuffix("7") {
            snapshot = snapshot.replacing(agreement.id, with: nil, revision: 100)
        }
        try await check(snapshot, "after writes")
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
        // The whole catalog's tag, kept by taking each write's old term out and putting its new one in, is the tag of
        // the same agreements loaded at once; and a write changes it.
        #expect(snapshot.catalogTag == fresh.catalogTag)
        let rewritten = snapshot.replacing(agreements[0].id, with: Self.stored(agreements[0], "\"9\""), revision: 999)
        #expect(rewritten.catalogTag != snapshot.catalogTag)
        #expect(rewritten.replacing(agreements[0].id, with: snapshot.byId[agreements[0].id], revision: 1_000).catalogTag == snapshot.catalogTag)
    }

    /// Answers from a lifecycle index with writes queued on it equal the engine's over the whole catalog.
    @Test func answersFromAnIndexWithWritesQueuedMatchTheEngine() async throws {
        let agreements = SyntheticAgreements.generate(count: 60, seed: 7)
        let asOf = try CalendarDate(parsing: "2025-06-01")
        let from = try CalendarDate(parsing: "2025-01-01")
        let to = try CalendarDate(parsing: "2027-12-31")
        let work = HeavyWork(threads: 1, queueLimit: 8, budget: .seconds(60))
        var snapshot = AgreementCatalog.Snapshot(agreements.prefix(40).map { Self.stored($0) }, revision: 0)
        let index = LifecycleBuilds.build(snapshot.ordered, reusing: nil, changed: [], threads: 2)
        snapshot.derived.lifecycles.withLock { $0 = .init(index: index, changes: []) }
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
        #expect(snapshot.derived.lifecycles.withLock { $0.index === index && $0.changes.count == writes.count })
        let fresh = AgreementCatalog.Snapshot(Array(expected.values), revision: 0)
        #expect(fresh.derived.lifecycles.withLock { $0.index == nil })
        let carriedStates = try await snapshot.states(asOf: asOf, work: work)
        #expect(try await carriedStates == fresh.states(asOf: asOf, work: work))
        let carried = try await Array(snapshot.deadlines(from: from, to: to, work: work))
        #expect(!carried.isEmpty)
        #expect(try await carried == Array(fresh.deadlines(from: from, to: to, work: work)))
        // Page by page (32 days one by one, then windows of 256 days …), with a cursor: the same deadlines in the same
        // order, whether the items are said by the caller (no filter) or by a filter on the compute pool.
        for filter: (@Sendable (Deadline) -> Bool)? in [nil, { _ in true }] {
            var paged: [Deadline] = []
            var after: Deadline.SortKey?
            while true {
                let page = try await snapshot.deadlinePage(from: from, to: to, after: after, limit: 7, filter: filter, work: work)
                paged += page.items
                after = page.items.last?.sortKey
                if !page.hasMore { break }
            }
            #expect(paged == carried)
        }
        #expect(try await snapshot.deadlineCount(from: from, to: to, work: work) == carried.count)
        // The index rebuilt for the written catalog, reusing the unchanged lifecycles, answers the same.
        let writtenIds = Set(writes.map(\.0))
        let rebuilt = LifecycleBuilds.build(
            snapshot.ordered,
            reusing: index,
            changed: writtenIds,
            threads: 1
        )
        #expect(rebuilt.states(on: asOf) == carriedStates)
        #expect(Array(rebuilt.window(from: from, through: to)) == carried)
        #expect(snapshot.catalogTag == fresh.catalogTag)
        #expect(snapshot.catalogTag != untouchedTag)
    }
}
