import Foundation
import PactaCore
import PactaPostgres
import PactaStore
import PostgresNIO
import Testing

@testable import PactaServer

/// Several catalogs over one database, as several servers behind a load balancer: each learns of the others' writes
/// through the store's change signals and applies them without losing or repeating one.
@Suite struct ReplicaTests {
    static let postgresURL: String? = {
        guard let text = ProcessInfo.processInfo.environment["PACTA_TEST_DATABASE_URL"], !text.isEmpty else { return nil }
        return text
    }()

    /// The catalog's agreements as comparable rows.
    static func rows(_ agreements: [StoredAgreement]) -> [String] {
        agreements.map { "\($0.agreement.id) \($0.version) \($0.revision)" }
    }

    /// How long `condition` took to hold, polled every millisecond; nil when it did not within `limit`.
    static func timeUntil(within limit: Duration = .seconds(10), _ condition: () -> Bool) async -> Duration? {
        let clock = ContinuousClock()
        let start = clock.now
        while clock.now - start < limit {
            if condition() { return clock.now - start }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return nil
    }

    struct TimedOut: Error, CustomStringConvertible {
        let condition: String
        var description: String { "timed out waiting for \(condition)" }
    }

    /// How long `condition` took to hold; throws when it did not within `limit` (ten seconds).
    static func waitFor(_ what: String, within limit: Duration = .seconds(10), _ condition: () -> Bool) async throws -> Duration {
        guard let elapsed = await timeUntil(within: limit, condition) else { throw TimedOut(condition: what) }
        return elapsed
    }

    /// Appends `count` events through `catalog`, every fourth to `other`; returns those appended to `id`.
    static func appendMany(
        through catalog: AgreementCatalog,
        to id: String,
        interleaving other: String,
        count: Int
    ) async throws -> [Event] {
        let date = try CalendarDate(parsing: "2020-01-01")
        var events: [Event] = []
        for index in 0..<count {
            let target = index % 4 == 3 ? other : id
            let result = try await catalog.appendEvents(
                [NewEvent(type: .signature, date: date)],
                to: target,
                expected: .any,
                check: { _, _ in }
            )
            if target == id { events += result.events }
        }
        return events
    }

    /// One process alone on SQLite: the follower, ticking fast, finds nothing to apply (the catalog applied its own
    /// writes), so the snapshot is never replaced behind the writes' backs and still equals the store.
    @Test func theFollowerChangesNothingForASingleProcess() async throws {
        let store = try SQLiteAgreementStore.inMemory()
        let catalog = try await AgreementCatalog(store: store, followInterval: .milliseconds(10))
        #expect(catalog.isCaughtUp)
        let agreements = SyntheticAgreements.generate(count: 3, seed: 5)
        for agreement in agreements { _ = try await catalog.create(agreement) }
        let date = try CalendarDate(parsing: "2020-01-01")
        _ = try await catalog.appendEvents(
            [NewEvent(type: .signature, date: date)],
            to: agreements[0].id,
            expected: .any,
            check: { _, _ in }
        )
        try await catalog.delete(id: agreements[1].id, expected: .any)
        let generation = catalog.snapshot.generation
        #expect(generation == 5)
        try await Task.sleep(for: .milliseconds(200))
        #expect(catalog.snapshot.generation == generation)
        let contents = try await store.contents()
        #expect(catalog.followedRevision == contents.revision)
        #expect(catalog.snapshot.revision == contents.revision)
        #expect(Self.rows(catalog.snapshot.ordered) == Self.rows(contents.agreements))
        #expect(catalog.isCaughtUp)
        await catalog.stopFollowing()
        try await store.close()
    }

    /// Another writer's change committed before this catalog's own later write: the snapshot already stands at the
    /// later revision, yet the earlier change is applied (not skipped), the own write is not applied again, and the
    /// snapshot's generation moves though its revision does not (so no cached answer outlives the change). Two
    /// catalogs over one SQLite store stand for two servers; B's follower is stopped and driven by hand.
    @Test func anotherWritersEarlierChangeIsAppliedAfterTheCatalogsOwnLaterWrite() async throws {
        let store = try SQLiteAgreementStore.inMemory()
        let a = try await AgreementCatalog(store: store, followInterval: .seconds(60))
        let b = try await AgreementCatalog(store: store, followInterval: .seconds(60))
        await b.stopFollowing()
        let agreements = SyntheticAgreements.generate(count: 2, seed: 44)
        let theirs = try await a.create(agreements[0])
        let ours = try await b.create(agreements[1])
        #expect(theirs.revision == 1 && ours.revision == 2)
        // Revision 1 is not in B yet, so B must still read everything after 0.
        #expect(b.followedRevision == 0)
        #expect(b.snapshot.revision == 2)
        let generation = b.snapshot.generation
        #expect(await b.catchUp())
        #expect(b.snapshot.byId[theirs.agreement.id] == theirs)
        #expect(b.snapshot.byId[ours.agreement.id] == ours)
        #expect(b.snapshot.revision == 2)
        #expect(b.snapshot.generation == generation + 1)
        #expect(b.followedRevision == 2)
        #expect(await b.catchUp())
        #expect(b.snapshot.generation == generation + 1)
        #expect(Self.rows(b.snapshot.ordered) == Self.rows(try await store.contents().agreements))
        await a.stopFollowing()
        try await store.close()
    }

    // MARK: PostgreSQL

    /// Two stores (two servers' connection pools) on one fresh schema, their catalogs following slowly on their own
    /// (once a minute), so that whatever arrives sooner came through the store's signals.
    static func withReplicas(
        _ body: (
            _ a: (store: PostgresAgreementStore, catalog: AgreementCatalog),
            _ b: (store: PostgresAgreementStore, catalog: AgreementCatalog),
            _ url: PostgresURL
        ) async throws -> Void
    ) async throws {
        let url = try PostgresURL(try #require(postgresURL))
        let schema = "pacta_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let admin = PostgresClient(configuration: url.clientConfiguration())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await admin.run() }
            defer { group.cancelAll() }
            try await admin.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"))
            // B waits a second before listening again after losing its connection: long enough, even on a loaded
            // machine, for a write to land in between, which only its catch-up can then bring.
            let storeA = try await PostgresAgreementStore.open(url: url, searchPath: schema)
            let storeB = try await PostgresAgreementStore.open(url: url, searchPath: schema, listenRetryPause: .seconds(1))
            var failure: (any Error)?
            do {
                let catalogA = try await AgreementCatalog(store: storeA, followInterval: .seconds(60))
                let catalogB = try await AgreementCatalog(store: storeB, followInterval: .seconds(60))
                do {
                    try await body((storeA, catalogA), (storeB, catalogB), url)
                } catch { failure = error }
                await catalogA.stopFollowing()
                await catalogB.stopFollowing()
            } catch { failure = error }
            try? await storeA.close()
            try? await storeB.close()
            _ = try? await admin.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(schema) CASCADE"))
            if let failure { throw failure }
        }
    }

    static func milliseconds(_ duration: Duration) -> String {
        String(format: "%.1f ms", Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1e3)
    }

    /// A create, an append, a replacement and a deletion through A each reach B's snapshot, at the revision A's
    /// write committed at, within a bounded time (the observed lag is printed).
    @Test(.enabled(if: postgresURL != nil)) func writesThroughOneReplicaReachTheOther() async throws {
        try await Self.withReplicas { a, b, _ in
            #expect(a.catalog.isCaughtUp && b.catalog.isCaughtUp)
            var lags: [String: Duration] = [:]
            let agreement = SyntheticAgreements.generate(count: 1, seed: 77)[0]
            let id = agreement.id

            let created = try await a.catalog.create(agreement)
            lags["create"] = try await Self.waitFor("B to hold the created agreement") { b.catalog.snapshot.byId[id] == created }

            let appended = try await a.catalog.appendEvents(
                [NewEvent(type: .signature, date: try CalendarDate(parsing: "2020-01-01"))],
                to: id,
                expected: .exactly(created.version),
                check: { _, _ in }
            )
            lags["append"] = try await Self.waitFor("B to hold the appended events") { b.catalog.snapshot.byId[id] == appended.stored }
            #expect(b.catalog.snapshot.byId[id]?.agreement.events.map(\.id) == appended.stored.agreement.events.map(\.id))

            try await a.catalog.delete(id: id, expected: .exactly(appended.stored.version))
            lags["delete"] = try await Self.waitFor("B to drop the deleted agreement") { b.catalog.snapshot.byId[id] == nil }

            let contents = try await a.store.contents()
            #expect(b.catalog.snapshot.revision == contents.revision)
            #expect(b.catalog.followedRevision == contents.revision)
            // Every bound far below the minute the catalogs wait before reading unsignalled.
            for (write, lag) in lags { #expect(lag < .seconds(5), "\(write) took \(lag)") }
            print(
                "replica lag (PostgreSQL LISTEN/NOTIFY): "
                    + lags.sorted { $0.key < $1.key }.map { "\($0.key) \(Self.milliseconds($0.value))" }
                    .joined(separator: ", ")
            )
        }
    }

    /// Appends to one agreement through A and B at once: the store serializes them, so every event gets its own id,
    /// and both catalogs end with exactly the store's contents.
    @Test(.enabled(if: postgresURL != nil)) func concurrentAppendsThroughBothReplicasConverge() async throws {
        try await Self.withReplicas { a, b, _ in
            let agreements = SyntheticAgreements.generate(count: 2, seed: 31)
            for agreement in agreements { _ = try await a.catalog.create(agreement) }
            let id = agreements[0].id
            let other = agreements[1].id
            _ = try await Self.waitFor("B to hold the agreement") { b.catalog.snapshot.byId[id] != nil }
            let before = try #require(b.catalog.snapshot.byId[id]).agreement.events.count
            // Writes to a second agreement interleave, so the revisions each catalog applies arrive out of turn.
            let catalogA = a.catalog
            let catalogB = b.catalog
            async let fromA = Self.appendMany(through: catalogA, to: id, interleaving: other, count: 20)
            async let fromB = Self.appendMany(through: catalogB, to: id, interleaving: other, count: 20)
            let appended = try await fromA + fromB
            let appendedIds = appended.map(\.id)
            #expect(Set(appendedIds).count == appendedIds.count)
            let contents = try await a.store.contents()
            let expected = Self.rows(contents.agreements)
            let converged = await Self.timeUntil {
                Self.rows(a.catalog.snapshot.ordered) == expected && Self.rows(b.catalog.snapshot.ordered) == expected
            }
            #expect(converged != nil, "A: \(Self.rows(a.catalog.snapshot.ordered)), B: \(Self.rows(b.catalog.snapshot.ordered)), store: \(expected)")
            let stored = try #require(contents.agreements.first { $0.agreement.id == id })
            #expect(stored.agreement.events.count == before + appendedIds.count)
            #expect(Set(stored.agreement.events.map(\.id)).isSuperset(of: appendedIds))
            #expect(a.catalog.snapshot.byId[id]?.agreement == stored.agreement)
            #expect(b.catalog.snapshot.byId[id]?.agreement == stored.agreement)
        }
    }

    /// B's listening connection is cut: B is not caught up (so not ready) until it has listened again and read what A
    /// wrote meanwhile; a write it could only have heard of through that catch-up is in its snapshot when it is.
    @Test(.enabled(if: postgresURL != nil)) func aReplicaIsNotReadyUntilItCatchesUpAfterLosingItsFeed() async throws {
        try await Self.withReplicas { a, b, url in
            #expect(b.catalog.isCaughtUp)
            let agreements = SyntheticAgreements.generate(count: 2, seed: 12)
            let listener = try #require(b.store.listenerProcessID)
            let admin = PostgresClient(configuration: url.clientConfiguration())
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await admin.run() }
                defer { group.cancelAll() }
                try await admin.query("SELECT pg_terminate_backend(\(listener))")
            }
            _ = try await Self.waitFor("B to lose its feed") { !b.catalog.isCaughtUp }
            let missed = try await a.catalog.create(agreements[0])
            // Written before B listens again: only the catch-up can bring it.
            try #require(b.store.listenerProcessID == nil)
            #expect(b.catalog.snapshot.byId[missed.agreement.id] == nil)
            let recovery = try await Self.waitFor("B to catch up") { b.catalog.isCaughtUp }
            #expect(b.catalog.snapshot.byId[missed.agreement.id] == missed)
            #expect(try #require(b.store.listenerProcessID) != listener)
            // And the new connection hears the next write.
            let heard = try await a.catalog.create(agreements[1])
            _ = try await Self.waitFor("B to hear the next write") { b.catalog.snapshot.byId[heard.agreement.id] == heard }
            print("replica recovery after a lost LISTEN connection: \(Self.milliseconds(recovery))")
        }
    }
}
