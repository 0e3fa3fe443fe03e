import Foundation
import PactaCore
import Testing

@testable import PactaServer

@Suite struct ICalendarTests {
    @Test func longLinesFoldAt75OctetsWithoutSplittingUTF8() throws {
        var writer = ICalendarWriter()
        let text = String(repeating: "Japan–Korea 日本と韓国 ", count: 12)
        writer.line("DESCRIPTION", ICalendarWriter.escapeText(text))
        let output = writer.output
        #expect(output.suffix(2) == [13, 10])
        let lines = output.split(separator: 10).map { Array($0) }
        #expect(lines.count > 3)
        for (index, line) in lines.enumerated() {
            #expect(line.last == 13)
            #expect(line.count - 1 <= 75)
            if index > 0 { #expect(line.first == 32) }
            #expect(String(validating: line.dropLast(), as: UTF8.self) != nil)
        }
        // Unfolding (remove CRLF + space) gives the line back.
        let unfolded = String(decoding: output, as: UTF8.self).replacingOccurrences(of: "\r\n ", with: "")
        #expect(unfolded == "DESCRIPTION:\(text)\r\n")
    }

    @Test func textValuesAreEscaped() {
        #expect(ICalendarWriter.escapeText("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne")
        #expect(ICalendarWriter.escapeText("bell\u{7}") == "bell")
        #expect(ICalendarWriter.escapeText("a\r\nb\rc\n\nd") == "a\\nb\\nc\\n\\nd")
        #expect(ICalendarWriter.escapeText("日本, 한국; é") == "日本\\, 한국\\; é")
    }

    @Test func datesAreEightDigits() throws {
        #expect(ICalendarWriter.date(try CalendarDate(parsing: "2019-08-24")) == "20190824")
        #expect(ICalendarWriter.date(try CalendarDate(parsing: "0033-01-02")) == "00330102")
    }

    @Test func alarmsParseDaysAndWeeks() throws {
        #expect(try DeadlineCalendar.Alarm.parse(nil)?.trigger == "-P7D")
        #expect(try DeadlineCalendar.Alarm.parse("P2W")?.trigger == "-P14D")
        #expect(try DeadlineCalendar.Alarm.parse("P0D")?.trigger == "PT0S")
        #expect(try DeadlineCalendar.Alarm.parse("none") == nil)
        #expect(throws: Problem.self) { try DeadlineCalendar.Alarm.parse("P1M") }
        #expect(throws: Problem.self) { try DeadlineCalendar.Alarm.parse("P400D") }
        #expect(throws: Problem.self) { try DeadlineCalendar.Alarm.parse("-P1D") }
    }

    @Test func labelsNeverOverlapInARow() {
        let rows = TimelineSVG.layoutLabels([(x: 0, width: 100), (x: 50, width: 100), (x: 120, width: 10), (x: 160, width: 5)])
        #expect(rows == [0, 1, 0, 0])
    }
}
