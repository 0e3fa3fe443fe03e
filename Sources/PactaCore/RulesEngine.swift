/// Computes an agreement's status on a given day from its rules and the events recorded up to that day.
///
/// A pure function: no clock, no I/O. Events dated after `asOf` are ignored, so the answer is what the
/// record supported on that day (and, for later days, a projection from the rules).
public enum RulesEngine {
    /// Changes whenever the engine's results for the same input may change; part of status ETags.
    public static let version = "1"

    public static func evaluate(_ agreement: Agreement, asOf: CalendarDate) -> AgreementStatus {
        var evaluation = Evaluation(agreement: agreement, asOf: asOf)
        return evaluation.run()
    }
}

private struct Evaluation {
    let agreement: Agreement
    let asOf: CalendarDate
    let rules: Rules
    /// Events on or before `asOf` that no later correction supersedes, in date order (stable).
    let events: [Event]

    var trace: [TraceStep] = []
    var flags: [StatusFlag] = []
    var undetermined: [Undetermined] = []

    init(agreement: Agreement, asOf: CalendarDate) {
        self.agreement = agreement
        self.asOf = asOf
        self.rules = agreement.rules
        let known = agreement.events.filter { $0.date <= asOf }
        let superseded = Set(known.compactMap(\.supersedes))
        self.events = known.enumerated()
            .filter { !superseded.contains($0.element.id) }
            .sorted { ($0.element.date, $0.offset) < ($1.element.date, $1.offset) }
            .map(\.element)
    }

    mutating func run() -> AgreementStatus {
        var status = AgreementStatus(
            agreementId: agreement.id, asOf: asOf, state: .notYetInForce, entryIntoForce: nil, currentTerm: nil,
            noticeDeadline: nil, nextRenewal: nil, lastDayInForce: nil, parties: [], flags: [], undetermined: [],
            trace: [])
        let entry = entryIntoForce()
        status.entryIntoForce = entry
        if let entry, entry <= asOf {
            evaluateInForce(entry: entry, into: &status)
        } else {
            step(
                "state", result: AgreementStatus.State.notYetInForce.rawValue,
                inputs: ["asOf": "\(asOf)"] .merging(entry.map { ["entryIntoForce": "\($0)"] } ?? [:]) { a, _ in a },
                explanation: entry.map { "\(asOf) is before the entry into force on \($0): not yet in force." }
                    ?? "No entry into force is recorded on or before \(asOf): not yet in force.")
        }
        status.parties = agreement.parties.map { party in
            PartyStatus(party: party.code, status: partyStatus(for: status.state))
        }
        status.flags = flags
        status.undetermined = undetermined
        status.trace = trace
        return status
    }

    private func partyStatus(for state: AgreementStatus.State) -> PartyStatus.Status {
        switch state {
        case .notYetInForce: return .signatory
        case .inForce, .terminationPending: return .party
        case .terminated, .expired: return .notParty
        }
    }

    // MARK: Entry into force

    private mutating func entryIntoForce() -> CalendarDate? {
        let rule = rules.entryIntoForce
        let recorded = events.first { $0.type == .entryIntoForce }
        switch rule.kind {
        case .onDate:
            guard let date = rule.date else { return nil }
            step(
                "entryIntoForce", rule: "entryIntoForce", article: rule.article, result: "\(date)",
                inputs: ["date": "\(date)"], explanation: "The text fixes the entry into force on \(date).")
            if let recorded, recorded.date != date {
                flags.append(
                    StatusFlag(
                        code: .recordedDateDiffers, party: nil, since: recorded.date, eventId: recorded.id,
                        message: "The record gives entry into force on \(recorded.date); the rule gives \(date)."))
            }
            return date
        case .onEvent:
            guard let recorded else {
                undetermined.append(
                    Undetermined(
                        field: "entryIntoForce",
                        reason: "The rule takes the date of the recorded entry into force, and none is recorded on or before \(asOf)."))
                return nil
            }
            step(
                "entryIntoForce", rule: "entryIntoForce", article: rule.article, eventId: recorded.id,
                result: "\(recorded.date)", inputs: ["event": recorded.id],
                explanation: "Entered into force on \(recorded.date), as recorded by event \(recorded.id).")
            return recorded.date
        case .onSignature:
            guard let signature = events.first(where: { $0.type == .signature }) else {
                undetermined.append(
                    Undetermined(
                        field: "entryIntoForce",
                        reason: "The rule takes the date of signature, and no signature is recorded on or before \(asOf)."))
                return nil
            }
            step(
                "entryIntoForce", rule: "entryIntoForce", article: rule.article, eventId: signature.id,
                result: "\(signature.date)", inputs: ["signature": "\(signature.date)"],
                explanation: "Enters into force on signature: \(signature.date).")
            return signature.date
        }
    }

    // MARK: In force

    private mutating func evaluateInForce(entry: CalendarDate, into status: inout AgreementStatus) {
        let schedule = TermSchedule(entry: entry, rules: rules)
        describeTerms(schedule)
        let noticeEnd = noticeEffects(schedule)
        let naturalEnd: (term: Int, lastDay: CalendarDate)? = schedule.maxTerms.flatMap { maxTerms in
            schedule.lastDay(maxTerms).map { (maxTerms, $0) }
        }

        let end: (lastDay: CalendarDate, byNotice: Bool)?
        switch (noticeEnd, naturalEnd) {
        case let (notice?, natural?): end = notice.lastDay <= natural.lastDay ? (notice.lastDay, true) : (natural.lastDay, false)
        case let (notice?, nil): end = (notice.lastDay, true)
        case let (nil, natural?): end = (natural.lastDay, false)
        case (nil, nil): end = nil
        }

        if let end, asOf > end.lastDay {
            status.state = end.byNotice ? .terminated : .expired
            status.lastDayInForce = end.lastDay
            step(
                "state", result: status.state.rawValue,
                inputs: ["asOf": "\(asOf)", "lastDayInForce": "\(end.lastDay)"],
                explanation: end.byNotice
                    ? "\(asOf) is after the last day in force, \(end.lastDay), fixed by notice: terminated."
                    : "\(asOf) is after the last day of the last term, \(end.lastDay), with no renewal left: expired.")
            return
        }

        guard let index = schedule.index(containing: asOf) else { return }
        let term = Term(index: index, start: schedule.start(index) ?? entry, lastDay: schedule.lastDay(index))
        status.currentTerm = term
        if !schedule.isIndefinite, term.lastDay == nil {
            undetermined.append(
                Undetermined(
                    field: "currentTerm.lastDay",
                    reason: "Term \(index) ends after 9999-12-31, the last date Pacta represents."))
        }
        step(
            "currentTerm", rule: index == 1 ? "term" : "renewal",
            article: index == 1 ? rules.term.article : rules.renewal?.article, result: "\(index)",
            inputs: ["asOf": "\(asOf)", "start": "\(term.start)"].merging(term.lastDay.map { ["lastDay": "\($0)"] } ?? [:]) { a, _ in a },
            explanation: term.lastDay.map { "\(asOf) falls in term \(index), from \(term.start) through \($0)." }
                ?? "\(asOf) falls in the indefinite term that began on \(term.start).")

        if let end, end.byNotice {
            status.state = .terminationPending
            status.lastDayInForce = end.lastDay
            step(
                "state", result: status.state.rawValue, inputs: ["lastDayInForce": "\(end.lastDay)"],
                explanation: "A notice has fixed the last day in force on \(end.lastDay): termination pending.")
            return
        }
        status.state = .inForce
        if let end {
            status.lastDayInForce = end.lastDay
            step(
                "lastDayInForce", rule: "renewal", article: rules.renewal?.article ?? rules.term.article,
                result: "\(end.lastDay)", inputs: ["lastTerm": "\(index)"],
                explanation: "No renewal follows term \(schedule.maxTerms ?? index): the agreement expires after \(end.lastDay).")
        }
        let renewable = { (term: Int) -> Bool in schedule.renewal != nil && (schedule.maxTerms.map { term < $0 } ?? true) }
        if renewable(index), let next = schedule.start(index + 1) {
            status.nextRenewal = next
            step(
                "nextRenewal", rule: "renewal", article: rules.renewal?.article, result: "\(next)",
                inputs: ["lastDay": term.lastDay.map { "\($0)" } ?? "", "period": "\(schedule.renewal!)"],
                explanation: "Unless a notice stops it, term \(index + 1) starts on \(next), the day after \(term.lastDay.map { "\($0)" } ?? "").")
        }
        if rules.termination != nil {
            for candidate in [index, index + 1] where renewable(candidate) {
                if let deadline = deadline(for: candidate, in: schedule), deadline >= asOf {
                    status.noticeDeadline = deadline
                    explainDeadline(deadline, term: candidate, schedule: schedule, subject: "noticeDeadline")
                    break
                }
            }
        }
        step("state", result: status.state.rawValue, inputs: ["asOf": "\(asOf)"], explanation: "In force on \(asOf).")
    }

    private mutating func describeTerms(_ schedule: TermSchedule) {
        guard let initial = schedule.initial else {
            step(
                "term", rule: "term", article: rules.term.article, result: "indefinite", inputs: [:],
                explanation: "The agreement is in force for an indefinite period.")
            return
        }
        let lastDay = schedule.lastDay(1)
        step(
            "initialTerm", rule: "term", article: rules.term.article,
            convention: "a term of length P starting on S covers S through S + P − 1 day",
            result: lastDay.map { "\($0)" },
            inputs: ["start": "\(schedule.entry)", "length": "\(initial)"],
            explanation: "Term 1 runs \(initial) from \(schedule.entry): its last day in force is \(lastDay.map { "\($0)" } ?? "beyond 9999-12-31")."
                + (schedule.boundaryWasClamped(after: 1) ? " The day was clamped to the end of a shorter month." : ""))
        if let renewal = schedule.renewal {
            let limit = rules.renewal?.maxRenewals.map { "at most \($0) times" } ?? "without limit"
            step(
                "renewal", rule: "renewal", article: rules.renewal?.article,
                convention: "term k ≥ 2 starts on entry into force + initial term + (k − 2) × renewal period, each boundary computed from the entry into force in one addition",
                result: "\(renewal)", inputs: ["period": "\(renewal)"],
                explanation: "The agreement renews automatically for \(renewal) at a time, \(limit).")
        }
    }

    // MARK: Notices

    private func deadline(for term: Int, in schedule: TermSchedule) -> CalendarDate? {
        guard let rule = rules.termination else { return nil }
        let anchor: CalendarDate?
        switch rule.counting {
        case .beforeLastDayInForce: anchor = schedule.lastDay(term)
        case .beforeExpiryDate: anchor = schedule.boundary(after: term)
        }
        return anchor.flatMap { try? $0.plus(rule.notice.negated) }
    }

    private mutating func explainDeadline(_ deadline: CalendarDate, term: Int, schedule: TermSchedule, subject: String) {
        guard let rule = rules.termination else { return }
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
            subject, rule: "termination", article: rule.article, convention: conventionText(rule.counting),
            result: "\(deadline)", inputs: [anchorName: anchorText, "notice": "\(rule.notice)", "term": "\(term)"],
            explanation: "To stop the renewal after term \(term), notice must be given by \(deadline) (\(deadline.weekdayName)): \(anchorText) − \(rule.notice).")
    }

    private func conventionText(_ counting: TerminationRule.DeadlineCounting) -> String {
        switch counting {
        case .beforeLastDayInForce: return "beforeLastDayInForce: deadline = the term's last day in force − notice period"
        case .beforeExpiryDate: return "beforeExpiryDate: deadline = the expiry date (first day no longer in force) − notice period"
        }
    }

    /// Works out each notice of termination and returns the earliest last day in force one of them fixes.
    private mutating func noticeEffects(_ schedule: TermSchedule) -> (lastDay: CalendarDate, notice: String)? {
        guard let rule = rules.termination, !schedule.isIndefinite else { return nil }
        var earliest: (lastDay: CalendarDate, notice: String)?
        for notice in events where notice.type == .noticeOfTermination {
            guard let counted = countedDate(of: notice, rule: rule) else { continue }
            if let lastDay = effect(of: notice, countedOn: counted, rule: rule, schedule: schedule),
                earliest.map({ lastDay < $0.lastDay }) ?? true
            {
                earliest = (lastDay, notice.id)
            }
        }
        return earliest
    }

    private mutating func countedDate(of notice: Event, rule: TerminationRule) -> CalendarDate? {
        switch rule.noticeDate {
        case .dispatch:
            return notice.date
        case .receipt:
            guard let received = notice.received else {
                undetermined.append(
                    Undetermined(
                        field: "lastDayInForce",
                        reason: "Notice \(notice.id) has no recorded date of receipt, and \(rule.article ?? "the termination rule") counts from receipt."))
                return nil
            }
            return received
        }
    }

    /// The last day in force that `notice` fixes, following its suspensions, resumptions and revocation.
    private mutating func effect(
        of notice: Event, countedOn firstCounted: CalendarDate, rule: TerminationRule, schedule: TermSchedule
    ) -> CalendarDate? {
        let actions = events.filter { $0.refersTo == notice.id && $0.date >= notice.date }
        var counted = firstCounted
        var resumed = false
        while true {
            let term = schedule.index(containing: counted) ?? 1
            guard let termDeadline = deadline(for: term, in: schedule) else { return nil }
            let inTime = counted <= termDeadline
            let endingTerm = inTime ? term : min(term + 1, schedule.maxTerms ?? term + 1)
            guard let lastDay = schedule.lastDay(endingTerm) else { return nil }
            step(
                "notice", rule: "termination", article: rule.article, eventId: notice.id,
                convention: "\(rule.noticeDate.rawValue) date counts; \(conventionText(rule.counting))",
                result: "\(lastDay)",
                inputs: [
                    "counted": "\(counted)", "deadline": "\(termDeadline)", "term": "\(term)",
                    "party": notice.party ?? "",
                ],
                explanation: (resumed
                    ? "The notice resumed on \(counted) counts as given again that day. "
                    : "Notice \(notice.id) by \(notice.party ?? "a party") counts from its \(rule.noticeDate.rawValue) on \(counted). ")
                    + "Term \(term)'s deadline is \(termDeadline); the notice is \(inTime ? "in time" : "late")"
                    + ", so the agreement ends after term \(endingTerm): last day in force \(lastDay).")
            if !inTime {
                flags.append(
                    StatusFlag(
                        code: .lateNotice, party: notice.party, since: counted, eventId: notice.id,
                        message: "Notice counted on \(counted) came after term \(term)'s deadline \(termDeadline); it ends term \(endingTerm) instead."))
            }
            let before = actions.filter { $0.date <= lastDay }
            let revocation = actions.first { $0.type == .noticeRevoked }
            if let revocation, revocation.date <= lastDay {
                step(
                    "notice", rule: "termination", article: rule.article, eventId: revocation.id, result: nil,
                    inputs: ["revoked": "\(revocation.date)"],
                    explanation: "On \(revocation.date) the notice was revoked before it took effect: it has no effect.")
                return nil
            }
            guard isSuspended(at: lastDay, actions: before) else { return lastDay }
            let suspension = before.last { $0.type == .noticeSuspended }!
            step(
                "notice", rule: "termination", article: rule.article, eventId: suspension.id, result: nil,
                inputs: ["suspended": "\(suspension.date)"],
                explanation: "On \(suspension.date), on or before the last day in force it had fixed (\(lastDay)), \(suspension.party ?? "the notifying party") suspended the notice: the agreement did not end and renews as before.")
            let resumption = actions.first { $0.type == .noticeResumed && $0.date > lastDay }
            if let revocation, resumption.map({ revocation.date < $0.date }) ?? true {
                step(
                    "notice", rule: "termination", article: rule.article, eventId: revocation.id, result: nil,
                    inputs: ["revoked": "\(revocation.date)"],
                    explanation: "On \(revocation.date) the suspended notice was revoked: it has no effect.")
                return nil
            }
            guard let resumption else {
                flags.append(
                    StatusFlag(
                        code: .noticeSuspended, party: suspension.party ?? notice.party, since: suspension.date,
                        eventId: notice.id,
                        message: "\(notice.party ?? "A party")'s notice \(notice.id) has been suspended since \(suspension.date); it may be resumed."))
                return nil
            }
            counted = resumption.date
            resumed = true
        }
    }

    private func isSuspended(at date: CalendarDate, actions: [Event]) -> Bool {
        actions.last { ($0.type == .noticeSuspended || $0.type == .noticeResumed) && $0.date <= date }?.type
            == .noticeSuspended
    }

    // MARK: Trace

    private mutating func step(
        _ subject: String, rule: String? = nil, article: String? = nil, eventId: String? = nil,
        convention: String? = nil, result: String?, inputs: [String: String], explanation: String
    ) {
        trace.append(
            TraceStep(
                subject: subject, rule: rule, article: article, eventId: eventId, convention: convention,
                inputs: inputs, result: result, explanation: explanation))
    }
}
