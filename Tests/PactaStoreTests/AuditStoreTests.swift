import Foundation
import GRDB
import PactaCore
import Testing

@testable import PactaStore

@Suite struct AuditStoreTests {
    let alice = AuditContext(actor: "alice", requestId: "req-1")

    @Test(arguments: StoreBackend.all) func everyWriteIsRecordedWithWhoWhichRequestAndWhatChanged(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let created = try await store.create(SQLiteAgreementStoreTests.sample(), audit: alice)
            let event = NewEvent(id: "e1", type: .signature, date: try CalendarDate(parsing: "1999-12-01"))
            let appended = try await store.appendEvents([event], to: "sample", expected: .any, audit: alice, check: { _, _ in })
            var renamed = appended.stored.agreement
            renamed.title = "Renamed"
            let replaced = try await store.replace(
                renamed,
                expected: .exactly(appended.stored.version),
                audit: AuditContext(actor: "bob", requestId: "req-3")
            )
            try await store.delete(id: "sample", expected: .any, audit: alice)

            let history = try await store.history(id: "sample")
            #expect(history.map(\.action) == [.create, .appendEvents, .replace, .delete])
            #expect(history.map(\.actor) == ["alice", "alice", "bob", "alice"])
            #expect(history.map(\.requestId) == ["req-1", "req-1", "req-3", "req-1"])
            #expect(history.map(\.versionAfter) == [created.version, appended.stored.version, replaced.version, nil])
            #expect(history.map(\.versionBefore) == [nil, created.version, appended.stored.version, replaced.version])
            #expect(history[0].changes == [AuditChange(op: .add, path: "")])
            #expect(history[1].changes == [AuditChange(op: .add, path: "/events/0")])
            #expect(history[2].changes == [AuditChange(op: .replace, path: "/title")])
            #expect(history[3].changes == [AuditChange(op: .remove, path: "")])
            #expect(history.map(\.sequence) == history.map(\.sequence).sorted())
        }
    }

    @Test(arguments: StoreBackend.all) func aFailedWriteRecordsNothing(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let created = try await store.create(SQLiteAgreementStoreTests.sample(), audit: alice)
            await #expect(throws: StoreError.self) { try await store.create(SQLiteAgreementStoreTests.sample(), audit: alice) }
            await #expect(throws: StoreError.self) {
                try await store.delete(id: "sample", expected: .exactly("stale"), audit: alice)
            }
            #expect(try await store.history(id: "sample").map(\.versionAfter) == [created.version])
        }
    }

    @Test(arguments: StoreBackend.all) func aRuleChangeIsReportedByRule(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            var agreement = try SQLiteAgreementStoreTests.sample()
            _ = try await store.create(agreement, audit: alice)
            agreement.rules.term = .init(kind: .fixed, length: try Period(parsing: "P1Y"))
            _ = try await store.replace(agreement, expected: .any, audit: alice)
            #expect(try await store.history(id: "sample").last?.changes == [AuditChange(op: .replace, path: "/rules/term")])
        }
    }

    @Test(arguments: StoreBackend.all) func seedingIsRecordedAsTheServersOwnWrite(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            #expect(try await store.seedIfNeeded([SQLiteAgreementStoreTests.sample()]) == 1)
            let history = try await store.history(id: "sample")
            #expect(history.map(\.action) == [.seed])
            #expect(history.first?.actor == nil)
        }
    }

    @Test func aVersionOneDatabaseIsMigratedInPlace() async throws {
        try await SQLiteAgreementStoreTests.withTemporaryFile { path in
            do {
                let queue = try DatabaseQueue(path: path)
                var v1 = DatabaseMigrator()
                v1.registerMigration("v1") { db in
                    try db.execute(
                        sql:
                            "CREATE TABLE agreement (id TEXT PRIMARY KEY, document TEXT NOT NULL, etag TEXT NOT NULL, createdAt TEXT NOT NULL, updatedAt TEXT NOT NULL)"
                    )
                    try db.execute(
                        sql: "CREATE TABLE token (name TEXT PRIMARY KEY, hash BLOB NOT NULL UNIQUE, createdAt TEXT NOT NULL, revokedAt TEXT)"
                    )
                    try db.execute(sql: "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                }
                try v1.migrate(queue)
            }
            let store = try SQLiteAgreementStore(path: path)
            _ = try await store.create(SQLiteAgreementStoreTests.sample(), audit: alice)
            #expect(try await store.history(id: "sample").count == 1)
            #expect(try await store.integrityCheck() == "ok")
            try await store.close()
        }
    }
}
