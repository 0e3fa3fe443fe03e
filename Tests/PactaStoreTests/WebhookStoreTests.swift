import Foundation
import PactaCore
import Testing

@testable import PactaStore

/// The webhook contract, on every backend: a subscription starts at the end of the feed, is claimed by one owner at
/// a time while it has something to do, and every attempt is recorded with its consequence only by the holder of
/// the lease.
@Suite struct WebhookStoreTests {
    static func newWebhook(_ id: String, events: [String] = ["agreement.created"], at: Int64 = 1_000) -> NewWebhook {
        NewWebhook(
            id: id,
            url: "https://hooks.example.org/\(id)",
            events: events,
            description: "for \(id)",
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            createdAt: at
        )
    }

    static func attempt(_ webhookId: String, sequence: Int64, number: Int, outcome: WebhookAttempt.Outcome) -> WebhookAttempt {
        WebhookAttempt(
            webhookId: webhookId,
            eventId: "evt_\(sequence)",
            eventType: "agreement.created",
            eventSequence: sequence,
            attempt: number,
            at: 5_000 + Int64(number),
            durationMs: 12,
            statusCode: outcome == .delivered ? 204 : 500,
            error: nil,
            outcome: outcome,
            nextAttemptAt: outcome == .retrying ? 9_000 : nil
        )
    }

    @Test(arguments: StoreBackend.all)
    func aSubscriptionStartsAtTheEndOfTheFeedAndIsDueOnceAnEventFollows(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            _ = try await store.create(SQLiteAgreementStoreTests.sample("before"))
            let head = try await store.feedEvents(after: 0, limit: 100).last?.sequence
            let created = try await store.createWebhook(Self.newWebhook("wh_a"))
            #expect(created.cursor == head)
            #expect(try await store.webhook(id: "wh_a") == created)
            #expect(created.secret == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            // Nothing after the cursor: nothing to claim.
            #expect(try await store.claimDueWebhooks(now: 2_000, leaseUntil: 3_000, owner: "A", limit: 10).isEmpty)
            _ = try await store.create(SQLiteAgreementStoreTests.sample("after"))
            let claimed = try await store.claimDueWebhooks(now: 2_000, leaseUntil: 3_000, owner: "A", limit: 10)
            #expect(claimed.map(\.id) == ["wh_a"])
            let events = try await store.feedEvents(after: created.cursor, limit: 10)
            #expect(events.map(\.agreementId) == ["after"])
        }
    }

    @Test(arguments: StoreBackend.all) func aLeasedSubscriptionIsClaimedByOneOwnerUntilItsLeaseEnds(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let webhook = try await store.createWebhook(Self.newWebhook("wh_a"))
            _ = try await store.create(SQLiteAgreementStoreTests.sample("x"))
            #expect(try await store.claimDueWebhooks(now: 2_000, leaseUntil: 3_000, owner: "A", limit: 10).count == 1)
            #expect(try await store.claimDueWebhooks(now: 2_500, leaseUntil: 3_500, owner: "B", limit: 10).isEmpty)
            // A's lease ran out: B takes over, and A can no longer record anything.
            #expect(try await store.claimDueWebhooks(now: 3_001, leaseUntil: 4_000, owner: "B", limit: 10).count == 1)
            let recordedByA = try await store.recordWebhookProgress(
                webhookId: "wh_a",
                owner: "A",
                expectedCursor: webhook.cursor,
                attempt: Self.attempt("wh_a", sequence: webhook.cursor + 1, number: 1, outcome: .delivered),
                progress: .advance(cursor: webhook.cursor + 1),
                leaseUntil: 0
            )
            #expect(!recordedByA)
            #expect(try await store.webhookAttempts(webhookId: "wh_a", limit: 10).isEmpty)
            #expect(try await store.webhook(id: "wh_a")?.cursor == webhook.cursor)
        }
    }

    @Test(arguments: StoreBackend.all) func concurrentClaimersNeverShareASubscription(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            for index in 0..<12 { _ = try await store.createWebhook(Self.newWebhook("wh_\(index)")) }
            _ = try await store.create(SQLiteAgreementStoreTests.sample("x"))
            let claims = try await withThrowingTaskGroup(of: [String].self) { group in
                for owner in ["A", "B", "C", "D"] {
                    group.addTask {
                        try await store.claimDueWebhooks(now: 2_000, leaseUntil: 9_000, owner: owner, limit: 5).map(\.id)
                    }
                }
                var all: [String] = []
                for try await ids in group { all += ids }
                return all
            }
            #expect(claims.count == 12)
            #expect(Set(claims).count == 12)
        }
    }

    @Test(arguments: StoreBackend.all) func attemptsAndTheirConsequencesAreRecordedTogether(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let webhook = try await store.createWebhook(Self.newWebhook("wh_a"))
            _ = try await store.create(SQLiteAgreementStoreTests.sample("x"))
            _ = try await store.create(SQLiteAgreementStoreTests.sample("y"))
            let events = try await store.feedEvents(after: webhook.cursor, limit: 10)
            #expect(events.count == 2)
            _ = try await store.claimDueWebhooks(now: 2_000, leaseUntil: 9_000, owner: "A", limit: 1)
            // The first event is delivered; the second fails and is retried at 9,000.
            #expect(
                try await store.recordWebhookProgress(
                    webhookId: "wh_a",
                    owner: "A",
                    expectedCursor: webhook.cursor,
                    attempt: Self.attempt("wh_a", sequence: events[0].sequence, number: 1, outcome: .delivered),
                    progress: .advance(cursor: events[0].sequence),
                    leaseUntil: 9_000
                )
            )
            // A stale cursor records nothing.
            #expect(
                try await !store.recordWebhookProgress(
                    webhookId: "wh_a",
                    owner: "A",
                    expectedCursor: webhook.cursor,
                    attempt: nil,
                    progress: .advance(cursor: events[1].sequence),
                    leaseUntil: 9_000
                )
            )
            #expect(
                try await store.recordWebhookProgress(
                    webhookId: "wh_a",
                    owner: "A",
                    expectedCursor: events[0].sequence,
                    attempt: Self.attempt("wh_a", sequence: events[1].sequence, number: 1, outcome: .retrying),
                    progress: .retry(failures: 1, at: 9_000),
                    leaseUntil: 0
                )
            )
            let afterRetry = try #require(try await store.webhook(id: "wh_a"))
            #expect(afterRetry.cursor == events[0].sequence)
            #expect(afterRetry.failures == 1)
            #expect(afterRetry.nextAttemptAt == 9_000)
            // Not due before its time, due after.
            #expect(try await store.claimDueWebhooks(now: 8_999, leaseUntil: 20_000, owner: "B", limit: 5).isEmpty)
            #expect(try await store.claimDueWebhooks(now: 9_000, leaseUntil: 20_000, owner: "B", limit: 5).count == 1)
            #expect(
                try await store.recordWebhookProgress(
                    webhookId: "wh_a",
                    owner: "B",
                    expectedCursor: events[0].sequence,
                    attempt: Self.attempt("wh_a", sequence: events[1].sequence, number: 2, outcome: .disabled),
                    progress: .disable(reason: "The receiver answered 410 Gone.", at: 9_100),
                    leaseUntil: 0
                )
            )
            let disabled = try #require(try await store.webhook(id: "wh_a"))
            #expect(!disabled.isEnabled)
            #expect(disabled.disabledAt == 9_100)
            #expect(disabled.disabledReason == "The receiver answered 410 Gone.")
            _ = try await store.create(SQLiteAgreementStoreTests.sample("z"))
            #expect(try await store.claimDueWebhooks(now: 99_000, leaseUntil: 100_000, owner: "B", limit: 5).isEmpty)
            let attempts = try await store.webhookAttempts(webhookId: "wh_a", limit: 10)
            #expect(attempts.map(\.outcome) == [.disabled, .retrying, .delivered])
            #expect(attempts.map(\.attempt) == [2, 1, 1])
            #expect(attempts[1].nextAttemptAt == 9_000)
            #expect(attempts[2].statusCode == 204)
            #expect(try await store.webhookAttempts(webhookId: "wh_a", limit: 1).count == 1)
        }
    }

    /// A deliverer records many subscriptions' progress in one transaction, each record's steps in order, and a
    /// record whose owner lost the lease is refused alone.
    @Test(arguments: StoreBackend.all) func recordsOfSeveralSubscriptionsAreAppliedTogetherEachOnlyByItsHolder(
        backend: StoreBackend
    ) async throws {
        try await backend.withStore { store in
            let a = try await store.createWebhook(Self.newWebhook("wh_a", at: 1))
            let b = try await store.createWebhook(Self.newWebhook("wh_b", at: 2))
            let c = try await store.createWebhook(Self.newWebhook("wh_c", at: 3))
            for name in ["x", "y", "z"] { _ = try await store.create(SQLiteAgreementStoreTests.sample(name)) }
            let created = try await store.feedEvents(after: a.cursor, limit: 100).filter { $0.type == "agreement.created" }
            #expect(created.count == 3)
            let last = try await store.lastFeedSequence()
            #expect(try await store.claimDueWebhooks(now: 2_000, leaseUntil: 9_000, owner: "A", limit: 2).map(\.id) == ["wh_a", "wh_b"])
            #expect(try await store.claimDueWebhooks(now: 2_000, leaseUntil: 9_000, owner: "B", limit: 5).map(\.id) == ["wh_c"])
            func delivered(_ id: String, _ index: Int) -> WebhookProgressStep {
                WebhookProgressStep(
                    attempt: Self.attempt(id, sequence: created[index].sequence, number: 1, outcome: .delivered),
                    progress: .advance(cursor: created[index].sequence)
                )
            }
            let records = [
                // Two delivered, the third failed: the cursor stays after the second, the retry is scheduled.
                WebhookProgressRecord(
                    webhookId: "wh_a",
                    owner: "A",
                    expectedCursor: a.cursor,
                    steps: [
                        delivered("wh_a", 0), delivered("wh_a", 1),
                        WebhookProgressStep(
                            attempt: Self.attempt("wh_a", sequence: created[2].sequence, number: 1, outcome: .retrying),
                            progress: .retry(failures: 1, at: 9_000)
                        ),
                    ],
                    leaseUntil: 0
                ),
                // Everything delivered, then the events it does not want passed over; the lease kept.
                WebhookProgressRecord(
                    webhookId: "wh_b",
                    owner: "A",
                    expectedCursor: b.cursor,
                    steps: [
                        delivered("wh_b", 0), delivered("wh_b", 1), delivered("wh_b", 2),
                        WebhookProgressStep(attempt: nil, progress: .advance(cursor: last)),
                    ],
                    leaseUntil: 9_500
                ),
                // Held by B, not A: refused, and nothing of it recorded.
                WebhookProgressRecord(
                    webhookId: "wh_c",
                    owner: "A",
                    expectedCursor: c.cursor,
                    steps: [delivered("wh_c", 0)],
                    leaseUntil: 0
                ),
            ]
            #expect(try await store.recordWebhookProgress(records) == [true, true, false])
            let afterA = try #require(try await store.webhook(id: "wh_a"))
            #expect(afterA.cursor == created[1].sequence)
            #expect(afterA.failures == 1)
            #expect(afterA.nextAttemptAt == 9_000)
            #expect(try await store.webhookAttempts(webhookId: "wh_a", limit: 10).map(\.outcome) == [.retrying, .delivered, .delivered])
            let afterB = try #require(try await store.webhook(id: "wh_b"))
            #expect(afterB.cursor == last)
            #expect(afterB.failures == 0)
            #expect(try await store.webhookAttempts(webhookId: "wh_b", limit: 10).map(\.eventSequence) == created.map(\.sequence).reversed())
            #expect(try await store.webhook(id: "wh_c")?.cursor == c.cursor)
            #expect(try await store.webhookAttempts(webhookId: "wh_c", limit: 10).isEmpty)
            // A released the first (its retry is not due until 9,000), kept the second: nobody else can claim either.
            #expect(try await store.claimDueWebhooks(now: 8_000, leaseUntil: 20_000, owner: "C", limit: 5).isEmpty)
            #expect(try await store.claimDueWebhooks(now: 9_000, leaseUntil: 20_000, owner: "C", limit: 5).map(\.id) == ["wh_a"])
            // An empty batch is no transaction at all.
            #expect(try await store.recordWebhookProgress([]).isEmpty)
        }
    }

    @Test(arguments: StoreBackend.all) func aTestRequestMakesASubscriptionDueUntilItIsAttempted(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let webhook = try await store.createWebhook(Self.newWebhook("wh_a"))
            #expect(try await store.claimDueWebhooks(now: 2_000, leaseUntil: 3_000, owner: "A", limit: 5).isEmpty)
            #expect(try await store.requestWebhookTest(id: "wh_a", eventId: "test_1"))
            #expect(try await !store.requestWebhookTest(id: "wh_missing", eventId: "test_2"))
            let claimed = try await store.claimDueWebhooks(now: 2_000, leaseUntil: 3_000, owner: "A", limit: 5)
            #expect(claimed.map(\.pendingTestId) == ["test_1"])
            #expect(
                try await store.recordWebhookProgress(
                    webhookId: "wh_a",
                    owner: "A",
                    expectedCursor: webhook.cursor,
                    attempt: nil,
                    progress: .testDone,
                    leaseUntil: 0
                )
            )
            #expect(try await store.webhook(id: "wh_a")?.pendingTestId == nil)
            #expect(try await store.claimDueWebhooks(now: 4_000, leaseUntil: 5_000, owner: "A", limit: 5).isEmpty)
        }
    }

    @Test(arguments: StoreBackend.all) func subscriptionsAreListedInCreationOrderAndDeletedWithTheirAttempts(
        backend: StoreBackend
    ) async throws {
        try await backend.withStore { store in
            let first = try await store.createWebhook(Self.newWebhook("wh_b", events: ["agreement.deleted", "status.changed"], at: 1))
            _ = try await store.createWebhook(Self.newWebhook("wh_a", at: 2))
            #expect(try await store.webhooks().map(\.id) == ["wh_b", "wh_a"])
            #expect(try await store.webhooks().first?.events == ["agreement.deleted", "status.changed"])
            _ = try await store.create(SQLiteAgreementStoreTests.sample("x"))
            _ = try await store.claimDueWebhooks(now: 2_000, leaseUntil: 9_000, owner: "A", limit: 5)
            _ = try await store.recordWebhookProgress(
                webhookId: "wh_b",
                owner: "A",
                expectedCursor: first.cursor,
                attempt: Self.attempt("wh_b", sequence: first.cursor + 1, number: 1, outcome: .retrying),
                progress: .retry(failures: 1, at: 3_000),
                leaseUntil: 0
            )
            #expect(try await store.webhookAttempts(webhookId: "wh_b", limit: 5).count == 1)
            #expect(try await store.deleteWebhook(id: "wh_b"))
            #expect(try await !store.deleteWebhook(id: "wh_b"))
            #expect(try await store.webhook(id: "wh_b") == nil)
            #expect(try await store.webhookAttempts(webhookId: "wh_b", limit: 5).isEmpty)
            #expect(try await store.webhooks().map(\.id) == ["wh_a"])
        }
    }

    /// One process owns an SQLite file: a lease left by a killed process must not hold its subscriptions back until
    /// it runs out.
    @Test func reopeningAnSQLiteFileVoidsTheLeasesOfTheProcessBefore() async throws {
        try await SQLiteAgreementStoreTests.withTemporaryFile { path in
            let first = try SQLiteAgreementStore(path: path)
            _ = try await first.createWebhook(Self.newWebhook("wh_a"))
            _ = try await first.create(SQLiteAgreementStoreTests.sample("x"))
            #expect(try await first.claimDueWebhooks(now: 2_000, leaseUntil: 999_999, owner: "A", limit: 5).count == 1)
            try await first.close()
            let second = try SQLiteAgreementStore(path: path)
            #expect(try await second.claimDueWebhooks(now: 3_000, leaseUntil: 9_999, owner: "B", limit: 5).count == 1)
            try await second.close()
        }
    }
}
