import PactaCore

/// Writes iCalendar (RFC 5545) documents: CRLF line endings, content lines folded at 75 octets without
/// splitting a UTF-8 sequence, TEXT values escaped.
///
/// Works on bytes, and a content line is put together in one buffer kept from line to line: a feed of 5,000 events
/// is 3.5 MB, and a `String` per line and per escaped value was most of a feed's time (perf, issue #12).
struct ICalendarWriter {
    private(set) var output: [UInt8] = []
    /// The content line being written, `name[;params]:value`, until ``endLine()`` folds it into ``output``.
    private var content: [UInt8] = []
    /// The byte before the next one ``appendText(_:)`` escapes (a CRLF split between two calls is still one newline).
    private var previous: UInt8 = 0

    /// Writes one content line, `name[;params]:value`, with `value` as given; ``textLine(_:_:)`` escapes a TEXT value.
    mutating func line(_ name: String, _ value: String) {
        beginLine(name)
        content.append(contentsOf: value.utf8)
        endLine()
    }

    /// Writes one content line whose value is TEXT, escaped.
    mutating func textLine(_ name: String, _ text: String) {
        beginLine(name)
        appendText(text)
        endLine()
    }

    /// Starts a content line; its value follows with ``appendText(_:)``, ``appendRaw(_:)`` and ``appendDate(_:)``.
    mutating func beginLine(_ name: String) {
        content.removeAll(keepingCapacity: true)
        content.append(contentsOf: name.utf8)
        content.append(UInt8(ascii: ":"))
        previous = 0
    }

    /// Appends part of a TEXT value, escaped as if every part of the value had been escaped at once.
    mutating func appendText(_ text: String) {
        var text = text
        text.withUTF8 { Self.escape($0, into: &content, previous: &previous) }
    }

    /// Appends part of a value as given.
    mutating func appendRaw(_ text: String) { content.append(contentsOf: text.utf8) }

    /// Appends `YYYYMMDD`, the iCalendar DATE form.
    mutating func appendDate(_ date: CalendarDate) { Self.appendDate(date, to: &content) }

    /// Ends the content line: folds it into ``output`` as RFC 5545 §3.1 requires (75 octets on the first line, a space
    /// and 74 more on each continuation line, never inside a UTF-8 sequence), then CRLF.
    mutating func endLine() {
        content.withUnsafeBufferPointer { bytes in
            var start = 0
            var limit = 75
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
        var previous: UInt8 = 0
        var text = text
        text.withUTF8 { escape($0, into: &escaped, previous: &previous) }
        return String(decoding: escaped, as: UTF8.self)
    }

    private static func escape(_ text: UnsafeBufferPointer<UInt8>, into escaped: inout [UInt8], previous: inout UInt8) {
        // Runs of bytes that need nothing are copied whole.
        var run = 0
        for index in text.indices {
            let byte = text[index]
            let last = previous
            previous = byte
            switch byte {
            case UInt8(ascii: "\\"), UInt8(ascii: ";"), UInt8(ascii: ","), 0..<0x20, 0x7F: break
            default: continue
            }
            escaped.append(contentsOf: UnsafeBufferPointer(rebasing: text[run..<index]))
            run = index + 1
            switch byte {
            case UInt8(ascii: "\\"), UInt8(ascii: ";"), UInt8(ascii: ","):
                escaped.append(UInt8(ascii: "\\"))
                escaped.append(byte)
            case 10 where last == 13:
                continue  // The second half of CRLF, already written.
            case 10, 13:
                escaped.append(UInt8(ascii: "\\"))
                escaped.append(UInt8(ascii: "n"))
            default:
                continue  // Another control character: dropped.
            }
        }
        escaped.append(contentsOf: UnsafeBufferPointer(rebasing: text[run...]))
    }

    /// `YYYYMMDD`, the iCalendar DATE form.
    static func date(_ date: CalendarDate) -> String {
        var digits: [UInt8] = []
        appendDate(date, to: &digits)
        return String(decoding: digits, as: UTF8.self)
    }

    private static func appendDate(_ date: CalendarDate, to bytes: inout [UInt8]) {
        let value = date.year * 10_000 + date.month * 100 + date.day
        var divisor = 10_000_000
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8((value / divisor) % 10))
            divisor /= 10
        }
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
        deadlines: some Sequence<Deadline>,
        agreement: (String) -> Agreement?,
        alarm: Alarm?
    ) -> [UInt8] {
        var writer = ICalendarWriter()
        writer.line("BEGIN", "VCALENDAR")
        writer.line("VERSION", "2.0")
        writer.line("PRODID", productId)
        writer.line("CALSCALE", "GREGORIAN")
        writer.line("METHOD", "PUBLISH")
        writer.textLine("X-WR-CALNAME", name)
        for deadline in deadlines {
            guard let agreement = agreement(deadline.agreementId) else { continue }
            event(deadline, agreement: agreement, alarm: alarm, into: &writer)
        }
        writer.line("END", "VCALENDAR")
        return writer.output
    }

    /// A UID that names the deadline, not its date, so a corrected date updates the same calendar entry. Reviews
    /// repeat within a term (yearly until every party confirms), so theirs names the date too.
    private static func appendUID(_ deadline: Deadline, to writer: inout ICalendarWriter) {
        writer.appendRaw(deadline.agreementId)
        writer.appendRaw(".")
        writer.appendRaw(deadline.kind.rawValue)
        if let term = deadline.term {
            writer.appendRaw(".term")
            writer.appendRaw(String(term))
        }
        if deadline.term == nil || deadline.kind == .review {
            writer.appendRaw(".")
            writer.appendDate(deadline.date)
        }
        if let party = deadline.party {
            writer.appendRaw(".")
            writer.appendRaw(party.lowercased())
        }
        writer.appendRaw("@pacta")
    }

    /// 00:00 UTC on the date of the agreement's latest recorded event, or of its linked agreements' (whose events
    /// move its dates too, `rules.linkedWithdrawal`): a function of the content, so the same feed is the same bytes on
    /// every request.
    private static func stampDate(_ agreement: Agreement) -> CalendarDate {
        let recorded = agreement.events.lazy.map(\.date).max()
        guard let linked = LinkedAgreements.changeDates(of: agreement).max() else { return recorded ?? epoch }
        return max(recorded ?? linked, linked)
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
        writer.line("BEGIN", "VEVENT")
        writer.beginLine("UID")
        appendUID(deadline, to: &writer)
        writer.endLine()
        writer.beginLine("DTSTAMP")
        writer.appendDate(stampDate(agreement))
        writer.appendRaw("T000000Z")
        writer.endLine()
        writer.beginLine("DTSTART;VALUE=DATE")
        writer.appendDate(deadline.date)
        writer.endLine()
        // A date known only within a range (issue #14, shape 12) spans it: an all-day event through `latest`, never a
        // day picked inside it.
        if let next = try? (deadline.latest ?? deadline.date).addingDays(1) {
            writer.beginLine("DTEND;VALUE=DATE")
            writer.appendDate(next)
            writer.endLine()
        }
        writer.textLine("SUMMARY", summary)
        // The explanation, the basis, the counting convention and the agreement, one to a line of the TEXT value.
        writer.beginLine("DESCRIPTION")
        writer.appendText(deadline.explanation)
        var separator = "\nBasis: "
        for part in [deadline.rule.map { "rule \($0)" }, deadline.article, deadline.eventId.map { "event \($0)" }] {
            guard let part else { continue }
            writer.appendText(separator)
            writer.appendText(part)
            separator = ", "
        }
        if separator == ", " { writer.appendText(".") }
        if let convention = deadline.convention {
            writer.appendText("\nCounting: ")
            writer.appendText(convention)
            writer.appendText(".")
        }
        writer.appendText("\nAgreement: ")
        writer.appendText(agreement.title)
        writer.appendText(" (")
        writer.appendText(agreement.id)
        writer.appendText(").")
        writer.endLine()
        writer.textLine("CATEGORIES", deadline.kind.rawValue)
        writer.line("TRANSP", "TRANSPARENT")
        if let alarm {
            writer.line("BEGIN", "VALARM")
            writer.line("ACTION", "DISPLAY")
            writer.textLine("DESCRIPTION", summary)
            writer.line("TRIGGER", alarm.trigger)
            writer.line("END", "VALARM")
        }
        writer.line("END", "VEVENT")
    }
}
