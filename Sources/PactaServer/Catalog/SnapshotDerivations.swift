import PactaCore
import PactaStore
import Synchronization

/// Answers that depend only on one snapshot and that dashboards poll for again and again: every agreement's
/// state on a date (list filters, the summary), every deadline in a window (the deadline list, the summary,
/// calendar feeds), rendered calendar feeds and the tag of the whole catalog (their ETags).
///
/// At 100,000 agreements each costs from milliseconds (the tag) to about a second (states, deadlines), so
/// each is computed once per snapshot, on the compute pool, and held. After a write the next snapshot inherits
/// the finished answers with the write queued on them; the changed agreement is evaluated again only when the
/// answer is next asked for, so a write costs nothing here and a reader one agreement's work, not the catalog's. Memory is bounded: 32 dates of states (one byte per agreement each) and 16 windows of
/// deadlines, each of at most ``maxHeldDeadlines``.
final class SnapshotDerivations: Sendable {
    struct Window: Hashable, Sendable {
        let from: CalendarDate
        let to: CalendarDate
    }

    /// An answer of an earlier snapshot and the writes since, applied only when the answer is next asked for
    /// (on the compute pool): a write itself never re-projects anything.
    struct Inherited<Value: Sendable>: Sendable {
        let base: Value
        let changes: [Change]
    }

    /// A window with more deadlines than this (a long window over a large catalog) is computed per request.
    static let maxHeldDeadlines = 200_000
    /// An inherited answer behind more writes than this is dropped and computed afresh when asked for.
    static let maxPendingChanges = 64

    let states: MemoTable<CalendarDate, [AgreementStatus.State]>
    let deadlines: MemoTable<Window, [Deadline]>
    let inheritedStates: [CalendarDate: Inherited<[AgreementStatus.State]>]
    let inheritedDeadlines: [Window: Inherited<[Deadline]>]
    /// Rendered iCalendar feeds by their strong ETag (which names the snapshot and every parameter), up to 32 MiB
    /// each; not carried over a write, since every feed's tag changes with the catalog.
    let feeds = MemoTable<String, [UInt8]>(capacity: 8, keep: { $0.count <= 32 << 20 })
    private let tag = Mutex<String?>(nil)

    init(
        inheritedStates: [CalendarDate: Inherited<[AgreementStatus.State]>] = [:],
        inheritedDeadlines: [Window: Inherited<[Deadline]>] = [:]
    ) {
        self.states = MemoTable(capacity: 32)
        self.deadlines = MemoTable(capacity: 16, keep: { $0.count <= Self.maxHeldDeadlines })
        self.inheritedStates = inheritedStates
        self.inheritedDeadlines = inheritedDeadlines
    }

    /// A strong tag over the engine version and every agreement's ETag, in id order.
    func catalogTag(_ ordered: [StoredAgreement]) -> String {
        if let tag = tag.withLock({ $0 }) { return tag }
        var hasher = ETagHasher()
        hasher.combine(RulesEngine.version)
        for stored in ordered { hasher.combine(stored.etag) }
        let computed = hasher.etag
        tag.withLock { $0 = computed }
        return computed
    }

    /// How a write changed the ordered agreements: at `index`, `stored` replaced, was inserted or was removed.
    enum Change: Sendable {
        case replaced(at: Int, by: StoredAgreement)
        case inserted(at: Int, StoredAgreement)
        case removed(at: Int, id: String)

        var id: String {
            switch self {
            case .replaced(_, let stored), .inserted(_, let stored): return stored.agreement.id
            case .removed(_, let id): return id
            }
        }

        var agreement: Agreement? {
            switch self {
            case .replaced(_, let stored), .inserted(_, let stored): return stored.agreement
            case .removed: return nil
            }
        }
    }

    /// The derivations of the snapshot after `change`: every held or inherited answer, with the change queued on
    /// it. Nothing is computed here (this runs inside the serialized write).
    func carried(over change: Change) -> SnapshotDerivations {
        func carry<Key: Hashable, Value>(
            _ ready: [(Key, Value)], _ inherited: [Key: Inherited<Value>]
        ) -> [Key: Inherited<Value>] {
            var result: [Key: Inherited<Value>] = [:]
            for (key, old) in inherited where old.changes.count < Self.maxPendingChanges {
                result[key] = Inherited(base: old.base, changes: old.changes + [change])
            }
            for (key, value) in ready { result[key] = Inherited(base: value, changes: [change]) }
            return result
        }
        return SnapshotDerivations(
            inheritedStates: carry(states.readyValues, inheritedStates),
            inheritedDeadlines: carry(deadlines.readyValues, inheritedDeadlines))
    }

    static func apply(_ changes: [Change], to states: [AgreementStatus.State], asOf: CalendarDate)
        -> [AgreementStatus.State]
    {
        var patched = states
        for change in changes {
            switch change {
            case .replaced(let index, let stored): patched[index] = RulesEngine.state(of: stored.agreement, asOf: asOf)
            case .inserted(let index, let stored):
                patched.insert(RulesEngine.state(of: stored.agreement, asOf: asOf), at: index)
            case .removed(let index, _): patched.remove(at: index)
            }
        }
        return patched
    }

    static func apply(_ changes: [Change], to deadlines: [Deadline], window: Window) -> [Deadline] {
        var patched = deadlines
        for change in changes {
            patched.removeAll { $0.agreementId == change.id }
            if let agreement = change.agreement {
                patched += DeadlineProjection.deadlines(for: agreement, from: window.from, through: window.to)
            }
        }
        patched.sort { $0.sortKey < $1.sortKey }
        return patched
    }
}

extension AgreementCatalog.Snapshot {
    /// Every agreement's state on `asOf`, in the order of ``ordered``; computed on the compute pool.
    func states(asOf: CalendarDate, work: HeavyWork) async throws -> [AgreementStatus.State] {
        let ordered = ordered
        let inherited = derived.inheritedStates[asOf]
        return try await work.awaitShared {
            try await derived.states.value(for: asOf) {
                try await work.pool.run {
                    if let inherited {
                        return SnapshotDerivations.apply(inherited.changes, to: inherited.base, asOf: asOf)
                    }
                    return ordered.map { RulesEngine.state(of: $0.agreement, asOf: asOf) }
                }
            }
        }
    }

    /// Every deadline dated `from` through `to`, of every agreement, in ``Deadline/sortKey`` order; computed on the
    /// compute pool.
    func deadlines(from: CalendarDate, to: CalendarDate, work: HeavyWork) async throws -> [Deadline] {
        let ordered = ordered
        let window = SnapshotDerivations.Window(from: from, to: to)
        let inherited = derived.inheritedDeadlines[window]
        return try await work.awaitShared {
            try await derived.deadlines.value(for: window) {
                try await work.pool.run {
                    if let inherited { return SnapshotDerivations.apply(inherited.changes, to: inherited.base, window: window) }
                    var all: [Deadline] = []
                    for stored in ordered {
                        all += DeadlineProjection.deadlines(for: stored.agreement, from: from, through: to)
                    }
                    all.sort { $0.sortKey < $1.sortKey }
                    return all
                }
            }
        }
    }

    /// A strong tag over every agreement's ETag and the engine version, for representations computed from all.
    var catalogTag: String { derived.catalogTag(ordered) }
}
