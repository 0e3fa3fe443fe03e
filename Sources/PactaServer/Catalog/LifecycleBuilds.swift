import Dispatch
import PactaCore
import Synchronization

/// Builds lifecycle indexes on threads of their own, never on Swift's cooperative threads (which serve every
/// request) nor on the compute pool (which bounds request work): a build after a start takes seconds at 100,000
/// agreements.
enum LifecycleBuilds {
    /// Where builds are started, one at a time.
    static let queue = DispatchQueue(label: "pacta.lifecycles", qos: .utility)

    /// The index of `agreements` (in catalog order), built on `threads` threads; each agreement whose id is not in
    /// `changed` keeps its lifecycle from `previous`.
    static func build(
        _ agreements: [Agreement], reusing previous: LifecycleIndex?, changed: Set<String>, threads: Int
    ) -> LifecycleIndex {
        let parts = max(1, min(threads, agreements.count))
        let size = (agreements.count + parts - 1) / max(parts, 1)
        let built = Mutex([[AgreementLifecycle]](repeating: [], count: parts))
        let group = DispatchGroup()
        for part in 0..<parts {
            DispatchQueue(label: "pacta.lifecycles.\(part)", qos: .utility).async(group: group) {
                let slots = (part * size)..<min((part + 1) * size, agreements.count)
                let lifecycles = slots.map { slot in
                    let agreement = agreements[slot]
                    if !changed.contains(agreement.id), let kept = previous?.lifecycle(of: agreement.id) { return kept }
                    return LifecycleBuilder.build(agreement)
                }
                built.withLock { $0[part] = lifecycles }
            }
        }
        group.wait()
        return LifecycleIndex(agreements: agreements, lifecycles: built.withLock { $0.flatMap { $0 } })
    }
}
