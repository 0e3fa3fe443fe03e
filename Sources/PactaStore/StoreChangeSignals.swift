import Synchronization

/// What a reader of the store learns about writes, its own and other processes' (``AgreementStore/changeSignals()``).
/// A signal carries no data: a reader acts on one by reading ``AgreementStore/changes(after:limit:)`` from the last
/// revision it has, so a signal lost or repeated costs a read, never a write.
public enum StoreChangeSignal: Sendable, Hashable {
    /// A write committed at this revision (in this process or another).
    case committed(revision: Int64)
    /// The signals are flowing, and some may have been missed before (the feed was just established or
    /// re-established): read every change after the last revision seen.
    case catchUp
    /// The feed lost its way of hearing of other processes' writes: until the next ``catchUp`` some may go
    /// unannounced.
    case interrupted
}

/// A subscription to a store's change signals.
public struct StoreChangeSubscription: Sendable {
    /// Whether the store heard of every write when the subscription began: a read made after it has everything
    /// committed up to then, and the signals tell of every later write (until an ``StoreChangeSignal/interrupted``).
    public let wasEstablished: Bool
    public let signals: AsyncStream<StoreChangeSignal>

    public init(wasEstablished: Bool, signals: AsyncStream<StoreChangeSignal>) {
        self.wasEstablished = wasEstablished
        self.signals = signals
    }
}

/// Hands each signal to every subscriber. A subscriber that arrives while the feed is established is told to catch
/// up at once; one arriving while it is down hears ``StoreChangeSignal/catchUp`` when it comes back.
package final class StoreChangeSignals: Sendable {
    private struct State {
        var established: Bool
        var finished = false
        var nextId = 0
        var subscribers: [Int: AsyncStream<StoreChangeSignal>.Continuation] = [:]
    }

    private let state: Mutex<State>

    package init(established: Bool) {
        state = Mutex(State(established: established))
    }

    /// Every signal from now on, none dropped (an ``StoreChangeSignal/interrupted`` or ``StoreChangeSignal/catchUp``
    /// must arrive; a reader skips the `committed` ones it has read past); finishes at ``finish()``.
    package func subscribe() -> StoreChangeSubscription {
        let (stream, continuation) = AsyncStream.makeStream(of: StoreChangeSignal.self)
        let subscribed: (id: Int, established: Bool)? = state.withLock { state in
            guard !state.finished else { return nil }
            let id = state.nextId
            state.nextId += 1
            state.subscribers[id] = continuation
            if state.established { continuation.yield(.catchUp) }
            return (id, state.established)
        }
        guard let subscribed else {
            continuation.finish()
            return StoreChangeSubscription(wasEstablished: false, signals: stream)
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: subscribed.id) }
        }
        return StoreChangeSubscription(wasEstablished: subscribed.established, signals: stream)
    }

    package func committed(_ revision: Int64) {
        send(.committed(revision: revision))
    }

    /// The feed is (again) hearing of every write.
    package func established() {
        state.withLock { state in
            state.established = true
            for subscriber in state.subscribers.values { subscriber.yield(.catchUp) }
        }
    }

    /// The feed stopped hearing of writes; returns whether it had been established.
    @discardableResult
    package func lost() -> Bool {
        state.withLock { state in
            guard state.established else { return false }
            state.established = false
            for subscriber in state.subscribers.values { subscriber.yield(.interrupted) }
            return true
        }
    }

    /// Ends every subscription (the store closed).
    package func finish() {
        let subscribers = state.withLock { state in
            state.finished = true
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }

    private func send(_ signal: StoreChangeSignal) {
        state.withLock { state in
            for subscriber in state.subscribers.values { subscriber.yield(signal) }
        }
    }
}
