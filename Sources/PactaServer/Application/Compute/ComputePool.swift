import Dispatch
import ServiceLifecycle
import Synchronization

/// Runs heavy synchronous computations (catalog-wide states and deadlines, projections over long windows,
/// rendered feeds and pictures) on threads of its own, at most `width` at a time, never on Swift's cooperative
/// threads: those serve every request, and two long computations there would stall `/healthz` and shutdown.
///
/// At most `queueLimit` jobs wait for a thread; beyond that ``run(_:)`` throws ``ComputeRefusal/busy`` at once.
/// A caller that is cancelled (its budget ran out, its client left) stops waiting at once; a job that had not
/// started by then is skipped, one that had runs to its end and its result is dropped.
final class ComputePool: Sendable {
    private final class Job: Sendable {
        let work: @Sendable () -> Void
        /// Set when the caller gave up before a thread took the job.
        let abandoned = Atomic<Bool>(false)

        init(work: @escaping @Sendable () -> Void) { self.work = work }
    }

    private struct State {
        var waiting: [Job] = []
        var running = 0
    }

    let width: Int
    let queueLimit: Int
    private let queues: [DispatchQueue]
    private let state = Mutex(State())
    private let freeQueues: Mutex<[Int]>

    init(width: Int, queueLimit: Int) {
        precondition(width > 0 && queueLimit >= 0)
        self.width = width
        self.queueLimit = queueLimit
        queues = (0..<width).map { DispatchQueue(label: "pacta.compute.\($0)", qos: .utility) }
        freeQueues = Mutex(Array(0..<width))
    }

    /// Jobs running and waiting now (for metrics and tests).
    var load: (running: Int, waiting: Int) { state.withLock { ($0.running, $0.waiting.count) } }

    /// `work`'s result, computed on one of the pool's threads.
    func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
        let resumption = OnceResumption<T>()
        let job = Job { resumption.resume(.success(work())) }
        return try await withTaskCancellationHandler {
            try await resumption.wait {
                try self.submit(job)
            }
        } onCancel: {
            job.abandoned.store(true, ordering: .relaxed)
            resumption.resume(.failure(CancellationError()))
        }
    }

    private func submit(_ job: Job) throws {
        let queue: Int? = try state.withLock { state in
            if let free = freeQueues.withLock({ $0.popLast() }) {
                state.running += 1
                return free
            }
            guard state.waiting.count < queueLimit else { throw ComputeRefusal.busy }
            state.waiting.append(job)
            return nil
        }
        if let queue { start(job, on: queue) }
    }

    private func start(_ job: Job, on queue: Int) {
        queues[queue].async {
            var next: Job? = job
            while let current = next {
                if !current.abandoned.load(ordering: .relaxed) { current.work() }
                next = self.state.withLock { state in
                    guard !state.waiting.isEmpty else {
                        state.running -= 1
                        self.freeQueues.withLock { $0.append(queue) }
                        return nil
                    }
                    return state.waiting.removeFirst()
                }
            }
        }
    }
}

/// Why heavy work was not done for a request.
enum ComputeRefusal: Error, Equatable {
    /// Every thread of the pool is taken and its queue is full.
    case busy
    /// The request's budget ran out before the answer was ready.
    case budgetExceeded(seconds: Int)
    /// The server began shutting down while the answer was being computed.
    case shuttingDown
}

/// A continuation that can be resumed from either side of a race (result, cancellation, timer), once.
final class OnceResumption<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var early: Result<T, any Error>?
        var done = false
    }

    private let state = Mutex(State())

    /// Waits for the first ``resume(_:)``; `start` runs once the continuation is in place (its error ends the wait).
    func wait(start: () throws -> Void) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let early: Result<T, any Error>? = state.withLock { state in
                if let early = state.early { return early }
                state.continuation = continuation
                return nil
            }
            if let early {
                continuation.resume(with: early)
                return
            }
            do { try start() } catch { resume(.failure(error)) }
        }
    }

    func resume(_ result: Result<T, any Error>) {
        let continuation: CheckedContinuation<T, any Error>? = state.withLock { state in
            guard !state.done else { return nil }
            state.done = true
            guard let continuation = state.continuation else {
                state.early = result
                return nil
            }
            state.continuation = nil
            return continuation
        }
        continuation?.resume(with: result)
    }
}

/// Where the budgets' timers fire: their handlers only fail a wait and cancel a task.
private let budgetTimers = DispatchQueue(label: "pacta.budgets")

/// Runs `operation` for at most `budget`: past it the operation is cancelled and ``ComputeRefusal/budgetExceeded``
/// thrown, without waiting for the operation to notice.
func withBudget<T: Sendable>(
    _ budget: Duration,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let resumption = OnceResumption<T>()
    let work = Task {
        do { resumption.resume(.success(try await operation())) } catch { resumption.resume(.failure(error)) }
    }
    let seconds = Int(budget.components.seconds)
    // A dispatch timer, not a task sleeping for the budget: a cancelled `Task.sleep` still holds its task and its timer
    // until the deadline, so every answer computed in the last 10 s held about 1 KB (46 MiB under the harness's load at
    // 100,000 agreements, heaptrack); a cancelled timer source is released at once.
    let timer = DispatchSource.makeTimerSource(queue: budgetTimers)
    let milliseconds = budget.components.seconds * 1_000 + budget.components.attoseconds / 1_000_000_000_000_000
    timer.schedule(deadline: .now() + .milliseconds(Int(clamping: milliseconds)))
    timer.setEventHandler {
        resumption.resume(.failure(ComputeRefusal.budgetExceeded(seconds: seconds)))
        work.cancel()
    }
    timer.resume()
    defer { timer.cancel() }
    // Graceful shutdown waits for the requests in flight; one waiting for heavy work answers 503 at once rather
    // than holding shutdown until its budget runs out (the handler fires only inside a running ServiceGroup).
    return try await withGracefulShutdownHandler {
        try await withTaskCancellationHandler {
            try await resumption.wait {}
        } onCancel: {
            work.cancel()
            resumption.resume(.failure(CancellationError()))
        }
    } onGracefulShutdown: {
        work.cancel()
        resumption.resume(.failure(ComputeRefusal.shuttingDown))
    }
}

/// Waits for an unstructured task's value, but stops waiting (CancellationError) as soon as the caller is
/// cancelled; the task itself goes on (others may be waiting for it).
func value<T: Sendable>(of task: Task<T, any Error>) async throws -> T {
    let resumption = OnceResumption<T>()
    let relay = Task { resumption.resume(await task.result) }
    return try await withTaskCancellationHandler {
        try await resumption.wait {}
    } onCancel: {
        relay.cancel()
        resumption.resume(.failure(CancellationError()))
    }
}
