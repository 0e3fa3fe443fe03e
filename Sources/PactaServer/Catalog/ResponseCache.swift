import HTTPTypes
import Hummingbird
import NIOCore
import PactaCore
import Synchronization

/// Holds the bytes of read responses that are a function of the catalog snapshot, the URI and today's date, so
/// that dashboards polling the same URL get the encoded answer without evaluating or encoding it again.
///
/// A held answer costs a lookup: the same status URL polled at 100,000 agreements answered 46,000 req/s held against
/// 32,000–33,000 computed each time (BENCHMARKS.md, "The response cache"). An entry is keyed by the snapshot's
/// generation, which every change of the snapshot increases, and by the date the server takes as today (the default
/// `asOf`): a write or midnight makes every older entry unreachable, and least recently used entries are dropped.
///
/// An answer is held the second time its key is asked, not the first (a "doorkeeper", as in TinyLFU): most keys at
/// scale are asked once (every date or window new), and holding each of them cost 8–19% of a status request in
/// store and eviction while it flushed the answers that dashboards poll (BENCHMARKS.md, "The response cache").
/// Only the read-only paths listed in ``cacheable(_:)`` are held; `/healthz`, `/readyz`, `/metrics` and history
/// (which reads the store) never are. Authentication runs before this middleware, so a cached answer is never
/// served to a caller the server would refuse.
final class ResponseCache: Sendable {
    struct Key: Hashable, Sendable {
        let generation: UInt64
        let today: CalendarDate
        let uri: String
    }

    struct Entry: Sendable {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let body: ByteBuffer
    }

    /// Eviction is "second chance" (the clock algorithm): entries leave in insertion order, except that one read
    /// since it last came round earns another turn. O(1) per read, unlike a recency list, which costs a search
    /// among thousands of keys on every hit.
    private struct Entries: Sendable {
        var byKey: [Key: (entry: Entry, referenced: Bool)] = [:]
        var queue: [Key] = []
        var head = 0
        var bytes = 0

        mutating func evictOne() {
            while head < queue.count {
                let key = queue[head]
                head += 1
                if byKey[key]?.referenced == true {
                    byKey[key]?.referenced = false
                    queue.append(key)
                } else if let dropped = byKey.removeValue(forKey: key) {
                    bytes -= ResponseCache.size(dropped.entry, key)
                    break
                }
            }
            if head > 1_024, head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
        }
    }

    /// The keys asked once, by hash: one slot per hash modulo the count, overwritten by the next key that lands there,
    /// so a key is remembered while fewer than about `slots.count` other keys have been asked since. Sized above the
    /// number of answers the byte budget holds, so a key polled between two full turns of the cache is still known.
    private struct Doorkeeper: Sendable {
        var slots = [Int](repeating: 0, count: 1 << 16)

        /// Whether `hash` was asked before; if not, remembers it.
        mutating func knows(_ hash: Int) -> Bool {
            let slot = Int(UInt(bitPattern: hash) % UInt(slots.count))
            if slots[slot] == hash { return true }
            slots[slot] = hash
            return false
        }
    }

    /// Entries larger than this are not held (large lists and feeds; feeds are held by ``SnapshotDerivations``).
    let maxEntryBytes: Int
    let maxTotalBytes: Int
    private let entries = Mutex(Entries())
    private let doorkeeper = Mutex(Doorkeeper())

    init(maxEntryBytes: Int = 256 << 10, maxTotalBytes: Int = 32 << 20) {
        self.maxEntryBytes = maxEntryBytes
        self.maxTotalBytes = maxTotalBytes
    }

    static func size(_ entry: Entry, _ key: Key) -> Int { entry.body.readableBytes + key.uri.utf8.count }

    func entry(_ key: Key) -> Entry? {
        entries.withLock { entries in
            guard let held = entries.byKey[key] else { return nil }
            if !held.referenced { entries.byKey[key]?.referenced = true }
            return held.entry
        }
    }

    /// Whether the answer for `key`, just computed, is worth holding: true when the key was asked before and not held.
    /// The first time a key is asked it is only remembered.
    func admits(_ key: Key) -> Bool {
        let hash = key.hashValue
        return doorkeeper.withLock { $0.knows(hash) }
    }

    func store(_ entry: Entry, for key: Key) {
        let size = Self.size(entry, key)
        guard size <= maxEntryBytes else { return }
        entries.withLock { entries in
            guard entries.byKey[key] == nil else { return }
            entries.byKey[key] = (entry, false)
            entries.queue.append(key)
            entries.bytes += size
            while entries.bytes > maxTotalBytes, !entries.byKey.isEmpty { entries.evictOne() }
        }
    }

    var count: Int { entries.withLock { $0.byKey.count } }

    /// Paths whose GET answer depends only on the snapshot, the query and today's date.
    static func cacheable(_ path: String) -> Bool {
        guard path.hasPrefix("/v1/") else { return false }
        if path.hasSuffix("/history") { return false }
        // Subscriptions and their deliveries live in the store, not in the snapshot.
        if path.hasPrefix("/v1/webhooks") { return false }
        // The stream never ends: its body cannot be held.
        if path == StreamRoute.path { return false }
        return true
    }
}

struct ResponseCacheMiddleware<Context: RequestContext>: RouterMiddleware {
    let catalog: AgreementCatalog
    let cache: ResponseCache
    let today: @Sendable () -> CalendarDate

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        guard request.method == .get, ResponseCache.cacheable(request.uri.path) else {
            return try await next(request, context)
        }
        // Read before the handler runs: if a write lands in between, the answer is filed under a generation that no
        // later request asks for.
        let key = ResponseCache.Key(generation: catalog.snapshot.generation, today: today(), uri: request.uri.description)
        if let entry = cache.entry(key) {
            return Response(status: entry.status, headers: entry.headers, body: ResponseBody(byteBuffer: entry.body))
        }
        var response = try await next(request, context)
        guard response.status == .ok else { return response }
        // Too large to be held: collecting it anyway copied it for every response (a 3.5 MB feed polled by 64 clients
        // held 64 copies: the harness's peak went from 380 to 598 MiB on that row); nor does it take a doorkeeper's slot.
        if let length = response.body.contentLength, length > cache.maxEntryBytes { return response }
        guard cache.admits(key) else { return response }
        let body = try await ETagMiddleware<Context>.collect(response.body)
        response.body = ResponseBody(byteBuffer: body)
        cache.store(.init(status: response.status, headers: response.headers, body: body), for: key)
        return response
    }
}
