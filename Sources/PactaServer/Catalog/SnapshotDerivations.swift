import NIOCore
import PactaCore
import PactaStore
import Synchronization

/// Answers that depend only on one snapshot and that dashboards poll for again and again: every agreement's
/// state on a date (list filters, the summary), every deadline in a window (the deadline list, the summary,
/// calendar feeds) and rendered calendar feeds.
///
/// States and deadlines come from the catalog's ``LifecycleIndex`` (built off the request path by
/// ``LifecycleMaintainer``), with the agreements written since it was built asked of the engine, one each. Until
/// the first index is built (the seconds after a start), they come from the engine over the whole catalog, on the
/// compute pool. Either way each answer is computed once per snapshot and shared by concurrent requests.
final class SnapshotDerivations: Sendable {
    struct Window: Hashable, Sendable {
        let from: CalendarDate
        let to: CalendarDate
    }

    /// The lifecycle index answers come from, and the writes since it was built, in order.
    struct Lifecycles: Sendable {
        var index: LifecycleIndex?
        var changes: [Change]

        /// Each agreement written since the index was built, as it stands now (`nil`: deleted).
        var replacing: [String: Agreement?] {
            var latest: [String: Agreement?] = [:]
            for change in changes { latest[change.id] = .some(change.agreement) }
            return latest
        }
    }

    let states = MemoTable<CalendarDate, [AgreementStatus.State]>(capacity: 32)
    let deadlines = MemoTable<Window, DeadlineWindow>(capacity: 16)
    /// For each party a list was filtered by: the positions of the agreements that list it, ascending.
    let partyPositions = MemoTable<String, [Int32]>(capacity: 32)
    /// Rendered iCalendar feeds by their strong ETag (which names the snapshot and every parameter), up to 32 MiB
    /// each; every response sends the one buffer (``CalendarRoute``), not a copy of it.
    let feeds = MemoTable<String, ByteBuffer>(capacity: 8, keep: { $0.readableBytes <= 32 << 20 })
    let lifecycles: Mutex<Lifecycles>

    init(lifecycles: Lifecycles = Lifecycles(index: nil, changes: [])) {
        self.lifecycles = Mutex(lifecycles)
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

    /// The derivations of the snapshot after `changes` (one write's: the written agreement, then those that name it):
    /// the same lifecycle index with the changes queued on it. Nothing is computed here (this runs inside the
    /// serialized write).
    func carried(over changes: [Change]) -> SnapshotDerivations {
        var next = lifecycles.withLock { $0 }
        next.changes += changes
        return SnapshotDerivations(lifecycles: next)
    }

    /// The states of the index's agreements on `asOf` with `changes` applied in order.
    static func apply(
        _ changes: [Change],
        to states: [AgreementStatus.State],
        asOf: CalendarDate
    )
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
}

extension AgreementCatalog.Snapshot {
    /// Every agreement's state on `asOf`, in the order of ``ordered``; computed on the compute pool.
    func states(asOf: CalendarDate, work: HeavyWork) async throws -> [AgreementStatus.State] {
        let ordered = ordered
        let lifecycles = derived.lifecycles.withLock { $0 }
        return try await work.awaitShared {
            try await derived.states.value(for: asOf) {
                try await work.pool.run {
                    guard let index = lifecycles.index else {
                        return ordered.map { RulesEngine.state(of: $0.agreement, asOf: asOf) }
                    }
                    return SnapshotDerivations.apply(lifecycles.changes, to: index.states(on: asOf), asOf: asOf)
                }
            }
        }
    }

    /// The positions in ``ordered`` of the agreements that list `party`, ascending, when this snapshot holds them;
    /// otherwise `nil`, and one pass over the catalog on the compute pool starts finding them for the requests after
    /// this one (so no request waits for the pass: the first lists as before, by passing over the agreements).
    func positions(listing party: String, work: HeavyWork) -> [Int32]? {
        let ordered = ordered
        return derived.partyPositions.heldValue(for: party) {
            try await work.pool.run {
                var positions: [Int32] = []
                for (position, stored) in ordered.enumerated()
                where stored.agreement.parties.contains(where: { $0.code == party }) {
                    positions.append(Int32(position))
                }
                return positions
            }
        }
    }

    /// How many agreements are in each state on `asOf`: from the lifecycle index one search (plus the engine for
    /// the agreements written since it was built); without an index yet, from every state on that date.
    func stateCounts(asOf: CalendarDate, work: HeavyWork) async throws -> [AgreementStatus.State: Int] {
        let lifecycles = derived.lifecycles.withLock { $0 }
        guard let index = lifecycles.index else {
            var counts: [AgreementStatus.State: Int] = [:]
            for state in try await states(asOf: asOf, work: work) { counts[state, default: 0] += 1 }
            return counts
        }
        let replacing = lifecycles.replacing
        return try await work.run { index.stateCounts(on: asOf, replacing: replacing) }
    }

    /// A page of the deadlines dated `from` through `to`: the first `limit` after `after` that pass `filter` (all when
    /// `nil`), and whether more follow. From the lifecycle index it reads its first days one by one, then windows of 8
    /// times as many days, until the page is full, so a page costs about its own items, not the window's; without an
    /// index yet, the whole window (held for the snapshot). The compute pool finds the page's items; unless a filter
    /// had to read them, the caller's thread says them in full, as it writes them.
    func deadlinePage(
        from: CalendarDate,
        to: CalendarDate,
        after: Deadline.SortKey?,
        limit: Int,
        filter: (@Sendable (Deadline) -> Bool)?,
        work: HeavyWork
    ) async throws -> (items: [Deadline], hasMore: Bool) {
        let lifecycles = derived.lifecycles.withLock { $0 }
        guard let index = lifecycles.index else {
            let all = try await deadlines(from: from, to: to, work: work)
            let start = after.map { after in all.partitionPoint { $0.sortKey <= after } } ?? 0
            var items: [Deadline] = []
            for deadline in all[start...] where filter?(deadline) ?? true {
                if items.count == limit { return (items, true) }
                items.append(deadline)
            }
            return (items, false)
        }
        let replacing = lifecycles.replacing
        // The first days one by one, each read only as far as the page needs.
        var start = max(from, after?.date ?? from)
        var end = min((try? start.addingDays(Self.daysReadOneByOne - 1)) ?? to, to)
        let (firstDay, lastDay) = (start, end)
        var pieces = [
            try await work.run {
                index.items(from: firstDay, through: lastDay, after: after, limit: limit + 1, replacing: replacing, where: filter)
            }
        ]
        var count = pieces[0].count
        // Then windows of 8 times as many days.
        var days = Self.daysReadOneByOne
        while count <= limit, end < to, let next = try? end.addingDays(1) {
            days *= 8
            start = next
            end = min((try? start.addingDays(days - 1)) ?? to, to)
            let (firstDay, lastDay, wanted) = (start, end, limit + 1 - count)
            let found = try await work.run {
                var found: [Deadline] = []
                for deadline in index.window(from: firstDay, through: lastDay, replacing: replacing)
                where after.map({ deadline.sortKey > $0 }) ?? true && filter?(deadline) ?? true {
                    found.append(deadline)
                    if found.count == wanted { break }
                }
                return DeadlineWindow(found)
            }
            pieces.append(found)
            count += found.count
        }
        return (Self.said(pieces, limit: limit), count > limit)
    }

    /// The first `limit` items of `pieces`, said in full.
    private static func said(_ pieces: [DeadlineWindow], limit: Int) -> [Deadline] {
        var items: [Deadline] = []
        items.reserveCapacity(limit)
        for piece in pieces {
            for deadline in piece.prefix(limit - items.count) { items.append(deadline) }
        }
        return items
    }

    /// How many days a page reads one by one, each in catalog order only as far as the page needs
    /// (``LifecycleIndex/items(from:through:after:limit:replacing:where:)``), before it looks at windows of 8 times as many
    /// days; at 100,000 agreements a day holds 60 to 500 items, so a page of 100 is full within a day or two.
    static let daysReadOneByOne = 32

    /// How many deadlines are dated `from` through `to`: counted from the lifecycle index without listing them, or
    /// the length of the window (held for the snapshot) while there is no index yet.
    func deadlineCount(from: CalendarDate, to: CalendarDate, work: HeavyWork) async throws -> Int {
        try await deadlineCounts(from: from, through: [to], work: work)[0]
    }

    /// How many deadlines are dated `from` through each of `ends`, counted in one pass.
    func deadlineCounts(from: CalendarDate, through ends: [CalendarDate], work: HeavyWork) async throws -> [Int] {
        let lifecycles = derived.lifecycles.withLock { $0 }
        guard let index = lifecycles.index else {
            let all = try await deadlines(from: from, to: ends.max() ?? from, work: work)
            return ends.map { end in all.count(through: end) }
        }
        let replacing = lifecycles.replacing
        return try await work.run { index.counts(from: from, through: ends, replacing: replacing) }
    }

    /// Whether states and deadlines come from a lifecycle index (not yet in the seconds after a start).
    var hasLifecycleIndex: Bool { derived.lifecycles.withLock { $0.index != nil } }

    /// The first deadline dated `from` through `to`: from the lifecycle index a page of one (whose first look, its
    /// first day, reads only as far as its first item); without an index yet, from windows widened tenfold (90 days,
    /// 1,000, 10,000, then `to`) only while they hold nothing.
    func firstDeadline(from: CalendarDate, to: CalendarDate, work: HeavyWork) async throws -> Deadline? {
        if hasLifecycleIndex {
            return try await deadlinePage(from: from, to: to, after: nil, limit: 1, filter: nil, work: work).items.first
        }
        for days in [90, 1_000, 10_000] {
            let end = min((try? from.addingDays(days)) ?? to, to)
            if let first = try await deadlines(from: from, to: end, work: work).first { return first }
            if end == to { return nil }
        }
        return try await deadlines(from: from, to: to, work: work).first
    }

    /// Reads the state of one agreement at a time on `asOf` from the lifecycle index (one binary search), or `nil`
    /// while there is no index yet. A list page filtered by state reads only as far as it needs to.
    func stateReader(asOf: CalendarDate) -> StateReader? {
        let lifecycles = derived.lifecycles.withLock { $0 }
        guard let index = lifecycles.index else { return nil }
        return StateReader(
            index: index,
            ordered: ordered,
            replacing: lifecycles.changes.isEmpty ? nil : lifecycles.replacing,
            asOf: asOf
        )
    }

    /// Every deadline dated `from` through `to`, of every agreement, in ``Deadline/sortKey`` order; computed on the
    /// compute pool.
    func deadlines(from: CalendarDate, to: CalendarDate, work: HeavyWork) async throws -> DeadlineWindow {
        let ordered = ordered
        let lifecycles = derived.lifecycles.withLock { $0 }
        return try await work.awaitShared {
            try await derived.deadlines.value(for: SnapshotDerivations.Window(from: from, to: to)) {
                try await work.pool.run {
                    if let index = lifecycles.index {
                        return index.window(from: from, through: to, replacing: lifecycles.replacing)
                    }
                    var all: [Deadline] = []
                    for stored in ordered {
                        all += DeadlineProjection.deadlines(for: stored.agreement, from: from, through: to)
                    }
                    all.sort { $0.sortKey < $1.sortKey }
                    return DeadlineWindow(all)
                }
            }
        }
    }

    /// A strong tag over every agreement's id and version and the engine version, for representations computed from
    /// all (``CatalogTag``).
    var catalogTag: String { contents.tag }
}

/// The state of each agreement of a snapshot on one date, from its lifecycle; the agreements written since the index
/// was built are asked of the engine.
struct StateReader: Sendable {
    let index: LifecycleIndex
    let ordered: [StoredAgreement]
    /// The agreements written since the index was built, or `nil` when none was (then position `i` in ``ordered``
    /// is the index's slot `i`).
    let replacing: [String: Agreement?]?
    let asOf: CalendarDate

    /// For a list filtered by `state`: the positions whose agreement may be in that state, jumping over those the
    /// index knows are not. `nil` once the snapshot has writes the index was not built with (positions are then no
    /// longer slots): the list reads every state.
    func candidates(of state: AgreementStatus.State) -> StateCandidates? {
        replacing == nil ? index.candidates(in: state, on: asOf) : nil
    }

    /// The state of the agreement at `position` in the snapshot's order.
    func state(at position: Int) -> AgreementStatus.State {
        // Read in place: copying an agreement or a lifecycle out of its array costs more than the search.
        if let replacing {
            let id = ordered[position].agreement.id
            if replacing.index(forKey: id) == nil, let state = index.lifecycle(of: id)?.state(on: asOf) { return state }
        } else if let state = index.lifecycles[position].state(on: asOf) {
            return state
        }
        return RulesEngine.state(of: ordered[position].agreement, asOf: asOf)
    }
}
