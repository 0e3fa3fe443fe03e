/// A civil date in the proleptic Gregorian calendar: a day, not an instant.
///
/// Arithmetic is done on the day count (days since 1970-01-01), never on seconds, so time zones and leap
/// seconds cannot shift a date. The supported range is 0001-01-01 through 9999-12-31, the range that
/// `YYYY-MM-DD` can spell.
public struct CalendarDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// `year << 9 | month << 5 | day`: four bytes instead of three words (an agreement holds many dates; at 100,000
    /// agreements that is tens of megabytes), and the order of the numbers is the order of the dates.
    private let packed: UInt32

    public var year: Int { Int(packed >> 9) }
    public var month: Int { Int((packed >> 5) & 0xF) }
    public var day: Int { Int(packed & 0x1F) }

    public static let minimum = CalendarDate(uncheckedYear: 1, month: 1, day: 1)
    public static let maximum = CalendarDate(uncheckedYear: 9999, month: 12, day: 31)

    /// Creates a date, rejecting days that do not exist (such as 2019-02-30) and years outside 1...9999.
    public init(year: Int, month: Int, day: Int) throws(DateError) {
        guard (1...9999).contains(year) else { throw .yearOutOfRange(year) }
        guard (1...12).contains(month) else { throw .invalidMonth(month) }
        guard (1...CalendarDate.daysInMonth(year: year, month: month)).contains(day) else {
            throw .invalidDay(year: year, month: month, day: day)
        }
        self.init(uncheckedYear: year, month: month, day: day)
    }

    init(uncheckedYear year: Int, month: Int, day: Int) {
        packed = UInt32(year) << 9 | UInt32(month) << 5 | UInt32(day)
    }

    /// Parses exactly `YYYY-MM-DD` (ASCII digits, four-digit year).
    public init(parsing text: some StringProtocol) throws(DateError) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else {
            throw .malformed(String(text))
        }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else {
            throw .malformed(String(text))
        }
        try self.init(year: year, month: month, day: day)
    }

    /// `YYYY-MM-DD`, written byte by byte: dates are formatted for every trace step and JSON field, and
    /// the generic integer-to-text path cost more than the engine's arithmetic (callgrind).
    public var description: String {
        guard (0...9999).contains(year), (1...12).contains(month), (1...31).contains(day) else {
            func pad(_ value: Int, _ width: Int) -> String {
                let digits = String(value)
                return String(repeating: "0", count: max(0, width - digits.count)) + digits
            }
            return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
        }
        let (year, month, day) = (year, month, day)
        return String(unsafeUninitializedCapacity: 10) { buffer in
            let zero = UInt8(ascii: "0")
            buffer[0] = zero + UInt8(year / 1000)
            buffer[1] = zero + UInt8(year / 100 % 10)
            buffer[2] = zero + UInt8(year / 10 % 10)
            buffer[3] = zero + UInt8(year % 10)
            buffer[4] = UInt8(ascii: "-")
            buffer[5] = zero + UInt8(month / 10)
            buffer[6] = zero + UInt8(month % 10)
            buffer[7] = UInt8(ascii: "-")
            buffer[8] = zero + UInt8(day / 10)
            buffer[9] = zero + UInt8(day % 10)
            return 10
        }
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool { lhs.packed < rhs.packed }

    public static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (negative before it). Howard Hinnant's `days_from_civil`.
    public var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date with the given day number, or an error outside 0001-01-01...9999-12-31.
    public init(dayNumber: Int) throws(DateError) {
        guard (CalendarDate.minimum.dayNumber...CalendarDate.maximum.dayNumber).contains(dayNumber) else {
            throw .outOfRange
        }
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.init(uncheckedYear: year, month: month, day: day)
    }

    /// This date moved by a number of days; throws when the result leaves the supported range.
    public func addingDays(_ days: Int) throws(DateError) -> CalendarDate {
        try CalendarDate(dayNumber: dayNumber + days)
    }

    /// Whole days from this date to `other` (positive when `other` is later).
    public func days(to other: CalendarDate) -> Int { other.dayNumber - dayNumber }

    /// ISO weekday: 1 = Monday ... 7 = Sunday.
    public var isoWeekday: Int {
        let weekday = (dayNumber + 3) % 7  // 1970-01-01 was a Thursday (index 3 from Monday).
        return (weekday < 0 ? weekday + 7 : weekday) + 1
    }

    public var weekdayName: String {
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][isoWeekday - 1]
    }

    /// The first day of this date's month.
    public var firstOfMonth: CalendarDate { CalendarDate(uncheckedYear: year, month: month, day: 1) }
}

/// Why a date could not be parsed or computed.
public enum DateError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case yearOutOfRange(Int)
    case invalidMonth(Int)
    case invalidDay(year: Int, month: Int, day: Int)
    case outOfRange

    public var description: String {
        switch self {
        case .malformed(let text): return "'\(text.prefix(40))' is not a date of the form YYYY-MM-DD"
        case .yearOutOfRange(let year): return "year \(year) is outside 0001...9999"
        case .invalidMonth(let month): return "month \(month) does not exist"
        case .invalidDay(let year, let month, let day):
            return "day \(day) does not exist in \(year)-\(month < 10 ? "0" : "")\(month)"
        case .outOfRange: return "the date falls outside 0001-01-01...9999-12-31"
        }
    }
}

extension CalendarDate: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
