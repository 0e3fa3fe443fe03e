import Testing

@testable import PactaCore

@Suite struct PeriodTests {
    @Test(arguments: [
        ("P1Y", Period(years: 1)), ("P6M", Period(months: 6)), ("P90D", Period(days: 90)), ("P2W", Period(weeks: 2)),
        ("P1Y6M", Period(years: 1, months: 6)), ("P1Y2M3W4D", Period(years: 1, months: 2, weeks: 3, days: 4)),
        ("-P1M", Period(months: -1)), ("P0D", Period()),
    ])
    func parses(_ text: String, _ expected: Period) throws {
        #expect(try Period(parsing: text) == expected)
        #expect(expected.description == text)
    }

    @Test(arguments: ["", "P", "1Y", "P1X", "PT1H", "P1DT1H", "P1M1Y", "P1Y1Y", "P-1Y", "P1.5Y", "p1y", "P1Y ", "--P1Y", "P100000D"])
    func rejects(_ text: String) {
        #expect(throws: PeriodError.self) { try Period(parsing: text) }
    }

    @Test(arguments: [
        ("2020-01-31", "P1M", "2020-02-29", true), ("2019-01-31", "P1M", "2019-02-28", true),
        ("2020-02-29", "P1Y", "2021-02-28", true), ("2020-02-29", "P4Y", "2024-02-29", false),
        ("2016-11-23", "P1Y", "2017-11-23", false), ("2019-11-22", "-P90D", "2019-08-24", false),
        ("2019-11-04", "P1Y", "2020-11-04", false), ("2019-08-31", "P1M1D", "2019-10-01", true),
        ("2019-12-31", "P2W", "2020-01-14", false), ("2019-03-31", "-P1M", "2019-02-28", true),
    ])
    func addsWithMonthEndClamping(_ start: String, _ period: String, _ expected: String, _ clamped: Bool) throws {
        let sum = try CalendarDate(parsing: start).adding(Period(parsing: period))
        #expect(sum.date.description == expected)
        #expect((sum.clampedFromDay != nil) == clamped)
    }

    @Test func additionOutsideTheRangeThrows() throws {
        #expect(throws: DateError.outOfRange) { try CalendarDate.maximum.plus(.days(1)) }
        #expect(throws: DateError.outOfRange) { try CalendarDate(parsing: "9999-06-01").plus(.years(1)) }
        #expect(throws: DateError.outOfRange) { try CalendarDate.minimum.plus(.months(-1)) }
    }
}
