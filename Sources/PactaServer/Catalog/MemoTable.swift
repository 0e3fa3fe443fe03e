import Synchronization

/// A small, bounded map from keys to values that are expensive to compute, where concurrent requests for the
/// same key share one computation (64 dashboards polling the same page after a write start one, not 64).
///
/// Least recently used keys are dropped beyond `capacity`. A value for which `keep` answers `false` is returned
/// but not held (so one huge answer cannot pin memory).
final class MemoTable<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private enum Entry: Sendable {
        case computing(Task<Value, any Error>)
        case ready(Value)
    }

    private struct Entries: Sendable {
        var byKey: [Key: Entry] = [:]
        /// Least recently used first.
        var recency: [Key] = []

        mutating func touch(_ key: Key) {
            if let index = recency.firstIndex(of: key) { recency.remove(at: index) }
            recency.append(key)
        }

        mutating func remove(_ key: Key) {
            byKey[key] = nil
            if let index = recency.firstIndex(of: key) { recency.remove(at: index) }
        }
    }

    private enum Found {
        case value(Value)
        case pending(Task<Value, any Error>)
    }

    let capacity: Int
    private let keep: @Sendable (Value) -> Bool
    private let entries: Mutex<Entries>

    init(capacity: Int, keep: @escaping @Sendable (Value) -> Bool = { _ in true }, ready: [(Key, Value)] = []) {
        self.capacity = capacity
        self.keep = keep
        var entries = Entries()
        for (key, value) in ready.suffix(capacity) {
            entries.byKey[key] = .ready(value)
            entries.recency.append(key)
        }
        self.entries = Mutex(entries)
    }

    /// The value for `key`, computed by `compute` unless it is held or already being computed. A caller that is
    /// cancelled stops waiting at once; the computation goes on for the others (and is held when it ends). A
    /// computation that fails (the compute pool was full) is not held, so the next caller tries again.
    func value(for key: Key, compute: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let found: Found = entries.withLock { entries in
            if let entry = entries.byKey[key] {
                entries.touch(key)
                switch entry {
                case .ready(let value): return .value(value)
                case .computing(let task): return .pending(task)
                }
            }
            // Computed outside the lock, and not cancelled with the request that started it: others may wait on it.
            let task = Task {
                do {
                    return try await compute()
                } catch {
                    self.entries.withLock { entries in
                        if case .computing? = entries.byKey[key] { entries.remove(key) }
                    }
                    throw error
                }
            }
            entries.byKey[key] = .computing(task)
            entries.touch(key)
            while entries.recency.count > capacity { entries.remove(entries.recency[0]) }
            return .pending(task)
        }
        switch found {
        case .value(let value):
            return value
        case .pending(let task):
            let value = try await PactaServer.value(of: task)
            let keep = keep(value)
            entries.withLock { entries in
                guard case .computing? = entries.byKey[key] else { return }
                if keep { entries.byKey[key] = .ready(value) } else { entries.remove(key) }
            }
            return value
        }
    }

    /// The value for `key` if it is held, without waiting; otherwise starts computing it for the callers after this
    /// one, unless that is under way already, and answers `nil`.
    func heldValue(for key: Key, orStart compute: @escaping @Sendable () async throws -> Value) -> Value? {
        let found: Entry? = entries.withLock { entries in
            if case .ready? = entries.byKey[key] { entries.touch(key) }
            return entries.byKey[key]
        }
        switch found {
        case .ready(let value): return value
        case .computing: return nil
        case nil:
            Task { _ = try? await value(for: key, compute: compute) }
            return nil
        }
    }

    /// The finished values, least recently used first (what a successor table can inherit).
    var readyValues: [(Key, Value)] {
        entries.withLock { entries in
            entries.recency.compactMap { key in
                if case .ready(let value)? = entries.byKey[key] { return (key, value) }
                return nil
            }
        }
    }
}
