import Foundation
import PactaCore
import PactaPostgres
import Synchronization
import Testing

@testable import PactaStore

/// The event log of live feeds (the outbox), on every backend: each write records its events in its own
/// transaction, in sequence order; the scheduler's events are recorded once per dedupe key; pruning never makes a
/// sequence or an alert come back.
@Suite struct FeedEventStoreTests {
    /// A drafter that records what it was given and drafts one event per write.
    final class RecordingDrafter: FeedDrafting {
        let calls = Mutex<[(before: String?, after: String?)]>([])

        func drafts(before: StoredAgreement?, after: StoredAgreement?) -> [FeedEventDraft] {
            calls.withLock { $0.append((before?.version, after?.version)) }
            let id = after?.agreement.id ?? before?.agreement.id
            return [FeedEventDraft(type: "status.changed", agreementId: id, data: #"{"agreementId":"\#(id ?? "")"}"#)]
        }
    }

    final class Flag: Sendable {
        let value = Mutex(false)
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test(arguments: StoreBackend.all) func everyWriteRecordsItsEventInOrder(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            #expect(try await store.lastFeedSequence() == 0)
            let created = try await store.create(SQLiteAgreementStoreTests.sample("a"))
            var renamed = created.agreement
            renamed.title = "Renamed"
            let replaced = try await store.replace(renamed)
            let appended = try await store.appendEvents(
                [NewEvent(type: .signature, date: try CalendarDate(parsing: "1999-01-01"))],
                to: "a"
            )
            let deleted = try await store.delete(id: "a", expected: .any, audit: .system)
            let events = try await store.feedEvents(after: 0, limit: 100)
            #expect(events.map(\.type) == ["agreement.created", "agreement.updated", "events.appended", "agreement.deleted"])
            #expect(events.map(\.sequence) == [1, 2, 3, 4])
            #expect(try await store.lastFeedSequence() == 4)
            #expect(Set(events.map(\.id)).count == 4)
            #expect(events.allSatisfy { $0.id.hasPrefix("evt_") && $0.id.count == 30 && $0.agreementId == "a" })
            let data = try events.map { try Self.json($0.data) }
            #expect(
                data.map { $0["revision"] as? Int }
                    == [created.revision, replaced.revision, appended.stored.revision, deleted].map { Optional(Int($0)) }
            )
            #expect(data[0]["version"] as? String == created.version)
            #expect(data[1]["versionBefore"] as? String == created.version)
            #expect(data[2]["eventIds"] as? [String] == appended.events.map(\.id))
            #expect(data[3]["version"] == nil)
            #expect((data[0]["links"] as? [String: String])?["agreement"] == "/v1/agreements/a")
            // The payload is the envelope around the stored data, verbatim.
            let payload = try Self.json(events[0].payload)
            #expect(payload["type"] as? String == "agreement.created")
            #expect(payload["timestamp"] as? String == events[0].timestamp)
            #expect(events[0].payload.hasSuffix(",\"data\":\(events[0].data)}"))
            #expect(try await store.feedEvents(after: 2, limit: 1).map(\.sequence) == [3])
        }
    }

    @Test(arguments: StoreBackend.all) func aRefusedWriteRecordsNoEvent(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let created = try await store.create(SQLiteAgreementStoreTests.sample("a"))
            await #expect(throws: StoreError.self) {
                try await store.create(SQLiteAgreementStoreTests.sample("a"))
            }
            await #expect(throws: StoreError.self) {
                try await store.replace(created.agreement, expected: .exactly("stale"))
            }
            await #expect(throws: StoreError.self) {
                try await store.delete(id: "missing", expected: .any, audit: .system)
            }
            #expect(try await store.feedEvents(after: 0, limit: 100).map(\.type) == ["agreement.created"])
        }
    }

    @Test(arguments: StoreBackend.all) func theInjectedDrafterRecordsInTheSameWrite(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let drafter = RecordingDrafter()
            store.useFeedDrafting(drafter)
            let created = try await store.create(SQLiteAgreementStoreTests.sample("a"))
            var renamed = created.agreement
            renamed.title = "Renamed"
            let replaced = try await store.replace(renamed)
            try await store.delete(id: "a")
            let calls = drafter.calls.withLock { $0 }
            #expect(calls.map(\.before) == [nil, created.version, replaced.version])
            #expect(calls.map(\.after) == [created.version, replaced.version, nil])
            let events = try await store.feedEvents(after: 0, limit: 100)
            #expect(
                events.map(\.type) == [
                    "agreement.created", "status.changed", "agreement.updated", "status.changed", "agreement.deleted",
                    "status.changed",
                ]
            )
            // Each write's events share its commit timestamp.
            #expect(events[0].timestamp == events[1].timestamp)
            store.useFeedDrafting(nil)
            _ = try await store.create(SQLiteAgreementStoreTests.sample("b"))
            #expect(try await store.feedEvents(after: 6, limit: 100).map(\.type) == ["agreement.created"])
        }
    }

    @Test(arguments: StoreBackend.all) func aDedupeKeyIsRecordedOnceEvenAfterPruning(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let alert = FeedEventDraft(
                type: "deadline.approaching",
                agreementId: "a",
                data: #"{"agreementId":"a"}"#,
                dedupeKey: "deadline.approaching:a:renewal::2030-01-01:30"
            )
            let other = FeedEventDraft(type: "deadline.passed", agreementId: "a", data: "{}", dedupeKey: "k2")
            let first = try await store.recordFeedEvents([alert, alert, other])
            #expect(first.map(\.type) == ["deadline.approaching", "deadline.passed"])
            #expect(first.map(\.sequence) == [1, 2])
            #expect(try await store.recordFeedEvents([alert, other]).isEmpty)
            // Pruned: the events go, the keys stay, and sequences are never handed out again.
            let future = "9999-01-01T00:00:00Z"
            #expect(try await store.pruneFeedEvents(before: "2000-01-01T00:00:00Z") == 0)
            #expect(try await store.pruneFeedEvents(before: future) == 2)
            #expect(try await store.feedEvents(after: 0, limit: 10).isEmpty)
            #expect(try await store.recordFeedEvents([alert]).isEmpty)
            #expect(try await store.lastFeedSequence() == 2)
            let created = try await store.create(SQLiteAgreementStoreTests.sample("a"))
            _ = created
            #expect(try await store.feedEvents(after: 0, limit: 10).map(\.sequence) == [3])
            // Without a key, nothing is deduplicated.
            let plain = FeedEventDraft(type: "deadline.passed", agreementId: nil, data: "{}")
            #expect(try await store.recordFeedEvents([plain, plain]).map(\.sequence) == [4, 5])
        }
    }

    @Test(arguments: StoreBackend.all) func recordedEventsAreSignalled(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let subscription = store.changeSignals()
            let (ready, isReady) = AsyncStream.makeStream(of: Void.self)
            let heard = Task {
                var committed = 0
                for await signal in subscription.signals {
                    switch signal {
                    case .catchUp: isReady.yield()
                    case .committed: committed += 1
                    case .interrupted: break
                    }
                    if committed == 2 { return true }
                }
                return false
            }
            // PostgreSQL hears of commits once its LISTEN is established.
            for await _ in ready { break }
            _ = try await store.create(SQLiteAgreementStoreTests.sample("a"))
            _ = try await store.recordFeedEvents([FeedEventDraft(type: "deadline.passed", agreementId: "a", data: "{}")])
            let outcome = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask { await heard.value }
                group.addTask {
                    try await Task.sleep(for: .seconds(10))
                    return false
                }
                let first = try await group.next() ?? false
                group.cancelAll()
                heard.cancel()
                return first
            }
            #expect(outcome, "a write and a scheduler record each signal the readers")
        }
    }

    @Test(arguments: StoreBackend.all) func theSchedulerLockRunsTheBody(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let ran = Flag()
            let didRun = try await store.withFeedSchedulerLock { ran.value.withLock { $0 = true } }
            #expect(didRun)
            #expect(ran.value.withLock { $0 })
        }
    }

    /// Two replicas: while one holds the scheduler lock, the other's scan does not run.
    @Test(.enabled(if: StoreBackend.postgresURL != nil)) func onPostgreSQLOneReplicaScansAtATime() async throws {
        try await PostgresTestSchema.with { url, schema in
            let a = try await PostgresAgreementStore.open(url: url, searchPath: schema)
            let b = try await PostgresAgreementStore.open(url: url, searchPath: schema)
            let (entered, enter) = AsyncStream.makeStream(of: Void.self)
            let (release, releaseNow) = AsyncStream.makeStream(of: Void.self)
            let holder = Task {
                try await a.withFeedSchedulerLock {
                    enter.yield()
                    for await _ in release { break }
                }
            }
            for await _ in entered { break }
            let whileHeld = try await b.withFeedSchedulerLock {}
            #expect(!whileHeld)
            releaseNow.yield()
            let held = try await holder.value
            #expect(held)
            let afterwards = try await b.withFeedSchedulerLock {}
            #expect(afterwards)
            try await a.close()
            try await b.close()
        }
    }

    @Test func eventIdsAreUniqueAndWellFormed() {
        let ids = (0..<2_000).map { _ in FeedEventID.make() }
        #expect(Set(ids).count == ids.count)
        let alphabet = Set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        #expect(ids.allSatisfy { $0.hasPrefix("evt_") && $0.count == 30 && $0.dropFirst(4).allSatisfy(alphabet.contains) })
    }

    @Test func thePayloadEscapesItsStrings() throws {
        let event = FeedEvent(sequence: 1, id: "evt_x", type: "a\"b", agreementId: nil, timestamp: "t", data: #"{"k":1}"#)
        let payload = try Self.json(event.payload)
        #expect(payload["type"] as? String == "a\"b")
        #expect((payload["data"] as? [String: Int])?["k"] == 1)
    }
}
