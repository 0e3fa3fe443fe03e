import Foundation
import Testing

@testable import PactaCore

/// The engine is the truth: every answer a lifecycle gives (the state, the items in a window)
/// must be the engine's own, on the days just before, on and after every change, on random days from 1900 to 2400,
/// and at the ends of the calendar.
@Suite struct LifecycleEquivalenceTests {
    static let first1900 = Fixtures.date("1900-01-01").dayNumber
    static let last2400 = Fixtures.date("2400-12-31").dayNumber

    /// What was compared, so a test can say it compared something.
    struct Tally {
        var states = 0
        var windows = 0
        var tails = 0
        var cut = 0
    }

    static func check(_ agreement: Agreement, random: inout SplitMix64, dates: Int, windows: Int, tally: inout Tally) {
        let lifecycle = LifecycleBuilder.build(agreement)
        if lifecycle.tail != nil { tally.tails += 1 }
        if !lifecycle.isComplete { tally.cut += 1 }
        var days: Set<CalendarDate> = [.minimum, .maximum, Fixtures.date("1500-06-01"), Fixtures.date("9000-02-28")]
        let changes =
            lifecycle.stateChanges.map(\.from)
            + lifecycle.items.map(\.date) + lifecycle.runs.flatMap { [$0.start, $0.end].compactMap { $0 } }
        for day in changes {
            for offset in -1...1 { if let near = try? day.addingDays(offset) { days.insert(near) } }
        }
        for _ in 0..<dates { days.insert(try! CalendarDate(dayNumber: random.int(in: first1900...last2400))) }
        for day in days {
            // The one-day question the catalog's withdrawal windows ask agrees with the stretches in force.
            #expect(lifecycle.isInForce(on: day) == !lifecycle.inForce(from: day, through: day).isEmpty, "\(agreement.id) \(day)")
            let status = RulesEngine.evaluate(agreement, asOf: day, trace: false)
            guard let state = lifecycle.state(on: day) else {
                #expect(!lifecycle.isComplete && day > lifecycle.explicitThrough, "\(agreement.id) \(day): no state")
                continue
            }
            tally.states += 1
            #expect(state == status.state, "\(agreement.id) on \(day): lifecycle \(state), engine \(status.state)")
        }
        var spans: [(CalendarDate, CalendarDate)] = []
        for _ in 0..<windows {
            let start = random.int(in: first1900...last2400)
            spans.append((try! CalendarDate(dayNumber: start), try! CalendarDate(dayNumber: start + random.int(in: 0...400))))
        }
        // Windows that open or close on an item's day, and one far in the future.
        if let item = lifecycle.items.randomElement(using: &random) {
            spans.append((item.date, (try? item.date.addingDays(90)) ?? item.date))
            spans.append(((try? item.date.addingDays(-30)) ?? item.date, item.date))
        }
        spans.append((Fixtures.date("2399-03-01"), Fixtures.date("2401-02-28")))
        for (from, to) in spans {
            guard let found = lifecycle.deadlines(of: agreement, from: from, through: to) else {
                #expect(!lifecycle.isComplete, "\(agreement.id) \(from)…\(to): no answer")
                continue
            }
            tally.windows += 1
            let engine = DeadlineProjection.deadlines(for: agreement, from: from, through: to)
            #expect(
                found == engine,
                "\(agreement.id) \(from)…\(to): lifecycle \(found.map { "\($0.date) \($0.kind)" }), engine \(engine.map { "\($0.date) \($0.kind)" })"
            )
        }
    }

    @Test func theBundledDatasetAgreesWithTheEngine() throws {
        let ids = Fixtures.datasetIds
        var random = SplitMix64(seed: 12)
        var tally = Tally()
        for id in ids { Self.check(try Fixtures.dataset(id), random: &random, dates: 60, windows: 12, tally: &tally) }
        #expect(tally.states > ids.count * 60)
        #expect(tally.tails > 0, "GSOMIA and others renew without a limit and should have a periodic tail")
    }

    /// Synthetic agreements, each checked on its change days and on random dates and windows: 1,000 by default
    /// (5 s in a debug build); CI runs it alone with `PACTA_LIFECYCLE_SAMPLE=10000` (45 s), not beside the tests
    /// that time the request threads.
    @Test func syntheticAgreementsAgreeWithTheEngine() {
        let count = ProcessInfo.processInfo.environment["PACTA_LIFECYCLE_SAMPLE"].flatMap { Int($0) } ?? 1_000
        var random = SplitMix64(seed: 2026)
        var tally = Tally()
        for agreement in SyntheticAgreements.generate(count: count, seed: 11) {
            Self.check(agreement, random: &random, dates: 4, windows: 1, tally: &tally)
        }
        #expect(tally.states >= count * 4)
        #expect(tally.windows >= count)
        #expect(tally.tails > count / 10)
    }

    /// The catalog-wide index (explicit items by date, runs by phase, states by agreement) answers every window and
    /// date the way the engine does over every agreement.
    @Test func theCatalogIndexAgreesWithTheEngine() throws {
        var agreements = SyntheticAgreements.generate(count: 1_500, seed: 41)
        // ICRW, UNESCO and Istanbul have withdrawal windows longer than a day, placed by arithmetic.
        for id in ["gsomia", "paris-agreement", "icrw", "unesco-constitution", "istanbul-convention", "usmca"] {
            agreements.append(try Fixtures.dataset(id))
        }
        // A linked pair (issue #14, shape 11), resolved as the server's catalog gives it: Russia's notice to a stand-in
        // Convention on 1 September 2019 ends its membership of the Kyoto Protocol too, on 1 September 2020.
        let framework = LinkedWithdrawalTests.framework(notice: "2019-09-01")
        agreements.append(framework)
        agreements.append(LinkedAgreements.resolve(try Fixtures.dataset("kyoto-protocol")) { $0 == framework.id ? framework : nil })
        agreements.sort { $0.id < $1.id }
        let index = LifecycleIndex(lifecycles: agreements.map { LifecycleBuilder.build($0) }, agreement: { [agreements] in agreements[$0] })
        let linkedEffect = Array(index.window(from: Fixtures.date("2020-09-01"), through: Fixtures.date("2020-09-01")))
        #expect(
            linkedEffect.contains { $0.agreementId == "kyoto-protocol" && $0.party == "RU" && $0.kind == .withdrawalEffective },
            "the Convention's withdrawal is the Protocol's on the same day: \(linkedEffect)"
        )
        var random = SplitMix64(seed: 77)
        var windows: [(CalendarDate, CalendarDate)] = [
            (Fixtures.date("2019-08-01"), Fixtures.date("2019-11-30")),
            (Fixtures.date("2399-12-01"), Fixtures.date("2400-03-01")),
            (Fixtures.date("1900-01-01"), Fixtures.date("1903-12-31")),
            (Fixtures.date("2019-12-15"), Fixtures.date("2020-02-15")),
            (Fixtures.date("2020-08-15"), Fixtures.date("2020-09-15")),
        ]
        for _ in 0..<12 {
            let start = random.int(in: Self.first1900...Self.last2400)
            windows.append(
                (try CalendarDate(dayNumber: start), try CalendarDate(dayNumber: start + random.int(in: 0...120)))
            )
        }
        var compared = 0
        var withdrawalWindows = 0
        for (from, to) in windows {
            let engine = agreements.flatMap { DeadlineProjection.deadlines(for: $0, from: from, through: to) }
                .sorted { $0.sortKey < $1.sortKey }
            let found = Array(index.window(from: from, through: to))
            compared += engine.count
            withdrawalWindows += engine.filter { $0.kind == .withdrawalNoticeDeadline }.count
            #expect(found == engine, "\(from)…\(to): index \(found.count) items, engine \(engine.count)")
            #expect(index.count(from: from, through: to) == engine.count, "count \(from)…\(to)")
            let middle = try CalendarDate(dayNumber: (from.dayNumber + to.dayNumber) / 2)
            #expect(
                index.counts(from: from, through: [middle, to]) == [engine.count { $0.date <= middle }, engine.count],
                "counts \(from)…\(middle), …\(to)"
            )
            let counted = index.window(from: from, through: to).count(through: from)
            #expect(counted == engine.filter { $0.date <= from }.count)
            let states = index.states(on: from)
            #expect(states == agreements.map { RulesEngine.state(of: $0, asOf: from) }, "states on \(from)")
            #expect(index.stateCounts(on: from) == Self.histogram(states), "state counts on \(from)")
            Self.expectCandidates(of: index, match: states, on: from)
            // Writes since the index was built: one agreement replaced by another's rules, one deleted, one added.
            var written = agreements
            var replaced = written[3]
            replaced.rules = written[4].rules
            replaced.events = written[4].events
            written[3] = replaced
            let deleted = written.remove(at: 7).id
            var added = written[9]
            added.id = "zz-added"
            written.append(added)
            let replacing: [String: Agreement?] = [replaced.id: replaced, deleted: nil, added.id: added]
            #expect(
                index.stateCounts(on: from, replacing: replacing)
                    == Self.histogram(written.map { RulesEngine.state(of: $0, asOf: from) }),
                "state counts with writes on \(from)"
            )
            // Counts with those writes: the replaced and deleted agreements' explicit items come off the binary
            // search's count, and the engine's items for the replaced and added ones go on.
            let writtenItems = written.flatMap { DeadlineProjection.deadlines(for: $0, from: from, through: to) }
            #expect(
                index.counts(from: from, through: [middle, to], replacing: replacing)
                    == [writtenItems.count { $0.date <= middle }, writtenItems.count],
                "counts with writes \(from)…\(to)"
            )
        }
        #expect(compared > 1_000)
        #expect(withdrawalWindows > 10)
        // The counts on the days around every state change of the first 200 agreements, against the states one by
        // one (which equal the engine's, above).
        var days: Set<CalendarDate> = []
        for lifecycle in index.lifecycles.prefix(200) {
            for change in lifecycle.stateChanges.dropFirst() {
                for offset in -1...1 { if let day = try? change.from.addingDays(offset) { days.insert(day) } }
            }
        }
        for (offset, day) in days.sorted().enumerated() {
            let states = index.states(on: day)
            #expect(index.stateCounts(on: day) == Self.histogram(states), "on \(day)")
            // Every eighth day for the candidates: each check walks the catalog ten times, and this test shares the
            // cooperative threads with the timing tests of the server.
            if offset % 8 == 0 { Self.expectCandidates(of: index, match: states, on: day) }
        }
        #expect(days.count > 300)
    }

    /// Jumping from candidate to candidate of each state finds every agreement in that state on `date` and no
    /// other, but those whose lifecycle cannot say (which the caller asks the engine about).
    static func expectCandidates(of index: LifecycleIndex, match states: [AgreementStatus.State], on date: CalendarDate) {
        for state in AgreementStatus.State.allCases {
            var cursor = index.candidates(in: state, on: date)
            var candidates: [Int] = []
            var slot = 0
            while let next = cursor.next(from: slot) {
                candidates.append(next)
                // Every other listed agreement asks from the one after it, the rest from two after (a party filter
                // that rejected one): the cursor only moves forward.
                slot = next + (candidates.count % 2 == 0 ? 1 : 2)
            }
            var oneByOne: [Int] = []
            var cursorForEach = index.candidates(in: state, on: date)
            for position in states.indices { if cursorForEach.next(from: position) == position { oneByOne.append(position) } }
            #expect(
                oneByOne.filter { states[$0] == state } == states.indices.filter { states[$0] == state },
                "\(state) on \(date)"
            )
            // The jumps land where the one-by-one answers say they should.
            var expected: [Int] = []
            var next = 0
            var from = 0
            while next < oneByOne.count {
                if oneByOne[next] < from {
                    next += 1
                    continue
                }
                expected.append(oneByOne[next])
                from = oneByOne[next] + (expected.count % 2 == 0 ? 1 : 2)
            }
            #expect(candidates == expected, "\(state) on \(date)")
            #expect(candidates.allSatisfy { states[$0] == state || !index.lifecycles[$0].isComplete }, "\(state) on \(date)")
            // A cursor asked from the middle, then from the start again, answers as a new one would.
            let middle = states.count / 2
            var fresh = index.candidates(in: state, on: date)
            _ = fresh.next(from: middle)
            #expect(fresh.next(from: 0) == oneByOne.first, "\(state) on \(date) from 0")
            var fromMiddle = index.candidates(in: state, on: date)
            #expect(fromMiddle.next(from: middle) == oneByOne.first { $0 >= middle }, "\(state) on \(date) from the middle")
        }
    }

    /// Every state with its count, zeros included (as ``LifecycleIndex/stateCounts(on:replacing:)`` answers).
    static func histogram(_ states: [AgreementStatus.State]) -> [AgreementStatus.State: Int] {
        var counts = Dictionary(uniqueKeysWithValues: AgreementStatus.State.allCases.map { ($0, 0) })
        for state in states { counts[state, default: 0] += 1 }
        return counts
    }

    @Test func aTailPlacesAFarYearsItemsByArithmetic() throws {
        let gsomia = try Fixtures.dataset("gsomia")
        let lifecycle = LifecycleBuilder.build(gsomia)
        let tail = try #require(lifecycle.tail)
        #expect(lifecycle.explicitThrough < Fixtures.date("2030-01-01"))
        let far = try #require(lifecycle.deadlines(of: gsomia, from: Fixtures.date("2400-01-01"), through: Fixtures.date("2400-12-31")))
        #expect(far.map(\.kind) == [.noticeDeadline, .renewal])
        #expect(far.map(\.date) == [Fixtures.date("2400-08-24"), Fixtures.date("2400-11-23")])
        #expect(tail.items(from: Fixtures.date("2400-01-01"), through: Fixtures.date("2400-12-31")).count == 2)
        #expect(lifecycle.state(on: Fixtures.date("9999-12-31")) == .inForce)
    }
}

extension SplitMix64 {
    /// A number in `range`, so a failure names a seed that reproduces it.
    mutating func int(in range: ClosedRange<Int>) -> Int { range.lowerBound + next(below: range.count) }
}

/// The catalog-wide index finds a run's items in a window by their phase in the run's period, within the run's own
/// slack (measured over a few terms); every item of every run, in every term to the end of the calendar, must lie
/// within that slack of a phase the index recorded, or a window would miss it.
@Suite struct LifecyclePhaseTests {
    @Test func everyItemOfEveryRunLiesWithinTheSlackOfItsPhases() throws {
        var agreements = SyntheticAgreements.generate(count: 200, seed: 31)
        agreements += try Fixtures.allDatasetAgreements()
        var checked = 0
        var slacks: [Int: Int] = [:]
        for agreement in agreements {
            for run in LifecycleBuilder.build(agreement).runs {
                let period = try #require(run.period)
                guard period.weeks == 0, period.days == 0 else { continue }
                let months = period.totalMonths
                let sample = LifecycleIndex.PhaseTable.sample(of: run, months: months)
                let phases = LifecycleIndex.PhaseTable.phases(of: run, months: months, sample: sample)
                slacks[phases.slack, default: 0] += 1
                // Every term's items from the run's start to 9999-12-31 (or its end), by century.
                var from = run.start
                let last = run.end ?? .maximum
                while from <= last {
                    let to = min((try? from.adding(.years(100)).date) ?? .maximum, last)
                    for item in run.items(from: from, through: to) {
                        checked += 1
                        #expect(
                            LifecycleIndex.PhaseTable.isNear(item.date, phases, months: months),
                            "\(agreement.id): \(item.kind) on \(item.date) is off the phases \(phases.phases) by more than \(phases.slack)"
                        )
                    }
                    guard to < last, let next = try? to.addingDays(1) else { break }
                    from = next
                }
            }
        }
        #expect(checked > 100_000)
        // The point of a slack per run: most runs stray by little, and none beyond the proven bound.
        #expect(slacks.keys.allSatisfy { (1...LifecycleIndex.PhaseTable.maxSlack).contains($0) })
        #expect(slacks[1, default: 0] + slacks[2, default: 0] > slacks.values.reduce(0, +) / 2, "\(slacks)")
    }
}
