import Testing

@testable import PactaCore

/// The summary's next deadline is the first item of a day (``LifecycleIndex/first(on:replacing:)``), found without
/// listing the day: it must be the first of the day's window, whichever source holds it (an explicit item, a run, a
/// withdrawal window, an agreement written since the index was built).
@Suite struct FirstDeadlineTests {
    static var index: LifecycleIndex { TailCountsTests.index }

    /// Random days over five centuries, and the days of explicit items, of run items and of window closings, where the
    /// sources meet.
    static func days() throws -> [CalendarDate] {
        var random = SplitMix64(seed: 31)
        var days: Set<CalendarDate> = []
        for _ in 0..<600 {
            days.insert(try CalendarDate(dayNumber: random.int(in: LifecycleEquivalenceTests.first1900...LifecycleEquivalenceTests.last2400)))
        }
        for lifecycle in index.lifecycles.prefix(400) {
            for item in lifecycle.items.prefix(3) { days.insert(item.date) }
            for run in lifecycle.runs {
                let year = random.int(in: 2000...2300)
                for item in run.items(from: Fixtures.date("\(year)-01-01"), through: Fixtures.date("\(year)-12-31")).prefix(2) {
                    days.insert(item.date)
                }
            }
        }
        return days.sorted()
    }

    @Test func theFirstOfADayIsTheFirstOfItsWindow() throws {
        var found = 0
        var kinds: Set<Deadline.Kind> = []
        for day in try Self.days() {
            let first = Self.index.first(on: day)
            #expect(first == Self.index.window(from: day, through: day).first, "\(day)")
            if let first {
                found += 1
                kinds.insert(first.kind)
            }
        }
        #expect(found > 1_000)
        #expect(kinds.count >= 4, "the first items come from several sources: \(kinds)")
    }

    /// With writes since the index was built (one agreement given another's rules, one deleted, one added that sorts
    /// first), the first of a day is the engine's over the agreements as written.
    @Test func theFirstOfADayWithWritesIsTheEngines() throws {
        // Agreements renewing without a limit since before 2020, so that each has items in the days asked.
        let renewing = Self.index.lifecycles.indices.filter { Self.index.lifecycles[$0].tail.map { $0.start < Fixtures.date("2020-01-01") } ?? false }
        let agreements = TailCountsTests.agreements
        var added = agreements[renewing[0]]
        added.id = "0-added"
        let (replacing, written) = TailCountsTests.writes(
            rewriting: renewing[1],
            {
                $0.rules = agreements[renewing[2]].rules
                $0.events = agreements[renewing[2]].events
            },
            deleting: renewing[3]
        )
        let withAdded = replacing.merging([added.id: added]) { $1 }
        // The engine over every agreement costs about 0.1 s a day in a debug build: every 30th of the days, and the
        // days of the written agreements' own items.
        var days = Set(try Self.days().enumerated().filter { $0.offset % 30 == 0 }.map(\.element))
        for agreement in [added, written.last!] {
            let items = DeadlineProjection.deadlines(for: agreement, from: Fixtures.date("2020-01-01"), through: Fixtures.date("2040-12-31"))
            days.formUnion(items.prefix(30).map(\.date))
        }
        var fromWritten = 0
        for day in days.sorted() {
            let engine = (written + [added]).flatMap { DeadlineProjection.deadlines(for: $0, from: day, through: day) }
                .min { $0.sortKey < $1.sortKey }
            let first = Self.index.first(on: day, replacing: withAdded)
            #expect(first == engine, "\(day)")
            if let first, withAdded.keys.contains(first.agreementId) { fromWritten += 1 }
        }
        #expect(fromWritten > 0, "some days' first item is a written agreement's")
    }
}
