import Logging
import PactaCore
import PactaStore
import Synchronization

/// The agreements the server answers from: an immutable in-memory snapshot of the store, replaced
/// atomically after each committed write.
///
/// Reads never touch the database. Writes go through one at a time (a write gate), so the snapshot is
/// always updated in the order the store committed.
///
/// Other servers sharing the database write too: a follower task reads what they committed
/// (``AgreementStore/changes(after:limit:)``) whenever the store signals that its revision moved, and every
/// ``followInterval`` in case a signal went astray, and applies it inside the same gate.
public final class AgreementCatalog: Sendable {
    /// One consistent view of all agreements.
    public struct Snapshot: Sendable {
        /// Every agreement with its linked agreements resolved (``Agreement/linked``, ``CatalogLinks``): what the engine
        /// is given on every path. The documents (what GET returns and the store keeps) do not include the links.
        public let byId: [String: StoredAgreement]
        /// Ids in ascending order, for stable pagination.
        public let sortedIds: [String]
        /// The agreements in the order of `sortedIds`, so a list scan needs no hash lookups.
        public let ordered: [StoredAgreement]
        /// The store revision of the last write the snapshot includes.
        public let revision: Int64
        /// Counts the snapshots this one descends from. Unlike `revision` it moves on every change: a change another
        /// server committed before this process's last write is applied after it, below the snapshot's revision.
        public let generation: UInt64
        /// Which agreements name which in their rules: the agreements re-resolved when one they name is written.
        let links: CatalogLinks
        /// Every agreement's id and version, summed into the tag of answers computed from all of them.
        let contents: CatalogTag
        /// Answers computed from this snapshot and held while it is current (``SnapshotDerivations``).
        let derived: SnapshotDerivations

        init(_ agreements: [StoredAgreement], revision: Int64) {
            var byId: [String: StoredAgreement] = [:]
            byId.reserveCapacity(agreements.count)
            for stored in agreements { byId[stored.agreement.id] = stored }
            let links = CatalogLinks(byId.values)
            // Resolved against the documents as loaded: a linked agreement is given without its own links, so the
            // order does not matter.
            let documents = byId
            for id in Set(links.dependents.values.joined()) {
                if let stored = documents[id] { byId[id] = CatalogLinks.resolved(stored) { documents[$0] } }
            }
            let ordered = byId.values.sorted { $0.agreement.id < $1.agreement.id }
            self.init(
                byId: byId,
                ordered: ordered,
                revision: revision,
                generation: 0,
                links: links,
                contents: CatalogTag(ordered),
                derived: SnapshotDerivations()
            )
        }

        private init(
            byId: [String: StoredAgreement],
            ordered: [StoredAgreement],
            revision: Int64,
            generation: UInt64,
            links: CatalogLinks,
            contents: CatalogTag,
            derived: SnapshotDerivations
        ) {
            self.byId = byId
            self.ordered = ordered
            self.sortedIds = ordered.map(\.agreement.id)
            self.revision = revision
            self.generation = generation
            self.links = links
            self.contents = contents
            self.derived = derived
        }

        /// The snapshot after one write, committed at `revision`: one binary search and an insertion, not a sort of
        /// everything. The written agreement is resolved against this snapshot, and the agreements that name it are
        /// resolved again against the new one (their answers change with it; their documents do not), each queued on
        /// the lifecycle index as a change of its own.
        func replacing(_ id: String, with written: StoredAgreement?, revision: Int64) -> Snapshot {
            let revision = max(self.revision, revision)
            var byId = byId
            var ordered = ordered
            let index = sortedIds.partitionPoint { $0 < id }
            let present = index < sortedIds.count && sortedIds[index] == id
            let stored = written.map { document in CatalogLinks.resolved(document) { byId[$0] } }
            var contents = contents
            if let old = byId[id] { contents.remove(old) }
            if let stored { contents.add(stored) }
            byId[id] = stored
            var changes: [SnapshotDerivations.Change] = []
            switch (present, stored) {
            case (true, let stored?):
                ordered[index] = stored
                changes.append(.replaced(at: index, by: stored))
            case (true, nil):
                ordered.remove(at: index)
                changes.append(.removed(at: index, id: id))
            case (false, let stored?):
                ordered.insert(stored, at: index)
                changes.append(.inserted(at: index, stored))
            case (false, nil):
                return Snapshot(
                    byId: byId,
                    ordered: ordered,
                    revision: revision,
                    generation: generation + 1,
                    links: links,
                    contents: contents,
                    derived: derived
                )
            }
            let nextLinks = links.updating(from: present ? self.byId[id]?.agreement : nil, to: stored?.agreement)
            for dependent in nextLinks.dependents(of: id) {
                guard let held = byId[dependent] else { continue }
                let position = ordered.partitionPoint { $0.agreement.id < dependent }
                let resolved = CatalogLinks.resolved(held) { byId[$0] }
                byId[dependent] = resolved
                ordered[position] = resolved
                changes.append(.replaced(at: position, by: resolved))
            }
            return Snapshot(
                byId: byId,
                ordered: ordered,
                revision: revision,
                generation: generation + 1,
                links: nextLinks,
                contents: contents,
                derived: derived.carried(over: changes)
            )
        }
    }

    let store: any AgreementStore
    private let current: Mutex<Snapshot>
    private let gate = WriteGate()
    /// How many threads build lifecycles after a start (rebuilds after writes use one).
    private let lifecycleThreads: Int
    /// Whether a lifecycle index is being built.
    private let buildingLifecycles = Atomic<Bool>(false)
    /// Every write committed at or below this revision is in the snapshot: the follower reads the changes after it.
    /// Moved only inside the write gate. It lags the snapshot's revision when another server committed between
    /// this one's writes, and then only the follower may move it, having read what lies in between.
    private let followed: Atomic<Int64>
    /// Whether the store hears of every write and the snapshot has everything it had heard of, as of the last read.
    /// Changed only with ``staleSince``, under its lock (``markStale()``, ``follow(hearsEveryWrite:)``).
    private let caughtUp: Atomic<Bool>
    /// While not caught up: since when the snapshot is not known to hold every committed write (the moment the feed
    /// was lost or a read of the store failed, or the load at start). `nil` while caught up.
    private let staleSince: Mutex<ContinuousClock.Instant?>
    private let follower = Mutex<Task<Void, Never>?>(nil)
    /// How often the follower reads the store's changes without being signalled (a safety net: signals are what it
    /// waits for).
    public let followInterval: Duration
    private let logger = Logger(label: "pacta.catalog")
    /// Loads the catalog from its snapshot file at start and writes the file again as the catalog moves on; `nil`
    /// when no snapshot is kept.
    let snapshotKeeper: CatalogSnapshotKeeper?
    /// Lifecycles read from the snapshot file for agreement versions still current: the first index takes them
    /// instead of walking the engine again, and lets go of them.
    private let preloadedLifecycles: Mutex<PreloadedLifecycles?>
    /// How many lifecycles the first index took from the snapshot file (tests).
    let lifecyclesFromSnapshot = Atomic<Int>(0)

    /// The most changes applied in one turn of the write gate: a server that was cut off for long catches up in
    /// several, letting this process's writes through in between.
    static let followPage = 1_000

    /// Writes queued on a lifecycle index before the next is built: until then each read asks the engine about
    /// each of them.
    static let rebuildAfterWrites = 8

    /// Loads every agreement (from the snapshot file brought forward, when `snapshot` is set and the file is usable;
    /// else from the rows), starts building the lifecycle index on `lifecycleThreads` threads in the
    /// background (answers come from the engine until it is ready), and starts following other servers' writes;
    /// returns once caught up with them, or after `catchUpWait` (then ``isCaughtUp`` tells when it is).
    public init(
        store: any AgreementStore,
        lifecycleThreads: Int = 1,
        followInterval: Duration = .seconds(5),
        catchUpWait: Duration = .seconds(2),
        snapshot: CatalogSnapshotSettings? = nil
    ) async throws {
        self.store = store
        self.lifecycleThreads = max(1, lifecycleThreads)
        self.followInterval = followInterval
        let subscription = store.changeSignals()
        let loading = ContinuousClock.now
        let keeper = try await CatalogSnapshotKeeper.make(
            settings: snapshot,
            store: store,
            logger: Logger(label: "pacta.catalog")
        )
        self.snapshotKeeper = keeper
        let loaded =
            if let keeper {
                try await keeper.load(from: store)
            } else {
                CatalogSnapshotKeeper.Loaded(contents: try await store.contents(), lifecycles: nil)
            }
        let contents = loaded.contents
        self.preloadedLifecycles = Mutex(loaded.lifecycles)
        self.current = Mutex(Snapshot(contents.agreements, revision: contents.revision))
        self.followed = Atomic(contents.revision)
        // Read after subscribing to a feed that heard every write: caught up, whenever the follower gets to run.
        self.caughtUp = Atomic(subscription.wasEstablished)
        self.staleSince = Mutex(subscription.wasEstablished ? nil : loading)
        refreshLifecycles()
        startFollowing(subscription.signals, established: subscription.wasEstablished)
        keeper?.catalogChanged(self)
        let deadline = ContinuousClock.now + catchUpWait
        while !isCaughtUp, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
    }

    /// Whether the current snapshot answers states and deadlines from a lifecycle index.
    public var lifecyclesReady: Bool { snapshot.hasLifecycleIndex }

    /// Whether the snapshot holds every write the store had committed when it last signalled, other servers'
    /// included: after a start, once the catalog has read the store after its signal feed heard every write, and
    /// false from a lost feed until the catch-up after it is back. A replica that is not caught up answers from an
    /// older copy, so it is not ready.
    public var isCaughtUp: Bool { caughtUp.load(ordering: .acquiring) }

    /// How far behind the database the snapshot may be, or `nil` while it is caught up (``isCaughtUp``): reads go on
    /// from memory while the database is unreachable, and say so (``StalenessMiddleware``).
    public struct Staleness: Sendable, Equatable {
        /// Since when the snapshot is not known to hold every committed write.
        public let since: ContinuousClock.Instant
        /// The snapshot holds every write committed up to this store revision (and perhaps some later ones).
        public let completeThrough: Int64
    }

    public var staleness: Staleness? {
        guard !isCaughtUp else { return nil }
        return staleSince.withLock { since in
            since.map { Staleness(since: $0, completeThrough: followedRevision) }
        }
    }

    /// The feed was lost: from now on a write may go unannounced.
    private func markStale() {
        staleSince.withLock { since in
            if since == nil { since = .now }
            caughtUp.store(false, ordering: .releasing)
        }
    }

    /// Reads every change not in the snapshot yet. Afterwards the snapshot is caught up if the read went to the end
    /// and the feed heard every write meanwhile (so nothing committed since went unannounced). A read to the end
    /// without the feed leaves it complete as of the read's start; a failed read, not known to be complete from its
    /// start on (the database may be unreachable before the feed notices).
    private func follow(hearsEveryWrite: Bool) async {
        let started = ContinuousClock.now
        let readToTheEnd = await catchUp()
        staleSince.withLock { since in
            if readToTheEnd {
                since = hearsEveryWrite ? nil : started
            } else if since == nil {
                since = started
            }
            caughtUp.store(since == nil, ordering: .releasing)
        }
    }

    /// The revision the follower reads changes after (tests).
    var followedRevision: Int64 { followed.load(ordering: .acquiring) }

    /// Ends the follower and waits for it (the store closing ends it too).
    public func stopFollowing() async {
        let task = follower.withLock { $0 }
        task?.cancel()
        await task?.value
    }

    /// Wakes on each store signal and every ``followInterval``; holds the catalog weakly, so that a catalog
    /// nobody uses any more is not kept alive by its follower.
    private func startFollowing(_ signals: AsyncStream<StoreChangeSignal>, established: Bool) {
        let interval = followInterval
        let task = Task { [weak self] in
            // `nil` is the interval's tick.
            let (wakes, wake) = AsyncStream.makeStream(of: StoreChangeSignal?.self)
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await signal in signals { wake.yield(signal) }
                    wake.finish()
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: interval)
                        wake.yield(nil)
                    }
                }
                var hearsEveryWrite = established
                for await signal in wakes {
                    guard let catalog = self else { break }
                    switch signal {
                    case .interrupted:
                        hearsEveryWrite = false
                        catalog.markStale()
                    case .catchUp:
                        hearsEveryWrite = true
                        await catalog.follow(hearsEveryWrite: true)
                    case .committed(let revision):
                        // Signals queued while a read went past them (this process's own writes among them).
                        guard revision > catalog.followedRevision else { continue }
                        await catalog.follow(hearsEveryWrite: hearsEveryWrite)
                    case nil:
                        await catalog.follow(hearsEveryWrite: hearsEveryWrite)
                    }
                }
                group.cancelAll()
            }
        }
        follower.withLock { $0 = task }
    }

    /// Reads and applies every change after ``followedRevision``, a page per turn of the write gate; returns whether
    /// it read to the end (false when the store could not be read: the next signal or tick tries again).
    func catchUp() async -> Bool {
        do {
            while try await gate.run({ try await self.applyNextChanges() }) {}
            return true
        } catch {
            logger.warning(
                "Could not read other servers' writes; retrying at the next signal",
                metadata: ["reason": "\(error)"]
            )
            return false
        }
    }

    /// Applies one page of changes; returns whether there may be more. Runs inside the write gate, and reads the
    /// store there too: every write of this process has committed before the read, so the read's state of each
    /// agreement is never older than the snapshot's.
    private func applyNextChanges() async throws -> Bool {
        let after = followedRevision
        let changes = try await store.changes(after: after, limit: Self.followPage)
        guard let last = changes.last else { return false }
        var next = snapshot
        for change in changes {
            // Compared agreement by agreement, not with the snapshot's revision: a write of this process may have
            // committed after this change and so be in the snapshot already, with a higher revision.
            let held = next.byId[change.id]
            if let held, held.revision >= change.revision { continue }  // this process's own write
            if held == nil, change.stored == nil { continue }  // created and deleted elsewhere since
            next = next.replacing(change.id, with: change.stored, revision: change.revision)
        }
        if next.generation != snapshot.generation {
            current.withLock { $0 = next }
            refreshLifecycles()
        }
        followed.store(max(after, last.revision), ordering: .releasing)
        snapshotKeeper?.catalogChanged(self)
        return changes.count == Self.followPage
    }

    /// Starts building a lifecycle index for the current snapshot, off the request path, unless one is being built
    /// or the current index has fewer than ``rebuildAfterWrites`` writes queued on it. Unchanged agreements keep
    /// their lifecycles; only the written ones are built again.
    private func refreshLifecycles() {
        let snapshot = self.snapshot
        let track = snapshot.derived.lifecycles.withLock { $0 }
        guard track.index == nil || track.changes.count >= Self.rebuildAfterWrites,
            buildingLifecycles.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        let threads = track.index == nil ? lifecycleThreads : 1
        let preloaded = track.index == nil ? preloadedLifecycles.withLock { $0 } : nil
        LifecycleBuilds.queue.async {
            let usable = preloaded.flatMap { preloaded -> PreloadedLifecycles? in
                guard let differing = preloaded.firstDiffering(in: snapshot.ordered) else { return preloaded }
                self.logger.notice(
                    "Not using the snapshot's lifecycles: this build says them differently; building them again",
                    metadata: ["agreement": "\(differing)"]
                )
                self.snapshotKeeper?.lifecyclesRefused()
                return nil
            }
            let started = ContinuousClock.now
            let index = LifecycleBuilds.build(
                snapshot.ordered,
                reusing: track.index,
                preloaded: usable,
                changed: Set(track.changes.map(\.id)),
                threads: threads
            )
            if let usable { self.lifecyclesFromSnapshot.store(usable.taken, ordering: .relaxed) }
            if track.index == nil {
                // The first index after a start: how long it took and how much of it the snapshot file spared.
                let elapsed = (ContinuousClock.now - started).components
                self.logger.info(
                    "Lifecycle index built",
                    metadata: [
                        "agreements": "\(snapshot.ordered.count)",
                        "from_snapshot": "\(usable?.taken ?? 0)",
                        "milliseconds": "\(elapsed.seconds * 1_000 + elapsed.attoseconds / 1_000_000_000_000_000)",
                    ]
                )
            }
            Task { await self.install(index, over: track.index, consumed: track.changes.count) }
        }
    }

    /// Makes `index` (built over `previous` and the first `consumed` writes queued on it) the current snapshot's,
    /// with the writes since queued on it; inside the write gate, so no write is queued meanwhile.
    private func install(_ index: LifecycleIndex, over previous: LifecycleIndex?, consumed: Int) async {
        _ = try? await gate.run {
            self.snapshot.derived.lifecycles.withLock { track in
                guard track.index === previous, track.changes.count >= consumed else { return }
                track = SnapshotDerivations.Lifecycles(index: index, changes: Array(track.changes[consumed...]))
            }
        }
        preloadedLifecycles.withLock { $0 = nil }
        buildingLifecycles.store(false, ordering: .releasing)
        refreshLifecycles()
        snapshotKeeper?.catalogChanged(self)
    }

    public var snapshot: Snapshot { current.withLock { $0 } }

    public func create(_ agreement: Agreement) async throws -> StoredAgreement {
        try await write(agreement.id) { try await $0.create(agreement, audit: .current) }
    }

    public func replace(_ agreement: Agreement, expected: ExpectedVersion) async throws -> StoredAgreement {
        try await write(agreement.id) { try await $0.replace(agreement, expected: expected, audit: .current) }
    }

    public func appendEvents(
        _ drafts: [NewEvent],
        to id: String,
        expected: ExpectedVersion,
        check: @escaping AppendCheck
    ) async throws -> AppendedEvents {
        try await write(id) {
            try await $0.appendEvents(drafts, to: id, expected: expected, audit: .current, check: check)
        }
    }

    public func delete(id: String, expected: ExpectedVersion) async throws {
        let _: Deletion = try await write(id) { store in
            Deletion(revision: try await store.delete(id: id, expected: expected, audit: .current))
        }
    }

    private func write<Result: Sendable>(
        _ id: String,
        _ body: @Sendable (any AgreementStore) async throws -> Result
    ) async throws -> Result where Result: StoredAgreementConvertible {
        try await gate.run {
            let result = try await body(store)
            // Only writes replace the snapshot, one at a time (the gate), so the next one, with its carried-over
            // answers, is built outside the lock: readers never wait for it.
            let next = snapshot.replacing(id, with: result.storedAgreement, revision: result.revision)
            current.withLock { $0 = next }
            // Nothing else committed in between, so the follower need not read this write back.
            if result.revision == followed.load(ordering: .acquiring) + 1 {
                followed.store(result.revision, ordering: .releasing)
            }
            refreshLifecycles()
            snapshotKeeper?.catalogChanged(self)
            return result
        }
    }
}

/// What a write left in the store: the agreement as stored (`nil` once deleted) and the write's revision.
protocol StoredAgreementConvertible {
    var storedAgreement: StoredAgreement? { get }
    var revision: Int64 { get }
}
extension StoredAgreement: StoredAgreementConvertible { var storedAgreement: StoredAgreement? { self } }
extension AppendedEvents: StoredAgreementConvertible {
    var storedAgreement: StoredAgreement? { stored }
    var revision: Int64 { stored.revision }
}
struct Deletion: StoredAgreementConvertible {
    let revision: Int64
    var storedAgreement: StoredAgreement? { nil }
}

/// Runs async closures one at a time, in arrival order.
actor WriteGate {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
        defer {
            if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        }
        return try await body()
    }
}
