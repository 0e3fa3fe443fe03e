/// What a notice (of termination, non-renewal or withdrawal) does, once its suspensions and revocation are followed.
enum NoticeOutcome: Equatable {
    /// The last day the agreement (or the party) is bound.
    case lastDay(CalendarDate)
    /// It will take effect, but the date cannot be fixed yet; the reason is in `undetermined`.
    case undetermined
    /// Revoked, suspended, late for a lock-in, or without a clause that gives it effect.
    case noEffect

    var lastDay: CalendarDate? {
        if case .lastDay(let date) = self { return date }
        return nil
    }
}

extension Evaluation {
    // MARK: Termination notices (stop the next renewal)

    func deadline(for term: Int, in schedule: TermSchedule) -> CalendarDate? {
        rules.termination?.noticeDeadline(forTerm: term, in: schedule)
    }

    mutating func explainDeadline(_ deadline: CalendarDate, term: Int, schedule: TermSchedule, subject: String) {
        guard recorder != nil, let rule = rules.termination else { return }
        let anchorName: String
        let anchor: CalendarDate?
        switch rule.counting {
        case .beforeLastDayInForce:
            anchorName = "lastDayInForce"
            anchor = schedule.lastDay(term)
        case .beforeExpiryDate:
            anchorName = "expiryDate"
            anchor = schedule.boundary(after: term)
        }
        let anchorText = anchor.map { "\($0)" } ?? ""
        step(
            subject,
            rule: "termination",
            article: rule.article,
            convention: conventionText(rule.counting),
            result: "\(deadline)",
            inputs: [anchorName: anchorText, "notice": "\(rule.notice)", "term": "\(term)"],
            explanation:
                "To stop the renewal after term \(term), notice must be given by \(deadline) (\(deadline.weekdayName)): \(anchorText) − \(rule.notice)."
        )
    }

    func conventionText(_ counting: TerminationRule.DeadlineCounting) -> String {
        switch counting {
        case .beforeLastDayInForce: return "beforeLastDayInForce: deadline = the term's last day in force − notice period"
        case .beforeExpiryDate: return "beforeExpiryDate: deadline = the expiry date (first day no longer in force) − notice period"
        }
    }

    /// Works out each notice of termination or non-renewal and returns the earliest last day in force one of them
    /// fixes, with that notice.
    mutating func noticeEffects(_ schedule: TermSchedule) -> (lastDay: CalendarDate, notice: Event)? {
        guard let rule = rules.termination, !schedule.isIndefinite else { return nil }
        var earliest: (lastDay: CalendarDate, notice: Event)?
        for notice in events where notice.type.stopsRenewal {
            guard let counted = countedDate(of: notice, noticeDate: rule.noticeDate, article: rule.article) else { continue }
            let outcome = follow(
                notice,
                countedOn: counted,
                rule: "termination",
                article: rule.article,
                clock: rule.suspendedNotice ?? .restarts
            ) { evaluation, counted, how in
                evaluation.terminationEffect(of: notice, countedOn: counted, how: how, rule: rule, schedule: schedule)
            }
            if let lastDay = outcome.lastDay, earliest.map({ lastDay < $0.lastDay }) ?? true {
                earliest = (lastDay, notice)
            }
        }
        return earliest
    }

    private mutating func terminationEffect(
        of notice: Event,
        countedOn counted: CalendarDate,
        how: NoticeCount,
        rule: TerminationRule,
        schedule: TermSchedule
    ) -> NoticeOutcome {
        let term = schedule.index(containing: counted) ?? 1
        guard let termDeadline = deadline(for: term, in: schedule) else { return .noEffect }
        let inTime = counted <= termDeadline
        let endingTerm = inTime ? term : min(term + 1, schedule.maxTerms ?? term + 1)
        guard let lastDay = schedule.lastDay(endingTerm) else { return .noEffect }
        step(
            "notice",
            rule: "termination",
            article: rule.article,
            eventId: notice.id,
            convention: "\(rule.noticeDate.rawValue) date counts; \(conventionText(rule.counting))",
            result: "\(lastDay)",
            inputs: [
                "counted": "\(counted)", "deadline": "\(termDeadline)", "term": "\(term)", "party": notice.party ?? "",
            ],
            explanation: (how.explanation(counted)
                ?? "\(notice.type == .noticeOfNonRenewal ? "Notice of non-renewal" : "Notice of termination") \(notice.id) by \(notice.party ?? "a party") counts from its \(rule.noticeDate.rawValue) on \(counted). ")
                + "Term \(term)'s deadline is \(termDeadline); the notice is \(inTime ? "in time" : "late")"
                + ", so the agreement ends after term \(endingTerm): last day in force \(lastDay)."
        )
        if !inTime {
            flags.append(
                StatusFlag(
                    code: .lateNotice,
                    party: notice.party,
                    since: counted,
                    eventId: notice.id,
                    message: "Notice counted on \(counted) came after term \(term)'s deadline \(termDeadline); it ends term \(endingTerm) instead."
                )
            )
        }
        return .lastDay(lastDay)
    }

    // MARK: Shared notice lifecycle

    /// The date a notice counts from under the rule, or `nil` (undetermined) when receipt counts and is unknown.
    mutating func countedDate(of notice: Event, noticeDate: TerminationRule.NoticeDate, article: String?) -> CalendarDate? {
        switch noticeDate {
        case .dispatch:
            return notice.date
        case .receipt:
            guard let received = notice.received else {
                undetermined.append(
                    Undetermined(
                        field: notice.type == .noticeOfWithdrawal ? "parties.\(notice.party ?? "")" : "lastDayInForce",
                        reason: "Notice \(notice.id) has no recorded date of receipt, and \(article ?? "the rule") counts from receipt."
                    )
                )
                return nil
            }
            return received
        }
    }

    /// Follows a notice through its suspensions, resumptions and revocation. `effect` computes the last day
    /// bound for a notice counted on a given day (the second argument says whether it was resumed). A notice
    /// suspended on or before that day does not take effect; if it is resumed later it counts as given again
    /// on the day it is resumed. A revocation before the effect cancels it.
    mutating func follow(
        _ notice: Event,
        countedOn firstCounted: CalendarDate,
        rule: String,
        article: String?,
        clock: SuspendedNoticeClock = .restarts,
        effect: (inout Evaluation, CalendarDate, NoticeCount) -> NoticeOutcome
    ) -> NoticeOutcome {
        if clock == .pauses {
            return followPausing(notice, countedOn: firstCounted, rule: rule, article: article, effect: effect)
        }
        let actions = referring[notice.id, default: []].filter { $0.date >= notice.date }
        var counted = firstCounted
        var resumed = false
        while true {
            let outcome = effect(&self, counted, resumed ? .resumed : .given)
            guard case .lastDay(let lastDay) = outcome else {
                if outcome == .undetermined, let revocation = actions.first(where: { $0.type == .noticeRevoked }) {
                    explainRevocation(revocation, rule: rule, article: article, before: nil)
                    return .noEffect
                }
                return outcome
            }
            let before = actions.filter { $0.date <= lastDay }
            let revocation = actions.first { $0.type == .noticeRevoked }
            if let revocation, revocation.date <= lastDay {
                explainRevocation(revocation, rule: rule, article: article, before: lastDay)
                return .noEffect
            }
            guard isSuspended(at: lastDay, actions: before) else {
                flagActsAfterEffect(of: notice, actions: actions, lastDay: lastDay, rule: rule, article: article)
                recordPeriod(of: notice, rule: rule, clock: clock, countedFrom: counted, lastDay: lastDay)
                return .lastDay(lastDay)
            }
            let suspension = before.last { $0.type == .noticeSuspended }!
            step(
                "notice",
                rule: rule,
                article: article,
                eventId: suspension.id,
                result: nil,
                inputs: ["suspended": "\(suspension.date)"],
                explanation:
                    "On \(suspension.date), on or before the last day it would have fixed (\(lastDay)), \(suspension.party ?? "the notifying party") suspended the notice: it did not take effect."
            )
            // Strictly after both dates, so each round moves forward and the loop ends.
            let resumption = actions.first { $0.type == .noticeResumed && $0.date > lastDay && $0.date > counted }
            if let revocation, resumption.map({ revocation.date < $0.date }) ?? true {
                explainRevocation(revocation, rule: rule, article: article, before: nil, whileSuspended: true)
                return .noEffect
            }
            guard let resumption else {
                flagSuspended(notice, since: suspension)
                noticePeriods[notice.id] = NoticePeriod(
                    eventId: notice.id,
                    party: notice.party,
                    rule: rule,
                    clock: .restarts,
                    countedFrom: counted,
                    takesEffect: nil,
                    elapsedDays: 0,
                    remainingDays: nil,
                    pausedDays: 0,
                    suspended: true
                )
                return .noEffect
            }
            counted = resumption.date
            resumed = true
        }
    }

    private func isSuspended(at date: CalendarDate, actions: [Event]) -> Bool {
        actions.last { ($0.type == .noticeSuspended || $0.type == .noticeResumed) && $0.date <= date }?.type
            == .noticeSuspended
    }
}

extension TerminationRule {
    /// The last day on which a notice stops the renewal after term `term`: the rule's anchor for that term minus
    /// the notice period. A function of the term alone, so a lifecycle can place it in any year without a walk.
    func noticeDeadline(forTerm term: Int, in schedule: TermSchedule) -> CalendarDate? {
        let anchor: CalendarDate?
        switch counting {
        case .beforeLastDayInForce: anchor = schedule.lastDay(term)
        case .beforeExpiryDate: anchor = schedule.boundary(after: term)
        }
        return anchor.flatMap { try? $0.plus(notice.negated) }
    }
}

extension EventType {
    /// A notice against the next renewal, counted under the termination rule: of termination or of non-renewal.
    var stopsRenewal: Bool { self == .noticeOfTermination || self == .noticeOfNonRenewal }
}
