import HummingbirdCore
import Logging
import NIOCore
import PactaStore
import Synchronization

/// Fans the durable event log out to the clients of `GET /v1/stream`.
///
/// One follower per process reads the store's new events (woken by ``AgreementStore/changeSignals()``, and every
/// ``Settings/followInterval`` as a safety net) and offers each to every client's bounded buffer without ever
/// waiting for a client: a client whose buffer is full is dropped (its connection closed), and can resume with
/// `Last-Event-ID`, since every event stays in the log for the retention period. A write never waits for the
/// stream either: it commits its events, signals, and returns.
final class FeedStreamHub: Sendable {
    struct Settings: Sendable {
        /// Clients at once; more are answered 503.
        var maxClients = 1_000
        /// Events a client may have waiting to be written; one more and it is dropped.
        var clientBuffer = 512
        /// A comment line to every client this often, so that proxies and clients see a live connection.
        var heartbeat: Duration = .seconds(15)
        var followInterval: Duration = .seconds(5)
        /// Events read from the store at once (following and replaying).
        var page = 256
        /// A client registered whose response never started writing is forgotten after this long.
        var startGrace: Duration = .seconds(30)
        /// Clients are woken to write new events at most this often: an event after a quiet spell goes out at once,
        /// and events that come faster go out together, one socket write per client per interval instead of one per
        /// event (each write is a system call per client, the whole cost of a thousand clients).
        var fanOutInterval: Duration = .milliseconds(100)
    }

    private struct State {
        var clients: [Int: StreamClient] = [:]
        var nextId = 0
        /// The last sequence offered to the clients: a client registered now gets every later event live.
        var delivered: Int64
    }

    let store: any AgreementStore
    let settings: Settings
    let logger: Logger
    let metrics: FeedMetrics?
    private let state: Mutex<State>
    private let follower = Mutex<Task<Void, Never>?>(nil)
    private let fanOut = Mutex(FanOut())

    private struct FanOut {
        var last: ContinuousClock.Instant?
        var scheduled = false
    }

    private init(store: any AgreementStore, settings: Settings, logger: Logger, metrics: FeedMetrics?, delivered: Int64) {
        self.store = store
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
        self.state = Mutex(State(delivered: delivered))
    }

    /// A hub that follows the store from its last event.
    static func start(
        store: any AgreementStore,
        settings: Settings,
        logger: Logger,
        metrics: FeedMetrics? = nil
    ) async throws -> FeedStreamHub {
        let hub = FeedStreamHub(
            store: store,
            settings: settings,
            logger: logger,
            metrics: metrics,
            delivered: try await store.lastFeedSequence()
        )
        hub.startFollowing(store.changeSignals().signals)
        return hub
    }

    /// Clients now (tests, metrics).
    var clientCount: Int { state.withLock { $0.clients.count } }

    /// The last sequence offered to clients (tests).
    var deliveredSequence: Int64 { state.withLock { $0.delivered } }

    /// Registers a client; returns it and the sequence it gets every later event of live, or `nil` when the hub
    /// has ``Settings/maxClients`` already.
    func register(types: Set<String>?) -> (client: StreamClient, from: Int64)? {
        state.withLock { state in
            guard state.clients.count < settings.maxClients else { return nil }
            let client = StreamClient(id: state.nextId, types: types, capacity: settings.clientBuffer)
            state.nextId += 1
            state.clients[client.id] = client
            return (client, state.delivered)
        }
    }

    func unregister(_ client: StreamClient) {
        _ = state.withLock { $0.clients.removeValue(forKey: client.id) }
    }

    /// Ends the follower (tests; in the server it ends when the store closes).
    func stop() async {
        let task = follower.withLock { $0 }
        task?.cancel()
        await task?.value
    }

    /// Ends every client's stream (shutdown).
    func endAll() {
        let clients = state.withLock { state in
            defer { state.clients = [:] }
            return Array(state.clients.values)
        }
        for client in clients { client.end(.shutdown) }
    }

    // MARK: Following the log

    private enum Wake: Sendable {
        case signal
        case heartbeat
    }

    /// Wakes on each store signal, every follow interval and every heartbeat; holds the hub weakly so that a hub
    /// nobody uses any more is not kept alive by its follower.
    private func startFollowing(_ signals: AsyncStream<StoreChangeSignal>) {
        let settings = settings
        let task = Task { [weak self] in
            let (wakes, wake) = AsyncStream.makeStream(of: Wake.self, bufferingPolicy: .bufferingNewest(64))
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in signals { wake.yield(.signal) }
                    wake.finish()
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: settings.followInterval)
                        wake.yield(.signal)
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: settings.heartbeat)
                        wake.yield(.heartbeat)
                    }
                }
                for await reason in wakes {
                    guard let hub = self, !Task.isCancelled else { break }
                    switch reason {
                    case .signal: await hub.deliverNew()
                    case .heartbeat: hub.beat()
                    }
                }
                group.cancelAll()
                wake.finish()
            }
            self?.endAll()
        }
        follower.withLock { $0 = task }
    }

    /// Reads the events after the last one delivered and offers each to every client, a page at a time.
    func deliverNew() async {
        while true {
            let after = state.withLock { $0.delivered }
            let events: [FeedEvent]
            do {
                events = try await store.feedEvents(after: after, limit: settings.page)
            } catch {
                logger.warning("Could not read the feed events; retrying at the next signal", metadata: ["reason": "\(error)"])
                return
            }
            guard !events.isEmpty else { return }
            // Each event is framed once for every client (a thousand clients shared one rendering of it).
            let framed = events.map { (event: $0, frame: SSE.frame($0)) }
            let (fresh, dropped) = state.withLock { state -> ([FeedEvent], [StreamClient]) in
                var fresh: [FeedEvent] = []
                var dropped: [StreamClient] = []
                for (event, frame) in framed where event.sequence > state.delivered {
                    state.delivered = event.sequence
                    fresh.append(event)
                    for (id, client) in state.clients where !client.enqueue(.event(event, frame: frame)) {
                        state.clients[id] = nil
                        dropped.append(client)
                    }
                }
                return (fresh, dropped)
            }
            // The clients write what was queued at the next fan-out, not once per event.
            if !fresh.isEmpty { wakeClients() }
            for event in fresh { metrics?.recorded(event) }
            for client in dropped {
                logger.info("Dropped a stream client that fell behind", metadata: ["buffer": "\(settings.clientBuffer)"])
                metrics?.droppedStreamClient()
                client.end(.dropped)
            }
            if events.count < settings.page { return }
        }
    }

    /// Wakes every client to write what it has queued, now if the last wake-up is an interval ago, else once at the
    /// end of the interval (however many events come meanwhile). Outside the hub's lock: a client's task runs as soon
    /// as it is resumed.
    private func wakeClients() {
        let now = ContinuousClock.now
        let wait = fanOut.withLock { fanOut -> Duration? in
            if fanOut.scheduled { return nil }
            if let last = fanOut.last, now - last < settings.fanOutInterval {
                fanOut.scheduled = true
                return settings.fanOutInterval - (now - last)
            }
            fanOut.last = now
            return .zero
        }
        guard let wait else { return }
        if wait == .zero {
            wakeAll()
            return
        }
        Task { [weak self] in
            try? await Task.sleep(for: wait)
            guard let self else { return }
            self.fanOut.withLock { fanOut in
                fanOut.scheduled = false
                fanOut.last = .now
            }
            self.wakeAll()
        }
    }

    private func wakeAll() {
        let clients = state.withLock { Array($0.clients.values) }
        for client in clients { client.wake() }
    }

    /// A heartbeat to every client, and forgets registrations whose response never started.
    private func beat() {
        let stale = state.withLock { state -> [StreamClient] in
            var stale: [StreamClient] = []
            for (id, client) in state.clients {
                if client.neverStarted(within: settings.startGrace) {
                    state.clients[id] = nil
                    stale.append(client)
                } else {
                    _ = client.offer(.heartbeat)
                }
            }
            return stale
        }
        for client in stale { client.end(.disconnected) }
    }

    // MARK: One client's stream

    /// Writes a client's stream until it ends: a `retry:` hint, the events after `resumeAfter` up to `from` read from
    /// the log (a resume with `Last-Event-ID`), then the live events after `from` as they come, with heartbeats.
    func pump(_ client: StreamClient, from: Int64, resumeAfter: Int64?, into output: StreamOutput) async throws {
        client.markStarted()
        try await output.write(ByteBuffer(string: "retry: 2000\n\n"))
        var floor = from
        if let resumeAfter {
            if resumeAfter < from { try await replay(client, after: resumeAfter, through: from, into: output) }
            floor = max(from, resumeAfter)
        }
        while let items = await client.take() {
            var buffer = ByteBuffer()
            for item in items {
                switch item {
                case .heartbeat:
                    buffer.writeString(": heartbeat\n\n")
                case .event(let event, let frame):
                    if event.sequence > floor { buffer.writeImmutableBuffer(frame) }
                }
            }
            if buffer.readableBytes > 0 { try await output.write(buffer) }
        }
    }

    /// The events after `after` through `through`, from the log; says so in a comment when some were pruned.
    private func replay(_ client: StreamClient, after: Int64, through: Int64, into output: StreamOutput) async throws {
        var last = after
        var first = true
        while last < through {
            let page = try await store.feedEvents(after: last, limit: settings.page)
            guard let end = page.last else { break }
            var buffer = ByteBuffer()
            if first, let oldest = page.first, oldest.sequence > after + 1 {
                buffer.writeString(": events \(after + 1) to \(oldest.sequence - 1) are past the retention period\n\n")
            }
            first = false
            for event in page where event.sequence <= through && client.wants(event) { SSE.write(event, into: &buffer) }
            if buffer.readableBytes > 0 { try await output.write(buffer) }
            last = end.sequence
        }
    }
}

/// Server-sent events framing (the WHATWG HTML standard's `text/event-stream`).
enum SSE {
    /// `id:` the sequence, `event:` the type, `data:` the payload (one line: the JSON has no raw newline).
    static func write(_ event: FeedEvent, into buffer: inout ByteBuffer) {
        buffer.writeString("id: \(event.sequence)\nevent: \(event.type)\ndata: \(event.payload)\n\n")
    }

    /// The event's frame on its own, rendered once and shared by every client it is offered to.
    static func frame(_ event: FeedEvent) -> ByteBuffer {
        var buffer = ByteBuffer()
        write(event, into: &buffer)
        return buffer
    }
}

/// Where a client's stream is written: the response's body writer, moved into the task that pumps the stream.
final class StreamOutput: @unchecked Sendable {
    // Unchecked: exactly one task uses `writer` at a time. The route's body hands it to the pump task and awaits
    // that task's end before it touches the writer again; nothing else holds the box.
    var writer: any ResponseBodyWriter

    init(_ writer: any ResponseBodyWriter) {
        self.writer = writer
    }

    func write(_ buffer: ByteBuffer) async throws {
        try await writer.write(buffer)
    }
}

/// One client of the stream: its type filter and the bounded buffer the hub fills and the client's task empties.
final class StreamClient: Sendable {
    enum Item: Sendable {
        /// An event and its frame (``SSE/frame(_:)``), rendered once for every client.
        case event(FeedEvent, frame: ByteBuffer)
        case heartbeat
    }

    enum End: Sendable, Equatable {
        /// Its buffer overflowed.
        case dropped
        /// The server is shutting down.
        case shutdown
        /// The connection went away (or never started).
        case disconnected
    }

    private struct State {
        var queue: [Item] = []
        var queuedEvents = 0
        var heartbeatQueued = false
        var waiter: CheckedContinuation<[Item]?, Never>?
        var end: End?
        var onEnd: (@Sendable () -> Void)?
        var started = false
    }

    let id: Int
    /// The event types the client asked for; `nil` for all.
    let types: Set<String>?
    let capacity: Int
    private let registeredAt = ContinuousClock.now
    private let state = Mutex(State())

    init(id: Int, types: Set<String>?, capacity: Int) {
        self.id = id
        self.types = types
        self.capacity = capacity
    }

    func wants(_ event: FeedEvent) -> Bool { types?.contains(event.type) ?? true }

    /// Queues an item without waiting and wakes the client's task; false when the buffer is full (the caller drops
    /// the client). Events the client did not ask for are not queued.
    func offer(_ item: Item) -> Bool {
        let accepted = enqueue(item)
        if accepted { wake() }
        return accepted
    }

    /// Queues an item without waking the client's task (``wake()`` does, once for many items); false when the buffer
    /// is full.
    func enqueue(_ item: Item) -> Bool {
        if case .event(let event, _) = item, !wants(event) { return true }
        return state.withLock { state -> Bool in
            guard state.end == nil else { return true }
            switch item {
            case .event:
                guard state.queuedEvents < capacity else { return false }
                state.queuedEvents += 1
            case .heartbeat:
                guard !state.heartbeatQueued else { return true }
                state.heartbeatQueued = true
            }
            state.queue.append(item)
            return true
        }
    }

    /// Hands what is queued to the client's task if it is waiting for it.
    func wake() {
        let ready = state.withLock { state -> (CheckedContinuation<[Item]?, Never>, [Item])? in
            guard !state.queue.isEmpty, let waiter = state.waiter else { return nil }
            state.waiter = nil
            return (waiter, Self.drain(&state))
        }
        if let (waiter, items) = ready { waiter.resume(returning: items) }
    }

    /// The items queued, waiting for one when there is none; `nil` once the client has ended. Cancelling the
    /// waiting task ends the client.
    func take() async -> [Item]? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[Item]?, Never>) in
                let ready = state.withLock { state -> [Item]?? in
                    if state.end != nil { return .some(nil) }
                    if !state.queue.isEmpty { return .some(Self.drain(&state)) }
                    state.waiter = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            self.end(.disconnected)
        }
    }

    /// Ends the client: its waiting ``take()`` returns `nil`, and (unless it went away by itself) `onEnd` runs,
    /// which cancels a write that may be waiting on a client that reads too slowly.
    func end(_ reason: End) {
        let (waiter, onEnd) = state.withLock { state -> (CheckedContinuation<[Item]?, Never>?, (@Sendable () -> Void)?) in
            guard state.end == nil else { return (nil, nil) }
            state.end = reason
            state.queue = []
            defer {
                state.waiter = nil
                state.onEnd = nil
            }
            return (state.waiter, state.onEnd)
        }
        waiter?.resume(returning: nil)
        if reason != .disconnected { onEnd?() }
    }

    /// Why the client ended, if it has.
    var ended: End? { state.withLock { $0.end } }

    /// Sets what ending the client does to its writer; runs it at once if the client has already ended.
    func onEnd(_ action: @escaping @Sendable () -> Void) {
        let endedBefore = state.withLock { state -> End? in
            if state.end == nil { state.onEnd = action }
            return state.end
        }
        if let endedBefore, endedBefore != .disconnected { action() }
    }

    func markStarted() { state.withLock { $0.started = true } }

    func neverStarted(within grace: Duration) -> Bool {
        state.withLock { !$0.started } && ContinuousClock.now - registeredAt > grace
    }

    private static func drain(_ state: inout State) -> [Item] {
        defer {
            state.queue = []
            state.queuedEvents = 0
            state.heartbeatQueued = false
        }
        return state.queue
    }
}
