import Foundation
import PactaCore
import PactaStore
import Synchronization

/// The recent end of the event log, shared by every subscription a deliverer serves: the log is read once for all of
/// them (not once per subscription and event), and each event's payload is rendered once (then only signed per
/// subscription).
///
/// It holds every event in `(floor, through]`. A subscription whose cursor is behind `floor` (a backlog older than
/// the tail) reads the store directly. The tail reads the store again only when something may have been committed
/// since its last read (``changed()``: every commit signal and claim), so a wake-up costs one read whatever the
/// number of subscriptions.
final class WebhookFeedTail: Sendable {
    /// An event ready to send.
    struct Entry: Sendable {
        let event: FeedEvent
        /// ``WebhookPayload/bytes(of:)``, rendered once.
        let body: [UInt8]
        /// When the event was committed, in milliseconds since 1970, as well as this server knows: when it first read
        /// it, kept within the recorded timestamp's second (which is all the log records).
        let committedAt: Int64
    }

    private struct State {
        var entries: [Entry] = []
        /// `nil` until the first read.
        var floor: Int64?
        var through: Int64 = 0
        var generation = 0
        /// The generation the last complete read began at: when it is `generation`, nothing new can be in the log.
        var readGeneration = -1
        var loading: Task<Void, any Error>?
    }

    let store: any AgreementStore
    let capacity: Int
    let page: Int
    let now: @Sendable () -> Int64
    private let state = Mutex(State())

    init(store: any AgreementStore, capacity: Int = 4_096, page: Int = 256, now: @escaping @Sendable () -> Int64) {
        self.store = store
        self.capacity = capacity
        self.page = page
        self.now = now
    }

    /// Something may have been committed: the next request reads the store again.
    func changed() {
        state.withLock { $0.generation += 1 }
    }

    /// Up to `limit` events after sequence `after`, in order.
    func events(after: Int64, limit: Int) async throws -> [Entry] {
        // A read that began after this request did is fresh enough for it, whatever was committed since.
        var wanted: Int?
        for _ in 0..<3 {
            enum Next {
                case served([Entry])
                case wait(Task<Void, any Error>)
                case direct
            }
            let next = state.withLock { state -> Next in
                let fresh = wanted ?? state.generation
                wanted = fresh
                if state.floor == nil || after > state.through {
                    // Nothing read yet, or a cursor ahead of the tail (it was read elsewhere): start here.
                    guard state.loading == nil else { return .wait(state.loading!) }
                    state.floor = after
                    state.through = after
                    state.entries = []
                    state.readGeneration = -1
                }
                guard let floor = state.floor, after >= floor else { return .direct }
                let start = state.entries.partitionPoint { $0.event.sequence <= after }
                let available = state.entries[start...].prefix(limit)
                if available.count == limit || state.readGeneration >= fresh {
                    return .served(Array(available))
                }
                if let loading = state.loading { return .wait(loading) }
                let task = load(from: state.through, generation: state.generation)
                state.loading = task
                return .wait(task)
            }
            switch next {
            case .served(let entries): return entries
            case .direct: return try await prepare(store.feedEvents(after: after, limit: limit))
            case .wait(let task): try await task.value
            }
        }
        // The tail kept moving under this request: read the store for it alone.
        return try await prepare(store.feedEvents(after: after, limit: limit))
    }

    /// Reads the events after `through` and appends them; marks the tail complete for `generation` when the read
    /// reached the end of the log.
    private func load(from through: Int64, generation: Int) -> Task<Void, any Error> {
        Task {
            let read: [FeedEvent]
            do {
                read = try await store.feedEvents(after: through, limit: page)
            } catch {
                state.withLock { $0.loading = nil }
                throw error
            }
            let entries = prepare(read)
            state.withLock { state in
                defer { state.loading = nil }
                guard state.through == through else { return }
                state.entries += entries
                state.through = entries.last?.event.sequence ?? through
                if entries.count < page { state.readGeneration = generation }
                if state.entries.count > capacity {
                    let dropped = state.entries.count - capacity
                    state.floor = state.entries[dropped - 1].event.sequence
                    state.entries.removeFirst(dropped)
                }
            }
        }
    }

    private func prepare(_ events: [FeedEvent]) -> [Entry] {
        let seen = now()
        return events.map { event in
            let recorded = Self.milliseconds(event.timestamp) ?? seen
            return Entry(
                event: event,
                body: WebhookPayload.bytes(of: event),
                committedAt: min(max(seen, recorded), recorded + 999)
            )
        }
    }

    /// An RFC 3339 timestamp (as the log records it) in milliseconds since 1970.
    static func milliseconds(_ timestamp: String) -> Int64? {
        (try? Date(timestamp, strategy: .iso8601)).map { Int64(($0.timeIntervalSince1970 * 1_000).rounded()) }
    }
}
