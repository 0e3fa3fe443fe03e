import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PactaCore
import ServiceLifecycleTestKit
import Synchronization
import Testing

@testable import PactaServer

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite struct IntegrityRouteTests {
    @Test(arguments: ["/v1/agreements?asOf", "/v1/deadlines?from", "/v1/calendar.ics?alarm", "/v1/agreements?&&"])
    func aQueryParameterWithoutAValueIs400NotA500(_ uri: String) async throws {
        try await TestApp.run { app, client in
            let response = try await client.execute(uri: uri, method: .get, headers: app.auth)
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "application/problem+json")
            let detail = try response.json()["detail"] as? String ?? ""
            #expect(!detail.contains("body"))
            if let name = uri.split(separator: "?").last.map(String.init), !name.hasPrefix("&") {
                #expect(detail.contains(name))
            }
        }
    }

    @Test func aParameterOfTheWrongTypeIsAClientErrorThatDoesNotBlameTheBody() async throws {
        try await TestApp.run { _, client in
            let response = try await client.execute(uri: "/v1/agreements?limit=abc", method: .get)
            #expect(response.status.code >= 400 && response.status.code < 500)
            #expect(!(try response.json()["detail"] as? String ?? "").contains("body"))
        }
    }

    @Test(arguments: [
        "/healthz", "/openapi.yaml", "/v1/agreements", "/v1/agreements/gsomia", "/v1/agreements/gsomia/status",
        "/v1/agreements/gsomia/events", "/v1/agreements/gsomia/timeline.svg", "/v1/deadlines", "/v1/summary",
        "/v1/dates?date=2020-01-31&add=P1M",
    ])
    func headAnswersLikeGetWithoutABody(_ uri: String) async throws {
        try await TestApp.run { _, client in
            let get = try await client.execute(uri: uri, method: .get)
            let head = try await client.execute(uri: uri, method: .head)
            #expect(head.status == get.status)
            #expect(head.status == .ok)
            #expect(head.body.readableBytes == 0)
            #expect(head.headers[.contentType] == get.headers[.contentType])
        }
    }

    @Test func aListPageTagChangesWhenOnlyItsNextLinkDoes() async throws {
        try await TestApp.run { app, client in
            let all = try await client.execute(uri: "/v1/agreements?limit=500", method: .get)
            let ids = try #require(try all.json()["items"] as? [[String: Any]]).compactMap { $0["id"] as? String }
            let page = "/v1/agreements?limit=\(ids.count - 1)"
            let before = try await client.execute(uri: page, method: .get)
            #expect(try before.json()["next"] != nil)
            var headers = app.auth
            headers[.ifMatch] = "*"
            let last = try #require(ids.last)
            #expect(try await client.execute(uri: "/v1/agreements/\(last)", method: .delete, headers: headers).status == .noContent)
            let after = try await client.execute(uri: page, method: .get)
            #expect(try after.json()["next"] == nil)
            #expect(after.headers[.eTag] != before.headers[.eTag])
        }
    }

    @Test func theSVGIsWellFormedWhateverATitleHolds() throws {
        var agreement = try #require(try BundledData.agreements().first { $0.id == "gsomia" })
        agreement.title = "Bad \u{FFFE}\u{FFFF}\u{1}<&> title"
        agreement.shortTitle = nil
        let svg = try #require(
            TimelineSVG.render(
                agreement,
                asOf: try CalendarDate(parsing: "2020-01-01"),
                from: try CalendarDate(parsing: "2016-01-01"),
                to: try CalendarDate(parsing: "2024-01-01")
            )
        )
        let parser = XMLParser(data: Data(svg))
        #expect(parser.parse(), "\(String(describing: parser.parserError))")
    }

    @Test func everyBundledPictureIsWellFormedXML() throws {
        for agreement in try BundledData.agreements() {
            let asOf = try CalendarDate(parsing: "2026-11-29")
            let svg = try #require(
                TimelineSVG.render(
                    agreement,
                    asOf: asOf,
                    from: TimelineSVG.defaultStart(for: agreement, asOf: asOf),
                    to: TimelineSVG.defaultEnd(for: agreement, asOf: asOf)
                )
            )
            #expect(XMLParser(data: Data(svg)).parse(), "\(agreement.id)")
        }
    }

    @Test func theDefaultPictureOfAnAgreementInForceSince1800IsClampedNotRefused() async throws {
        try await TestApp.run { app, client in
            let document = sampleDocument(id: "old").replacingOccurrences(of: "2020-01-01", with: "1800-01-01")
            let created = try await client.execute(
                uri: "/v1/agreements",
                method: .post,
                headers: app.auth,
                body: ByteBuffer(string: document)
            )
            #expect(created.status == .created)
            #expect(try await client.execute(uri: "/v1/agreements/old/timeline.svg", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/v1/agreements/old/timeline", method: .get).status == .ok)
        }
    }

    @Test func anAgreementOverTheEventCapIs422() async throws {
        var limits = Limits()
        limits.maxEventsPerAgreement = 3
        try await TestApp.run(limits: limits) { app, client in
            _ = try await client.execute(
                uri: "/v1/agreements",
                method: .post,
                headers: app.auth,
                body: ByteBuffer(string: sampleDocument())
            )
            let events = #"{"events": [{"type": "signature", "date": "2019-01-01"}, {"type": "signature", "date": "2019-01-02"}]}"#
            let first = try await client.execute(
                uri: "/v1/agreements/sample/events",
                method: .post,
                headers: app.auth,
                body: ByteBuffer(string: events)
            )
            #expect(first.status == .created)
            let second = try await client.execute(
                uri: "/v1/agreements/sample/events",
                method: .post,
                headers: app.auth,
                body: ByteBuffer(string: events)
            )
            #expect(second.status == .unprocessableContent)
            let stored = try await client.execute(uri: "/v1/agreements/sample/events", method: .get)
            #expect(try (stored.json()["items"] as? [Any])?.count == 2)
        }
    }

    @Test func shutdownDoesNotWaitForHeavyWork() async throws {
        // Bounds far apart, so that other tests keeping both cores busy cannot make this one fail: refused when
        // shutdown began (well under a minute even on a loaded machine), not when the 5-minute budget ran out.
        let work = HeavyWork(threads: 1, queueLimit: 0, budget: .seconds(300))
        let release = DispatchSemaphore(value: 0)
        defer { release.signal() }
        try await testGracefulShutdown { shutdown in
            let started = ContinuousClock.now
            let waiting = Task { try await work.run { release.wait() } }
            try await Task.sleep(for: .milliseconds(100))
            shutdown.triggerGracefulShutdown()
            await #expect(throws: ComputeRefusal.shuttingDown) { try await waiting.value }
            #expect(ContinuousClock.now - started < .seconds(60))
        }
    }

    @Test func heavyWorkOverItsBudgetIsRefusedAndAFullPoolRefusesAtOnce() async throws {
        let release = DispatchSemaphore(value: 0)
        // Over its budget, whether the job had the thread yet or was still waiting for it (on a loaded machine the
        // budget's timer may fire before the job starts).
        let slow = HeavyWork(threads: 1, queueLimit: 1, budget: .milliseconds(200))
        await #expect(throws: ComputeRefusal.budgetExceeded(seconds: 0)) {
            try await slow.run { release.wait() }
        }
        // The only thread is taken (its job has started) and nothing may wait: refused at once, not queued behind it.
        let full = HeavyWork(threads: 1, queueLimit: 0, budget: .seconds(60))
        let started = Atomic<Bool>(false)
        let blocker = Task {
            try await full.run {
                started.store(true, ordering: .relaxed)
                release.wait()
            }
        }
        while !started.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(5)) }
        await #expect(throws: ComputeRefusal.busy) { try await full.run { 1 } }
        release.signal()
        release.signal()
        try await blocker.value
        var answer: Int?
        for _ in 0..<200 where answer == nil {
            answer = try? await full.run { 2 }
            if answer == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(answer == 2)
    }

    @Test func healthAnswersWhileAHeavyRequestRuns() async throws {
        let configure: (inout AppConfiguration) -> Void = { $0.computeThreads = 1 }
        try await TestApp.run(configure: configure) { _, client in
            // A deadlines request over a window no other test asks, on the pool's only thread.
            async let heavy = client.execute(uri: "/v1/deadlines?from=1900-01-01&to=1999-12-31", method: .get)
            for _ in 0..<20 {
                #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            }
            let heavyStatus = try await heavy.status
            #expect(heavyStatus == .ok)
        }
    }

    /// More blocked jobs than the machine has cores: were the pool's threads Swift's cooperative ones, no task could
    /// run meanwhile (and the request threads, `/healthz` included, would stall).
    @Test func heavyWorkLeavesTheCooperativeThreadsFree() async throws {
        let threads = ProcessInfo.processInfo.activeProcessorCount + 1
        let work = HeavyWork(threads: threads, queueLimit: 0, budget: .seconds(60))
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let jobs = (0..<threads).map { _ in
            Task {
                try await work.run {
                    started.signal()
                    release.wait()
                }
            }
        }
        let cooperativeTaskRan = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var allStarted = true
                // Generous timeouts: other tests may keep the cooperative threads busy for seconds, but were the
                // pool's threads cooperative ones, the task would not run until they were released.
                for _ in 0..<threads where started.wait(timeout: .now() + 60) == .timedOut { allStarted = false }
                let ran = DispatchSemaphore(value: 0)
                Task { ran.signal() }
                let outcome = allStarted && ran.wait(timeout: .now() + 60) == .success
                for _ in 0..<threads { release.signal() }
                continuation.resume(returning: outcome)
            }
        }
        #expect(cooperativeTaskRan)
        for job in jobs { try await job.value }
    }
}
