import Foundation
import GRDB
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The device and inode of the database file as opened. If the path later names another file (deleted,
/// replaced, restored from a backup under the server), writes would go to a file nobody will open again.
package struct FileIdentity: Sendable, Equatable {
    let path: String
    let device: UInt64
    let inode: UInt64

    init(path: String) throws {
        guard let found = Self.of(path) else {
            throw StoreError.unavailable(reason: "the database file \(path) cannot be read after opening it")
        }
        self = found
    }

    private init(path: String, device: UInt64, inode: UInt64) {
        self.path = path
        self.device = device
        self.inode = inode
    }

    /// The identity of the file at `path` now, or nil when there is none.
    static func of(_ path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileIdentity(path: path, device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }
}

/// Whether a store can take writes: the file is still the one it opened, the integrity check at start passed,
/// no write found the file damaged, and a real write commits (the readiness probe: a read-only file system,
/// a full disk or an I/O error fail it). Lasting failures refuse every later write.
package final class StoreHealth: Sendable {
    private struct State {
        var failure: String?
        var lastProbe: (at: ContinuousClock.Instant, error: StoreError?)?
        var probing: Task<Void, any Error>?
    }

    private let file: FileIdentity?
    private let state = Mutex(State())
    /// Probes closer together than this share one result.
    static let probeInterval: Duration = .seconds(1)

    package init(file: FileIdentity?) {
        self.file = file
    }

    /// Why the store takes no writes, if it takes none.
    var failure: String? { state.withLock { $0.failure } }

    func fail(_ reason: String) {
        state.withLock { $0.failure = $0.failure ?? reason }
    }

    /// Throws ``StoreError/unavailable(reason:)`` when the file at the path is not the one opened.
    func checkFile() throws {
        guard let file else { return }
        guard FileIdentity.of(file.path) == file else {
            let reason = "the database file \(file.path) was removed or replaced after the server opened it"
            fail(reason)
            throw StoreError.unavailable(reason: reason)
        }
    }

    /// Throws when a lasting failure (a damaged or replaced file) was recorded.
    func checkNoLastingFailure() throws {
        if let failure { throw StoreError.unavailable(reason: failure) }
    }

    /// Runs `write` as a readiness probe, at most once per ``probeInterval``; callers within it share the result.
    package func probe(_ write: @escaping @Sendable () async throws -> Void) async throws {
        enum Answer {
            case recent(StoreError?)
            case running(Task<Void, any Error>)
        }
        let answer: Answer = state.withLock { state in
            if let probing = state.probing { return .running(probing) }
            if let last = state.lastProbe, ContinuousClock.now - last.at < Self.probeInterval { return .recent(last.error) }
            let task = Task {
                var outcome: StoreError?
                do { try await write() } catch let error as StoreError { outcome = error } catch {
                    outcome = .unavailable(reason: "the readiness write failed: \(type(of: error))")
                }
                self.state.withLock { state in
                    state.lastProbe = (ContinuousClock.now, outcome)
                    state.probing = nil
                }
                if let outcome { throw outcome }
            }
            state.probing = task
            return .running(task)
        }
        switch answer {
        case .recent(let error): if let error { throw error }
        case .running(let task): try await task.value
        }
    }

    enum Unavailability {
        /// The disk is full, the file system read-only, an I/O failed: a later write may work again.
        case transient
        /// The file is damaged: no write is taken until an operator has looked (and restarted the server).
        case lasting
    }

    /// Whether an SQLite result means the database cannot take writes, and for how long.
    static func unavailability(_ code: ResultCode) -> Unavailability? {
        switch code.primaryResultCode {
        case .SQLITE_READONLY, .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_PERM: return .transient
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: return .lasting
        default: return nil
        }
    }
}

/// Counts the operations running on a store so that closing it waits for the last one, and refuses new ones
/// once closing has begun (they answer ``StoreError/unavailable(reason:)``, never touch a closed database).
package final class StoreUsage: Sendable {
    private struct State {
        var running = 0
        var closing = false
        var drained: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    package init() {}

    package func enter() throws {
        try state.withLock { state in
            if state.closing { throw StoreError.unavailable(reason: "the database is closing (the server is shutting down)") }
            state.running += 1
        }
    }

    package func leave() {
        let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.running -= 1
            guard state.running == 0, state.closing else { return [] }
            defer { state.drained = [] }
            return state.drained
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Refuses new operations, then returns when the running ones have finished.
    package func drain() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                state.closing = true
                if state.running == 0 { return true }
                state.drained.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}
