import Foundation
import GRDB
import PactaCore
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
                [NewEvent(type: .signature, date: try CalendarDate(parsing: "1999-01-01"))], to: "a")
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
                [NewEvent(type: .signature, date: try CalendarDate(parsing: "1999-01-01"))], to: "b")
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

    @Test func aVersionTwoDatabaseGetsBareVersionsAndRevisions() async throws {
        try await SQLiteAgreementStoreTests.withTemporaryFile { path in
            let document = String(
                decoding: try JSONEncoder().encode(try SQLiteAgreementStoreTests.sample("old")), as: UTF8.self)
            do {
                let queue = try DatabaseQueue(path: path)
                var migrator = SQLiteAgreementStore.migrator
                migrator = migrator.disablingDeferredForeignKeyChecks()
                try migrator.migrate(queue, upTo: "v2")
                try await queue.write { db in
                    try db.execute(
                        sql: "INSERT INTO agreement (id, document, etag, createdAt, updatedAt) VALUES ('old', ?, '\"abc\"', 'x', 'x')",
                        arguments: [document])
                    try db.execute(
                        sql: "INSERT INTO audit (agreementId, at, action, etagAfter, changes) VALUES ('old', 'x', 'seed', '\"abc\"', '[]')")
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
