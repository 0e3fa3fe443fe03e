import Testing

@testable import PactaCore

/// A count counts the open-ended runs by arithmetic over their phases (``TailCounts``) and expands the rest; a window
/// lists every item by expanding every run. The two must agree on every window: of every width around the runs'
/// slacks (where the arithmetic changes form), around the days the runs start, and across centuries.
@Suite struct TailCountsTests {
    static let agreements: [Agreement] = {
        var agreements = SyntheticAgreements.generate(count: 2_000, seed: 93)
        for id in ["gsomia", "usmca", "icrw", "unesco-constitution", "new-start"] {
            agreements.append(try! Fixtures.dataset(id))
        }
        return agreements.sorted { $0.id < $1.id }
    }()
    static let index = LifecycleIndex(
        lifecycles: agreements.map { LifecycleBuilder.build($0) },
        agreement: { [agreements] in agreements[$0] }
    )

    @Test func mostTailsAreCountedByArithmetic() {
        let tails = Self.index.lifecycles.filter { $0.tail != nil }.count
        let counted = Self.index.tailCounts.runKeys.count
        #expect(tails > 100)
        // Tails with a period of weeks or days, or a notice deadline two terms early, are expanded instead.
        #expect(counted * 10 >= tails * 8, "\(counted) of \(tails) tails counted by arithmetic")
    }

    /// A count leaves undated the items near a window's ends whose bounds (``TailCounts/Entry/earliest``...``latest``,
    /// found over one sample of terms) lie wholly inside or outside it: every term's item to 9999 must lie within them,
    /// or within one position more where a century year without a leap day is within its reach.
    @Test func everyItemOfACountedRunLiesWithinItsBounds() throws {
        var agreements = SyntheticAgreements.generate(count: 200, seed: 31)
        agreements += try Fixtures.allDatasetAgreements()
        agreements += Self.centuryAgreements
        var checked = 0
        var exact = 0
        var nearCentury = 0
        for agreement in agreements {
            for run in LifecycleBuilder.build(agreement).runs {
                guard let period = run.period, period.weeks == 0, period.days == 0, period.totalMonths > 0,
                    case let months = period.totalMonths,
                    let kinds = TailCounts.kinds(of: run, months: months, sample: LifecycleIndex.PhaseTable.sample(of: run, months: months))
                else { continue }
                for kind in kinds {
                    if kind.offsets.count == 1 { exact += 1 }
                    let firstPosition = TailCounts.position(of: kind.first.date)
                    var from = run.start
                    while from < .maximum {
                        let to = (try? from.adding(.years(100)).date) ?? .maximum
                        for item in run.items(from: from, through: to) where item.kind == kind.kind {
                            checked += 1
                            let offset = TailCounts.position(of: item.date) - (firstPosition + (item.term - kind.first.term) * months * 32)
                            let years = (item.date.year - kind.reach - 1)...(item.date.year + kind.reach + 1)
                            let widening = TailCounts.holdsCenturyWithoutLeapDay(years) ? 1 : 0
                            if widening == 1 { nearCentury += 1 }
                            let bounds = (kind.offsets.lowerBound - widening)...(kind.offsets.upperBound + widening)
                            #expect(
                                bounds.contains(offset),
                                "\(agreement.id): \(item.kind) on \(item.date) is \(offset) from its reference, bounds \(bounds)"
                            )
                        }
                        guard to < .maximum, let next = try? to.addingDays(1) else { break }
                        from = next
                    }
                }
            }
        }
        #expect(checked > 100_000)
        #expect(nearCentury > 1_000)
        #expect(exact > 100, "most items fall on their reference position exactly")
    }

    /// Runs whose items a century year without a leap day moves off every position their sample shows: renewed every
    /// four years from 29 February 2000 (28 February in 2100), and renewed yearly from 15 March 2096 with 90 days'
    /// notice (its sample's Februaries, 2097 to 2101, have no leap day: the notice deadline of 16 December 2103, the
    /// first after a leap day, lies one day off them).
    static let centuryAgreements: [Agreement] = [
        ("leap-quadrennial", "2000-02-29", "P4Y", "P1D"), ("leap-free-sample", "2096-03-15", "P1Y", "P90D"),
    ]
    .map { id, entry, period, notice in
        var agreement = try! Fixtures.renewing(entry: entry, term: period, renewal: period, notice: notice, counting: .beforeExpiryDate)
        agreement.id = id
        return agreement
    }

    /// Windows ending and starting on every day around those runs' items from 2090 to 2120 count what they list.
    @Test func countsNearACenturyWithoutALeapDayEqualTheListedWindow() throws {
        let agreements = Self.centuryAgreements
        let index = LifecycleIndex(lifecycles: agreements.map { LifecycleBuilder.build($0) }, agreement: { agreements[$0] })
        #expect(index.tailCounts.runKeys.count == 2, "both runs are counted by arithmetic")
        var compared = 0
        for agreement in agreements {
            for item in DeadlineProjection.deadlines(for: agreement, from: Fixtures.date("2090-01-01"), through: Fixtures.date("2120-12-31")) {
                for offset in -3...3 {
                    let day = try item.date.addingDays(offset)
                    for (from, to) in [(try day.addingDays(-20), day), (day, try day.addingDays(20))] {
                        let listed = index.window(from: from, through: to).count
                        #expect(index.count(from: from, through: to) == listed, "\(agreement.id) \(from)…\(to)")
                        compared += 1
                    }
                }
            }
        }
        #expect(compared > 300)
    }

    @Test func countsEqualTheListedWindow() throws {
        var random = SplitMix64(seed: 5)
        let widths = Array(0...20) + [29, 30, 31, 89, 90, 91, 180, 364, 365, 366, 400, 731, 1_500, 4_000]
        var windows: [(CalendarDate, CalendarDate)] = []
        for width in widths {
            for _ in 0..<6 {
                let start = random.int(in: LifecycleEquivalenceTests.first1900...LifecycleEquivalenceTests.last2400)
                windows.append((try CalendarDate(dayNumber: start), try CalendarDate(dayNumber: start + width)))
            }
        }
        // Windows opening just before, on and just after the days runs start, where a run moves from being expanded
        // to being counted.
        for lifecycle in Self.index.lifecycles.prefix(300) {
            for run in lifecycle.runs where run.end == nil {
                for offset in -1...1 {
                    let start = try run.start.addingDays(offset)
                    windows.append((start, try start.addingDays(random.int(in: 0...120))))
                }
            }
        }
        // Windows opening and closing within a few days of the items of runs whose items stray from their phase
        // (a notice period in days moves with the leap days): where an item near an end is asked of its run.
        var straying = 0
        for lifecycle in Self.index.lifecycles {
            for run in lifecycle.runs {
                guard let period = run.period, period.weeks == 0, period.days == 0, period.totalMonths > 0,
                    case let months = period.totalMonths,
                    let kinds = TailCounts.kinds(of: run, months: months, sample: LifecycleIndex.PhaseTable.sample(of: run, months: months)),
                    kinds.contains(where: { $0.slack > 1 })
                else { continue }
                straying += 1
                let year = random.int(in: 2030...2390)
                let items = run.items(from: Fixtures.date("\(year)-01-01"), through: Fixtures.date("\(year + 2)-12-31"))
                for item in items.prefix(4) {
                    for offset in -5...5 {
                        let day = try item.date.addingDays(offset)
                        windows.append((day, try day.addingDays(random.int(in: 0...40))))
                        windows.append((try day.addingDays(-random.int(in: 0...40)), day))
                    }
                }
            }
        }
        #expect(straying > 20)
        var compared = 0
        var nonEmpty = 0
        for (from, to) in windows {
            let listed = Array(Self.index.window(from: from, through: to))
            let middle = try CalendarDate(dayNumber: (from.dayNumber + to.dayNumber) / 2)
            let counts = Self.index.counts(from: from, through: [middle, to])
            #expect(
                counts == [listed.count { $0.date <= middle }, listed.count],
                "\(from)…\(middle)…\(to): counted \(counts), listed \(listed.count)"
            )
            compared += 1
            if !listed.isEmpty { nonEmpty += 1 }
        }
        #expect(compared > 2_000)
        #expect(nonEmpty * 2 > compared)
    }

    /// Two writes since the index was built: the agreement in slot `rewritten` changed by `change`, the one in slot
    /// `deleted` deleted. Returns them as the index takes them, and the agreements as they then stand.
    static func writes(
        rewriting rewritten: Int,
        _ change: (inout Agreement) -> Void,
        deleting deleted: Int
    ) -> (replacing: [String: Agreement?], written: [Agreement]) {
        var changed = agreements[rewritten]
        change(&changed)
        let (changedId, deletedId) = (changed.id, agreements[deleted].id)
        let written = agreements.filter { $0.id != deletedId && $0.id != changedId } + [changed]
        return ([changedId: changed, deletedId: nil], written)
    }

    @Test func countsWithWritesEqualTheEngine() throws {
        // A write replaces an agreement with a tail by one without, and deletes another with a tail: their counted
        // items come off. Both tails renew at least yearly from before 2026, so each has items in every window below.
        let withTails = Self.index.lifecycles.indices.filter { slot in
            guard let tail = Self.index.lifecycles[slot].tail, let period = tail.period else { return false }
            return tail.start < Fixtures.date("2026-01-01") && period.days == 0 && period.weeks == 0
                && (1...12).contains(period.totalMonths)
        }
        let (replacing, written) = Self.writes(rewriting: withTails[0], { $0.rules.renewal = nil }, deleting: withTails[1])
        for (from, to) in [("2030-01-01", "2030-12-31"), ("2026-12-07", "2027-12-06"), ("2301-05-01", "2303-05-01")] {
            let (start, end) = (Fixtures.date(from), Fixtures.date(to))
            let engine = written.flatMap { DeadlineProjection.deadlines(for: $0, from: start, through: end) }
            let before = Self.agreements.flatMap { DeadlineProjection.deadlines(for: $0, from: start, through: end) }
            #expect(engine.count != before.count, "the write changes the count \(from)…\(to)")
            #expect(Self.index.counts(from: start, through: [end], replacing: replacing) == [engine.count])
        }
    }

    /// The closing days of withdrawal windows are counted per clause, from how many of its agreements are in force on
    /// each day: a write that takes the clause away from one of them, or deletes another, takes their closings off.
    @Test func countsWithWritesToWindowedAgreementsEqualTheEngine() throws {
        let (start, end) = (Fixtures.date("2031-02-01"), Fixtures.date("2032-01-31"))
        // In force through the year: each of their clauses closes a window in it at least once.
        let windowed = Self.agreements.indices.filter { slot in
            WithdrawalWindows(Self.agreements[slot].rules.withdrawal) != nil && Self.index.lifecycles[slot].isInForce(on: start)
                && Self.index.lifecycles[slot].isInForce(on: end)
        }
        try #require(windowed.count >= 2)
        let (replacing, written) = Self.writes(rewriting: windowed[0], { $0.rules.withdrawal = nil }, deleting: windowed[1])
        func closings(_ deadlines: [Deadline]) -> Int { deadlines.filter { $0.kind == .withdrawalNoticeDeadline }.count }
        let engine = written.flatMap { DeadlineProjection.deadlines(for: $0, from: start, through: end) }
        let before = Self.agreements.flatMap { DeadlineProjection.deadlines(for: $0, from: start, through: end) }
        #expect(closings(engine) + 2 <= closings(before), "the write takes at least two closings off")
        #expect(Self.index.counts(from: start, through: [end], replacing: replacing) == [engine.count])
        #expect(Self.index.counts(from: start, through: [end]) == [before.count])
        // The same over a quarter, and with both of a summary's ends at once.
        let quarter = Fixtures.date("2031-04-30")
        let engineInQuarter = engine.filter { $0.date <= quarter }.count
        #expect(Self.index.counts(from: start, through: [quarter, end], replacing: replacing) == [engineInQuarter, engine.count])
    }

    /// A window closing while an agreement's termination is pending counts, as it does while it is in force: a
    /// bilateral agreement whose party may withdraw on 30 June by notice received on or before 1 January (as the
    /// synthetic conventions may), one party's notice of 1 March 2030 pending until 30 June 2031.
    @Test func closingsWhileATerminationIsPendingAreCounted() throws {
        let agreement = Fixtures.indefinite(
            id: "anchored",
            withdrawal: WithdrawalRule(
                noticeDate: .receipt,
                anchor: .init(month: 6, day: 30, yearsAfterNotice: 0, cutoff: .init(month: 1, day: 1))
            ),
            events: [
                Event(id: "notice", type: .noticeOfWithdrawal, date: Fixtures.date("2030-03-01"), party: "AA", received: Fixtures.date("2030-03-01"))
            ]
        )
        let lifecycle = LifecycleBuilder.build(agreement)
        let pending = try #require(lifecycle.stateChanges.indices.first { lifecycle.stateChanges[$0].state == .terminationPending })
        let from = lifecycle.stateChanges[pending].from
        let to = try lifecycle.stateChanges[pending + 1].from.addingDays(-1)
        let engine = DeadlineProjection.deadlines(for: agreement, from: from, through: to)
        #expect(engine.contains { $0.kind == .withdrawalNoticeDeadline }, "a window closes while the termination is pending")
        let index = LifecycleIndex(lifecycles: [lifecycle], agreement: { _ in agreement })
        #expect(index.counts(from: from, through: [to]) == [engine.count])
    }
}
