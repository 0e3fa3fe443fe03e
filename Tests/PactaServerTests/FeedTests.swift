import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOPosix
import PactaCore
import PactaStore
import Synchronization
import Testing

@testable import PactaServer

/// `status.changed`: the engine's answer for the server's today, before and after a write.
@Suite struct StatusChangeDrafterTests {
    static func agreement(_ json: String) throws -> StoredAgreement {
        let agreement = try JSONDecoder().decode(Agreement.self, from: Data(json.utf8))
        return StoredAgreement(agreement: agreement, version: "v", revision: 1)
    }

    @Test func aChangeOfTermsThatMovesTheNextRenewalIsAStatusChange() throws {
        let drafter = StatusChangeDrafter(today: { TestApp.today })
        let before = try Self.agreement(sampleDocument(id: "x", term: "P1Y", renewal: "P1Y"))
        let after = try Self.agreement(sampleDocument(id: "x", term: "P2Y", renewal: "P2Y"))
        let drafts = drafter.drafts(before: before, after: after)
        try #require(drafts.count == 1)
        #expect(drafts[0].type == "status.changed")
        #expect(drafts[0].agreementId == "x")
        let data = try #require(JSONSerialization.jsonObject(with: Data(drafts[0].data.utf8)) as? [String: Any])
        #expect(data["asOf"] as? String == "2026-11-29")
        let changed = try #require(data["changed"] as? [String])
        #expect(changed.contains("nextRenewal"))
        #expect((data["before"] as? [String: Any])?["nextRenewal"] as? String == "2027-01-01")
        #expect((data["after"] as? [String: Any])?["nextRenewal"] as? String == "2028-01-01")
        #expect((data["links"] as? [String: String])?["status"] == "/v1/agreements/x/status?asOf=2026-11-29")
    }

    @Test func aWriteThatChangesNoStatusDraftsNothing() throws {
        let drafter = StatusChangeDrafter(today: { TestApp.today })
        let before = try Self.agreement(sampleDocument(id: "x"))
        let after = try Self.agreement(sampleDocument(id: "x").replacingOccurrences(of: "Sample agreement", with: "Renamed"))
        #expect(drafter.drafts(before: before, after: after).isEmpty)
        #expect(drafter.drafts(before: nil, after: after).isEmpty)
        #expect(drafter.drafts(before: before, after: nil).isEmpty)
    }

    @Test func todayIsTheInjectedClocks() throws {
        // Terminated by the end of its only term: in force on one day, expired on the next.
        let document = sampleDocument(id: "x", term: "P1Y", renewal: "P1Y")
        let before = try Self.agreement(document)
        let after = try Self.agreement(
            document.replacingOccurrences(of: #""renewal": {"kind": "automatic", "period": "P1Y"},"#, with: "")
        )
        let inForce = StatusChangeDrafter(today: { try! CalendarDate(parsing: "2020-06-01") })
        let later = StatusChangeDrafter(today: { try! CalendarDate(parsing: "2026-06-01") })
        let early = try #require(inForce.drafts(before: before, after: after).first)
        let late = try #require(later.drafts(before: before, after: after).first)
        #expect(early.data.contains(#""asOf":"2020-06-01""#))
        #expect(late.data.contains(#""asOf":"2026-06-01""#))
        #expect(late.data.contains(#""changed":["state""#))
    }

    /// Through the HTTP layer: a PUT that changes the status records agreement.updated and status.changed.
    @Test func aWriteThroughTheAPIRecordsItsStatusChange() async throws {
        try await TestApp.run { app, client in
            let before = try await app.store.lastFeedSequence()
            let created = try await client.execute(
                uri: "/v1/agreements",
                method: .post,
                headers: app.auth,
                body: ByteBuffer(string: sampleDocument(id: "feed-x"))
            )
            #expect(created.status == .created)
            var headers = app.auth
            headers[.ifMatch] = try #require(created.headers[.eTag])
            let replaced = try await client.execute(
                uri: "/v1/agreements/feed-x",
                method: .put,
                headers: headers,
                body: ByteBuffer(string: sampleDocument(id: "feed-x", term: "P2Y", renewal: "P2Y"))
            )
            #expect(replaced.status == .ok)
            // The scheduler's alerts for the bundled agreements may come in between.
            let events = try await app.store.feedEvents(after: before, limit: 100).filter { $0.agreementId == "feed-x" }
            #expect(events.map(\.type) == ["agreement.created", "agreement.updated", "status.changed"])
        }
    }
}

/// The deadline-alert scheduler, driven by an injected clock over a bundled agreement.
@Suite struct DeadlineAlertTests {
    static func scheduler(store: SQLiteAgreementStore, catalog: AgreementCatalog) -> DeadlineAlertScheduler {
        DeadlineAlertScheduler(
            store: store,
            catalog: catalog,
            work: HeavyWork(threads: 1, queueLimit: 64, budget: .seconds(60)),
            today: { TestApp.today },
            settings: .init(),
            logger: Logger(label: "test")
        )
    }

    @Test(.timeLimit(.minutes(3))) func eachLeadTimeFiresOnceWhenTheClockCrossesIt() async throws {
        let store = try SQLiteAgreementStore.inMemory()
        _ = try await store.seedIfNeeded(BundledData.agreements())
        let catalog = try await AgreementCatalog(store: store)
        let work = HeavyWork(threads: 1, queueLimit: 64, budget: .seconds(60))
        // A renewal of a bundled agreement, more than 90 days ahead of the test's today.
        let window = try await catalog.snapshot.deadlines(
            from: try TestApp.today.addingDays(120),
            to: try TestApp.today.addingDays(3_000),
            work: work
        )
        let item = try #require(window.first { $0.kind == .renewal })
        let scheduler = Self.scheduler(store: store, catalog: catalog)
        var fired: [(day: Int, type: String, lead: Int?)] = []
        for offset in (-95)...3 {
            let day = try item.date.addingDays(offset)
            for event in try await scheduler.scan(asOf: day) {
                let data = try #require(JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any])
                let alerted = try #require(data["item"] as? [String: Any])
                guard event.agreementId == item.agreementId, alerted["date"] as? String == "\(item.date)",
                    alerted["kind"] as? String == item.kind.rawValue
                else { continue }
                #expect(data["daysUntil"] as? Int == -offset)
                fired.append((offset, event.type, data["leadDays"] as? Int))
            }
        }
        #expect(fired.map(\.day) == [-90, -30, -7, -1, 1])
        #expect(fired.map(\.lead) == [90, 30, 7, 1, nil])
        #expect(fired.map(\.type) == Array(repeating: "deadline.approaching", count: 4) + ["deadline.passed"])

        // Another process (a restart, a replica) scanning the same days records none of them again.
        let again = Self.scheduler(store: store, catalog: catalog)
        for offset in [-90, -30, -7, -1, 1] {
            let events = try await again.scan(asOf: try item.date.addingDays(offset))
            #expect(!events.contains { $0.agreementId == item.agreementId && $0.data.contains(#""date":"\#(item.date)""#) })
        }
    }

    @Test func aServerDownAcrossLeadTimesSendsOnlyTheNearest() throws {
        let date = try CalendarDate(parsing: "2030-01-01")
        let deadline = Deadline(agreementId: "a", date: date, kind: .renewal, parties: ["AA"], sentence: .text("renews"))
        let drafts = DeadlineAlertScheduler.drafts(
            for: [deadline],
            asOf: try date.addingDays(-20),
            leadDays: [90, 30, 7, 1],
            passedLookbackDays: 7
        )
        #expect(drafts.map(\.dedupeKey) == ["deadline.approaching:a:renewal::2030-01-01:30"])
        #expect(DeadlineAlertScheduler.drafts(for: [deadline], asOf: try date.addingDays(-91), leadDays: [90], passedLookbackDays: 7).isEmpty)
        #expect(DeadlineAlertScheduler.drafts(for: [deadline], asOf: try date.addingDays(8), leadDays: [90], passedLookbackDays: 7).isEmpty)
    }

    @Test func leadDaysParse() {
        #expect(DeadlineAlertScheduler.parseLeadDays("90,30, 7,1") == [90, 30, 7, 1])
        #expect(DeadlineAlertScheduler.parseLeadDays("7,x") == nil)
        #expect(DeadlineAlertScheduler.parseLeadDays("") == nil)
        #expect(DeadlineAlertScheduler.parseLeadDays("-1") == nil)
    }

    @Test func pruningDeletesOnlyEventsPastTheRetention() async throws {
        let store = try SQLiteAgreementStore.inMemory()
        let catalog = try await AgreementCatalog(store: store)
        _ = try await store.recordFeedEvents([FeedEventDraft(type: "deadline.passed", agreementId: "a", data: "{}")])
        let scheduler = Self.scheduler(store: store, catalog: catalog)
        #expect(try await scheduler.prune(now: Date()) == 0)
        #expect(try await scheduler.prune(now: Date().addingTimeInterval(31 * 86_400)) == 1)
    }
}

/// The stream's hub and route.
@Suite struct StreamTests {
    /// A body writer that never completes a write: a client that reads nothing.
    struct StuckWriter: ResponseBodyWriter {
        mutating func write(_ buffer: ByteBuffer) async throws { try await Task.sleep(for: .seconds(3_600)) }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    final class Sink: Sendable {
        let text = Mutex("")
        let writes = Mutex(0)
    }

    struct SinkWriter: ResponseBodyWriter {
        let sink: Sink
        mutating func write(_ buffer: ByteBuffer) async throws {
            sink.text.withLock { $0 += String(buffer: buffer) }
            sink.writes.withLock { $0 += 1 }
        }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    static func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test(.timeLimit(.minutes(1))) func aSlowClientIsDroppedWithoutDelayingTheOthers() async throws {
        let store = try SQLiteAgreementStore.inMemory()
        var settings = FeedStreamHub.Settings()
        settings.clientBuffer = 4
        let registry = AppConfiguration().metricsRegistry
        let hub = try await FeedStreamHub.start(
            store: store,
            settings: settings,
            logger: Logger(label: "test"),
            metrics: FeedMetrics(registry: registry)
        )
        let (slow, slowFrom) = try #require(hub.register(types: nil))
        let (fast, fastFrom) = try #require(hub.register(types: nil))
        let sink = Sink()
        let slowPump = Task { try await hub.pump(slow, from: slowFrom, resumeAfter: nil, into: StreamOutput(StuckWriter())) }
        slow.onEnd { slowPump.cancel() }
        let fastPump = Task { try await hub.pump(fast, from: fastFrom, resumeAfter: nil, into: StreamOutput(SinkWriter(sink: sink))) }
        fast.onEnd { fastPump.cancel() }
        // Two events at a time, each pair written by the fast client before the next: the stuck one's buffer (4)
        // overflows at the fifth.
        for pair in 0..<5 {
            let drafts = (0..<2).map { FeedEventDraft(type: "deadline.passed", agreementId: "a\(pair)-\($0)", data: "{}") }
            _ = try await store.recordFeedEvents(drafts)
            await hub.deliverNew()
            try await Self.waitUntil { sink.text.withLock { $0.components(separatedBy: "\nid: ").count } == 2 * pair + 3 }
        }
        try await Self.waitUntil { slow.ended == .dropped }
        #expect(slow.ended == .dropped)
        #expect(await slowPump.result.isFailure, "the write waiting on the stuck client was cancelled")
        let text = sink.text.withLock { $0 }
        #expect(text.hasPrefix("retry: 2000\n\nid: 1\nevent: deadline.passed\ndata: {\"type\":\"deadline.passed\""))
        #expect((1...10).allSatisfy { text.contains("id: \($0)\n") })
        #expect(fast.ended == nil)
        #expect(hub.clientCount == 1)
        let metrics = registry.emitToString()
        #expect(metrics.contains("pacta_stream_clients_dropped_total 1"))
        #expect(metrics.contains(#"pacta_feed_events_total{type="deadline.passed"} 10"#))
        hub.endAll()
        try await fastPump.value
        await hub.stop()
    }

    /// Events that come faster than the fan-out interval reach a client together, in one write: a thousand clients
    /// cost a thousand writes per interval, not per event. (The interval is long, so that no timing of a loaded
    /// machine can end it within the test: the next wake-up is a heartbeat's.)
    @Test(.timeLimit(.minutes(1))) func eventsWithinAFanOutIntervalReachAClientInOneWrite() async throws {
        let store = try SQLiteAgreementStore.inMemory()
        var settings = FeedStreamHub.Settings()
        settings.fanOutInterval = .seconds(600)
        settings.heartbeat = .seconds(600)
        let hub = try await FeedStreamHub.start(store: store, settings: settings, logger: Logger(label: "test"))
        let (client, from) = try #require(hub.register(types: nil))
        let sink = Sink()
        let pump = Task { try await hub.pump(client, from: from, resumeAfter: nil, into: StreamOutput(SinkWriter(sink: sink))) }
        // The first event after a quiet spell goes out at once.
        _ = try await store.recordFeedEvents([FeedEventDraft(type: "deadline.passed", agreementId: "a0", data: "{}")])
        await hub.deliverNew()
        try await Self.waitUntil { sink.text.withLock { $0.contains("id: 1\n") } }
        try await Self.waitUntil { sink.writes.withLock { $0 } == 2 }
        let writesBefore = sink.writes.withLock { $0 }
        // Three more, each read by the hub on its own, within the interval: queued, not written one by one.
        for index in 1...3 {
            _ = try await store.recordFeedEvents([FeedEventDraft(type: "deadline.passed", agreementId: "a\(index)", data: "{}")])
            await hub.deliverNew()
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(sink.writes.withLock { $0 } == writesBefore)
        #expect(!sink.text.withLock { $0.contains("id: 2\n") })
        // The next wake-up (here a heartbeat) writes the three at once.
        #expect(client.offer(.heartbeat))
        try await Self.waitUntil { sink.text.withLock { $0.contains("id: 4\n") } }
        #expect(sink.text.withLock { $0.contains("id: 2\n") && $0.contains("id: 3\n") })
        #expect(sink.writes.withLock { $0 } == writesBefore + 1)
        client.end(.shutdown)
        _ = await pump.result
        await hub.stop()
    }

    @Test(.timeLimit(.minutes(1))) func aResumeReplaysFromTheLogThenGoesLive() async throws {
        let store = try SQLiteAgreementStore.inMemory()
        let hub = try await FeedStreamHub.start(store: store, settings: .init(), logger: Logger(label: "test"))
        let types: Set<String> = ["deadline.passed"]
        _ = try await store.recordFeedEvents((0..<5).map { FeedEventDraft(type: "deadline.passed", agreementId: "a\($0)", data: "{}") })
        _ = try await store.recordFeedEvents([FeedEventDraft(type: "status.changed", agreementId: "b", data: "{}")])
        await hub.deliverNew()
        let (client, from) = try #require(hub.register(types: types))
        #expect(from == 6)
        let sink = Sink()
        let pump = Task { try await hub.pump(client, from: from, resumeAfter: 2, into: StreamOutput(SinkWriter(sink: sink))) }
        _ = try await store.recordFeedEvents([FeedEventDraft(type: "deadline.passed", agreementId: "c", data: "{}")])
        await hub.deliverNew()
        try await Self.waitUntil { sink.text.withLock { $0.contains("id: 7\n") } }
        let ids = sink.text.withLock { $0 }.split(separator: "\n").filter { $0.hasPrefix("id: ") }
        #expect(ids == ["id: 3", "id: 4", "id: 5", "id: 7"])
        client.end(.shutdown)
        _ = await pump.result
        await hub.stop()
    }

    @Test func anUnknownTypeOrLastEventIDIs400() async throws {
        try await TestApp.run { _, client in
            let bad = try await client.execute(uri: "/v1/stream?types=agreement.created,nope", method: .get)
            #expect(bad.status == .badRequest)
            #expect(bad.headers[.contentType] == "application/problem+json")
            #expect(bad.text.contains("nope"))
            let id = try await client.execute(
                uri: "/v1/stream",
                method: .get,
                headers: [StreamRoute.lastEventID: "abc"]
            )
            #expect(id.status == .badRequest)
            let head = try await client.execute(uri: "/v1/stream", method: .head)
            #expect(head.status == .ok)
            #expect(head.headers[.contentType] == "text/event-stream; charset=utf-8")
        }
    }

    @Test func beyondTheClientLimitIs503() async throws {
        let noClients: (inout AppConfiguration) -> Void = { $0.streamMaxClients = 0 }
        try await TestApp.run(configure: noClients) { _, client in
            let full = try await client.execute(uri: "/v1/stream", method: .get)
            #expect(full.status == .serviceUnavailable)
            #expect(full.headers[.retryAfter] == "5")
            #expect(full.text.contains("urn:pacta:problem:busy"))
        }
    }

    /// A real HTTP client: events arrive as written, and a reconnect with Last-Event-ID misses none.
    @Test(.timeLimit(.minutes(2))) func aClientResumesWithLastEventIDAndMissesNothing() async throws {
        let quiet: (inout AppConfiguration) -> Void = { $0.runsDeadlineAlerts = false }
        try await TestApp.run(testing: .live, configure: quiet) { app, client in
            let port = try #require(client.port)
            let types = "types=agreement.created,agreement.deleted"
            var lastId = ""
            try await RawStream.open(port: port, path: "/v1/stream?\(types)") { stream in
                #expect(stream.head.hasPrefix("HTTP/1.1 200"))
                #expect(stream.head.lowercased().contains("content-type: text/event-stream"))
                for id in ["s1", "s2"] { _ = try await app.store.create(sampleAgreement(id)) }
                let first = try await stream.next()
                let second = try await stream.next()
                #expect([first.event, second.event] == ["agreement.created", "agreement.created"])
                #expect(first.data.contains(#""agreementId":"s1""#))
                #expect(second.data.contains(#""agreementId":"s2""#))
                lastId = second.id
            }
            // Disconnected: more writes, some of a type the client did not ask for.
            _ = try await app.store.create(sampleAgreement("s3"))
            _ = try await app.store.appendEvents([NewEvent(type: .signature, date: try CalendarDate(parsing: "2019-01-01"))], to: "s3")
            try await app.store.delete(id: "s1")
            try await RawStream.open(port: port, path: "/v1/stream?\(types)", lastEventID: lastId) { stream in
                let third = try await stream.next()
                let fourth = try await stream.next()
                #expect(third.event == "agreement.created" && third.data.contains(#""agreementId":"s3""#))
                #expect(fourth.event == "agreement.deleted" && fourth.data.contains(#""agreementId":"s1""#))
                #expect(Int(third.id)! > Int(lastId)! && Int(fourth.id)! > Int(third.id)!)
                // Then live again.
                _ = try await app.store.create(sampleAgreement("s4"))
                let fifth = try await stream.next()
                #expect(fifth.data.contains(#""agreementId":"s4""#))
            }
        }
    }
}

extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}

func sampleAgreement(_ id: String) throws -> Agreement {
    try JSONDecoder().decode(Agreement.self, from: Data(sampleDocument(id: id).utf8))
}

/// A bare HTTP/1.1 client reading a server-sent event stream off the socket (HummingbirdTesting's clients wait for
/// the whole body, which a stream never ends).
struct RawStream {
    struct Event {
        var id = ""
        var event = ""
        var data = ""
    }

    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    /// Bytes, not a String: "\r\n" is one Character, which would hide the "\n" of a chunk's framing.
    private var bytes: [UInt8] = []
    private(set) var head = ""

    static func open(
        port: Int,
        path: String,
        lastEventID: String? = nil,
        _ body: (inout RawStream) async throws -> Void
    ) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port) {
            channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        try await channel.executeThenClose { inbound, outbound in
            var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
            if let lastEventID { request += "Last-Event-ID: \(lastEventID)\r\n" }
            try await outbound.write(ByteBuffer(string: request + "\r\n"))
            var stream = RawStream(iterator: inbound.makeAsyncIterator())
            try await stream.readHead()
            try await body(&stream)
        }
    }

    private init(iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) {
        self.iterator = iterator
    }

    private mutating func readHead() async throws {
        let blank: [UInt8] = [13, 10, 13, 10]
        while true {
            if let end = bytes.indices.first(where: { bytes[$0...].starts(with: blank) }) {
                head = String(decoding: bytes[..<end], as: UTF8.self)
                bytes.removeFirst(end + blank.count)
                return
            }
            try await more()
        }
    }

    private mutating func more() async throws {
        guard let buffer = try await iterator.next() else { throw CancellationError() }
        bytes += buffer.readableBytesView
    }

    /// The next event (comments and the chunked encoding's size lines are skipped): each event is written whole, so
    /// its lines arrive as `id`, `event`, `data`.
    mutating func next() async throws -> Event {
        var event = Event()
        while true {
            guard let newline = bytes.firstIndex(of: 10) else {
                try await more()
                continue
            }
            var line = String(decoding: bytes[..<newline], as: UTF8.self)
            bytes.removeFirst(newline + 1)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.hasPrefix("id: ") { event.id = String(line.dropFirst(4)) }
            if line.hasPrefix("event: ") { event.event = String(line.dropFirst(7)) }
            if line.hasPrefix("data: ") {
                event.data = String(line.dropFirst(6))
                return event
            }
        }
    }
}
