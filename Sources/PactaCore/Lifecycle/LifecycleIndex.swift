/// Every agreement's lifecycle in catalog order (ascending id), indexed so that a question about the whole catalog
/// on any date is answered without the engine: every state on a date is one binary search per agreement, and the
/// items in a window come from a date-ordered array of explicit items and from the periodic runs whose phase falls
/// in the window, each expanded only inside it.
///
/// Built once per set of agreements (off the request path); an agreement whose lifecycle cannot answer a question
/// (a walk cut at its step limit) is asked of the engine, alone.
public final class LifecycleIndex: Sendable {
    /// The agreement in each slot, read in place from the caller's own storage (a copy per agreement here would double
    /// the memory the catalog takes).
    private let agreements: any AgreementsBySlot
    public let lifecycles: [AgreementLifecycle]
    /// Every explicit item of every lifecycle, in ``Deadline/sortKey`` order.
    private let explicit: [ExplicitItem]
    /// Runs that repeat every whole number of months, found by the phase of their items.
    private let phased: [PhaseTable]
    /// The same without the runs `tailCounts` counts: the ones a count expands.
    private let countingPhased: [PhaseTable]
    /// The open-ended runs whose items a count finds by arithmetic.
    let tailCounts: TailCounts
    private struct PhaseTableKey: Hashable {
        let months: Int
        let slack: Int
    }
    /// Runs with a period of weeks or days: few, so every window looks at each.
    private let unphased: [RunReference]
    private let stateCounts: StateCounts
    private let stateSpans: StateSpans
    /// The last day each slot's lifecycle answers for (9999-12-31 for a complete one), packed: every window reads it
    /// for every candidate, and reading it out of the lifecycles copied each one.
    private let answersThrough: [CalendarDate]
    /// The slots whose lifecycle stops short of 9999-12-31 (a walk cut at its step limit): the engine answers for
    /// them past that day. Usually none.
    private let cutSlots: [Int]
    /// The slots whose withdrawal clause has windows longer than a day, grouped by clause: a window asked finds a
    /// clause's closing days once for every agreement that shares it (a catalog holds few distinct clauses), skips the
    /// group when none closes in it, and otherwise keeps the days on which each agreement is in force. Asking every
    /// agreement was a fifth of a summary's counts (callgrind).
    private let windowed: [WindowGroup]

    /// The agreements sharing one withdrawal clause, and their states on any date (so a count asks one binary search
    /// per closing day, not one per agreement).
    private struct WindowGroup: Sendable {
        let windows: WithdrawalWindows
        /// Ascending.
        let slots: [Int32]
        /// The states of the lifecycles of `slots`, in that order.
        private let states: StateCounts

        init(windows: WithdrawalWindows, slots: [Int32], lifecycles: [AgreementLifecycle]) {
            self.windows = windows
            self.slots = slots
            states = StateCounts(slots.map { lifecycles[Int($0)] })
        }

        /// How many of the group's agreements are in force on `day` (``AgreementLifecycle/isInForce(on:)``).
        func inForce(on day: CalendarDate, _ lifecycles: [AgreementLifecycle]) -> Int {
            states.count(in: [.inForce, .terminationPending], on: day)
                + states.incompleteSlots.count { lifecycles[Int(slots[$0])].isInForce(on: day) }
        }

        func contains(_ slot: Int) -> Bool {
            let index = slots.partitionPoint { $0 < Int32(slot) }
            return index < slots.count && slots[index] == Int32(slot)
        }
    }

    /// Where an explicit item is: lifecycle `slot`, its `item`th explicit item.
    private struct ExplicitItem: Sendable {
        let date: CalendarDate
        let slot: Int32
        let item: Int32
    }

    struct RunReference: Hashable, Sendable {
        let slot: Int32
        let run: Int32

        /// Orders references by slot, then run: a window sorts its candidates to visit each run once.
        var key: Int64 { Int64(slot) << 32 | Int64(run) }
    }

    /// The runs with a period of `months` months whose items stray at most `slack` phase days, by the phase of each
    /// of their items' dates in that period.
    ///
    /// A run's items fall on the same days of the period in every term, give or take a few: a day of the month
    /// clamped to a shorter month (31 → 28, three days) and February's length (one) move a date by at most four
    /// days, and counting 32 days to every month, a move across a month's end adds at most four more phase days: so
    /// no run strays more than ``maxSlack`` (8). Most stray by none or one, and a window looks at the runs with a
    /// phase within their own slack of its own (a tighter slack, fewer runs asked for nothing), then asks each run for
    /// the exact dates. (`LifecyclePhaseTests` checks every term of hundreds of runs to 9999.)
    struct PhaseTable: Sendable {
        let months: Int
        let slack: Int
        /// (phase, run), by phase.
        let entries: [(phase: Int, run: RunReference)]

        static let maxSlack = 8
        var cycle: Int { months * 32 }

        func phase(of date: CalendarDate) -> Int { Self.phase(of: date, months: months) }

        static func phase(of date: CalendarDate, months: Int) -> Int {
            let monthIndex = date.year * 12 + date.month - 1
            return (monthIndex % months) * 32 + date.day - 1
        }

        /// The phases of a run's items in a period of `months` (one term's items hold every phase the run has), and
        /// how far the run's items stray from them.
        ///
        /// The stray is measured over the terms in which every arrangement of month lengths and leap days recurs
        /// (`lcm(months, 48)` months, then one term more), plus one day: a century year without a leap day is the
        /// one arrangement those terms may lack, and it moves a date by at most one day more.
        /// `sample` is ``sample(of:months:)``, which ``TailCounts`` reads too.
        static func phases(of run: PeriodicRun, months: Int, sample: [PeriodicRun.Item]) -> RunPhases {
            let firstTerm = run.items(from: run.start, through: (try? run.start.adding(.months(months)).date) ?? .maximum)
            var phases = Array(Set(firstTerm.map { phase(of: $0.date, months: months) })).sorted()
            if phases.isEmpty { phases = [phase(of: run.start, months: months)] }
            var stray = 0
            for item in sample {
                stray = max(stray, distance(from: phase(of: item.date, months: months), to: phases, months: months))
                if stray >= maxSlack { break }
            }
            return RunPhases(phases: phases, slack: min(stray + 1, maxSlack))
        }

        /// The smallest distance from `phase` to one of `phases`, around the cycle.
        static func distance(from phase: Int, to phases: [Int], months: Int) -> Int {
            let cycle = months * 32
            return phases.map { known in
                let distance = abs(known - phase) % cycle
                return min(distance, cycle - distance)
            }.min() ?? cycle
        }

        /// A run's items over the terms in which every arrangement of month lengths and leap days recurs
        /// (`lcm(months, 48)` months, then one term more), or to its end.
        static func sample(of run: PeriodicRun, months: Int) -> [PeriodicRun.Item] {
            let end = (try? run.start.adding(.months(lcm(months, 48) + months)).date) ?? .maximum
            return run.items(from: run.start, through: min(end, run.end ?? .maximum))
        }

        private static func lcm(_ a: Int, _ b: Int) -> Int {
            var (x, y) = (a, b)
            while y != 0 { (x, y) = (y, x % y) }
            return a / x * b
        }

        /// Whether `date` is within the run's slack of one of its phases.
        static func isNear(_ date: CalendarDate, _ run: RunPhases, months: Int) -> Bool {
            distance(from: phase(of: date, months: months), to: run.phases, months: months) <= run.slack
        }

        /// Every run with an item whose phase may fall within `from`...`to`, appended to `found` (a run with several
        /// phases may be appended more than once).
        func candidates(from: CalendarDate, through to: CalendarDate, into found: inout [RunReference]) {
            let span = (to.year * 12 + to.month) - (from.year * 12 + from.month)
            let low = phase(of: from) - slack
            let high = low + span * 32 + (to.day - from.day) + 2 * slack
            guard span < months, high - low < cycle else {
                for entry in entries { found.append(entry.run) }
                return
            }
            // The phases low...high, wrapped around the cycle.
            var ranges: [ClosedRange<Int>] = []
            let wrappedLow = ((low % cycle) + cycle) % cycle
            let wrappedHigh = wrappedLow + (high - low)
            if wrappedHigh < cycle {
                ranges = [wrappedLow...wrappedHigh]
            } else {
                ranges = [wrappedLow...(cycle - 1), 0...(wrappedHigh - cycle)]
            }
            for range in ranges {
                var index = entries.partitionPoint { $0.phase < range.lowerBound }
                while index < entries.count, entries[index].phase <= range.upperBound {
                    found.append(entries[index].run)
                    index += 1
                }
            }
        }
    }

    /// The phases of one run's items in its period, and how far its items stray from them.
    struct RunPhases: Sendable {
        let phases: [Int]
        let slack: Int
    }

    /// One item of a window: which lifecycle holds it and how to say it in full (``deadline(_:)``).
    public struct Item: Sendable {
        public let date: CalendarDate
        public let kind: Deadline.Kind
        /// The lifecycle holding the item; -1 for one computed by the engine.
        let slot: Int32
        let source: Source

        enum Source: Sendable {
            case explicit(Int32)
            case run(Int32, term: Int)
            case computed(Int32)
            /// The last day of a withdrawal window (``WithdrawalWindows``), said from the rule and the date.
            case window
        }
    }

    /// The index of `lifecycles`, built from the agreements `agreement(slot)` says, in catalog order.
    public convenience init(lifecycles: [AgreementLifecycle], agreement: @escaping @Sendable (Int) -> Agreement) {
        self.init(lifecycles: lifecycles, agreements: AgreementsByClosure(read: agreement))
    }

    /// The index of `lifecycles`, built from the agreements `agreements` holds, in catalog order.
    public init(lifecycles: [AgreementLifecycle], agreements: any AgreementsBySlot) {
        self.agreements = agreements
        self.lifecycles = lifecycles
        var explicit: [ExplicitItem] = []
        var byPeriodAndSlack: [PhaseTableKey: [(phase: Int, run: RunReference)]] = [:]
        var countingByPeriodAndSlack: [PhaseTableKey: [(phase: Int, run: RunReference)]] = [:]
        var unphased: [RunReference] = []
        var counted: [TailCounts.CountedRun] = []
        for (slot, lifecycle) in lifecycles.enumerated() {
            for (index, item) in lifecycle.items.enumerated() {
                explicit.append(ExplicitItem(date: item.date, slot: Int32(slot), item: Int32(index)))
            }
            for (index, run) in lifecycle.runs.enumerated() {
                let reference = RunReference(slot: Int32(slot), run: Int32(index))
                guard let period = run.period, period.weeks == 0, period.days == 0, period.totalMonths > 0 else {
                    unphased.append(reference)
                    continue
                }
                // One sample of the run's items serves both the phase tables and the counts by arithmetic.
                let sample = PhaseTable.sample(of: run, months: period.totalMonths)
                let phases = PhaseTable.phases(of: run, months: period.totalMonths, sample: sample)
                let key = PhaseTableKey(months: period.totalMonths, slack: phases.slack)
                let kinds = TailCounts.kinds(of: run, months: period.totalMonths, sample: sample)
                if let kinds { counted.append(.init(reference: reference, run: run, months: period.totalMonths, kinds: kinds)) }
                for phase in phases.phases {
                    byPeriodAndSlack[key, default: []].append((phase, reference))
                    if kinds == nil { countingByPeriodAndSlack[key, default: []].append((phase, reference)) }
                }
            }
        }
        explicit.sort { a, b in
            if a.date != b.date { return a.date < b.date }
            if a.slot != b.slot { return a.slot < b.slot }
            return lifecycles[Int(a.slot)].items[Int(a.item)].sortKey < lifecycles[Int(b.slot)].items[Int(b.item)].sortKey
        }
        self.explicit = explicit
        func tables(_ byKey: [PhaseTableKey: [(phase: Int, run: RunReference)]]) -> [PhaseTable] {
            byKey.map { key, entries in
                PhaseTable(months: key.months, slack: key.slack, entries: entries.sorted { $0.phase < $1.phase })
            }
        }
        self.phased = tables(byPeriodAndSlack)
        self.countingPhased = tables(countingByPeriodAndSlack)
        self.tailCounts = TailCounts(counted)
        self.unphased = unphased
        self.stateCounts = StateCounts(lifecycles)
        self.stateSpans = StateSpans(lifecycles)
        self.answersThrough = lifecycles.map { $0.tail != nil ? .maximum : $0.explicitThrough }
        self.cutSlots = lifecycles.indices.filter { !lifecycles[$0].isComplete }
        var byClause: [WithdrawalRule: (windows: WithdrawalWindows, slots: [Int32])] = [:]
        for slot in lifecycles.indices {
            guard let rule = agreements.withAgreement(at: slot, { $0.rules.withdrawal }),
                let windows = byClause[rule]?.windows ?? WithdrawalWindows(rule)
            else { continue }
            byClause[rule, default: (windows, [])].slots.append(Int32(slot))
        }
        self.windowed = byClause.values.map { WindowGroup(windows: $0.windows, slots: $0.slots, lifecycles: lifecycles) }
    }

    /// The engine's state of the agreement in `slot` on `date`, for a lifecycle that cannot say it.
    private func state(at slot: Int, on date: CalendarDate) -> AgreementStatus.State {
        agreements.withAgreement(at: slot) { RulesEngine.state(of: $0, asOf: date) }
    }

    /// The lifecycle of agreement `id`, if the index holds it.
    public func lifecycle(of id: String) -> AgreementLifecycle? {
        slot(of: id).map { lifecycles[$0] }
    }

    /// The slot of agreement `id`, if the index holds it.
    private func slot(of id: String) -> Int? {
        let slot = lifecycles.partitionPoint { $0.agreementId < id }
        return slot < lifecycles.count && lifecycles[slot].agreementId == id ? slot : nil
    }

    /// How many agreements are in each state on `date` (every state present, zeros included), with the agreements
    /// in `replacing` counted from their new version (`nil`: deleted; an id the index does not hold: added).
    public func stateCounts(on date: CalendarDate, replacing: [String: Agreement?] = [:]) -> [AgreementStatus.State: Int] {
        var counts = stateCounts.counts(on: date)
        for slot in stateCounts.incompleteSlots {
            counts[lifecycles[slot].state(on: date) ?? state(at: slot, on: date), default: 0] += 1
        }
        for (id, replacement) in replacing {
            if let slot = slot(of: id) {
                let old = lifecycles[slot].state(on: date) ?? state(at: slot, on: date)
                counts[old, default: 0] -= 1
            }
            if let replacement { counts[RulesEngine.state(of: replacement, asOf: date), default: 0] += 1 }
        }
        return counts
    }

    /// The agreements that may be in `state` on `date`, as a cursor in catalog order (their lifecycle says so, or
    /// cannot say, and the engine must be asked): a list filtered by state jumps from one to the next instead of
    /// reading every agreement's state.
    public func candidates(in state: AgreementStatus.State, on date: CalendarDate) -> StateCandidates {
        stateSpans.candidates(in: state, on: date)
    }

    /// Every agreement's state on `date`, in catalog order.
    public func states(on date: CalendarDate) -> [AgreementStatus.State] {
        lifecycles.indices.map { slot in
            lifecycles[slot].state(on: date) ?? state(at: slot, on: date)
        }
    }

    /// Every item dated `from` through `to`, in ``Deadline/sortKey`` order, with the agreements in `replacing`
    /// answered from their new version (`nil`: deleted) by the engine instead of from their lifecycle, and so
    /// is every agreement whose lifecycle cannot answer for the window (a walk cut at its step limit).
    public func window(
        from: CalendarDate,
        through to: CalendarDate,
        replacing: [String: Agreement?] = [:]
    ) -> DeadlineWindow {
        guard from <= to else { return DeadlineWindow([]) }
        var found: [Item] = []
        // The explicit items first: they are in order already.
        var index = explicit.partitionPoint { $0.date < from }
        while index < explicit.count, explicit[index].date <= to {
            let reference = explicit[index]
            index += 1
            guard answers(Int(reference.slot), through: to, replacing: replacing) else { continue }
            let kind = lifecycles[Int(reference.slot)].items[Int(reference.item)].kind
            found.append(Item(date: reference.date, kind: kind, slot: reference.slot, source: .explicit(reference.item)))
        }
        let explicitCount = found.count
        var computed = visitRuns(from: from, through: to, replacing: replacing, runs: runCandidates(in: phased, from: from, through: to)) {
            reference,
            item in
            found.append(Item(date: item.date, kind: item.kind, slot: reference.slot, source: .run(reference.run, term: item.term)))
        }
        for group in windowed {
            // Most windows close once a year or a month: a short window holds none of them.
            let days = group.windows.closingDays(from: from, through: to)
            if days.isEmpty { continue }
            for slot in group.slots where answers(Int(slot), through: to, replacing: replacing) {
                for day in days where lifecycles[Int(slot)].isInForce(on: day) {
                    found.append(Item(date: day, kind: .withdrawalNoticeDeadline, slot: slot, source: .window))
                }
            }
        }
        computed.sort { $0.sortKey < $1.sortKey }
        for (position, deadline) in computed.enumerated() {
            found.append(Item(date: deadline.date, kind: deadline.kind, slot: -1, source: .computed(Int32(position))))
        }
        if found.count > explicitCount { found.sort { precedes($0, $1, computed) } }
        return DeadlineWindow(index: self, items: found, computed: computed)
    }

    /// The first `limit` items dated `from` through `to` after `after` that pass `wanted` (all when `nil`), in
    /// ``Deadline/sortKey`` order: the same as ``window(from:through:replacing:)``, filtered and cut, without finding
    /// every item of each day. Like a window, each item is said in full only when read (a filter reads every item it
    /// is given; a cursor, the items of its own agreement), so a caller can say its page on its own thread.
    ///
    /// The days are read one by one, and the items of one day are in catalog order (slots are in the ids' order), so
    /// each day's sources are read slot by slot and the reading stops once the page is full (``readDay``). A one-day
    /// window found and sorted every item of the day: a quarter of a summary, and half of a deadline page's window
    /// (perf at 100,000 agreements). Meant for a few days: a longer stretch is cheaper as a window.
    public func items(
        from: CalendarDate,
        through to: CalendarDate,
        after: Deadline.SortKey? = nil,
        limit: Int,
        replacing: [String: Agreement?] = [:],
        where wanted: ((Deadline) -> Bool)? = nil
    ) -> DeadlineWindow {
        var day = max(from, after?.date ?? from)
        guard limit > 0, day <= to else { return DeadlineWindow([]) }
        // The engine's items for the whole stretch at once: its walk costs about the same for a day as for a month.
        let computed = engineDeadlines(from: day, through: to, replacing: replacing).sorted { $0.sortKey < $1.sortKey }
        var page: [Item] = []
        while page.count < limit {
            readDay(day, of: to, after: after, limit: limit, replacing: replacing, where: wanted, computed: computed, into: &page)
            guard day < to, let next = try? day.addingDays(1) else { break }
            day = next
        }
        return DeadlineWindow(index: self, items: page, computed: computed)
    }

    /// Appends to `page`, until it holds `limit` items, the items dated `day` after `after` that pass `wanted`, in
    /// ``Deadline/sortKey`` order, reading slot by slot: the explicit items are sorted by slot already, the runs that
    /// may have an item that day are sorted by slot and asked one by one, a clause's window closing that day is its
    /// agreements' in slot order, and the engine's items (`computed`: those of the agreements whose lifecycles do not
    /// answer through `end`, the stretch's last day, as in a window to `end`; sorted) are merged by id.
    private func readDay(
        _ day: CalendarDate,
        of end: CalendarDate,
        after: Deadline.SortKey?,
        limit: Int,
        replacing: [String: Agreement?],
        where wanted: ((Deadline) -> Bool)?,
        computed: [Deadline],
        into page: inout [Item]
    ) {
        // A cursor on this day skips the agreements before its own.
        let cursor = after.flatMap { $0.date == day ? $0 : nil }
        let firstSlot = cursor.map { cursor in Int32(lifecycles.partitionPoint { $0.agreementId < cursor.agreementId }) } ?? 0
        var explicitIndex = explicit.partitionPoint { $0.date < day || ($0.date == day && $0.slot < firstSlot) }
        var runs = runCandidates(in: phased, from: day, through: day)
        runs.sort { $0.key < $1.key }
        var runIndex = runs.partitionPoint { $0.slot < firstSlot }
        let groups = windowed.filter { !$0.windows.closingDays(from: day, through: day).isEmpty }
        var groupIndices = groups.map { group in group.slots.partitionPoint { $0 < firstSlot } }
        var computedIndex = computed.partitionPoint { $0.date < day }
        func add(_ item: Item) -> Bool {
            if let cursor {
                let id = agreementId(item, computed)
                if id < cursor.agreementId || (id == cursor.agreementId && deadline(item, computed).sortKey <= cursor) { return false }
            }
            if let wanted, !wanted(deadline(item, computed)) { return false }
            page.append(item)
            return page.count == limit
        }
        while true {
            var slot = Int32.max
            if explicitIndex < explicit.count, explicit[explicitIndex].date == day { slot = explicit[explicitIndex].slot }
            if runIndex < runs.count { slot = min(slot, runs[runIndex].slot) }
            for (group, index) in zip(groups, groupIndices) where index < group.slots.count { slot = min(slot, group.slots[index]) }
            // The engine's items of agreements that sort before this slot's come first.
            if computedIndex < computed.count, computed[computedIndex].date == day {
                let id = slot == .max ? nil : lifecycles[Int(slot)].agreementId
                while computedIndex < computed.count, computed[computedIndex].date == day,
                    id.map({ computed[computedIndex].agreementId < $0 }) ?? true
                {
                    let item = Item(date: day, kind: computed[computedIndex].kind, slot: -1, source: .computed(Int32(computedIndex)))
                    computedIndex += 1
                    if add(item) { return }
                }
            }
            guard slot != .max else { return }
            // Every item of this slot's agreement, from every source.
            let answered = answers(Int(slot), through: end, replacing: replacing)
            var found: [Item] = []
            while explicitIndex < explicit.count, explicit[explicitIndex].date == day, explicit[explicitIndex].slot == slot {
                let reference = explicit[explicitIndex]
                explicitIndex += 1
                guard answered else { continue }
                let kind = lifecycles[Int(slot)].items[Int(reference.item)].kind
                found.append(Item(date: day, kind: kind, slot: slot, source: .explicit(reference.item)))
            }
            var previous: Int64 = -1
            while runIndex < runs.count, runs[runIndex].slot == slot {
                let candidate = runs[runIndex]
                runIndex += 1
                guard answered, candidate.key != previous else { continue }
                previous = candidate.key
                lifecycles[Int(slot)].runs[Int(candidate.run)].forEachItem(from: day, through: day) { item in
                    found.append(Item(date: day, kind: item.kind, slot: slot, source: .run(candidate.run, term: item.term)))
                }
            }
            for position in groups.indices where groupIndices[position] < groups[position].slots.count {
                guard groups[position].slots[groupIndices[position]] == slot else { continue }
                groupIndices[position] += 1
                if answered && lifecycles[Int(slot)].isInForce(on: day) {
                    found.append(Item(date: day, kind: .withdrawalNoticeDeadline, slot: slot, source: .window))
                }
            }
            found.sort { precedes($0, $1, []) }
            for item in found where add(item) { return }
        }
    }

    /// How many items ``window(from:through:replacing:)`` holds, without listing or ordering them.
    public func count(from: CalendarDate, through to: CalendarDate, replacing: [String: Agreement?] = [:]) -> Int {
        counts(from: from, through: [to], replacing: replacing)[0]
    }

    /// How many items are dated `from` through each of `ends`, in one pass over the widest of the windows (the
    /// summary's 30 and 90 days cost one count, not two). The open-ended runs that start before `from` are counted
    /// by arithmetic (``TailCounts``) up to 9000-12-31 (past it, a term's end may fall past the calendar and take its
    /// notice deadline with it); the other runs are expanded.
    public func counts(from: CalendarDate, through ends: [CalendarDate], replacing: [String: Agreement?] = [:]) -> [Int] {
        guard let widest = ends.max(), from <= widest else { return ends.map { _ in 0 } }
        var totals = [Int](repeating: 0, count: ends.count)
        func tally(_ date: CalendarDate, _ change: Int = 1) {
            for (position, end) in ends.enumerated() where date <= end { totals[position] += change }
        }
        let byArithmetic = widest <= Self.lastCountedByArithmetic
        var runs = runCandidates(in: byArithmetic ? countingPhased : phased, from: from, through: widest)
        if byArithmetic { runs += tailCounts.starting(from: from, through: widest).map(\.run) }
        let computed = visitRuns(from: from, through: widest, replacing: replacing, runs: runs) { _, item in tally(item.date) }
        for deadline in computed { tally(deadline.date) }
        // The explicit items and the windows' closing days are counted, not visited: two binary searches per end, and
        // one per clause and closing day, less those of the agreements the index does not answer for here.
        let unanswered = unansweredSlots(through: widest, replacing: replacing)
        let first = explicit.partitionPoint { $0.date < from }
        for (position, end) in ends.enumerated() { totals[position] += explicit.partitionPoint { $0.date <= end } - first }
        for slot in unanswered {
            for item in lifecycles[slot].items where from <= item.date && item.date <= widest { tally(item.date, -1) }
        }
        for group in windowed {
            for day in group.windows.closingDays(from: from, through: widest) {
                var inForce = group.inForce(on: day, lifecycles)
                for slot in unanswered where group.contains(slot) && lifecycles[slot].isInForce(on: day) { inForce -= 1 }
                tally(day, inForce)
            }
        }
        guard byArithmetic else { return totals }
        for (position, end) in ends.enumerated() {
            totals[position] += tailCounts.count(from: from, through: end, lifecycles: lifecycles)
        }
        // The runs of agreements written since the index was built were counted from their old version: taken off.
        for case let slot? in replacing.keys.map(slot(of:)) {
            for (index, run) in lifecycles[slot].runs.enumerated()
            where run.start < from && tailCounts.counts(RunReference(slot: Int32(slot), run: Int32(index))) {
                run.forEachItem(from: from, through: widest) { tally($0.date, -1) }
            }
        }
        return totals
    }

    static let lastCountedByArithmetic = CalendarDate(uncheckedYear: 9000, month: 12, day: 31)

    /// The runs in `tables` with a phase that may fall `from` through `to`, and every run without a phase.
    private func runCandidates(in tables: [PhaseTable], from: CalendarDate, through to: CalendarDate) -> [RunReference] {
        var candidates = unphased
        for table in tables { table.candidates(from: from, through: to, into: &candidates) }
        return candidates
    }

    /// The slots that do not ``answer(_:through:replacing:)`` for a window through `to`: the agreements written since
    /// the index was built, and the cut walks that stop before `to`.
    private func unansweredSlots(through to: CalendarDate, replacing: [String: Agreement?]) -> Set<Int> {
        Set(cutSlots.filter { to > answersThrough[$0] }).union(replacing.keys.compactMap(slot(of:)))
    }

    /// Whether the lifecycle in `slot` answers for a window through `to`, `replacing` not naming its agreement.
    private func answers(_ slot: Int, through to: CalendarDate, replacing: [String: Agreement?]) -> Bool {
        to <= answersThrough[slot] && (replacing.isEmpty || replacing.index(forKey: lifecycles[slot].agreementId) == nil)
    }

    /// Calls `run` for every item dated `from` through `to` (in no particular order) of the runs `candidates` names
    /// (each once, however often named) in the lifecycles that ``answers(_:through:replacing:)`` for the window;
    /// returns the engine's items for the agreements whose lifecycles do not.
    private func visitRuns(
        from: CalendarDate,
        through to: CalendarDate,
        replacing: [String: Agreement?],
        runs candidates: [RunReference],
        _ visitRun: (RunReference, PeriodicRun.Item) -> Void
    ) -> [Deadline] {
        let computed = engineDeadlines(from: from, through: to, replacing: replacing)
        var candidates = candidates
        candidates.sort { $0.key < $1.key }
        var previous: Int64 = -1
        for candidate in candidates where candidate.key != previous {
            previous = candidate.key
            guard answers(Int(candidate.slot), through: to, replacing: replacing) else { continue }
            lifecycles[Int(candidate.slot)].runs[Int(candidate.run)].forEachItem(from: from, through: to) {
                visitRun(candidate, $0)
            }
        }
        return computed
    }

    /// The engine's items dated `from` through `to` of the agreements whose lifecycles do not answer for the window:
    /// those in `replacing` (from their new version) and the cut walks that stop before `to`.
    private func engineDeadlines(from: CalendarDate, through to: CalendarDate, replacing: [String: Agreement?]) -> [Deadline] {
        var computed: [Deadline] = []
        for case let agreement? in replacing.values {
            computed += DeadlineProjection.deadlines(for: agreement, from: from, through: to)
        }
        for slot in cutSlots where to > answersThrough[slot] {
            if replacing.index(forKey: lifecycles[slot].agreementId) != nil { continue }
            computed += agreements.withAgreement(at: slot) { DeadlineProjection.deadlines(for: $0, from: from, through: to) }
        }
        return computed
    }

    private func agreementId(_ item: Item, _ computed: [Deadline]) -> String {
        if case .computed(let position) = item.source { return computed[Int(position)].agreementId }
        return lifecycles[Int(item.slot)].agreementId
    }

    /// Whether `a` comes before `b` in ``Deadline/sortKey`` order (date, agreement, kind, party), saying an item in
    /// full only when all but the party are equal.
    private func precedes(_ a: Item, _ b: Item, _ computed: [Deadline]) -> Bool {
        if a.date != b.date { return a.date < b.date }
        // Slots are in catalog order, which is the ids' order: only an item the engine computed needs its id read.
        if a.slot >= 0, b.slot >= 0, a.slot != b.slot { return a.slot < b.slot }
        if a.slot != b.slot || a.slot < 0 {
            let (first, second) = (agreementId(a, computed), agreementId(b, computed))
            if first != second { return first < second }
        }
        if a.kind != b.kind { return Deadline.Kind.order(a.kind) < Deadline.Kind.order(b.kind) }
        return deadline(a, computed).sortKey < deadline(b, computed).sortKey
    }

    /// The item said in full.
    func deadline(_ item: Item, _ computed: [Deadline]) -> Deadline {
        switch item.source {
        case .explicit(let index): return lifecycles[Int(item.slot)].items[Int(index)]
        case .run(let run, let term):
            return agreements.withAgreement(at: Int(item.slot)) { agreement in
                lifecycles[Int(item.slot)].runs[Int(run)].deadline(
                    PeriodicRun.Item(date: item.date, kind: item.kind, term: term),
                    of: agreement
                )
            }
        case .computed(let position): return computed[Int(position)]
        case .window:
            return agreements.withAgreement(at: Int(item.slot)) { agreement in
                WithdrawalWindows(agreement.rules.withdrawal)!.deadline(on: item.date, of: agreement)
            }
        }
    }
}

/// Where an index reads the agreements its lifecycles were built from, by slot, in place: a closure returning an
/// `Agreement` copied it out of its array, retaining every one of its fields, for each deadline said (9% of a
/// deadline page's CPU, perf at 100,000 agreements). `body` borrows it; the holder must lend it from where it is kept
/// (read through a reference from outside the holding class, it is copied all the same: 4% of a page).
public protocol AgreementsBySlot: Sendable {
    func withAgreement<T>(at slot: Int, _ body: (borrowing Agreement) -> T) -> T
}

struct AgreementsByClosure: AgreementsBySlot {
    let read: @Sendable (Int) -> Agreement

    func withAgreement<T>(at slot: Int, _ body: (borrowing Agreement) -> T) -> T { body(read(slot)) }
}

/// The deadlines of a window, in ``Deadline/sortKey`` order, each said in full only when read: a page of a long
/// window costs the page, not the window.
public struct DeadlineWindow: RandomAccessCollection, Sendable {
    private let index: LifecycleIndex?
    private let items: [LifecycleIndex.Item]
    private let computed: [Deadline]

    init(index: LifecycleIndex, items: [LifecycleIndex.Item], computed: [Deadline]) {
        self.index = index
        self.items = items
        self.computed = computed
    }

    /// Deadlines already said in full, in ``Deadline/sortKey`` order.
    public init(_ deadlines: [Deadline]) {
        index = nil
        computed = deadlines
        items = deadlines.indices.map { position in
            LifecycleIndex.Item(
                date: deadlines[position].date,
                kind: deadlines[position].kind,
                slot: -1,
                source: .computed(Int32(position))
            )
        }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { items.count }

    public subscript(position: Int) -> Deadline {
        guard let index else { return computed[position] }
        return index.deadline(items[position], computed)
    }

    /// The date of the item at `position`, without saying it in full.
    public func date(at position: Int) -> CalendarDate { items[position].date }

    /// How many items are dated on or before `date`.
    public func count(through date: CalendarDate) -> Int { items.partitionPoint { $0.date <= date } }
}
