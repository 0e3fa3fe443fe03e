import Testing

@testable import PactaCore

/// A deadline page's first day and the summary's next deadline read a day's items in catalog order, only as far as
/// they need (``LifecycleIndex/items(from:through:after:limit:replacing:where:)``): they must be the day's window, filtered and
/// cut at the cursor, whichever source holds each item (an explicit item, a run, a withdrawal window, an agreement
/// written since the index was built).
@Suite struct DayItemsTests {
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
            let first = Self.index.items(from: day, through: day, limit: 1).first
            #expect(first == Self.index.window(from: day, through: day).first, "\(day)")
            if let first {
                found += 1
                kinds.insert(first.kind)
            }
        }
        #expect(found > 1_000)
        #expect(kinds.count >= 4, "the first items come from several sources: \(kinds)")
    }

    /// Pages of 1, 3 and 40 items, from the start of the day and after every fifth item, unfiltered and filtered by
    /// kind and by party.
    @Test func aDaysPageIsItsWindowFilteredAfterTheCursor() throws {
        var pages = 0
        var full = 0
        for day in try Self.days().enumerated().filter({ $0.offset % 7 == 0 }).map(\.element) {
            let window = Array(Self.index.window(from: day, through: day))
            let filters: [((Deadline) -> Bool)?] = [nil, { $0.kind == .renewal }, { $0.party == window.first?.party }]
            for filter in filters {
                for cursor in [nil] + stride(from: 0, to: window.count, by: 5).map({ window[$0].sortKey }) {
                    for limit in [1, 3, 40] {
                        let expected = Array(
                            window.filter { deadline in cursor.map { deadline.sortKey > $0 } ?? true }.filter { filter?($0) ?? true }.prefix(limit)
                        )
                        let page = Array(Self.index.items(from: day, through: day, after: cursor, limit: limit, where: filter))
                        #expect(page == expected, "\(day) after \(String(describing: cursor)) limit \(limit)")
                        pages += 1
                        if page.count == limit { full += 1 }
                    }
                }
            }
        }
        #expect(pages > 2_000)
        #expect(full > pages / 4, "many pages stop before the day's end")
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
        var writtenWithin = 0
        for day in days.sorted() {
            let engine = (written + [added]).flatMap { DeadlineProjection.deadlines(for: $0, from: day, through: day) }
                .sorted { $0.sortKey < $1.sortKey }
            let first = Self.index.items(from: day, through: day, limit: 1, replacing: withAdded).first
            #expect(first == engine.first, "\(day)")
            if let first, withAdded.keys.contains(first.agreementId) { fromWritten += 1 }
            // A page of eight, which the written agreements' items join in their place.
            let page = Array(Self.index.items(from: day, through: day, limit: 8, replacing: withAdded))
            #expect(page == Array(engine.prefix(8)), "\(day): page of eight")
            if page.dropFirst().contains(where: { withAdded.keys.contains($0.agreementId) }) { writtenWithin += 1 }
        }
        #expect(fromWritten > 0, "some days' first item is a written agreement's")
        #expect(writtenWithin > 0, "some pages hold a written agreement's item after another's")
    }
}
