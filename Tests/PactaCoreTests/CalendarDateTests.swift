import Testing

@testable import PactaCore

@Suite struct CalendarDateTests {
    @Test func parsesAndFormatsRoundTrip() throws {
        for text in ["2019-08-24", "0001-01-01", "9999-12-31", "2020-02-29", "2000-02-29"] {
            #expect(try CalendarDate(parsing: text).description == text)
        }
    }

    @Test(arguments: ["2019-02-30", "2019-02-29", "1900-02-29", "2019-13-01", "2019-00-10", "2019-04-31", "0000-01-01"])
    func rejectsDaysThatDoNotExist(_ text: String) {
        #expect(throws: DateError.self) { try CalendarDate(parsing: text) }
    }

    @Test(arguments: ["", "2019-8-24", "2019/08/24", "20190824", "2019-08-24T00:00:00Z", " 2019-08-24", "２０１９-08-24", "-019-08-24"])
    func rejectsMalformedText(_ text: String) {
        #expect(throws: DateError.self) { try CalendarDate(parsing: text) }
    }

    @Test func dayNumbersRoundTripOverTheWholeRange() throws {
        var date = CalendarDate.minimum
        var number = date.dayNumber
        // Every 37th day from 0001-01-01 to 9999-12-31 plus the ends: about 98,000 dates.
        while number <= CalendarDate.maximum.dayNumber {
            date = try CalendarDate(dayNumber: number)
            #expect(date.dayNumber == number)
            number += 37
        }
        #expect(try CalendarDate(dayNumber: CalendarDate.maximum.dayNumber) == CalendarDate.maximum)
        #expect(throws: DateError.outOfRange) { try CalendarDate.maximum.addingDays(1) }
        #expect(throws: DateError.outOfRange) { try CalendarDate.minimum.addingDays(-1) }
    }

    @Test func knownDayNumbersAndWeekdays() throws {
        #expect(try CalendarDate(parsing: "1970-01-01").dayNumber == 0)
        #expect(try CalendarDate(parsing: "2000-03-01").dayNumber == 11_017)
        // GSOMIA's 2019 deadline fell on a Saturday.
        #expect(try CalendarDate(parsing: "2019-08-24").weekdayName == "Saturday")
        #expect(try CalendarDate(parsing: "2016-11-23").weekdayName == "Wednesday")
    }

    @Test func ordersChronologically() throws {
        #expect(try CalendarDate(parsing: "2019-08-24") < CalendarDate(parsing: "2019-11-22"))
        #expect(try CalendarDate(parsing: "2019-12-31") < CalendarDate(parsing: "2020-01-01"))
        #expect(try CalendarDate(parsing: "2019-08-24").days(to: CalendarDate(parsing: "2019-11-22")) == 90)
    }
}
