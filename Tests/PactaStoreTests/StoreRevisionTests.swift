import Foundation
import GRDB
import PactaCore
import Synchronization
import Testing

@testable import PactaStore

/// Every committed write has a revision greater than every earlier one, and a reader that saw revision R catches up
/// from `changes(after: R)` without missing a write.
@Suite struct StoreRevisionTests {
    @Test(arguments: StoreBackend.all) func everyWriteCommitsAtAHigherRevision(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            #expect(try await store.contents().revision == 0)
            let a = try await store.create(SQLiteAgreementStoreTests.sample("a"))
            let b = try await store.create(SQLiteAgreementStoreTests.sample("b"))
            let appended = try await store.appendEvents(
                [NewEvent(type: .signature, date: try CalendarDate(parsing: "1999-01-01"))],
                to: "a"
            )
            let deleted = try await store.delete(id: "b", expected: .any, audit: .system)
            #expect(a.revision < b.revision)
            #expect(b.revision < appended.stored.revision)
            #expect(appended.stored.revision < deleted)
            let contents = try await store.contents()
            #expect(contents.revision == deleted)
            #expect(contents.agreements.map(\.agreement.id) == ["a"])
            #expect(contents.agreements.first?.revision == appended.stored.revision)
            #expect(try await store.agreement(id: "a")?.revision == appended.stored.revision)
        }
    }

    @Test(arguments: StoreBackend.all) func changesAfterARevisionNameEachChangedAgreementOnceAsItStandsNow(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let a = try await store.create(SQLiteAgreementStoreTests.sample("a"))
            let seen = a.revision
            _ = try await store.create(SQLiteAgreementStoreTests.sample("b"))
            _ = try await store.create(SQLiteAgreementStoreTests.sample("c"))
            let appended = try await store.appendEvents(
                [NewEvent(type: .signature, date: try CalendarDate(parsing: "1999-01-01"))],
                to: "b"
            )
            let deleted = try await store.delete(id: "c", expected: .any, audit: .system)
            let changes = try await store.changes(after: seen, limit: 100)
            #expect(changes.map(\.id) == ["b", "c"])
            #expect(changes.map(\.revision) == [appended.stored.revision, deleted])
            #expect(changes[0].stored?.agreement.events.count == 1)
            #expect(changes[1].stored == nil)
            #expect(try await store.changes(after: deleted, limit: 100).isEmpty)
            #expect(try await store.changes(after: seen, limit: 1).map(\.id) == ["b"])
        }
    }

    @Test(arguments: StoreBackend.all) func aStaleExpectedVersionIsRefusedInsideTheWrite(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let first = try await store.create(SQLiteAgreementStoreTests.sample("a"))
            var renamed = first.agreement
            renamed.title = "Renamed"
            let second = try await store.replace(renamed, expected: .exactly(first.version))
            await #expect(throws: StoreError.versionMismatch(id: "a", current: second.version)) {
                try await store.replace(renamed, expected: .exactly(first.version))
            }
            _ = try await store.replace(renamed, expected: .oneOf([first.version, second.version]))
        }
    }

    /// The mark of a revision names the write committed at it (the one its audit record describes), the same each time
    /// it is asked, and no other write: not another revision's, and not another history's write at the same revision
    /// number (a database restored from an older backup and written again). No write, no mark.
    @Test(arguments: StoreBackend.all) func theMarkOfARevisionNamesTheWriteCommittedAtIt(backend: StoreBackend) async throws {
        var marksAtOne: [String] = []
        for title in ["Sample", "Another"] {
            try await backend.withStore { store in
                #expect(try await store.revisionMark(0) == nil)
                #expect(try await store.revisionMark(1) == nil)
                var first = try SQLiteAgreementStoreTests.sample("a")
                first.title = title
                let created = try await store.create(first)
                let other = try await store.create(SQLiteAgreementStoreTests.sample("other"))
                var renamed = created.agreement
                renamed.title = "Renamed"
                let replaced = try await store.replace(renamed)
                let deleted = try await store.delete(id: "other", expected: .any, audit: .system)
                let revisions = [created.revision, other.revision, replaced.revision, deleted]
                let marks = try await revisions.asyncMap { try await store.revisionMark($0) }
                #expect(marks.allSatisfy { $0 != nil && $0?.count == 64 }, "\(marks)")
                #expect(Set(marks).count == revisions.count, "each write has its own mark: \(marks)")
                // The write's audit record, read another way, gives the same mark; asking again too.
                let records = try await store.history(id: "a") + store.history(id: "other")
                for record in records {
                    #expect(try await store.revisionMark(Int64(record.sequence)) == record.revisionMark)
                }
                #expect(Set(records.map(\.sequence)) == Set(revisions.map(Int.init)))
                #expect(try await revisions.asyncMap { try await store.revisionMark($0) } == marks)
                #expect(try await store.revisionMark(deleted + 1) == nil)
                marksAtOne.append(try #require(marks[0]))
            }
        }
        // Revision 1 of each history: the same agreement created with another title (another version).
        #expect(marksAtOne.count == 2)
        #expect(marksAtOne.first != marksAtOne.last)
    }

    /// A reader that follows `changes(after:)` while eight writers commit never misses a write: were a lower
    /// revision committed after the reader had seen a higher one, the reader would move past it for good.
    @Test(arguments: StoreBackend.all) func aReaderFollowingChangesMissesNoWriteWhileWritersRun(
        backend: StoreBackend
    ) async throws {
        try await backend.withStore { store in
            let writersDone = WritersDone()
            let reader = Task {
                var seen: [String: Int64] = [:]
                var last: Int64 = 0
                while true {
                    let finished = writersDone.value
                    let changes = try await store.changes(after: last, limit: 1_000)
                    for change in changes {
                        #expect(change.revision > last, "changes come in revision order, after the last one seen")
                        last = change.revision
                        seen[change.id] = change.revision
                    }
                    // One more read after the writers have finished catches what committed meanwhile.
                    if finished && changes.isEmpty { return seen }
                }
            }
            let created = try await withThrowingTaskGroup(of: [String: Int64].self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        var revisions: [String: Int64] = [:]
                        for index in 0..<15 {
                            let id = "w\(writer)-\(index)"
                            revisions[id] = try await store.create(SQLiteAgreementStoreTests.sample(id)).revision
                        }
                        return revisions
                    }
                }
                return try await group.reduce(into: [:]) { $0.merge($1) { first, _ in first } }
            }
            writersDone.set()
            let seen = try await reader.value
            #expect(created.count == 120)
            let missed = created.filter { seen[$0.key] != $0.value }.keys.sorted()
            #expect(missed.isEmpty, "writes the reader never saw (or saw at another revision): \(missed)")
            #expect(seen.count == created.count)
        }
    }

    @Test func aVersionTwoDatabaseGetsBareVersionsAndRevisions() async throws {
        try await SQLiteAgreementStoreTests.withTemporaryFile { path in
            let document = String(
                decoding: try JSONEncoder().encode(try SQLiteAgreementStoreTests.sample("old")),
                as: UTF8.self
            )
            do {
                let queue = try DatabaseQueue(path: path)
                var migrator = SQLiteAgreementStore.migrator
                migrator = migrator.disablingDeferredForeignKeyChecks()
                try migrator.migrate(queue, upTo: "v2")
                try await queue.write { db in
                    try db.execute(
                        sql: "INSERT INTO agreement (id, document, etag, createdAt, updatedAt) VALUES ('old', ?, '\"abc\"', 'x', 'x')",
                        arguments: [document]
                    )
                    try db.execute(
                        sql: "INSERT INTO audit (agreementId, at, action, etagAfter, changes) VALUES ('old', 'x', 'seed', '\"abc\"', '[]')"
                    )
                }
            }
            let store = try SQLiteAgreementStore(path: path)
            let stored = try await store.agreement(id: "old")
            #expect(stored?.version == "abc")
            #expect(stored?.revision == 1)
            #expect(try await store.history(id: "old").first?.versionAfter == "abc")
            try await store.close()
        }
    }
}

extension Array {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}

/// Set once the writers of a test have all returned.
private final class WritersDone: Sendable {
    private let done = Mutex(false)
    var value: Bool { done.withLock { $0 } }
    func set() { done.withLock { $0 = true } }
}
