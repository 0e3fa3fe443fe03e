import PactaCore

/// Writes iCalendar (RFC 5545) documents: CRLF line endings, content lines folded at 75 octets without
/// splitting a UTF-8 sequence, TEXT values escaped.
struct ICalendarWriter {
    private(set) var output: [UInt8] = []

    /// Writes one content line, `name[;params]:value`, folding it as RFC 5545 §3.1 requires. `value` is written as
    /// given; escape TEXT values with ``escapeText(_:)``. Works on bytes: a feed of 20,000 events is millions of them.
    mutating func line(_ name: String, _ value: String) {
        var content = name
        content += ":"
        content += value
        content.withUTF8 { bytes in
            var start = 0
            var limit = 75  // The first line holds 75 octets; continuation lines hold a space and 74 more.
            while bytes.count - start > limit {
                var end = start + limit
                // Never cut inside a UTF-8 sequence: back up to a byte that is not a continuation byte (10xxxxxx).
                while end > start, bytes[end] & 0xC0 == 0x80 { end -= 1 }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<end]))
                output.append(13)
                output.append(10)
                output.append(32)
                start = end
                limit = 74
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
            output.append(13)
            output.append(10)
        }
    }

    /// Escapes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines (`\n`, `\r\n` and `\r`
    /// each become one `\\n`); other control characters are not allowed in TEXT and are dropped. Every byte that
    /// matters is ASCII, so the value is escaped byte by byte and UTF-8 sequences pass through whole.
    static func escapeText(_ text: String) -> String {
        var escaped: [UInt8] = []
        escaped.reserveCapacity(text.utf8.count + 8)
        var previous: UInt8 = 0
        for byte in text.utf8 {
            defer { previous = byte }
            switch byte {
            case UInt8(ascii: "\\"), UInt8(ascii: ";"), UInt8(ascii: ","):
                escaped.append(UInt8(ascii: "\\"))
                escaped.append(byte)
            case 10 where previous == 13:
                continue  // The second half of CRLF, already written.
            case 10, 13:
                escaped.append(UInt8(ascii: "\\"))
                escaped.append(UInt8(ascii: "n"))
            case 0..<0x20, 0x7F:
                continue
            default:
                escaped.append(byte)
            }
        }
        return String(decoding: escaped, as: UTF8.self)
    }

    /// `YYYYMMDD`, the iCalendar DATE form.
    static func date(_ date: CalendarDate) -> String {
        let digits = String(date.year * 10_000 + date.month * 100 + date.day)
        return String(repeating: "0", count: max(0, 8 - digits.utf8.count)) + digits
    }
}

/// Turns deadlines into an iCalendar feed of all-day events.
enum DeadlineCalendar {
    /// How long before each deadline a calendar reminds, or `nil` for no reminder.
    struct Alarm: Sendable, Equatable {
        var days: Int

        /// Parses `P7D`, `P2W`, `P0D` (0 to 366 days) or `none` (no alarm: returns `nil`).
        static func parse(_ text: String?) throws -> Alarm? {
            guard let text else { return Alarm(days: 7) }
            if text == "none" { return nil }
            guard let period = try? Period(parsing: text), period.years == 0, period.months == 0 else {
                throw Problem.invalidParameter("alarm", "must be a period in days or weeks, such as P7D or P2W, or none")
            }
            let days = period.weeks * 7 + period.days
            guard (0...366).contains(days) else {
                throw Problem.invalidParameter("alarm", "must be 0 to 366 days before the deadline")
            }
            return Alarm(days: days)
        }

        /// The TRIGGER value: relative to the start of the all-day event.
        var trigger: String { days == 0 ? "PT0S" : "-P\(days)D" }
    }

    private static let epoch = try! CalendarDate(year: 1970, month: 1, day: 1)

    static let productId = "-//Pacta//Pacta deadlines 1.0//EN"

    /// The feed. `agreement` looks up each deadline's agreement by id (for titles and stamps).
    static func render(
        name: String,
        deadlines: [Deadline],
        agreement: (String) -> Agreement?,
        alarm: Alarm?
    ) -> [UInt8] {
        var writer = ICalendarWriter()
        writer.line("BEGIN", "VCALENDAR")
        writer.line("VERSION", "2.0")
        writer.line("PRODID", productId)
        writer.line("CALSCALE", "GREGORIAN")
        writer.line("METHOD", "PUBLISH")
        writer.line("X-WR-CALNAME", ICalendarWriter.escapeText(name))
        for deadline in deadlines {
            guard let agreement = agreement(deadline.agreementId) else { continue }
            event(deadline, agreement: agreement, alarm: alarm, into: &writer)
        }
        writer.line("END", "VCALENDAR")
        return writer.output
    }

    /// A UID that names the deadline, not its date, so a corrected date updates the same calendar entry. Reviews
    /// repeat within a term (yearly until every party confirms), so theirs names the date too.
    static func uid(_ deadline: Deadline) -> String {
        var parts = [deadline.agreementId, deadline.kind.rawValue]
        if let term = deadline.term { parts.append("term\(term)") }
        if deadline.term == nil || deadline.kind == .review { parts.append(ICalendarWriter.date(deadline.date)) }
        if let party = deadline.party { parts.append(party.lowercased()) }
        return parts.joined(separator: ".") + "@pacta"
    }

    /// 00:00 UTC on the date of the agreement's latest recorded event, or of its linked agreements' (whose events
    /// move its dates too, `rules.linkedWithdrawal`): a function of the content, so the same feed is the same bytes on
    /// every request.
    static func stamp(_ agreement: Agreement) -> String {
        let latest = (agreement.events.map(\.date) + LinkedAgreements.changeDates(of: agreement)).max() ?? epoch
        return ICalendarWriter.date(latest) + "T000000Z"
    }

    static func title(_ deadline: Deadline, agreement: Agreement) -> String {
        let name = agreement.shortTitle ?? agreement.id
        let who = deadline.party ?? deadline.parties.joined(separator: " or ")
        switch deadline.kind {
        case .noticeDeadline: return "\(name): last day to give notice (\(who))"
        case .renewal: return "\(name): renews\(deadline.term.map { " (term \($0))" } ?? "")"
        case .scheduledEnd:
            return "\(name): last day in force" + (deadline.party.map { " (\($0)'s notice)" } ?? "")
        case .withdrawalEffective where deadline.rule == "exclusion": return "\(name): \(who) ceases to be a party (excluded)"
        case .withdrawalEffective: return "\(name): withdrawal of \(who) takes effect"
        case .withdrawalNoticeDeadline: return "\(name): last day to give notice of withdrawal for the nearest date"
        case .review: return "\(name): joint review (confirm extension of the term)"
        case .performanceSuspensionEffective: return "\(name): suspension of performance by \(who) takes effect"
        }
    }

    private static func event(_ deadline: Deadline, agreement: Agreement, alarm: Alarm?, into writer: inout ICalendarWriter) {
        let summary = title(deadline, agreement: agreement)
        var description = [deadline.explanation]
        let source = [deadline.rule.map { "rule \($0)" }, deadline.article, deadline.eventId.map { "event \($0)" }]
            .compactMap { $0 }
        if !source.isEmpty { description.append("Basis: " + source.joined(separator: ", ") + ".") }
        if let convention = deadline.convention { description.append("Counting: \(convention).") }
        description.append("Agreement: \(agreement.title) (\(agreement.id)).")
        writer.line("BEGIN", "VEVENT")
        writer.line("UID", uid(deadline))
        writer.line("DTSTAMP", stamp(agreement))
        writer.line("DTSTART;VALUE=DATE", ICalendarWriter.date(deadline.date))
        // A date known only within a range (issue #14, shape 12) spans it: an all-day event through `latest`, never a
        // day picked inside it.
        if let next = try? (deadline.latest ?? deadline.date).addingDays(1) {
            writer.line("DTEND;VALUE=DATE", ICalendarWriter.date(next))
        }
        writer.line("SUMMARY", ICalendarWriter.escapeText(summary))
        writer.line("DESCRIPTION", ICalendarWriter.escapeText(description.joined(separator: "\n")))
        writer.line("CATEGORIES", ICalendarWriter.escapeText(deadline.kind.rawValue))
        writer.line("TRANSP", "TRANSPARENT")
        if let alarm {
            writer.line("BEGIN", "VALARM")
            writer.line("ACTION", "DISPLAY")
            writer.line("DESCRIPTION", ICalendarWriter.escapeText(summary))
            writer.line("TRIGGER", alarm.trigger)
            writer.line("END", "VALARM")
        }
        writer.line("END", "VEVENT")
    }
}
