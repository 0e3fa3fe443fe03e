import PactaCore

/// Draws an agreement's life as an SVG picture a dashboard can embed: its states and terms, the notice
/// window before each deadline, renewals, the scheduled end, the recorded events and the `asOf` day.
///
/// Everything drawn comes from ``DeadlineProjection`` (and so from the rules engine); the picture is a pure
/// function of the agreement, `asOf` and the window, so it can carry a strong ETag.
enum TimelineSVG {
    /// Changes when the drawing changes; part of the ETag.
    static let version = "1"

    static let width = 1000.0
    private static let left = 40.0
    private static let right = 960.0

    /// Where a picture starts when the request does not say: two months before the first date known (entry into
    /// force, the first event, or `asOf`).
    static func defaultStart(for agreement: Agreement, asOf: CalendarDate) -> CalendarDate {
        let entry = RulesEngine.evaluate(agreement, asOf: asOf).entryIntoForce
        let firstKnown = ([entry, agreement.events.map(\.date).min(), asOf].compactMap { $0 }).min() ?? asOf
        return (try? firstKnown.addingDays(-60)) ?? firstKnown
    }

    /// Where a picture ends when the request does not say: two years after the last date known (the last event or
    /// `asOf`).
    static func defaultEnd(for agreement: Agreement, asOf: CalendarDate) -> CalendarDate {
        let lastKnown = max(asOf, agreement.events.map(\.date).max() ?? asOf)
        return (try? lastKnown.addingDays(730)) ?? lastKnown
    }

    /// The widest picture, in days (200 years).
    static let maxSpanDays = 2 * 36_525

    /// The picture, or `nil` when the window holds more than `maxItems` terms, states and dates (a rule renewing
    /// every day over a century), which no one could read and which would be megabytes.
    static func render(
        _ agreement: Agreement,
        asOf: CalendarDate,
        from: CalendarDate,
        to: CalendarDate,
        maxItems: Int = .max
    ) -> [UInt8]? {
        svg(agreement, asOf: asOf, from: from, to: to, maxItems: maxItems).map { Array($0.utf8) }
    }

    static func svg(
        _ agreement: Agreement,
        asOf: CalendarDate,
        from: CalendarDate,
        to: CalendarDate,
        maxItems: Int = .max
    ) -> String? {
        let projection = DeadlineProjection.project(agreement, from: from, through: to)
        guard projection.segments.count + projection.deadlines.count <= maxItems else { return nil }
        let status = RulesEngine.evaluate(agreement, asOf: asOf)
        let span = Double(max(1, from.days(to: to) + 1))
        func x(_ date: CalendarDate) -> Double {
            left + Double(from.days(to: date)) / span * (right - left)
        }
        func xEnd(_ lastDay: CalendarDate) -> Double {  // The right edge of a day.
            left + Double(from.days(to: lastDay) + 1) / span * (right - left)
        }
        var out = ""
        func add(_ element: String) { out += element + "\n" }

        // Layout, top to bottom.
        let bandTop = 78.0
        let bandHeight = 30.0
        let windowTop = bandTop + bandHeight + 6
        let windowHeight = 12.0
        let labelRow = windowTop + windowHeight + 12
        let axisY = labelRow + 14
        let eventTop = axisY + 46
        let events = agreement.events.filter { $0.date >= from && $0.date <= to }.sorted { $0.date < $1.date }
        let eventRows = layoutLabels(events.map { (x: x($0.date), width: Double(eventLabel($0).count) * 6.3 + 14) })
        let rowCount = (eventRows.max() ?? -1) + 1
        let legendY = eventTop + Double(rowCount) * 16 + 26
        let height = legendY + 30

        add(
            ##"<svg xmlns="http://www.w3.org/2000/svg" width="\##(fmt(width))" height="\##(fmt(height))" viewBox="0 0 \##(fmt(width)) \##(fmt(height))" font-family="DejaVu Sans, Verdana, Arial, sans-serif" role="img">"##
        )
        let name = agreement.shortTitle ?? agreement.title
        add("<title>\(escape(name)): timeline as of \(asOf)</title>")
        add(##"<rect x="0" y="0" width="\##(fmt(width))" height="\##(fmt(height))" fill="#ffffff"/>"##)
        add(##"<text x="\##(fmt(left))" y="26" font-size="17" font-weight="bold" fill="#1a1a1a">\##(escape(name))</text>"##)
        add(##"<text x="\##(fmt(left))" y="46" font-size="12" fill="#444444">\##(escape(headline(status)))</text>"##)

        // States and terms.
        add(##"<text x="\##(fmt(left))" y="\##(fmt(bandTop - 6))" font-size="10" fill="#666666">state and term</text>"##)
        for segment in projection.segments {
            let x0 = x(segment.start)
            let x1 = xEnd(segment.lastDay)
            let color = fill(segment.state, term: segment.term)
            add(
                ##"<rect x="\##(fmt(x0))" y="\##(fmt(bandTop))" width="\##(fmt(max(0.5, x1 - x0)))" height="\##(fmt(bandHeight))" fill="\##(color)"><title>\##(segment.state.rawValue)\##(segment.term.map { ", term \($0)" } ?? ""): \##(segment.start) – \##(segment.lastDay)</title></rect>"##
            )
            let label = segmentLabel(segment, width: x1 - x0)
            if !label.isEmpty {
                let textColor = segment.state == .inForce ? "#ffffff" : "#1a1a1a"
                add(
                    ##"<text x="\##(fmt((x0 + x1) / 2))" y="\##(fmt(bandTop + bandHeight / 2 + 4))" font-size="11" text-anchor="middle" fill="\##(textColor)">\##(escape(label))</text>"##
                )
            }
        }

        // Notice windows (from the start of a term to its notice deadline) and the deadlines themselves.
        var lastLabelEnd = -Double.infinity
        for deadline in projection.deadlines {
            switch deadline.kind {
            case .noticeDeadline:
                let termStart = projection.segments.first { $0.term == deadline.term }?.start ?? from
                let x0 = max(left, x(termStart))
                let x1 = xEnd(deadline.date)
                add(
                    ##"<rect x="\##(fmt(x0))" y="\##(fmt(windowTop))" width="\##(fmt(max(0.5, x1 - x0)))" height="\##(fmt(windowHeight))" fill="#fde2b8" stroke="#e09a2b" stroke-width="0.6"><title>Notice window for term \##(deadline.term.map(String.init) ?? "?"): until \##(deadline.date)</title></rect>"##
                )
                add(
                    ##"<line x1="\##(fmt(x1))" y1="\##(fmt(bandTop - 4))" x2="\##(fmt(x1))" y2="\##(fmt(windowTop + windowHeight + 2))" stroke="#c0392b" stroke-width="1.6"><title>\##(escape(deadline.explanation))</title></line>"##
                )
                let label = monthDay(deadline.date)
                if x1 - 16 > lastLabelEnd {
                    add(##"<text x="\##(fmt(x1))" y="\##(fmt(labelRow))" font-size="9" text-anchor="middle" fill="#c0392b">\##(label)</text>"##)
                    lastLabelEnd = x1 + 16
                }
            case .renewal:
                let xr = x(deadline.date)
                add(
                    ##"<line x1="\##(fmt(xr))" y1="\##(fmt(bandTop))" x2="\##(fmt(xr))" y2="\##(fmt(bandTop + bandHeight))" stroke="#ffffff" stroke-width="1.5"><title>\##(escape(deadline.explanation))</title></line>"##
                )
            case .withdrawalEffective:
                let xw = x(deadline.date)
                add(
                    ##"<line x1="\##(fmt(xw))" y1="\##(fmt(bandTop - 8))" x2="\##(fmt(xw))" y2="\##(fmt(bandTop + bandHeight + 4))" stroke="#8e44ad" stroke-width="2" stroke-dasharray="3,2"><title>\##(escape(deadline.explanation))</title></line>"##
                )
                add(
                    ##"<text x="\##(fmt(xw + 3))" y="\##(fmt(bandTop - 10))" font-size="10" fill="#8e44ad">\##(escape(deadline.party ?? "")) out \##(deadline.date)</text>"##
                )
            case .scheduledEnd:
                let xe = xEnd(deadline.date)
                add(
                    ##"<line x1="\##(fmt(xe))" y1="\##(fmt(bandTop - 8))" x2="\##(fmt(xe))" y2="\##(fmt(bandTop + bandHeight + 4))" stroke="#1a1a1a" stroke-width="2.5"><title>\##(escape(deadline.explanation))</title></line>"##
                )
                add(##"<text x="\##(fmt(xe + 3))" y="\##(fmt(bandTop - 10))" font-size="10" fill="#1a1a1a">ends after \##(deadline.date)</text>"##)
            case .withdrawalNoticeDeadline, .performanceSuspensionEffective:
                // Withdrawal windows are placed by arithmetic, not walked; a suspension of performance changes no
                // legal state, so the band does not show it.
                break
            case .review:
                let xv = x(deadline.date)
                add(
                    ##"<line x1="\##(fmt(xv))" y1="\##(fmt(bandTop - 6))" x2="\##(fmt(xv))" y2="\##(fmt(bandTop + bandHeight + 2))" stroke="#2471a3" stroke-width="1.6" stroke-dasharray="2,2"><title>\##(escape(deadline.explanation))</title></line>"##
                )
            }
        }

        // Time axis.
        add(##"<line x1="\##(fmt(left))" y1="\##(fmt(axisY))" x2="\##(fmt(right))" y2="\##(fmt(axisY))" stroke="#333333" stroke-width="1"/>"##)
        let years = Double(span) / 365.25
        let step = [1, 2, 5, 10, 20, 50, 100].first { years / Double($0) <= 14 } ?? 200
        var year = from.year + 1
        while year % step != 0 { year += 1 }
        while let tick = try? CalendarDate(year: year, month: 1, day: 1), tick <= to {
            let xt = x(tick)
            add(##"<line x1="\##(fmt(xt))" y1="\##(fmt(axisY - 4))" x2="\##(fmt(xt))" y2="\##(fmt(axisY + 4))" stroke="#333333" stroke-width="1"/>"##)
            add(##"<text x="\##(fmt(xt))" y="\##(fmt(axisY + 16))" font-size="11" text-anchor="middle" fill="#333333">\##(year)</text>"##)
            year += step
        }

        // Events, labels stacked in rows so they never overlap.
        add(##"<text x="\##(fmt(left))" y="\##(fmt(eventTop - 12))" font-size="10" fill="#666666">recorded events</text>"##)
        for (event, row) in zip(events, eventRows) {
            let xe = x(event.date)
            let y = eventTop + Double(row) * 16
            add(##"<line x1="\##(fmt(xe))" y1="\##(fmt(axisY))" x2="\##(fmt(xe))" y2="\##(fmt(y))" stroke="#7f8c8d" stroke-width="0.8"/>"##)
            add(
                ##"<circle cx="\##(fmt(xe))" cy="\##(fmt(y))" r="3.5" fill="\##(eventColor(event.type))"><title>\##(escape(event.summary ?? event.id))</title></circle>"##
            )
            add(##"<text x="\##(fmt(xe + 6))" y="\##(fmt(y + 4))" font-size="10.5" fill="#1a1a1a">\##(escape(eventLabel(event)))</text>"##)
        }

        // asOf.
        if asOf >= from && asOf <= to {
            let xa = x(asOf)
            add(
                ##"<line x1="\##(fmt(xa))" y1="\##(fmt(bandTop - 18))" x2="\##(fmt(xa))" y2="\##(fmt(legendY - 16))" stroke="#1f6fd1" stroke-width="1.6" stroke-dasharray="5,3"/>"##
            )
            let anchor = xa > right - 120 ? "end" : "start"
            let dx = anchor == "end" ? -4.0 : 4.0
            add(
                ##"<text x="\##(fmt(xa + dx))" y="\##(fmt(bandTop - 20))" font-size="11" font-weight="bold" text-anchor="\##(anchor)" fill="#1f6fd1">asOf \##(asOf)</text>"##
            )
        }

        // Legend.
        let legend: [(String, String)] = [
            ("#2e8b57", "in force"), ("#f0a030", "termination pending"), ("#bdc3c7", "not yet in force"),
            ("#7f8c8d", "ended"), ("#fde2b8", "notice window"), ("#c0392b", "notice deadline"),
            ("#8e44ad", "withdrawal"),
            ("#1f6fd1", "asOf"),
        ]
        var lx = left
        for (color, label) in legend {
            add(##"<rect x="\##(fmt(lx))" y="\##(fmt(legendY - 9))" width="12" height="10" fill="\##(color)" stroke="#888888" stroke-width="0.4"/>"##)
            add(##"<text x="\##(fmt(lx + 16))" y="\##(fmt(legendY))" font-size="10.5" fill="#333333">\##(label)</text>"##)
            lx += 16 + Double(label.count) * 6.2 + 18
        }
        add("</svg>")
        return out
    }

    /// Assigns each label (at `x`, `width` wide) the first row where it does not overlap the previous label.
    static func layoutLabels(_ labels: [(x: Double, width: Double)]) -> [Int] {
        var rowEnds: [Double] = []
        return labels.map { label in
            if let row = rowEnds.firstIndex(where: { $0 < label.x }) {
                rowEnds[row] = label.x + label.width
                return row
            }
            rowEnds.append(label.x + label.width)
            return rowEnds.count - 1
        }
    }

    private static func headline(_ status: AgreementStatus) -> String {
        var parts = ["\(status.state.rawValue) on \(status.asOf)"]
        if let term = status.currentTerm {
            parts.append("term \(term.index): \(term.start) – \(term.lastDay.map { "\($0)" } ?? "indefinite")")
        }
        if let deadline = status.noticeDeadline { parts.append("notice deadline \(deadline)") }
        if let renewal = status.nextRenewal { parts.append("renews \(renewal)") }
        if let last = status.lastDayInForce { parts.append("last day in force \(last)") }
        return parts.joined(separator: " · ")
    }

    private static func segmentLabel(_ segment: StateSegment, width: Double) -> String {
        switch segment.state {
        case .inForce, .terminationPending:
            guard let term = segment.term else { return "" }
            if width >= 34 { return "T\(term)" }
            return width >= 16 ? "\(term)" : ""
        case .notYetInForce: return width >= 90 ? "not in force" : ""
        case .terminated: return width >= 70 ? "terminated" : ""
        case .expired: return width >= 60 ? "expired" : ""
        case .undetermined: return width >= 90 ? "undetermined" : ""
        }
    }

    private static func fill(_ state: AgreementStatus.State, term: Int?) -> String {
        switch state {
        case .inForce: return (term ?? 0) % 2 == 0 ? "#2e8b57" : "#3aa86b"
        case .terminationPending: return "#f0a030"
        case .notYetInForce: return "#bdc3c7"
        case .terminated, .expired: return "#7f8c8d"
        // Hatched grey would be clearer; a light violet is distinct from every determined state.
        case .undetermined: return "#c9b3e6"
        }
    }

    private static func eventColor(_ type: EventType) -> String {
        switch type {
        case .noticeOfTermination, .noticeOfNonRenewal, .noticeOfWithdrawal, .withdrawalEffective, .exclusion, .terminated,
            .terminatedByConsent, .expired, .superseded, .consentRevoked:
            return "#c0392b"
        case .noticeSuspended, .noticeResumed, .performanceSuspended, .performanceResumed, .armedConflictBegan,
            .armedConflictEnded:
            return "#f0a030"
        case .noticeRevoked: return "#1f6fd1"
        default: return "#2e8b57"
        }
    }

    /// `2019-08-23 notice of termination (KR)`: the event type's name in words.
    private static func eventLabel(_ event: Event) -> String {
        var words = ""
        for character in event.type.rawValue {
            if character.isUppercase { words += " " + character.lowercased() } else { words.append(character) }
        }
        return "\(event.date) \(words)" + (event.party.map { " (\($0))" } ?? "")
    }

    private static func monthDay(_ date: CalendarDate) -> String {
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return "\(date.day) \(months[date.month - 1])"
    }

    /// Numbers with at most two decimals, never in exponent form.
    private static func fmt(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        var text = String(rounded)
        if text.contains("e") { text = String(Int(rounded)) }
        return text
    }

    /// Escapes XML's markup characters and drops what XML 1.0 cannot hold at all (controls other than tab and
    /// line breaks, surrogates, U+FFFE and U+FFFF), so every picture is well-formed whatever a title holds.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            default:
                if isXMLCharacter(scalar.value) { escaped.unicodeScalars.append(scalar) }
            }
        }
        return escaped
    }

    /// XML 1.0's `Char` production.
    static func isXMLCharacter(_ value: UInt32) -> Bool {
        switch value {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: return true
        default: return false
        }
    }
}
