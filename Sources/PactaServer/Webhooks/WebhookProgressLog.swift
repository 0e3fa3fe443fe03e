import PactaStore
import Synchronization

/// Commits the delivery progress of every subscription in flight together: one transaction at a time, holding every
/// record that arrived while the previous one committed (a group commit).
///
/// Each delivery used to be its own transaction, so ten subscriptions made ten bookkeeping transactions per write, all
/// queued for SQLite's single write lock in front of the next write. Now at most one bookkeeping transaction is ever
/// waiting for that lock, however many subscriptions deliver, and a write waits for one at most.
final class WebhookProgressLog: Sendable {
    private typealias Waiter = CheckedContinuation<Bool, any Error>

    private struct State {
        var pending: [(record: WebhookProgressRecord, waiter: Waiter)] = []
        var committing = false
    }

    let store: any AgreementStore
    private let state = Mutex(State())

    init(store: any AgreementStore) {
        self.store = store
    }

    /// Records `record` with whatever else is waiting; true once committed, false when its owner had lost the lease
    /// (nothing of it was recorded).
    func record(_ record: WebhookProgressRecord) async throws -> Bool {
        try await withCheckedThrowingContinuation { (waiter: Waiter) in
            let starts = state.withLock { state -> Bool in
                state.pending.append((record, waiter))
                guard !state.committing else { return false }
                state.committing = true
                return true
            }
            // The first record in starts the committer; the others ride on its next transaction.
            if starts { Task { await self.commitPending() } }
        }
    }

    private func commitPending() async {
        while true {
            let batch = state.withLock { state -> [(record: WebhookProgressRecord, waiter: Waiter)] in
                defer { state.pending = [] }
                if state.pending.isEmpty { state.committing = false }
                return state.pending
            }
            guard !batch.isEmpty else { return }
            do {
                let applied = try await store.recordWebhookProgress(batch.map(\.record))
                for (index, entry) in batch.enumerated() {
                    entry.waiter.resume(returning: index < applied.count ? applied[index] : false)
                }
            } catch {
                for entry in batch { entry.waiter.resume(throwing: error) }
            }
        }
    }
}
