import PactaCore
import PactaStore
import Synchronization

/// The lifecycles a start read from the snapshot file, for the first index build to take instead of walking the
/// engine again: only for agreements not written since the file (their version is the file's), and only once a
/// sample of them equals what this build's builder says.
final class PreloadedLifecycles: Sendable {
    private let lifecycles: SnapshotLifecycles
    /// The file's agreement ids, in file order (ascending).
    private let ids: [String]
    /// The agreements written after the file, and those that name one of them in their rules (whose answers changed
    /// with it).
    private let stale: Set<String>
    private let counted = Atomic<Int>(0)

    init(_ lifecycles: SnapshotLifecycles, ids: [String], stale: Set<String>) {
        self.lifecycles = lifecycles
        self.ids = ids
        self.stale = stale
    }

    /// How many lifecycles builds took (tests, logs).
    var taken: Int { counted.load(ordering: .relaxed) }

    /// The file's lifecycle of agreement `id` as it stands now, if the file has it.
    func lifecycle(of id: String) -> AgreementLifecycle? {
        guard let lifecycle = held(id) else { return nil }
        counted.add(1, ordering: .relaxed)
        return lifecycle
    }

    private func held(_ id: String) -> AgreementLifecycle? {
        guard !stale.contains(id) else { return nil }
        let slot = ids.partitionPoint { $0 < id }
        guard slot < ids.count, ids[slot] == id, let lifecycle = lifecycles.lifecycle(at: slot),
            lifecycle.agreementId == id
        else { return nil }
        return lifecycle
    }

    /// How many of the file's lifecycles are built again and compared before the others are taken: a build whose
    /// lifecycle builder says things differently (without a new engine version) must not answer from an older one's.
    static let sample = 32

    /// The id of the first of a sample of `agreements` (the catalog's, in order) whose lifecycle in the file this
    /// build's builder says differently, if any.
    func firstDiffering(in agreements: [StoredAgreement]) -> String? {
        let step = max(1, agreements.count / Self.sample)
        for slot in stride(from: 0, to: agreements.count, by: step) {
            let agreement = agreements[slot].agreement
            guard let held = held(agreement.id) else { continue }
            var encoder = ArchiveEncoder()
            let heldBytes = try? encoder.encode(held)
            if heldBytes == nil || heldBytes != (try? encoder.encode(LifecycleBuilder.build(agreement))) {
                return agreement.id
            }
        }
        return nil
    }
}
