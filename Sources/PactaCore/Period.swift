/// An ISO 8601 calendar period such as `P1Y`, `P6M`, `P90D`, `P2W` or `P1Y6M`, optionally negative (`-P1M`).
///
/// Years and months are calendar units: adding them keeps the day of month and clamps it to the end of a
/// shorter month (2020-01-31 + P1M = 2020-02-29). Weeks and days are then added as whole days. Time
/// components (`T...`) are rejected: treaties count in days.
public struct Period: Hashable, Sendable, CustomStringConvertible {
    public let years: Int
    public let months: Int
    public let weeks: Int
    public let days: Int

    /// The largest component Pacta accepts; larger ones could only leave the supported date range.
    public static let componentLimit = 99_999

    public init(years: Int = 0, months: Int = 0, weeks: Int = 0, days: Int = 0) {
        self.years = years
        self.months = months
        self.weeks = weeks
        self.days = days
    }

    public static func days(_ count: Int) -> Period { Period(days: count) }
    public static func months(_ count: Int) -> Period { Period(months: count) }
    public static func years(_ count: Int) -> Period { Period(years: count) }

    public init(parsing text: some StringProtocol) throws(PeriodError) {
        var bytes = Substring(text).utf8[...]
        var sign = 1
        if bytes.first == UInt8(ascii: "-") {
            sign = -1
            bytes = bytes.dropFirst()
        }
        guard bytes.first == UInt8(ascii: "P"), bytes.count > 1 else { throw .malformed(String(text)) }
        bytes = bytes.dropFirst()
        var years = 0
        var months = 0
        var weeks = 0
        var days = 0
        var seen: [UInt8] = []
        let order: [UInt8] = [UInt8(ascii: "Y"), UInt8(ascii: "M"), UInt8(ascii: "W"), UInt8(ascii: "D")]
        while !bytes.isEmpty {
            var value = 0
            var digits = 0
            while let byte = bytes.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
                guard value <= Period.componentLimit else { throw .componentTooLarge(String(text)) }
                bytes = bytes.dropFirst()
            }
            guard digits > 0, let unit = bytes.first, let rank = order.firstIndex(of: unit) else {
                throw .malformed(String(text))
            }
            // Units must appear once each, in the order Y, M, W, D.
            if let last = seen.last, let lastRank = order.firstIndex(of: last), lastRank >= rank {
                throw .malformed(String(text))
            }
            seen.append(unit)
            bytes = bytes.dropFirst()
            switch unit {
            case UInt8(ascii: "Y"): years = value
            case UInt8(ascii: "M"): months = value
            case UInt8(ascii: "W"): weeks = value
            default: days = value
            }
        }
        self.init(years: sign * years, months: sign * months, weeks: sign * weeks, days: sign * days)
    }

    public var isZero: Bool { years == 0 && months == 0 && weeks == 0 && days == 0 }
    /// True when every component is zero or positive and at least one is positive.
    public var isPositive: Bool { !isZero && years >= 0 && months >= 0 && weeks >= 0 && days >= 0 }
    public var isNegative: Bool { !isZero && years <= 0 && months <= 0 && weeks <= 0 && days <= 0 }

    public var totalMonths: Int { years * 12 + months }
    public var totalDays: Int { weeks * 7 + days }

    /// A rough length in days, only for estimating how many periods fit in a span (never for a result).
    var approximateDays: Double { Double(totalMonths) * 30.436875 + Double(totalDays) }

    public func multiplied(by factor: Int) -> Period {
        Period(years: years * factor, months: months * factor, weeks: weeks * factor, days: days * factor)
    }

    public var negated: Period { multiplied(by: -1) }

    public var description: String {
        if isZero { return "P0D" }
        let negative = isNegative
        let sign = negative ? -1 : 1
        var text = negative ? "-P" : "P"
        if years != 0 { text += "\(years * sign)Y" }
        if months != 0 { text += "\(months * sign)M" }
        if weeks != 0 { text += "\(weeks * sign)W" }
        if days != 0 { text += "\(days * sign)D" }
        return text
    }
}

/// Why a period could not be parsed.
public enum PeriodError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case componentTooLarge(String)

    public var description: String {
        switch self {
        case .malformed(let text):
            return "'\(text.prefix(40))' is not an ISO 8601 period of years, months, weeks and days such as P1Y6M or P90D"
        case .componentTooLarge(let text):
            return "'\(text.prefix(40))' has a component above \(Period.componentLimit)"
        }
    }
}

/// The result of adding a period, with whether the day of month had to be clamped to a shorter month.
public struct PeriodSum: Hashable, Sendable {
    public let date: CalendarDate
    /// The day that the month part would have produced had the month been long enough, when clamped.
    public let clampedFromDay: Int?
}

extension CalendarDate {
    /// Adds years and months (clamping the day to the month's end), then weeks and days.
    public func adding(_ period: Period) throws(DateError) -> PeriodSum {
        let monthIndex = (year * 12 + (month - 1)) + period.totalMonths
        let newYear = monthIndex >= 0 ? monthIndex / 12 : (monthIndex - 11) / 12
        let newMonth = monthIndex - newYear * 12 + 1
        guard (1...9999).contains(newYear) else { throw .outOfRange }
        let lastDay = CalendarDate.daysInMonth(year: newYear, month: newMonth)
        let clamped = day > lastDay
        let monthShifted = CalendarDate(uncheckedYear: newYear, month: newMonth, day: min(day, lastDay))
        // Most periods are whole months or years: their sum needs no trip through day numbers.
        let result = period.totalDays == 0 ? monthShifted : try monthShifted.addingDays(period.totalDays)
        return PeriodSum(date: result, clampedFromDay: clamped ? day : nil)
    }

    /// `adding(_:)` without the clamping detail.
    public func plus(_ period: Period) throws(DateError) -> CalendarDate {
        try adding(period).date
    }
}

extension Period: Codable {
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
