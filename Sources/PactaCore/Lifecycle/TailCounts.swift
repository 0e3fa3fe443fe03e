/// How many items the open-ended periodic runs (the tails) have in any window, by arithmetic over their phases
/// instead of expanding each run: the summary counts the items of its next 30 and 90 days, and expanding every run
/// whose phase fell in the window was 85% of a summary's time at 100,000 agreements (callgrind, 2026-12-07).
///
/// Number the days by month, 32 positions to a month (`32 × monthIndex + day − 1`, ``position(of:)``): a date's
/// position modulo `32 × months` is its phase in a period of `months` (``LifecycleIndex/PhaseTable``). A tail's
/// items of one kind fall once a term, each within `slack` positions of its *reference position*: the term's
/// `p + k × cycle`, for the phase `p` of the kind's first item. So a window from position `a` to `b` holds
///
/// - the item of every reference position in `a + slack ... b − slack`: counted by arithmetic over the phases;
/// - none of those before `a − slack` or after `b + slack`;
/// - for the reference positions within `slack` of either end (a few entries per window), the one item whose
///   reference position it is: its term follows from the position (one term a cycle). Each entry also knows where
///   around its reference position its items fall (``Entry/earliest``...``Entry/latest``, exact where the slack
///   allows a day more for the centuries without a leap day): an item whose bounds lie wholly inside or outside the
///   window is counted or left without dating it, and only the others are dated by their run. Dating every entry
///   near the ends was 24% of a summary (perf at 100,000 agreements); most entries' items fall on their reference
///   position exactly, and those are never dated.
///
/// An entry is counted here only for windows starting after its run does, so every term's item in the window exists;
/// a run that starts inside a window, and every run this cannot describe (see ``entries(of:)``), is expanded by the
/// index as before.
struct TailCounts: Sendable {
    /// One kind of item of one tail run.
    struct Entry: Sendable {
        let phase: Int32
        /// The run's first day, as a day number: the entry counts for windows starting after it.
        let start: Int32
        let slot: Int32
        let run: Int32
        let kind: Deadline.Kind
        /// A term of the run and its item's position, which is its reference position: term `firstTerm + n` has
        /// the reference position `firstPosition + n × cycle`.
        let firstTerm: Int32
        let firstPosition: Int32
        /// How far an item's position lies from its reference position, signed: `earliest...latest`, in the terms
        /// whose items are more than `reach` years from a century year without a leap day (one position more on
        /// either side in the others: ``TailCounts/kinds(of:months:sample:)``).
        let earliest: Int8
        let latest: Int8
        let reach: UInt8
    }

    /// The entries of runs with a period of `months` whose items stray at most `slack - 1` positions from their
    /// reference positions (one more for the century years a run's sample may lack, as in the phase tables). A class:
    /// every count visits every table, and copying one retained each of its arrays.
    final class Table: Sendable {
        let months: Int
        let slack: Int
        let cycle: Int
        /// The entries' widest ``Entry/reach``.
        let reach: Int
        /// Entries by the day their run starts: those that count for a window are a prefix.
        let byStart: [Entry]
        /// `cumulative[block * cycle + phase]`: how many of the first `block × blockSize` entries of `byStart` have a
        /// phase at most `phase`.
        let cumulative: [Int32]
        let blockSize: Int
        /// Entries by phase: those near a window's ends are found here.
        let byPhase: [Entry]

        init(months: Int, slack: Int, entries: [Entry]) {
            self.months = months
            self.slack = slack
            cycle = months * 32
            reach = Int(entries.map(\.reach).max() ?? 0)
            byStart = entries.sorted { ($0.start, $0.phase) < ($1.start, $1.phase) }
            byPhase = entries.sorted { $0.phase < $1.phase }
            // A row per block of entries: about 1.2 MB for 200,000 entries of yearly runs; rows are kept under two
            // million cells by making blocks longer (a query scans at most one block).
            var blockSize = 64
            while (byStart.count / blockSize) * cycle > 2_000_000 { blockSize *= 2 }
            self.blockSize = blockSize
            var cumulative = [Int32](repeating: 0, count: cycle)
            var histogram = [Int32](repeating: 0, count: cycle)
            for block in 0..<(byStart.count / blockSize) {
                for entry in byStart[(block * blockSize)..<((block + 1) * blockSize)] { histogram[Int(entry.phase)] += 1 }
                var running: Int32 = 0
                for phase in 0..<cycle {
                    running += histogram[phase]
                    cumulative.append(running)
                }
            }
            self.cumulative = cumulative
        }

        /// How many of the first `prefix` entries of `byStart` have a phase at most `phase` (0..<cycle).
        func atMost(_ phase: Int, among prefix: Int) -> Int {
            let block = prefix / blockSize
            var count = Int(cumulative[block * cycle + phase])
            for entry in byStart[(block * blockSize)..<prefix] where entry.phase <= phase { count += 1 }
            return count
        }

        /// The items of this table's entries dated `from` through `to`.
        func count(from: CalendarDate, through to: CalendarDate, lifecycles: [AgreementLifecycle]) -> Int {
            let firstDay = Int32(from.dayNumber)
            let counted = byStart.partitionPoint { $0.start < firstDay }
            guard counted > 0 else { return 0 }
            let (a, b) = (TailCounts.position(of: from), TailCounts.position(of: to))
            var total = 0
            let ends: [ClosedRange<Int>]
            if b - a >= 2 * slack {
                let (inner, outer) = (a + slack, b - slack)
                // Reference positions inner...outer, each entry's ≡ its phase (mod cycle): per entry,
                // ⌊(outer − p) / cycle⌋ − ⌊(inner − 1 − p) / cycle⌋, which is the quotients' difference less one for
                // a phase past the upper remainder, plus one for a phase past the lower one.
                let (high, low) = (floorDivision(outer, cycle), floorDivision(inner - 1, cycle))
                total += counted * (high.quotient - low.quotient)
                total -= counted - atMost(high.remainder, among: counted)
                total += counted - atMost(low.remainder, among: counted)
                ends = [(a - slack)...(inner - 1), (outer + 1)...(b + slack)]
            } else {
                ends = [(a - slack)...(b + slack)]
            }
            let years = (from.year - reach - 1)...(to.year + reach + 1)
            let widening = TailCounts.holdsCenturyWithoutLeapDay(years) ? 1 : 0
            for end in ends {
                total += countNear(end, window: a...b, widening: widening, from: from, through: to, firstDay: firstDay, lifecycles)
            }
            return total
        }

        /// The items dated `from` through `to` (positions `window`) whose reference position is in `end` (shorter
        /// than a cycle, so an entry has at most one there): each entry with a phase in it has the item of the term
        /// with that reference position, dated only when its bounds (widened by `widening`) straddle an end of the
        /// window.
        private func countNear(
            _ end: ClosedRange<Int>,
            window: ClosedRange<Int>,
            widening: Int,
            from: CalendarDate,
            through to: CalendarDate,
            firstDay: Int32,
            _ lifecycles: [AgreementLifecycle]
        ) -> Int {
            let low = floorDivision(end.lowerBound, cycle).remainder
            let high = low + (end.upperBound - end.lowerBound)
            let phases: [ClosedRange<Int>] = high < cycle ? [low...high] : [low...(cycle - 1), 0...(high - cycle)]
            var count = 0
            for range in phases {
                var index = byPhase.partitionPoint { $0.phase < range.lowerBound }
                while index < byPhase.count, byPhase[index].phase <= range.upperBound {
                    let entry = byPhase[index]
                    index += 1
                    guard entry.start < firstDay else { continue }
                    let reference = end.lowerBound + floorDivision(Int(entry.phase) - end.lowerBound, cycle).remainder
                    let term = Int(entry.firstTerm) + (reference - Int(entry.firstPosition)) / cycle
                    let earliest = reference + Int(entry.earliest) - widening
                    let latest = reference + Int(entry.latest) + widening
                    if latest < window.lowerBound || earliest > window.upperBound { continue }
                    // Terms from the first on all have their item (open-ended runs, consecutive terms).
                    if term >= Int(entry.firstTerm), window.lowerBound <= earliest, latest <= window.upperBound {
                        count += 1
                        continue
                    }
                    let run = lifecycles[Int(entry.slot)].runs[Int(entry.run)]
                    if let date = run.date(of: entry.kind, term: term), date >= from, date <= to { count += 1 }
                }
            }
            return count
        }
    }

    let tables: [Table]
    /// The runs counted here (``RunReference/key``), ascending: the index leaves them out of the runs it expands for
    /// a count, unless they start within the window.
    let runKeys: [Int64]
    /// Those runs by their first day: the ones starting within a window are expanded.
    let runsByStart: [(start: CalendarDate, run: LifecycleIndex.RunReference)]

    /// A run counted here, with its period and, for each kind of item, its phase and slack (``kinds(of:months:sample:)``).
    struct CountedRun {
        let reference: LifecycleIndex.RunReference
        let run: PeriodicRun
        let months: Int
        let kinds: [Kind]
    }

    /// One kind of item of a counted run: its phase, its slack, the run's first item of that kind, how far its items
    /// lie from their reference positions (signed, ``Entry/earliest``) and in how many years from its renewal an item
    /// is fixed (``Entry/reach``).
    typealias Kind = (
        kind: Deadline.Kind, phase: Int, slack: Int, first: PeriodicRun.Item, offsets: ClosedRange<Int>, reach: Int
    )

    init(_ counted: [CountedRun]) {
        var byTable: [Int: [Entry]] = [:]
        for counted in counted {
            for kind in counted.kinds {
                let entry = Entry(
                    phase: Int32(kind.phase),
                    start: Int32(counted.run.start.dayNumber),
                    slot: counted.reference.slot,
                    run: counted.reference.run,
                    kind: kind.kind,
                    firstTerm: Int32(kind.first.term),
                    firstPosition: Int32(Self.position(of: kind.first.date)),
                    earliest: Int8(kind.offsets.lowerBound),
                    latest: Int8(kind.offsets.upperBound),
                    reach: UInt8(min(kind.reach, 255))
                )
                byTable[counted.months * 16 + kind.slack, default: []].append(entry)
            }
        }
        tables = byTable.map { key, entries in Table(months: key / 16, slack: key % 16, entries: entries) }
        runKeys = counted.map(\.reference.key).sorted()
        runsByStart = counted.map { ($0.run.start, $0.reference) }.sorted { $0.start < $1.start }
    }

    /// Whether run `run` is counted here.
    func counts(_ run: LifecycleIndex.RunReference) -> Bool {
        let position = runKeys.partitionPoint { $0 < run.key }
        return position < runKeys.count && runKeys[position] == run.key
    }

    /// The items of the counted runs that start before `from`, dated `from` through `to`.
    func count(from: CalendarDate, through to: CalendarDate, lifecycles: [AgreementLifecycle]) -> Int {
        guard from <= to else { return 0 }
        return tables.reduce(0) { $0 + $1.count(from: from, through: to, lifecycles: lifecycles) }
    }

    /// The counted runs that start `from` through `to` (the index expands them).
    func starting(from: CalendarDate, through to: CalendarDate) -> ArraySlice<(start: CalendarDate, run: LifecycleIndex.RunReference)> {
        let first = runsByStart.partitionPoint { $0.start < from }
        let last = runsByStart.partitionPoint { $0.start <= to }
        return runsByStart[first..<max(first, last)]
    }

    /// For each kind of item, its phase and slack, of a run counted here (`nil` for one that is not): an open-ended
    /// run with a period of `months` whose items of each kind fall once a term, in consecutive terms, within
    /// ``LifecycleIndex/PhaseTable/maxSlack`` of their phase over the terms in which every arrangement of month
    /// lengths recurs, with a notice deadline no earlier than the term before its own (the terms
    /// ``PeriodicRun/forEachItem(from:through:_:)`` looks at), and a cycle long enough that the positions within
    /// a slack of both ends of a window hold one term's item at most.
    /// `sample` is the run's ``LifecycleIndex/PhaseTable/sample(of:months:)``.
    static func kinds(of run: PeriodicRun, months: Int, sample: [PeriodicRun.Item]) -> [Kind]? {
        guard run.end == nil else { return nil }
        let cycle = months * 32
        var byKind: [Deadline.Kind: [PeriodicRun.Item]] = [:]
        for item in sample { byKind[item.kind, default: []].append(item) }
        guard !byKind.isEmpty else { return nil }
        var kinds: [Kind] = []
        for kind in byKind.keys.sorted(by: { Deadline.Kind.order($0) < Deadline.Kind.order($1) }) {
            let items = byKind[kind]!
            let phase = LifecycleIndex.PhaseTable.phase(of: items[0].date, months: months)
            let firstPosition = position(of: items[0].date)
            var stray = 0
            var offsets = 0...0
            var reachDays = 0
            for (index, item) in items.enumerated() {
                if index > 0, item.term != items[index - 1].term + 1 { return nil }
                if kind == .noticeDeadline, item.term >= 2,
                    let previousTerm = run.schedule.start(item.term - 1), item.date < previousTerm
                {
                    return nil
                }
                let distance = LifecycleIndex.PhaseTable.distance(
                    from: LifecycleIndex.PhaseTable.phase(of: item.date, months: months),
                    to: [phase],
                    months: months
                )
                stray = max(stray, distance)
                let offset = position(of: item.date) - (firstPosition + (item.term - items[0].term) * cycle)
                offsets = min(offsets.lowerBound, offset)...max(offsets.upperBound, offset)
                if kind == .noticeDeadline, let renewal = run.schedule.boundary(after: item.term) {
                    reachDays = max(reachDays, renewal.dayNumber - item.date.dayNumber)
                }
            }
            let slack = stray + 1
            guard slack <= LifecycleIndex.PhaseTable.maxSlack, cycle > 4 * slack + 1 else { return nil }
            // An item is fixed by its renewal and by the Februaries in between. Away from a century year without a
            // leap day, the Februaries of a term recur every 48 months, and the sample holds a term of every
            // alignment with them: there the sample's offsets are every term's. A century year without a leap day
            // moves an item one day more at most (as the slack allows for): the index widens the bounds by one for
            // windows near one, and here for good if the sample itself is near one (then it may lack an alignment).
            let reach = reachDays / 365 + 1
            let sampled = (items[0].date.year - reach - 1)...(items[items.count - 1].date.year + reach + 1)
            let widening = holdsCenturyWithoutLeapDay(sampled) ? 1 : 0
            let bounds = max(offsets.lowerBound - widening, -slack)...min(offsets.upperBound + widening, slack)
            kinds.append((kind, phase, slack, items[0], bounds, reach))
        }
        return kinds
    }

    /// Whether `years` holds a century year without a leap day (1900, 2100, 2200, 2300, 2500…).
    static func holdsCenturyWithoutLeapDay(_ years: ClosedRange<Int>) -> Bool {
        var century = floorDivision(years.lowerBound + 99, 100).quotient * 100
        while century <= years.upperBound {
            if !CalendarDate.isLeapYear(century) { return true }
            century += 100
        }
        return false
    }

    /// `32 × monthIndex + day − 1`: increases with the date, by one a day within a month.
    static func position(of date: CalendarDate) -> Int { (date.year * 12 + date.month - 1) * 32 + date.day - 1 }
}

/// The quotient rounded down and the remainder from 0 to `divisor − 1`, for a positive divisor.
func floorDivision(_ dividend: Int, _ divisor: Int) -> (quotient: Int, remainder: Int) {
    let remainder = ((dividend % divisor) + divisor) % divisor
    return ((dividend - remainder) / divisor, remainder)
}
