/// How a request runs work that may be heavy: on the ``ComputePool``, within a time budget. A request that needs
/// more gets a `503` problem with `Retry-After` (the work may go on, and a held answer is then ready), never a
/// stall of the server.
public struct HeavyWork: Sendable {
    let pool: ComputePool
    let budget: Duration

    /// `threads` computations at most at once, `queueLimit` waiting, each request waiting `budget` at most.
    public init(threads: Int, queueLimit: Int, budget: Duration) {
        pool = ComputePool(width: threads, queueLimit: queueLimit)
        self.budget = budget
    }

    /// `work`'s result, computed off the request threads, or a refusal once the budget is spent.
    func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
        let pool = pool
        return try await withBudget(budget) { try await pool.run(work) }
    }

    /// Waits at most the budget for `operation`, which itself queues its heavy parts on the pool (a held answer
    /// that others share, so it is computed outside any one request's budget).
    func awaitShared<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withBudget(budget, operation)
    }
}
