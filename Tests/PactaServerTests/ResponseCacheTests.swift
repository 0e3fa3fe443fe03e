import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PactaCore
import Testing

@testable import PactaServer

@Suite struct ResponseCacheTests {
    /// A repeated read answers the same bytes; a write makes the next read see it (no stale answer survives).
    @Test func aWriteEndsEveryHeldAnswer() async throws {
        try await TestApp.run { app, client in
            let uri = "/v1/agreements/gsomia/status?asOf=2027-08-01"
            let first = try await client.execute(uri: uri, method: .get)
            let second = try await client.execute(uri: uri, method: .get)
            #expect(first.status == .ok)
            #expect(second.body == first.body)
            #expect(second.headers[.eTag] == first.headers[.eTag])
            #expect(try first.json()["state"] as? String == "inForce")

            let notice = """
                {"events": [{"type": "noticeOfTermination", "date": "2027-07-01", "received": "2027-07-02", "party": "JP",
                             "source": "https://example.org/hypothetical"}]}
                """
            let appended = try await client.execute(
                uri: "/v1/agreements/gsomia/events",
                method: .post,
                headers: app.auth,
                body: ByteBuffer(string: notice)
            )
            #expect(appended.status == .created)
            let after = try await client.execute(uri: uri, method: .get)
            #expect(try after.json()["state"] as? String == "terminationPending")
            #expect(after.headers[.eTag] != first.headers[.eTag])
        }
    }

    @Test func aReadEntryOutlivesAnUnreadOneBeyondTheBudget() throws {
        let cache = ResponseCache(maxEntryBytes: 100, maxTotalBytes: 250)
        let today = try CalendarDate(parsing: "2026-11-29")
        func key(_ uri: String) -> ResponseCache.Key { .init(generation: 1, today: today, uri: uri) }
        func entry(_ size: Int) -> ResponseCache.Entry {
            .init(status: .ok, headers: [:], body: ByteBuffer(bytes: [UInt8](repeating: 65, count: size)))
        }
        cache.store(entry(90), for: key("/a"))
        cache.store(entry(90), for: key("/b"))
        #expect(cache.entry(key("/a")) != nil)  // /a was read since it was stored: it gets a second chance
        cache.store(entry(90), for: key("/c"))  // over 250 bytes: /b goes
        #expect(cache.entry(key("/b")) == nil)
        #expect(cache.entry(key("/a")) != nil)
        #expect(cache.entry(key("/c")) != nil)
        cache.store(entry(200), for: key("/big"))  // larger than one entry may be: not held
        #expect(cache.entry(key("/big")) == nil)
        #expect(cache.entry(.init(generation: 2, today: today, uri: "/a")) == nil)
    }

    /// A key is admitted the second time it is asked: answers asked once (every new date) never enter, so they cost
    /// no store and evict nothing; a polled one enters on its second ask.
    @Test func anAnswerIsHeldTheSecondTimeItsKeyIsAsked() throws {
        let cache = ResponseCache()
        let today = try CalendarDate(parsing: "2026-11-29")
        let polled = ResponseCache.Key(generation: 1, today: today, uri: "/v1/summary")
        #expect(!cache.admits(polled))
        for day in 1...28 {
            #expect(!cache.admits(.init(generation: 1, today: today, uri: "/v1/summary?asOf=2030-02-\(day)")))
        }
        #expect(cache.admits(polled))
        #expect(cache.admits(polled))
        #expect(!cache.admits(.init(generation: 2, today: today, uri: "/v1/summary")), "another generation is another key")
    }

    @Test func healthHistoryAndWritesAreNeverHeld() {
        #expect(ResponseCache.cacheable("/v1/agreements/gsomia/status"))
        #expect(ResponseCache.cacheable("/v1/calendar.ics"))
        #expect(!ResponseCache.cacheable("/healthz"))
        #expect(!ResponseCache.cacheable("/metrics"))
        #expect(!ResponseCache.cacheable("/v1/agreements/gsomia/history"))
    }
}
