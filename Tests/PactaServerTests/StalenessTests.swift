import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PactaCore
import PactaStore
import Synchronization
import Testing

@testable import PactaServer

/// An SQLite store standing for a shared database whose change feed and reads the test controls: it can lose its feed
/// (as a PostgreSQL store does when its listening connection drops) and fail its reads (the database unreachable),
/// while writes made on `inner` directly stand for another server's.
final class ControlledFeedStore: AgreementStore {
    let inner: SQLiteAgreementStore
    let feed = StoreChangeSignals(established: true)
    let readsFail = Atomic<Bool>(false)

    init(_ inner: SQLiteAgreementStore) { self.inner = inner }

    private func read() throws {
        if readsFail.load(ordering: .acquiring) { throw StoreError.unavailable(reason: "the test cut the database off") }
    }

    func checkWritable() async throws {
        try read()
        try await inner.checkWritable()
    }
    func close() async throws {
        feed.finish()
        try await inner.close()
    }
    func contents() async throws -> StoreContents {
        try read()
        return try await inner.contents()
    }
    func changes(after revision: Int64, limit: Int) async throws -> [StoreChange] {
        try read()
        return try await inner.changes(after: revision, limit: limit)
    }
    func changeSignals() -> StoreChangeSubscription { feed.subscribe() }
    func agreement(id: String) async throws -> StoredAgreement? { try await inner.agreement(id: id) }
    func create(_ agreement: Agreement, audit: AuditContext) async throws -> StoredAgreement {
        try await inner.create(agreement, audit: audit)
    }
    func replace(_ agreement: Agreement, expected: ExpectedVersion, audit: AuditContext) async throws -> StoredAgreement {
        try await inner.replace(agreement, expected: expected, audit: audit)
    }
    func delete(id: String, expected: ExpectedVersion, audit: AuditContext) async throws -> Int64 {
        try await inner.delete(id: id, expected: expected, audit: audit)
    }
    func appendEvents(
        _ drafts: [NewEvent],
        to id: String,
        expected: ExpectedVersion,
        audit: AuditContext,
        check: @escaping AppendCheck
    ) async throws -> AppendedEvents {
        try await inner.appendEvents(drafts, to: id, expected: expected, audit: audit, check: check)
    }
    func revisionMark(_ revision: Int64) async throws -> String? {
        try read()
        return try await inner.revisionMark(revision)
    }
    func history(id: String, after: Int?, limit: Int) async throws -> [AuditRecord] {
        try await inner.history(id: id, after: after, limit: limit)
    }
    func seedIfNeeded(_ agreements: [Agreement]) async throws -> Int { try await inner.seedIfNeeded(agreements) }
    func createToken(name: String, hash: [UInt8]) async throws { try await inner.createToken(name: name, hash: hash) }
    func tokenName(hash: [UInt8]) async throws -> String? { try await inner.tokenName(hash: hash) }
    func tokens() async throws -> [TokenRecord] { try await inner.tokens() }
    func revokeToken(name: String) async throws -> Bool { try await inner.revokeToken(name: name) }

    // The event log and webhooks, as the inner store has them.
    func useFeedDrafting(_ drafting: (any FeedDrafting)?) { inner.useFeedDrafting(drafting) }
    func feedEvents(after sequence: Int64, limit: Int) async throws -> [FeedEvent] {
        try await inner.feedEvents(after: sequence, limit: limit)
    }
    func lastFeedSequence() async throws -> Int64 { try await inner.lastFeedSequence() }
    func recordFeedEvents(_ drafts: [FeedEventDraft]) async throws -> [FeedEvent] { try await inner.recordFeedEvents(drafts) }
    func pruneFeedEvents(before timestamp: String) async throws -> Int { try await inner.pruneFeedEvents(before: timestamp) }
    func withFeedSchedulerLock(_ body: @escaping @Sendable () async throws -> Void) async throws -> Bool {
        try await inner.withFeedSchedulerLock(body)
    }
    func createWebhook(_ new: NewWebhook) async throws -> WebhookSubscription { try await inner.createWebhook(new) }
    func webhooks() async throws -> [WebhookSubscription] { try await inner.webhooks() }
    func webhook(id: String) async throws -> WebhookSubscription? { try await inner.webhook(id: id) }
    func deleteWebhook(id: String) async throws -> Bool { try await inner.deleteWebhook(id: id) }
    func requestWebhookTest(id: String, eventId: String) async throws -> Bool {
        try await inner.requestWebhookTest(id: id, eventId: eventId)
    }
    func webhookAttempts(webhookId: String, limit: Int) async throws -> [WebhookAttempt] {
        try await inner.webhookAttempts(webhookId: webhookId, limit: limit)
    }
    func claimDueWebhooks(now: Int64, leaseUntil: Int64, owner: String, limit: Int) async throws -> [WebhookSubscription] {
        try await inner.claimDueWebhooks(now: now, leaseUntil: leaseUntil, owner: owner, limit: limit)
    }
    func recordWebhookProgress(_ records: [WebhookProgressRecord]) async throws -> [Bool] {
        try await inner.recordWebhookProgress(records)
    }
}

/// Reads go on from memory when the catalog may lack other servers' writes, and say how stale they may be.
@Suite struct StalenessTests {
    static let stale = HTTPField.Name("Pacta-Stale")!

    /// Parses `age=S, revision=R`.
    static func parse(_ value: String?) -> (age: Int, revision: Int64)? {
        guard let value else { return nil }
        var members: [String: String] = [:]
        for member in value.split(separator: ",") {
            let pair = member.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { return nil }
            members[String(pair[0])] = String(pair[1])
        }
        guard members.count == 2, let age = members["age"].flatMap(Int.init), let revision = members["revision"].flatMap(Int64.init)
        else { return nil }
        return (age, revision)
    }

    static func until(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("timed out waiting for \(what)")
        throw CancellationError()
    }

    /// The feed is lost and the database cut off: reads answer 200 (or 304, or 404) from memory with the header,
    /// its age growing and its revision the last one the catalog holds everything up to; a write another server made
    /// meanwhile is not there yet. Once the feed and the reads are back the header goes and the write is there.
    @Test func readsWhileCutOffAnswerFromMemoryAndSayHowStale() async throws {
        let inner = try SQLiteAgreementStore.inMemory()
        _ = try await inner.seedIfNeeded(BundledData.agreements())
        let store = ControlledFeedStore(inner)
        var configuration = AppConfiguration()
        configuration.today = { TestApp.today }
        configuration.followIntervalSeconds = 1
        let app = try await buildApplication(configuration: configuration, store: store, logger: Logger(label: "test"))
        try await app.test(.router) { client in
            let fresh = try await client.execute(uri: "/v1/agreements/gsomia", method: .get)
            #expect(fresh.status == .ok)
            #expect(fresh.headers[Self.stale] == nil)
            let etag = try #require(fresh.headers[.eTag])
            let revision = try await inner.contents().revision

            let cutOff = ContinuousClock.now
            store.feed.lost()
            store.readsFail.store(true, ordering: .releasing)
            try await Self.until("/readyz to fail") {
                try await client.execute(uri: "/readyz", method: .get).status == .serviceUnavailable
            }
            // Another server's write, which this one cannot learn of while cut off.
            let missed = SyntheticAgreements.generate(count: 1, seed: 91)[0]
            _ = try await inner.create(missed)

            let first = try await client.execute(uri: "/v1/agreements/gsomia", method: .get)
            #expect(first.status == .ok)
            #expect(first.headers[.eTag] == etag)
            let stale = try #require(Self.parse(first.headers[Self.stale]), "\(first.headers)")
            #expect(stale.revision == revision)
            // The age counts whole seconds since the cut: at most the time this test has seen pass since it (a loaded
            // machine took two seconds to get here).
            #expect(stale.age <= Int((ContinuousClock.now - cutOff).components.seconds) + 1)
            let notModified = try await client.execute(
                uri: "/v1/agreements/gsomia",
                method: .get,
                headers: [.ifNoneMatch: etag]
            )
            #expect(notModified.status == .notModified)
            #expect(Self.parse(notModified.headers[Self.stale])?.revision == revision)
            let absent = try await client.execute(uri: "/v1/agreements/\(missed.id)", method: .get)
            #expect(absent.status == .notFound)
            #expect(Self.parse(absent.headers[Self.stale]) != nil)
            // Probes and other routes do not carry it.
            #expect(try await client.execute(uri: "/healthz", method: .get).headers[Self.stale] == nil)

            try await Task.sleep(for: .milliseconds(2_100))
            let later = try #require(Self.parse(try await client.execute(uri: "/v1/agreements", method: .get).headers[Self.stale]))
            #expect(later.age >= 2)
            #expect(later.revision == revision)

            store.readsFail.store(false, ordering: .releasing)
            store.feed.established()
            try await Self.until("/readyz to pass") { try await client.execute(uri: "/readyz", method: .get).status == .ok }
            let caughtUp = try await client.execute(uri: "/v1/agreements/\(missed.id)", method: .get)
            #expect(caughtUp.status == .ok)
            #expect(caughtUp.headers[Self.stale] == nil)
        }
    }

    /// With the feed still up, a read of the store that fails (the database unreachable before the feed notices)
    /// makes the catalog stale from that read on; the next read that succeeds makes it current again.
    @Test func aFailedReadMakesTheCatalogStaleUntilOneSucceeds() async throws {
        let inner = try SQLiteAgreementStore.inMemory()
        let store = ControlledFeedStore(inner)
        let catalog = try await AgreementCatalog(store: store, followInterval: .seconds(60))
        #expect(catalog.isCaughtUp && catalog.staleness == nil)
        let agreement = SyntheticAgreements.generate(count: 1, seed: 3)[0]
        store.readsFail.store(true, ordering: .releasing)
        let before = ContinuousClock.now
        let created = try await inner.create(agreement)
        store.feed.committed(created.revision)
        try await Self.until("the catalog to be stale") { !catalog.isCaughtUp }
        let staleness = try #require(catalog.staleness)
        #expect(staleness.since >= before)
        #expect(staleness.completeThrough == created.revision - 1)
        #expect(catalog.snapshot.byId[agreement.id] == nil)
        store.readsFail.store(false, ordering: .releasing)
        store.feed.committed(created.revision)
        try await Self.until("the catalog to catch up") { catalog.isCaughtUp }
        #expect(catalog.staleness == nil)
        #expect(catalog.snapshot.byId[agreement.id] == created)
        await catalog.stopFollowing()
        try await store.close()
    }
}
