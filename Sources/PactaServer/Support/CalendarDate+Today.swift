import Foundation
import PactaCore

extension CalendarDate {
    /// Today's civil date in UTC, read from the system clock. Only the server's edge calls this; the
    /// engine is always given its `asOf`.
    ///
    /// The clock's instant becomes a day by counting whole days since 1970-01-01T00:00:00Z (the inverse of
    /// ``CalendarDate/unixMidnightUTC``; POSIX time has no leap seconds), so no `Calendar` or time zone is built:
    /// the response cache asks for today on every read.
    public static func todayUTC() -> CalendarDate {
        let days = Int((Date().timeIntervalSince1970 / 86_400).rounded(.down))
        return (try? CalendarDate(dayNumber: days)) ?? .minimum
    }
}
