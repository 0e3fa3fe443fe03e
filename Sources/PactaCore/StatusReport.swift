/// A plain-text rendering of a status and its trace, for people at a terminal.
public enum StatusReport {
    public static func text(_ status: AgreementStatus, title: String) -> String {
        var lines: [String] = []
        lines.append("\(title) (\(status.agreementId)) as of \(status.asOf): \(status.state.rawValue)")
        func line(_ label: String, _ value: CustomStringConvertible?) {
            if let value { lines.append("  \(label.padding(18))\(value)") }
        }
        line("entry into force", status.entryIntoForce)
        if let term = status.currentTerm {
            line("current term", "\(term.index): \(term.start) – \(term.lastDay.map { "\($0)" } ?? "indefinite")")
        }
        line("notice deadline", status.noticeDeadline.map { "\($0) (\($0.weekdayName))" })
        line("next renewal", status.nextRenewal)
        line("last day in force", status.lastDayInForce)
        line("obligations until", status.obligationsSurviveThrough)
        if let review = status.review {
            var text = review.next.map { "\($0)" } ?? "none left in the term"
            if let last = review.last { text += " (last \(last))" }
            if !review.confirmed.isEmpty { text += "; confirmed: \(review.confirmed.joined(separator: ", "))" }
            if !review.notConfirmed.isEmpty { text += "; not confirmed: \(review.notConfirmed.joined(separator: ", "))" }
            line("next review", text)
        }
        for notice in status.notices {
            var text = notice.suspended ? "suspended" : "takes effect \(notice.takesEffect.map { "\($0)" } ?? "?")"
            text += ", \(notice.elapsedDays) days run, \(notice.remainingDays.map { "\($0) to go" } ?? "restarts when resumed")"
            if notice.pausedDays > 0 { text += ", \(notice.pausedDays) days paused" }
            line("notice \(notice.eventId)", text)
        }
        for party in status.parties {
            var text = party.status.rawValue
            if let since = party.since { text += " since \(since)" }
            if let bound = party.boundFrom { text += ", bound from \(bound)" }
            if let event = party.eventId { text += " (event \(event))" }
            if let last = party.lastDayAsParty { text += ", last day bound \(last)" }
            if let survives = party.obligationsSurviveThrough { text += ", obligations survive through \(survives)" }
            if let condition = party.withdrawalCondition { text += ", withdrawal condition \(condition.state.rawValue)" }
            line("party \(party.party)", text)
        }
        for flag in status.flags { lines.append("  ! \(flag.message)") }
        for item in status.undetermined { lines.append("  ? \(item.field): \(item.reason)") }
        lines.append("Why:")
        for (index, step) in status.trace.enumerated() {
            let source = [step.rule, step.article, step.eventId.map { "event \($0)" }].compactMap { $0 }
            lines.append("  \(index + 1). \(step.explanation)" + (source.isEmpty ? "" : " [\(source.joined(separator: ", "))]"))
            if let convention = step.convention { lines.append("     convention: \(convention)") }
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
