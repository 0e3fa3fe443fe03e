import Dispatch
import PactaCore
import PactaStore
import Synchronization

/// Builds lifecycle indexes on threads of their own, never on Swift's cooperative threads (which serve every
/// request) nor on the compute pool (which bounds request work): a build after a start takes seconds at 100,000
/// agreements.
enum LifecycleBuilds {
    /// Where builds are started, one at a time.
    static let queue = DispatchQueue(label: "pacta.lifecycles", qos: .utility)

    /// The index of the `stored` agreements (in catalog order), built on `threads` threads; each agreement whose id is not in
    /// `changed` keeps its lifecycle from `previous`, or takes the one `preloaded` holds (read from the snapshot file for
    /// its current version, decoded here on the build's threads).
    static func build(
        _ stored: [StoredAgreement],
        reusing previous: LifecycleIndex?,
        preloaded: PreloadedLifecycles? = nil,
        changed: Set<String>,
        threads: Int
    ) -> LifecycleIndex {
        let parts = max(1, min(threads, stored.count))
        let size = (stored.count + parts - 1) / max(parts, 1)
        let built = Mutex([[AgreementLifecycle]](repeating: [], count: parts))
        let group = DispatchGroup()
        for part in 0..<parts {
            DispatchQueue(label: "pacta.lifecycles.\(part)", qos: .utility).async(group: group) {
                let slots = (part * size)..<min((part + 1) * size, stored.count)
                var interner = DeadlineInterner()
                let lifecycles = slots.map { slot in
                    let agreement = stored[slot].agreement
                    if !changed.contains(agreement.id) {
                        if let kept = previous?.lifecycle(of: agreement.id) { return kept }
                        if let read = preloaded?.lifecycle(of: agreement.id) { return interner.intern(read) }
                    }
                    return interner.intern(LifecycleBuilder.build(agreement))
                }
                built.withLock { $0[part] = lifecycles }
            }
        }
        group.wait()
        defer {
            // A build leaves the walks' garbage in the allocator's free lists, per thread; give it back, so that the
            // process's resident memory is what the catalog and its index hold.
            #if os(Linux)
            _ = trimMallocFreeLists(0)
            #endif
        }
        return LifecycleIndex(lifecycles: built.withLock { $0.flatMap { $0 } }, agreements: StoredAgreementsBySlot(stored: stored))
    }
}

/// The catalog's agreements by slot, read in place out of their shared ``StoredAgreement``.
struct StoredAgreementsBySlot: AgreementsBySlot {
    let stored: [StoredAgreement]

    func withAgreement<T>(at slot: Int, _ body: (borrowing Agreement) -> T) -> T { stored[slot].withAgreement(body) }
}

#if os(Linux)
/// glibc's `malloc_trim`, which its Swift module does not export.
@_silgen_name("malloc_trim")
func trimMallocFreeLists(_ pad: Int) -> Int32
#endif
