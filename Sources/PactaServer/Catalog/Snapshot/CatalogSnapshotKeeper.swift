import Dispatch
import Logging
import PactaCore
import PactaStore
import Synchronization

/// Where the catalog keeps its snapshot file, and how often it may write it.
public struct CatalogSnapshotSettings: Sendable {
    /// The file (for SQLite, `<database>.snapshot` by default).
    public var path: String
    /// The least time between two writes of the file: after a write the next waits at least this long, however many
    /// writes the store takes meanwhile (a start reads those from the rows, ``AgreementStore/changes(after:limit:)``).
    public var minimumInterval: Duration

    public init(path: String, minimumInterval: Duration = .seconds(60)) {
        self.path = path
        self.minimumInterval = minimumInterval
    }
}

/// Loads the catalog from its snapshot file at start, brought forward to the store's revision, and writes the file
/// again off the request path when the catalog has moved on.
final class CatalogSnapshotKeeper: Sendable {
    let settings: CatalogSnapshotSettings
    let key: CatalogSnapshotFile.Key
    /// Asked for the mark of the write at each revision written (``AgreementStore/revisionMark(_:)``).
    private let store: any AgreementStore
    private let logger: Logger
    private struct State {
        /// The revision of the file on disk (as this process knows it), `nil` when there is no usable one.
        var written: Int64?
        /// Whether that file holds lifecycles (written after an index was built: those of the agreements written
        /// since are built again at the next start).
        var withLifecycles = false
        var lastWrite: ContinuousClock.Instant?
        var scheduled = false
    }
    private let state = Mutex(State())

    /// How the catalog was loaded at start.
    enum Load: Equatable, Sendable {
        /// From the file at `revision`, with `changes` read from the store after it.
        case file(revision: Int64, changes: Int)
        /// From the rows, the file being unusable for `reason`.
        case rows(reason: String)
    }
    private let loaded = Mutex<Load?>(nil)
    var loadOutcome: Load? { loaded.withLock { $0 } }

    /// The file's lifecycles were not used (this build's builder says them differently): the next write holds this
    /// build's.
    func lifecyclesRefused() { state.withLock { $0.withLifecycles = false } }

    /// Where writes are encoded and flushed: never Swift's cooperative threads, which serve requests.
    private static let queue = DispatchQueue(label: "pacta.snapshot", qos: .utility)

    init(settings: CatalogSnapshotSettings, key: CatalogSnapshotFile.Key, store: any AgreementStore, logger: Logger) {
        self.settings = settings
        self.key = key
        self.store = store
        self.logger = logger
    }

    /// The keeper for `store`, or `nil` when the store keeps no identity (a snapshot could not be told from
    /// another database's).
    static func make(
        settings: CatalogSnapshotSettings?,
        store: any AgreementStore,
        logger: Logger
    ) async throws -> CatalogSnapshotKeeper? {
        guard let settings, let identity = try await store.storeIdentity() else { return nil }
        return CatalogSnapshotKeeper(settings: settings, key: .init(storeIdentity: identity), store: store, logger: logger)
    }

    /// What a start reads: every agreement as of the store's current revision, and the file's lifecycles for the
    /// versions still current.
    struct Loaded: Sendable {
        let contents: StoreContents
        let lifecycles: PreloadedLifecycles?
    }

    /// Every agreement as of the store's current revision: from the snapshot file brought forward with the store's
    /// changes since, or, when the file cannot be used (one log line says why), from the rows.
    func load(from store: any AgreementStore) async throws -> Loaded {
        let path = settings.path
        let key = self.key
        let started = ContinuousClock.now
        let read: Result<CatalogSnapshotFile.Contents, any Error> = await withCheckedContinuation { continuation in
            Self.queue.async {
                let read = Result { try CatalogSnapshotFile.read(path, expecting: key) }
                // The file's bytes are gone and decoding left its garbage in each lane's free lists: give it back, so
                // that resident memory is what the catalog holds.
                #if os(Linux)
                _ = trimMallocFreeLists(0)
                #endif
                continuation.resume(returning: read)
            }
        }
        do {
            let snapshot = try read.get()
            // The file holds the database's history up to its revision only if the store's write at that revision is
            // the one the file was written after. Not so after a restore from a backup older than the file: either
            // the revision is not in the database (the file is ahead of the rows), or, once written past it again,
            // another write holds it, and the file's agreements from the lost writes would be served as if they
            // existed.
            if snapshot.revision > 0 {
                guard let mark = try await store.revisionMark(snapshot.revision) else {
                    throw CatalogSnapshotFile.Unusable(description: "revision \(snapshot.revision) is not in the database")
                }
                guard mark == snapshot.mark else {
                    throw CatalogSnapshotFile.Unusable(
                        description: "the database's write at revision \(snapshot.revision) is not the file's"
                            + " (restored from an older backup and written since)"
                    )
                }
            }
            let (contents, changed) = try await Self.bringForward(snapshot, from: store)
            // An agreement that names a changed one (`linkedWithdrawal`) answers differently though its own version
            // is the file's: its lifecycle is built again too.
            let stale = CatalogLinks.withDependents(changed, in: contents.agreements)
            let lifecycles = snapshot.lifecycles.map {
                PreloadedLifecycles($0, ids: snapshot.agreements.map(\.agreement.id), stale: stale)
            }
            state.withLock { state in
                state.written = snapshot.revision
                state.withLifecycles = lifecycles != nil
            }
            loaded.withLock { $0 = .file(revision: snapshot.revision, changes: changed.count) }
            logger.info(
                "Loaded the catalog snapshot",
                metadata: [
                    "path": "\(path)", "agreements": "\(contents.agreements.count)", "revision": "\(snapshot.revision)",
                    "changesSince": "\(changed.count)", "lifecycles": "\(lifecycles == nil ? "none" : "held")",
                    "duration": "\(ContinuousClock.now - started)",
                ]
            )
            return Loaded(contents: contents, lifecycles: lifecycles)
        } catch {
            logger.notice(
                "Not using the catalog snapshot; reading the rows, and writing a new snapshot in the background",
                metadata: ["path": "\(path)", "reason": "\(error)"]
            )
            loaded.withLock { $0 = .rows(reason: "\(error)") }
            return Loaded(contents: try await store.contents(), lifecycles: nil)
        }
    }

    /// The snapshot with every change committed after it applied, and the ids those changes touched.
    static func bringForward(
        _ snapshot: CatalogSnapshotFile.Contents,
        from store: any AgreementStore
    ) async throws -> (StoreContents, Set<String>) {
        var revision = snapshot.revision
        var changes: [StoreChange] = []
        while true {
            let page = try await store.changes(after: revision, limit: AgreementCatalog.followPage)
            changes += page
            guard let last = page.last, page.count == AgreementCatalog.followPage else {
                revision = page.last?.revision ?? revision
                break
            }
            revision = last.revision
        }
        guard !changes.isEmpty else {
            return (StoreContents(revision: snapshot.revision, agreements: snapshot.agreements), [])
        }
        var byId: [String: StoredAgreement] = [:]
        byId.reserveCapacity(snapshot.agreements.count)
        for stored in snapshot.agreements { byId[stored.agreement.id] = stored }
        for change in changes { byId[change.id] = change.stored }
        let agreements = byId.values.sorted { $0.agreement.id < $1.agreement.id }
        return (StoreContents(revision: revision, agreements: agreements), Set(changes.map(\.id)))
    }

    /// Schedules a write of `catalog`'s snapshot unless the file is at its revision already (and holds lifecycles, or
    /// the catalog has none yet) or a write is scheduled: at once after a start, then at most once per
    /// ``CatalogSnapshotSettings/minimumInterval``.
    func catalogChanged(_ catalog: AgreementCatalog) {
        let revision = catalog.followedRevision
        let lifecyclesReady = catalog.lifecyclesReady
        let wait: Duration? = state.withLock { state in
            guard !state.scheduled, state.written != revision || (lifecyclesReady && !state.withLifecycles) else {
                return nil
            }
            state.scheduled = true
            guard let last = state.lastWrite else { return .zero }
            return max(.zero, settings.minimumInterval - (ContinuousClock.now - last))
        }
        guard let wait else { return }
        Task { [weak catalog] in
            if wait > .zero { try? await Task.sleep(for: wait) }
            // The catalog as it stands when the wait is over (it may have moved on meanwhile). Its followed revision
            // is read first: every write up to it is in the snapshot read after it (the catalog replaces the snapshot
            // before it moves that revision), so a start that reads the changes after it misses none.
            if let catalog {
                let revision = catalog.followedRevision
                let snapshot = catalog.snapshot
                await self.write(snapshot.ordered, lifecycles: Self.currentLifecycles(of: snapshot), revision: revision)
            }
            self.state.withLock { $0.scheduled = false }
            // A write during this one's encoding found it scheduled: look again.
            if let catalog { self.catalogChanged(catalog) }
        }
    }

    /// Encodes and writes `agreements` (every agreement as of `revision`) with the mark of the store's write at
    /// `revision`, off the cooperative threads. A failure is logged and leaves the previous file (the next change
    /// tries again).
    func write(_ agreements: [StoredAgreement], lifecycles: [AgreementLifecycle?]?, revision: Int64) async {
        let (key, path) = (self.key, settings.path)
        let started = ContinuousClock.now
        let result: Result<Int, any Error>
        do {
            let mark = try await revisionMark(revision)
            result = await withCheckedContinuation { continuation in
                Self.queue.async {
                    continuation.resume(
                        returning: Result {
                            try CatalogSnapshotFile.write(
                                agreements,
                                lifecycles: lifecycles,
                                key: key,
                                revision: revision,
                                mark: mark,
                                to: path
                            )
                        }
                    )
                }
            }
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success(let size):
            state.withLock { state in
                state.written = revision
                state.withLifecycles = lifecycles != nil
                state.lastWrite = .now
            }
            logger.info(
                "Wrote the catalog snapshot",
                metadata: [
                    "path": "\(path)", "revision": "\(revision)", "bytes": "\(size)",
                    "duration": "\(ContinuousClock.now - started)",
                ]
            )
        case .failure(let error):
            state.withLock { $0.lastWrite = .now }
            logger.warning("Could not write the catalog snapshot", metadata: ["path": "\(path)", "reason": "\(error)"])
        }
    }

    /// The store's mark of its write at `revision` (none at 0, before any write).
    private func revisionMark(_ revision: Int64) async throws -> String {
        guard revision > 0 else { return "" }
        guard let mark = try await store.revisionMark(revision) else {
            throw CatalogSnapshotFile.Unusable(description: "the store has no write at revision \(revision)")
        }
        return mark
    }

    /// The lifecycle of each of `snapshot`'s agreements that its index holds for the current version (none for the
    /// agreements written since the index was built), or `nil` before the first index.
    static func currentLifecycles(of snapshot: AgreementCatalog.Snapshot) -> [AgreementLifecycle?]? {
        let track = snapshot.derived.lifecycles.withLock { $0 }
        guard let index = track.index else { return nil }
        let changed = Set(track.changes.map(\.id))
        return snapshot.ordered.map { stored in
            changed.contains(stored.agreement.id) ? nil : index.lifecycle(of: stored.agreement.id)
        }
    }

    /// Whether the file this process last wrote or loaded holds lifecycles (tests).
    var wroteLifecycles: Bool { state.withLock { $0.withLifecycles } }

    /// The revision of the file this process last wrote or loaded (tests).
    var writtenRevision: Int64? { state.withLock { $0.written } }
}
