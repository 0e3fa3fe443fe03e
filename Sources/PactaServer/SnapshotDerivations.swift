import PactaCore
import PactaStore
import Synchronization

/// Answers that depend only on one snapshot and that dashboards poll for again and again: every agreement's
/// state on a date (list filters, the summary), every deadline in a window (the deadline list, the summary,
/// calendar feeds), rendered calendar feeds and the tag of the whole catalog (their ETags).
///
/// At 100,000 agreements each costs from milliseconds (the tag) to about a second (states, deadlines), so
/// each is computed once per snapshot and held. After a write the next snapshot inherits the finished answers,
/// with only the changed agreement evaluated again: a write costs one agreement's work per held answer, not
/// the catalog's. Memory is bounded: 32 dates of states (one byte per agreement each) and 16 windows of
/// deadlines, each of at most ``maxHeldDeadlines``.
final class SnapshotDerivations: Sendable {
    struct Window: Hashable, Sendable {
        let from: CalendarDate
        let to: CalendarDate
    }

    /// A window with more deadlines than this (a long window over a large catalog) is computed per request.
    static let maxHeldDeadlines = 200_000

    let states: MemoTable<CalendarDate, [AgreementStatus.State]>
    let deadlines: MemoTable<Window, [Deadline]>
    /// Rendered iCalendar feeds by their strong ETag (which names the snapshot and every parameter), up to 32 MiB
    /// each; not carried over a write, since every feed's tag changes with the catalog.
    let feeds = MemoTable<String, [UInt8]>(capacity: 8, keep: { $0.count <= 32 << 20 })
    private let tag = Mutex<String?>(nil)

    init(
        states: [(CalendarDate, [AgreementStatus.State])] = [], deadlines: [(Window, [Deadline])] = []
    ) {
        self.states = MemoTable(capacity: 32, ready: states)
        self.deadlines = MemoTable(capacity: 16, keep: { $0.count <= Self.maxHeldDeadlines }, ready: deadlines)
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
    enum Change {
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

    /// The derivations of the snapshot after `change`: every finished answer, patched for the one agreement.
    func carried(over change: Change) -> SnapshotDerivations {
        let states = states.readyValues.map { asOf, states in
            var patched = states
            switch change {
            case .replaced(let index, let stored): patched[index] = RulesEngine.state(of: stored.agreement, asOf: asOf)
            case .inserted(let index, let stored):
                patched.insert(RulesEngine.state(of: stored.agreement, asOf: asOf), at: index)
            case .removed(let index, _): patched.remove(at: index)
            }
            return (asOf, patched)
        }
        let deadlines = deadlines.readyValues.map { window, deadlines in
            var patched = deadlines.filter { $0.agreementId != change.id }
            if let agreement = change.agreement {
                patched += DeadlineProjection.deadlines(for: agreement, from: window.from, through: window.to)
                patched.sort { $0.sortKey < $1.sortKey }
            }
            return (window, patched)
        }
        return SnapshotDerivations(states: states, deadlines: deadlines)
    }
}

extension AgreementCatalog.Snapshot {
    /// Every agreement's state on `asOf`, in the order of ``ordered``.
    func states(asOf: CalendarDate) async -> [AgreementStatus.State] {
        let ordered = ordered
        return await derived.states.value(for: asOf) {
            ordered.map { RulesEngine.state(of: $0.agreement, asOf: asOf) }
        }
    }

    /// Every deadline dated `from` through `to`, of every agreement, in ``Deadline/sortKey`` order.
    func deadlines(from: CalendarDate, to: CalendarDate) async -> [Deadline] {
        let ordered = ordered
        return await derived.deadlines.value(for: .init(from: from, to: to)) {
            var all: [Deadline] = []
            for stored in ordered {
                all += DeadlineProjection.deadlines(for: stored.agreement, from: from, through: to)
            }
            all.sort { $0.sortKey < $1.sortKey }
            return all
        }
    }

    /// A strong tag over every agreement's ETag and the engine version, for representations computed from all.
    var catalogTag: String { derived.catalogTag(ordered) }
}
