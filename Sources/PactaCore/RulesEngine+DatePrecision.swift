/// Shape 12 of issue #14: events known only to the month or the year.
///
/// The rule: an event dated only to a period happened on some day within it, and the engine never picks one. It
/// evaluates the agreement twice, with every imprecise event on the first day of its period and with every one on the
/// last day (a notice is never dispatched after its recorded receipt, so the last day is at most that), and reports
/// what the two readings share. A date on which they differ is reported as a range [earliest, latest] in `ranges`, with
/// the field itself null; a state (the agreement's or a party's) on which they differ is `undetermined`, with the
/// reason. The dates derived from a notice (its effect, the last day in force, a deadline) never move back when the
/// notice comes later, so for one imprecise event the two ends bound every day in between; with several, the two
/// readings move them together and the ranges are those of the earliest and latest readings.
extension RulesEngine {
    /// The bracketed status, or `nil` when no event known on `asOf` is imprecise (the usual, unchanged path).
    static func bracketed(_ agreement: Agreement, asOf: CalendarDate, trace: Bool) -> AgreementStatus? {
        guard let readings = readings(of: agreement, asOf: asOf) else { return nil }
        let early = evaluate(readings.early, asOf: asOf, trace: trace)
        let late = evaluate(readings.late, asOf: asOf, trace: trace)
        return DatePrecisionMerge(
            imprecise: readings.imprecise,
            latest: readings.imprecise.map { latestPossibleDate(of: $0, in: agreement) },
            early: early,
            late: late,
            tracing: trace
        ).merged()
    }

    /// The agreement read with its imprecise events on their earliest and on their latest days (without precision,
    /// so evaluating them takes the usual path); `nil` when no event dated on or before `asOf` is imprecise.
    static func readings(of agreement: Agreement, asOf: CalendarDate) -> (early: Agreement, late: Agreement, imprecise: [Event])? {
        guard agreement.events.contains(where: { $0.datePrecision != nil && $0.isImprecise && $0.date <= asOf }) else {
            return nil
        }
        var early = agreement
        var late = agreement
        var imprecise: [Event] = []
        for index in agreement.events.indices where agreement.events[index].datePrecision != nil {
            let event = agreement.events[index]
            early.events[index].datePrecision = nil
            late.events[index].datePrecision = nil
            guard event.isImprecise else { continue }
            if event.date <= asOf { imprecise.append(event) }
            late.events[index].date = latestPossibleDate(of: event, in: agreement)
        }
        return (early, late, imprecise)
    }

    /// The last day an imprecise event may have happened on: the end of its period, but never after its recorded
    /// receipt or after an event that acts on it (a suspension or revocation of the notice proves it was given).
    static func latestPossibleDate(of event: Event, in agreement: Agreement) -> CalendarDate {
        var last = min(event.latestDate, event.received ?? event.latestDate)
        for other in agreement.events where other.refersTo == event.id && other.date >= event.date { last = min(last, other.date) }
        return last
    }

    /// The days after `day` on which an agreement with imprecise events may answer differently: those of each reading
    /// and the last day of each imprecise period (after it, the event is known to have happened). For the walk.
    static func bracketDaysOfInterest(_ agreement: Agreement) -> [CalendarDate] {
        var days: [CalendarDate] = []
        for event in agreement.events where event.isImprecise {
            let last = latestPossibleDate(of: event, in: agreement)
            if let after = try? last.addingDays(1) { days.append(after) }
            days.append(last)
        }
        return days
    }
}

/// What the early and the late readings of an agreement share, and the ranges and undetermined states where they
/// differ.
struct DatePrecisionMerge {
    let imprecise: [Event]
    /// The last possible day of each of `imprecise`.
    let latest: [CalendarDate]
    let early: AgreementStatus
    let late: AgreementStatus
    let tracing: Bool

    private var ids: [String] { imprecise.map(\.id) }

    /// "notice-x (dated only to 2018-10)".
    private var described: String {
        imprecise.map { "\($0.id) (dated only to \(($0.datePrecision ?? .day).spelled($0.date)))" }.joined(separator: ", ")
    }

    private var firstDays: String { imprecise.map { "\($0.date)" }.joined(separator: ", ") }
    private var lastDays: String {
        latest.map { "\($0)" }.joined(separator: ", ")
    }

    func merged() -> AgreementStatus {
        var status = early
        var undetermined = early.undetermined
        var ranges: [DateRange] = []
        var trace: [TraceStep] = []

        func date(_ field: String, _ a: CalendarDate?, _ b: CalendarDate?) -> CalendarDate? {
            guard a != b else { return a }
            if let a, let b {
                let range = DateRange(
                    field: field,
                    earliest: min(a, b),
                    latest: max(a, b),
                    eventIds: ids,
                    reason:
                        "Derived from \(described): \(a) if given on the first day of its period (\(firstDays)), \(b) if on the last (\(lastDays))."
                )
                ranges.append(range)
            } else {
                undetermined.append(
                    Undetermined(
                        field: field,
                        reason:
                            "Depends on the day of \(described): \(a.map { "\($0)" } ?? "none") if given on the first day of its period, \(b.map { "\($0)" } ?? "none") if on the last."
                    )
                )
            }
            return nil
        }

        if early.state != late.state {
            status.state = .undetermined
            undetermined.append(
                Undetermined(
                    field: "state",
                    reason:
                        "Depends on the day of \(described): \(early.state.rawValue) on \(early.asOf) if given on the first day of its period (\(firstDays)), \(late.state.rawValue) if on the last (\(lastDays))."
                )
            )
        }
        status.entryIntoForce = date("entryIntoForce", early.entryIntoForce, late.entryIntoForce)
        if early.currentTerm != late.currentTerm {
            status.currentTerm = nil
            undetermined.append(Undetermined(field: "currentTerm", reason: "Depends on the day of \(described)."))
        }
        status.noticeDeadline = date("noticeDeadline", early.noticeDeadline, late.noticeDeadline)
        status.nextRenewal = date("nextRenewal", early.nextRenewal, late.nextRenewal)
        status.lastDayInForce = date("lastDayInForce", early.lastDayInForce, late.lastDayInForce)
        if early.endCause != late.endCause {
            status.endCause = nil
            undetermined.append(Undetermined(field: "endCause", reason: "Depends on the day of \(described)."))
        }
        if early.review != late.review {
            status.review = nil
            undetermined.append(Undetermined(field: "review", reason: "Depends on the day of \(described)."))
        }
        // A notice's period counts from a day the record does not give: only a period both readings agree on stays.
        status.notices = early.notices.filter { late.notices.contains($0) }
        for notice in early.notices where !late.notices.contains(notice) {
            undetermined.append(
                Undetermined(field: "notices.\(notice.eventId)", reason: "The period counts from a day within \(described).")
            )
        }
        for index in status.parties.indices {
            let mine = early.parties[index]
            guard let other = late.parties.first(where: { $0.party == mine.party }), other != mine else { continue }
            let field = "parties.\(mine.party)"
            var party = mine
            if mine.status != other.status {
                party.status = .undetermined
                undetermined.append(
                    Undetermined(
                        field: "\(field).status",
                        reason:
                            "Depends on the day of \(described): \(mine.status.rawValue) if given on the first day of its period, \(other.status.rawValue) if on the last."
                    )
                )
            }
            party.since = date("\(field).since", mine.since, other.since)
            party.boundFrom = date("\(field).boundFrom", mine.boundFrom, other.boundFrom)
            party.lastDayAsParty = date("\(field).lastDayAsParty", mine.lastDayAsParty, other.lastDayAsParty)
            party.obligationsSurviveThrough = date(
                "\(field).obligationsSurviveThrough",
                mine.obligationsSurviveThrough,
                other.obligationsSurviveThrough
            )
            if mine.eventId != other.eventId { party.eventId = nil }
            if mine.nextWithdrawal != other.nextWithdrawal {
                party.nextWithdrawal = nil
                undetermined.append(Undetermined(field: "\(field).nextWithdrawal", reason: "Depends on the day of \(described)."))
            }
            if mine.withdrawalExtensions != other.withdrawalExtensions { party.withdrawalExtensions = nil }
            if mine.withdrawalFollows != other.withdrawalFollows { party.withdrawalFollows = nil }
            if mine.excludedBy != other.excludedBy { party.excludedBy = nil }
            if mine.performanceSuspension != other.performanceSuspension {
                party.performanceSuspension = nil
                undetermined.append(Undetermined(field: "\(field).performanceSuspension", reason: "Depends on the day of \(described)."))
            }
            status.parties[index] = party
        }
        // Every flag either reading raises holds in that reading; each is kept once.
        var flags = early.flags
        for flag in late.flags where !flags.contains(where: { $0.code == flag.code && $0.party == flag.party && $0.eventId == flag.eventId }) {
            flags.append(flag)
        }
        status.flags = flags
        for entry in late.undetermined where !undetermined.contains(entry) { undetermined.append(entry) }
        status.undetermined = undetermined
        status.ranges = ranges
        if tracing {
            trace.append(
                TraceStep(
                    subject: "datePrecision",
                    rule: nil,
                    article: nil,
                    eventId: imprecise.first?.id,
                    convention:
                        "an event dated only to a month or a year happened on a day within it that the record does not give: the agreement is read with it on the period's first day and on its last, and only what both readings say is reported",
                    inputs: ["events": ids.joined(separator: ","), "firstDays": firstDays, "lastDays": lastDays],
                    result: status.state.rawValue,
                    explanation:
                        "The record dates \(described). The steps below read \(imprecise.count == 1 ? "it" : "them") on the first day of the period; "
                        + (ranges.isEmpty && status.state != .undetermined
                            ? "reading the last day changes nothing reported."
                            : "reading the last day gives "
                                + (ranges.map { "\($0.field) \($0.earliest)…\($0.latest)" }
                                + (status.state == .undetermined ? ["state \(late.state.rawValue)"] : []))
                                .joined(separator: "; ") + ": those are reported as ranges, and a state that differs as undetermined.")
                )
            )
            trace += early.trace
            for range in ranges {
                trace.append(
                    TraceStep(
                        subject: range.field,
                        rule: nil,
                        article: nil,
                        eventId: imprecise.first?.id,
                        convention: "a date derived from an imprecisely dated event is reported as the range of its two readings, never as a day",
                        inputs: ["earliest": "\(range.earliest)", "latest": "\(range.latest)"],
                        result: "\(range.earliest)…\(range.latest)",
                        explanation: range.reason
                    )
                )
            }
            if status.state == .undetermined {
                trace.append(
                    TraceStep(
                        subject: "state",
                        rule: nil,
                        article: nil,
                        eventId: imprecise.first?.id,
                        convention: nil,
                        inputs: ["asOf": "\(status.asOf)", "early": early.state.rawValue, "late": late.state.rawValue],
                        result: AgreementStatus.State.undetermined.rawValue,
                        explanation:
                            "On \(status.asOf) the agreement is \(early.state.rawValue) in one reading and \(late.state.rawValue) in the other: undetermined."
                    )
                )
            }
        }
        status.trace = trace
        return status
    }
}
