import PactaCore
import PactaStore
import Synchronization

/// The agreements the server answers from: an immutable in-memory snapshot of the store, replaced
/// atomically after each committed write.
///
/// Reads never touch the database. Writes go through one at a time (a write gate), so the snapshot is
/// always updated in the order the store committed.
public final class AgreementCatalog: Sendable {
    /// One consistent view of all agreements.
    public struct Snapshot: Sendable {
        public let byId: [String: StoredAgreement]
        /// Ids in ascending order, for stable pagination.
        public let sortedIds: [String]
        /// The agreements in the order of `sortedIds`, so a list scan needs no hash lookups.
        public let ordered: [StoredAgreement]
        /// The store revision of the last write the snapshot includes.
        public let revision: Int64
        /// Answers computed from this snapshot and held while it is current (``SnapshotDerivations``).
        let derived: SnapshotDerivations

        init(_ agreements: [StoredAgreement], revision: Int64) {
            var byId: [String: StoredAgreement] = [:]
            byId.reserveCapacity(agreements.count)
            for stored in agreements { byId[stored.agreement.id] = stored }
            let ordered = byId.values.sorted { $0.agreement.id < $1.agreement.id }
            self.init(byId: byId, ordered: ordered, revision: revision, derived: SnapshotDerivations())
        }

        private init(
            byId: [String: StoredAgreement],
            ordered: [StoredAgreement],
            revision: Int64,
            derived: SnapshotDerivations
        ) {
            self.byId = byId
            self.ordered = ordered
            self.sortedIds = ordered.map(\.agreement.id)
            self.revision = revision
            self.derived = derived
        }

        /// The snapshot after one write, committed at `revision`: one binary search and an insertion, not a sort of
        /// everything.
        func replacing(_ id: String, with stored: StoredAgreement?, revision: Int64) -> Snapshot {
            var byId = byId
            var ordered = ordered
            let index = sortedIds.partitionPoint { $0 < id }
            let present = index < sortedIds.count && sortedIds[index] == id
            byId[id] = stored
            let change: SnapshotDerivations.Change
            switch (present, stored) {
            case (true, let stored?):
                ordered[index] = stored
                change = .replaced(at: index, by: stored)
            case (true, nil):
                ordered.remove(at: index)
                change = .removed(at: index, id: id)
            case (false, let stored?):
                ordered.insert(stored, at: index)
                change = .inserted(at: index, stored)
            case (false, nil):
                return Snapshot(byId: byId, ordered: ordered, revision: revision, derived: derived)
            }
            return Snapshot(byId: byId, ordered: ordered, revision: revision, derived: derived.carried(over: change))
        }
    }

    let store: any AgreementStore
    private let current: Mutex<Snapshot>
    private let gate = WriteGate()
    /// How many threads build lifecycles after a start (rebuilds after writes use one).
    private let lifecycleThreads: Int
    /// Whether a lifecycle index is being built.
    private let buildingLifecycles = Atomic<Bool>(false)

    /// Writes queued on a lifecycle index before the next is built: until then each read asks the engine about
    /// each of them.
    static let rebuildAfterWrites = 8

    /// Loads every agreement, and starts building the lifecycle index on `lifecycleThreads` threads in the
    /// background (answers come from the engine until it is ready).
    public init(store: any AgreementStore, lifecycleThreads: Int = 1) async throws {
        self.store = store
        self.lifecycleThreads = max(1, lifecycleThreads)
        let contents = try await store.contents()
        self.current = Mutex(Snapshot(contents.agreements, revision: contents.revision))
        refreshLifecycles()
    }

    /// Whether the current snapshot answers states and deadlines from a lifecycle index.
    public var lifecyclesReady: Bool { snapshot.hasLifecycleIndex }

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
        LifecycleBuilds.queue.async {
            let index = LifecycleBuilds.build(
                snapshot.ordered,
                reusing: track.index,
                changed: Set(track.changes.map(\.id)),
                threads: threads
            )
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
        buildingLifecycles.store(false, ordering: .releasing)
        refreshLifecycles()
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
            refreshLifecycles()
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
