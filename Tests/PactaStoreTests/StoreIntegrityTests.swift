import Foundation
import PactaCore
import Testing

@testable import PactaStore

/// The record's invariants hold inside each write, against the row as it is then, whatever the caller read.
@Suite struct StoreIntegrityTests {
    static let day = try! CalendarDate(parsing: "2020-01-01")

    @Test(arguments: StoreBackend.all) func concurrentAppendsNeverShareAnEventId(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            _ = try await store.create(SQLiteAgreementStoreTests.sample())
            let drafts = [NewEvent(type: .signature, date: Self.day)]
            let ids = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<64 {
                    group.addTask { try await store.appendEvents(drafts, to: "sample").events.map(\.id) }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            let stored = try #require(try await store.agreement(id: "sample"))
            #expect(ids.count == 64)
            #expect(Set(ids).count == 64)
            #expect(Set(stored.agreement.events.map(\.id)) == Set(ids))
        }
    }

    @Test(arguments: StoreBackend.all) func theCheckSeesTheRecordAsItIsInsideTheWrite(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            _ = try await store.create(SQLiteAgreementStoreTests.sample())
            _ = try await store.appendEvents([NewEvent(type: .signature, date: Self.day)], to: "sample")
            let seen = try await store.appendEvents(
                [NewEvent(type: .signature, date: Self.day)],
                to: "sample",
                expected: .any,
                audit: .system
            ) { proposed, firstNew in
                #expect(firstNew == 1)
                #expect(proposed.events.map(\.id) == ["e1", "e2"])
            }
            #expect(seen.events.map(\.id) == ["e2"])
            await #expect(throws: StoreError.invalid([])) {
                try await store.appendEvents(
                    [NewEvent(type: .signature, date: Self.day)],
                    to: "sample",
                    expected: .any,
                    audit: .system
                ) { _, _ in throw StoreError.invalid([]) }
            }
            #expect(try await store.agreement(id: "sample")?.agreement.events.count == 2)
        }
    }

    @Test(arguments: StoreBackend.all) func aReplacementThatDropsOrChangesARecordedEventIsRefusedEvenWithIfMatchStar(
        backend: StoreBackend
    ) async throws {
        try await backend.withStore { store in
            _ = try await store.create(SQLiteAgreementStoreTests.sample())
            let appended = try await store.appendEvents([NewEvent(type: .signature, date: Self.day)], to: "sample")
            var dropped = appended.stored.agreement
            dropped.events = []
            await #expect(throws: StoreError.self) { try await store.replace(dropped, expected: .any) }
            var changed = appended.stored.agreement
            changed.events[0].date = .minimum
            await #expect(throws: StoreError.self) { try await store.replace(changed) }
            var extended = appended.stored.agreement
            extended.events.append(Event(id: "later", type: .signature, date: Self.day))
            _ = try await store.replace(extended, expected: .any)
            #expect(try await store.agreement(id: "sample")?.agreement.events.map(\.id) == ["e1", "later"])
            #expect(try await store.history(id: "sample").count == 3)
        }
    }

    @Test func aFileRemovedUnderTheStoreRefusesWritesAndIsNotReady() async throws {
        try await SQLiteAgreementStoreTests.withTemporaryFile { path in
            let store = try SQLiteAgreementStore(path: path)
            _ = try await store.create(SQLiteAgreementStoreTests.sample())
            try await store.checkWritable()
            try FileManager.default.removeItem(atPath: path)
            await #expect(throws: StoreError.self) { try await store.create(SQLiteAgreementStoreTests.sample("other")) }
            try await Task.sleep(for: .milliseconds(1_100))
            await #expect(throws: StoreError.self) { try await store.checkWritable() }
        }
    }

    @Test func aFileReplacedUnderTheStoreRefusesWrites() async throws {
        try await SQLiteAgreementStoreTests.withTemporaryFile { path in
            let store = try SQLiteAgreementStore(path: path)
            _ = try await store.create(SQLiteAgreementStoreTests.sample())
            let moved = path + ".old"
            try FileManager.default.moveItem(atPath: path, toPath: moved)
            try Data("not a database".utf8).write(to: URL(fileURLWithPath: path))
            await #expect(throws: StoreError.self) { try await store.create(SQLiteAgreementStoreTests.sample("other")) }
        }
    }

    @Test func aFullDatabaseAnswersUnavailableNotAnInternalError() async throws {
        try await SQLiteAgreementStoreTests.withTemporaryFile { path in
            let store = try SQLiteAgreementStore(path: path)
            try await store.limitPageCountForTesting()
            var big = try SQLiteAgreementStoreTests.sample()
            big.summary = String(repeating: "x", count: 200_000)
            do {
                _ = try await store.create(big)
                Issue.record("a write into a full database was acknowledged")
            } catch let error as StoreError {
                guard case .unavailable = error else { throw error }
            }
        }
    }

    @Test(arguments: StoreBackend.all) func closingWaitsForOperationsInFlightAndRefusesLaterOnes(
        backend: StoreBackend
    ) async throws {
        try await backend.withStore { store in
            _ = try await store.create(SQLiteAgreementStoreTests.sample())
            let inFlight = Task { try await store.appendEvents([NewEvent(type: .signature, date: Self.day)], to: "sample") }
            try await store.close()
            // Whether it ran before the close began or was refused, it never touches a closed database.
            do {
                _ = try await inFlight.value
            } catch let error as StoreError {
                guard case .unavailable = error else { throw error }
            }
            await #expect(throws: StoreError.self) { try await store.agreement(id: "sample") }
        }
    }

    /// Optimistic concurrency: of writers that all read the same version, exactly one commits.
    @Test(arguments: StoreBackend.all) func parallelAppendsExpectingTheSameVersionLetExactlyOneThrough(
        backend: StoreBackend
    ) async throws {
        try await backend.withStore { store in
            let created = try await store.create(SQLiteAgreementStoreTests.sample())
            let outcomes = await withTaskGroup(of: Result<String, any Error>.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        do {
                            let appended = try await store.appendEvents(
                                [NewEvent(type: .signature, date: Self.day)],
                                to: "sample",
                                expected: .exactly(created.version)
                            )
                            return .success(appended.stored.version)
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let winners = outcomes.compactMap { try? $0.get() }
            #expect(winners.count == 1)
            for case .failure(let error) in outcomes {
                #expect(error as? StoreError == .versionMismatch(id: "sample", current: winners.first ?? ""))
            }
            let stored = try #require(try await store.agreement(id: "sample"))
            #expect(stored.agreement.events.map(\.id) == ["e1"])
            #expect(try await store.history(id: "sample").count == 2)
        }
    }

    @Test(arguments: StoreBackend.all) func fiftyConcurrentAppendsGetDistinctIdsAndNoneIsLost(
        backend: StoreBackend
    ) async throws {
        try await backend.withStore { store in
            _ = try await store.create(SQLiteAgreementStoreTests.sample())
            let revisions = try await withThrowingTaskGroup(of: (String, Int64).self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let appended = try await store.appendEvents([NewEvent(type: .signature, date: Self.day)], to: "sample")
                        return (try #require(appended.events.first?.id), appended.stored.revision)
                    }
                }
                return try await group.reduce(into: [(String, Int64)]()) { $0.append($1) }
            }
            let ids = revisions.map(\.0)
            #expect(Set(ids).count == 50)
            #expect(Set(revisions.map(\.1)).count == 50, "every write has its own revision")
            let stored = try #require(try await store.agreement(id: "sample"))
            #expect(Set(stored.agreement.events.map(\.id)) == Set(ids))
            #expect(stored.agreement.events.count == 50)
            #expect(stored.revision == revisions.map(\.1).max())
            let changes = try await store.changes(after: 0, limit: 100)
            #expect(changes.map(\.revision) == [stored.revision])
        }
    }
}
