/// Computes an agreement's status on a given day from its rules and the events recorded up to that day.
///
/// A pure function: no clock, no I/O. Events dated after `asOf` are ignored, so the answer is what the
/// record supported on that day (and, for later days, a projection from the rules).
public enum RulesEngine {
    /// Changes whenever the engine's results for the same input may change; part of status ETags.
    public static let version = "12"

    public static func evaluate(_ agreement: Agreement, asOf: CalendarDate) -> AgreementStatus {
        evaluate(agreement, asOf: asOf, trace: true)
    }

    /// The same status; with `trace: false` the `trace` is left empty and its sentences are never built,
    /// which is several times faster. Every other field is identical.
    public static func evaluate(_ agreement: Agreement, asOf: CalendarDate, trace: Bool) -> AgreementStatus {
        if let bracketed = bracketed(agreement, asOf: asOf, trace: trace) { return bracketed }
        var evaluation = Evaluation(agreement: agreement, asOf: asOf, tracing: trace)
        return evaluation.run()
    }

    /// Only the agreement's state on `asOf` (what list filters need), without building the trace.
    public static func state(of agreement: Agreement, asOf: CalendarDate) -> AgreementStatus.State {
        evaluate(agreement, asOf: asOf, trace: false).state
    }
}

/// What ends (or ended) an agreement's time in force, as the engine compares candidates; reported as `EndCause`.
enum EndTrigger: Equatable {
    case notice(String)
    case nonRenewal(String)
    case naturalExpiry
    case withdrawal(party: String)
    case consent(String)
    case supersession(String)

    var isExpiry: Bool { self == .naturalExpiry }
}

struct Evaluation {
    let agreement: Agreement
    let asOf: CalendarDate
    let rules: Rules
    /// Events on or before `asOf` that no later correction supersedes, in date order (stable).
    let events: [Event]
    /// The events of `events` that refer to another one (suspensions, resumptions, revocations of a notice), by
    /// the id they refer to, in the same order: following a notice looks up its own, never scans every event
    /// (which made an agreement of thousands of notices quadratic).
    let referring: [String: [Event]]

    /// Collects the trace; `nil` when not tracing. A reference, so `step` need not mutate `self` and its
    /// autoclosure arguments may read `self` (exclusivity).
    let recorder: TraceRecorder?
    var flags: [StatusFlag] = []
    var undetermined: [Undetermined] = []
    /// Extensions of a withdrawal's negotiation period and withdrawal agreements that took effect, by event id.
    var negotiationApplied: Set<String> = []
    /// Why one of them had no effect, when the withdrawal it concerns says so.
    var negotiationNoEffect: [String: String] = [:]
    /// How many extensions each notice of withdrawal's period received.
    var extensionsByNotice: [String: Int] = [:]
    /// The periods of notices not yet in effect on `asOf`, by notice id (a notice may be followed more than once).
    var noticePeriods: [String: NoticePeriod] = [:]
    /// Where each notice of withdrawal held back by a condition precedent stands, by notice id.
    var withdrawalConditions: [String: WithdrawalConditionStatus] = [:]

    /// When `tracing` is false, `step` records nothing and its arguments (autoclosures) are never evaluated.
    init(agreement: Agreement, asOf: CalendarDate, tracing: Bool = true) {
        self.recorder = tracing ? TraceRecorder() : nil
        self.agreement = agreement
        self.asOf = asOf
        self.rules = agreement.rules
        // Usual case: every event is known on `asOf`, none is a correction, and they were recorded in date
        // order; then the filtered, stably sorted list is the recorded one, shared without copying.
        var simple = true
        var previous = CalendarDate.minimum
        for event in agreement.events {
            if event.date > asOf || event.supersedes != nil || event.date < previous {
                simple = false
                break
            }
            previous = event.date
        }
        if simple {
            self.events = agreement.events
        } else {
            // Sort positions, not the (large) events, then copy each kept event once.
            let all = agreement.events
            var superseded: Set<String> = []
            for event in all where event.date <= asOf { if let target = event.supersedes { superseded.insert(target) } }
            var order = all.indices.filter { all[$0].date <= asOf && (superseded.isEmpty || !superseded.contains(all[$0].id)) }
            let days = all.map(\.date.dayNumber)
            order.sort { (days[$0], $0) < (days[$1], $1) }
            self.events = order.map { all[$0] }
        }
        var referring: [String: [Event]] = [:]
        for event in events { if let target = event.refersTo { referring[target, default: []].append(event) } }
        self.referring = referring
    }

    var isBilateral: Bool { agreement.kind == .bilateral }

    mutating func run() -> AgreementStatus {
        var status = AgreementStatus(
            agreementId: agreement.id,
            asOf: asOf,
            state: .notYetInForce,
            entryIntoForce: nil,
            currentTerm: nil,
            noticeDeadline: nil,
            nextRenewal: nil,
            lastDayInForce: nil,
            parties: [],
            flags: [],
            undetermined: [],
            trace: []
        )
        let entry = entryIntoForce()
        status.entryIntoForce = entry
        var memberships = partyMemberships(generalEntry: entry)
        linkedWithdrawals(&memberships)
        recordedEndsWithoutCause(memberships)
        if let entry, entry <= asOf {
            evaluateInForce(entry: entry, memberships: memberships, into: &status)
        } else {
            step(
                "state",
                result: AgreementStatus.State.notYetInForce.rawValue,
                inputs: ["asOf": "\(asOf)"].merging(entry.map { ["entryIntoForce": "\($0)"] } ?? [:]) { a, _ in a },
                explanation: entry.map { "\(asOf) is before the entry into force on \($0): not yet in force." }
                    ?? "No entry into force can be established on or before \(asOf): not yet in force."
            )
        }
        status.parties = partyStatuses(memberships, agreementState: status.state, lastDayInForce: status.lastDayInForce)
        withdrawalWindows(&status.parties, memberships: memberships, generalEntry: entry, agreementState: status.state)
        reviewStatus(entry: entry, into: &status)
        unclausedNoticeFlags()
        extensionFlags(entry: entry)
        resumptionFlags()
        negotiationFlags()
        performanceSuspensions(&status.parties)
        withdrawalConditionReport(&status.parties, memberships: memberships)
        status.obligationsSurviveThrough = agreementSurvival(status)
        status.notices = noticePeriods.values.sorted { ($0.countedFrom, $0.eventId) < ($1.countedFrom, $1.eventId) }
        status.flags = flags
        status.undetermined = undetermined
        status.trace = recorder?.steps ?? []
        return status
    }

    // MARK: Entry into force

    private mutating func entryIntoForce() -> CalendarDate? {
        let rule = rules.entryIntoForce
        let recorded = events.first { $0.type == .entryIntoForce }
        let computed: CalendarDate?
        switch rule.kind {
        case .onDate:
            guard let date = rule.date else { return nil }
            step(
                "entryIntoForce",
                rule: "entryIntoForce",
                article: rule.article,
                result: "\(date)",
                inputs: ["date": "\(date)"],
                explanation: "The text fixes the entry into force on \(date)."
            )
            computed = date
        case .onEvent:
            guard let recorded else {
                undetermined.append(
                    Undetermined(
                        field: "entryIntoForce",
                        reason: "The rule takes the date of the recorded entry into force, and none is recorded on or before \(asOf)."
                    )
                )
                return nil
            }
            step(
                "entryIntoForce",
                rule: "entryIntoForce",
                article: rule.article,
                eventId: recorded.id,
                result: "\(recorded.date)",
                inputs: ["event": recorded.id],
                explanation: "Entered into force on \(recorded.date), as recorded by event \(recorded.id)."
            )
            return recorded.date
        case .onSignature:
            guard
                let signature = events.first(where: { $0.type == .signature && $0.party == nil })
                    ?? events.first(where: { $0.type == .signature })
            else {
                undetermined.append(
                    Undetermined(
                        field: "entryIntoForce",
                        reason: "The rule takes the date of signature, and no signature is recorded on or before \(asOf)."
                    )
                )
                return nil
            }
            step(
                "entryIntoForce",
                rule: "entryIntoForce",
                article: rule.article,
                eventId: signature.id,
                result: "\(signature.date)",
                inputs: ["signature": "\(signature.date)"],
                explanation: "Enters into force on signature: \(signature.date)."
            )
            computed = signature.date
        case .afterConsents:
            computed = entryAfterConsents(rule)
        }
        if let computed, let recorded, recorded.date != computed {
            flags.append(
                StatusFlag(
                    code: .recordedDateDiffers,
                    party: nil,
                    since: recorded.date,
                    eventId: recorded.id,
                    message: "The record gives entry into force on \(recorded.date); the rules give \(computed)."
                )
            )
        }
        return computed
    }

    private mutating func entryAfterConsents(_ rule: EntryIntoForceRule) -> CalendarDate? {
        let required = rule.consentsRequired ?? agreement.parties.count
        // Each party's first consent, in date order (`events` is sorted by date; ties keep recording order).
        var consented: Set<String> = []
        var ordered: [Event] = []
        for event in events where event.type == .consent {
            if let party = event.party, consented.insert(party).inserted { ordered.append(event) }
        }
        let trigger: Event
        let how: String
        if ordered.count >= required {
            trigger = ordered[required - 1]
            how = "the \(ordinal(required)) consent to be bound (\(trigger.party ?? "?")) was given on \(trigger.date)"
        } else if let met = events.first(where: { $0.type == .conditionsMet }) {
            trigger = met
            how = "the depositary recorded the conditions as met on \(met.date)"
        } else {
            undetermined.append(
                Undetermined(
                    field: "entryIntoForce",
                    reason: "\(required) consents are required; \(ordered.count) are recorded on or before \(asOf), and no conditionsMet event."
                )
            )
            return nil
        }
        guard let date = shifted(trigger.date, by: rule.delay, snap: rule.snap) else { return nil }
        step(
            "entryIntoForce",
            rule: "entryIntoForce",
            article: rule.article,
            eventId: trigger.id,
            convention: conventionText(delay: rule.delay, snap: rule.snap),
            result: "\(date)",
            inputs: [
                "conditionsMet": "\(trigger.date)", "delay": rule.delay.map { "\($0)" } ?? "P0D",
                "consentsRequired": "\(required)",
            ],
            explanation:
                "Enters into force \(rule.delay.map { "\($0) after" } ?? "on the day") \(how)\(rule.snap == nil ? "" : ", moved to the first day of the next month"): \(date)."
        )
        return date
    }

    /// `date + delay`, then snapped; `nil` (and an undetermined entry) past 9999-12-31.
    func shifted(_ date: CalendarDate, by delay: Period?, snap: DateSnap?) -> CalendarDate? {
        var result = date
        do {
            if let delay { result = try result.plus(delay) }
            if let snap { result = try snap.apply(to: result) }
        } catch {
            return nil
        }
        return result
    }

    func conventionText(delay: Period?, snap: DateSnap?) -> String {
        var text = "date + \(delay.map { "\($0)" } ?? "P0D") on the same calendar date (\"the Nth day after\" adds N days)"
        if snap == .firstDayOfNextMonth { text += ", then the first day of the following month" }
        return text
    }

    private func ordinal(_ number: Int) -> String {
        let suffix: String
        switch (number % 10, number % 100) {
        case (1, let tens) where tens != 11: suffix = "st"
        case (2, let tens) where tens != 12: suffix = "nd"
        case (3, let tens) where tens != 13: suffix = "rd"
        default: suffix = "th"
        }
        return "\(number)\(suffix)"
    }

    // MARK: In force

    func schedule(entry: CalendarDate) -> TermSchedule {
        switch rules.term.kind {
        case .indefinite:
            return TermSchedule(entry: entry, initial: nil, continuation: .none, maxTerms: 1)
        case .fixedThenIndefinite:
            return TermSchedule(entry: entry, initial: rules.term.length, continuation: .indefinite, maxTerms: 2)
        case .fixed:
            guard let renewal = rules.renewal else {
                return TermSchedule(entry: entry, initial: rules.term.length, continuation: .none, maxTerms: 1)
            }
            switch renewal.kind {
            case .automatic:
                return TermSchedule(
                    entry: entry,
                    initial: rules.term.length,
                    continuation: renewal.period.map { .renewing($0) } ?? .none,
                    maxTerms: renewal.maxRenewals.map { $0 + 1 }
                )
            case .byAgreement:
                let extensions = agreedExtensions(entry: entry, rule: renewal)
                return TermSchedule(
                    entry: entry,
                    initial: rules.term.length,
                    continuation: .extensions(extensions),
                    maxTerms: extensions.count + 1
                )
            case .byReview:
                let extensions = reviewCycles(entry: entry)?.extensions ?? []
                return TermSchedule(
                    entry: entry,
                    initial: rules.term.length,
                    continuation: .extensions(extensions),
                    maxTerms: extensions.count + 1
                )
            }
        }
    }

    /// The extensions the parties agreed, each in time for the term it extends and within the rule's limits.
    private func agreedExtensions(entry: CalendarDate, rule: RenewalRule) -> [TermExtension] {
        extensionsAgreed(entry: entry, rule: rule).applied
    }

    /// The agreed extensions the rule applies, and those it does not with the reason (for a flag).
    private func extensionsAgreed(entry: CalendarDate, rule: RenewalRule) -> (applied: [TermExtension], skipped: [(Event, String)]) {
        var extensions: [TermExtension] = []
        var skipped: [(Event, String)] = []
        for event in events where event.type == .extensionAgreed {
            if let limit = rule.maxRenewals, extensions.count >= limit {
                skipped.append(
                    (event, "\(rule.article ?? "the renewal rule") allows at most \(limit) extension\(limit == 1 ? "" : "s"), already agreed")
                )
                continue
            }
            let current = TermSchedule(
                entry: entry,
                initial: rules.term.length,
                continuation: .extensions(extensions),
                maxTerms: extensions.count + 1
            )
            guard let lastDay = current.lastDay(extensions.count + 1), event.date <= lastDay else {
                let ended =
                    current.lastDay(extensions.count + 1).map { "term \(extensions.count + 1) had already ended on \($0)" }
                    ?? "the term in force has no last day to extend"
                skipped.append((event, ended))
                continue
            }
            let period = event.indefinite == true ? nil : event.period
            if rule.extensionCounting == .fromDecision {
                // A new term from the decision's day: the term it replaces must have begun before that day.
                guard let start = current.start(extensions.count + 1), event.date > start else {
                    skipped.append(
                        (event, "a new term counted from the decision would start on \(event.date), the day term \(extensions.count + 1) began")
                    )
                    continue
                }
                extensions.append(TermExtension(period: period, start: event.date))
            } else {
                extensions.append(TermExtension(period: period))
            }
        }
        return (extensions, skipped)
    }

    /// Flags each agreed extension the rules do not apply, with the reason.
    private mutating func extensionFlags(entry: CalendarDate?) {
        guard events.contains(where: { $0.type == .extensionAgreed }) else { return }
        let agreed = events.filter { $0.type == .extensionAgreed }
        var skipped: [(Event, String)] = []
        if let renewal = rules.renewal, renewal.kind == .byAgreement, rules.term.kind == .fixed {
            guard let entry, entry <= asOf else { return }
            skipped = extensionsAgreed(entry: entry, rule: renewal).skipped
        } else {
            let renewalText = rules.renewal.map { "renewal is \($0.kind.rawValue)" } ?? "there is no renewal clause"
            skipped = agreed.map { ($0, "the rules provide no extension by agreement (\(renewalText))") }
        }
        for (event, reason) in skipped {
            flags.append(
                StatusFlag(
                    code: .extensionWithoutEffect,
                    party: event.party,
                    since: event.date,
                    eventId: event.id,
                    message: "The extension agreed on \(event.date) is not applied: \(reason)."
                )
            )
            step(
                "extension",
                rule: "renewal",
                article: rules.renewal?.article,
                eventId: event.id,
                result: nil,
                inputs: ["agreed": "\(event.date)"],
                explanation: "The extension agreed on \(event.date) has no effect under the rules: \(reason)."
            )
        }
    }

    /// Flags each notice of termination or non-renewal when the rules have no termination clause to count it.
    private mutating func unclausedNoticeFlags() {
        guard rules.termination == nil else { return }
        for notice in events where notice.type.stopsRenewal {
            let party = notice.party ?? "A party"
            let kind = notice.type == .noticeOfNonRenewal ? "non-renewal" : "termination"
            flags.append(
                StatusFlag(
                    code: .noticeWithoutClause,
                    party: notice.party,
                    since: notice.date,
                    eventId: notice.id,
                    message:
                        "\(party) gave notice of \(kind) on \(notice.date), but the agreement has no termination clause; the rules give it no effect."
                )
            )
            step(
                "notice",
                eventId: notice.id,
                result: nil,
                inputs: ["party": notice.party ?? ""],
                explanation: "The agreement has no termination clause: \(party)'s notice of \(kind) of \(notice.date) has no effect under its rules."
            )
        }
    }

    /// Flags each resumption of a notice that was not suspended on its date: never suspended, already resumed,
    /// revoked, or dated before the notice.
    private mutating func resumptionFlags() {
        for resumption in events where resumption.type == .noticeResumed {
            guard let target = resumption.refersTo, let actions = referring[target],
                let notice = events.first(where: { $0.id == target })
            else { continue }
            let reason: String
            if resumption.date < notice.date {
                reason = "it is dated before the notice (\(notice.date))"
            } else {
                let earlier = actions.prefix { $0.id != resumption.id }.filter { $0.date >= notice.date }
                if let revocation = earlier.first(where: { $0.type == .noticeRevoked }) {
                    reason = "the notice was revoked on \(revocation.date)"
                } else if let last = earlier.last(where: { $0.type == .noticeSuspended || $0.type == .noticeResumed }) {
                    guard last.type == .noticeResumed else { continue }
                    reason = "the notice had already been resumed on \(last.date)"
                } else {
                    reason = "the notice was never suspended"
                }
            }
            flags.append(
                StatusFlag(
                    code: .resumptionWithoutSuspension,
                    party: resumption.party ?? notice.party,
                    since: resumption.date,
                    eventId: resumption.id,
                    message: "Notice \(target) is recorded as resumed on \(resumption.date), but \(reason): the resumption has no effect."
                )
            )
            step(
                "notice",
                eventId: resumption.id,
                result: nil,
                inputs: ["resumed": "\(resumption.date)", "notice": target],
                explanation: "The resumption of notice \(target) on \(resumption.date) has no effect: \(reason)."
            )
        }
    }

    private mutating func evaluateInForce(
        entry: CalendarDate,
        memberships: [String: [Membership]],
        into status: inout AgreementStatus
    ) {
        let schedule = schedule(entry: entry)
        describeTerms(schedule)
        var ends: [(lastDay: CalendarDate, cause: EndTrigger)] = []
        if let found = noticeEffects(schedule) {
            ends.append((found.lastDay, found.notice.type == .noticeOfNonRenewal ? .nonRenewal(found.notice.id) : .notice(found.notice.id)))
        }
        if let maxTerms = schedule.maxTerms, !schedule.isOpenEnded(maxTerms), let last = schedule.lastDay(maxTerms) {
            ends.append((last, .naturalExpiry))
        }
        if isBilateral {
            for (party, spans) in memberships.sorted(by: { $0.key < $1.key }) {
                if let exit = spans.last?.lastDayBound { ends.append((exit, .withdrawal(party: party))) }
            }
        }
        for event in events where event.type == .terminatedByConsent || event.type == .superseded {
            let effective = event.statedEffectiveDate ?? event.date
            guard let lastDay = try? effective.addingDays(-1) else { continue }
            step(
                "termination",
                eventId: event.id,
                convention: "the event's date is the first day no longer in force",
                result: "\(lastDay)",
                inputs: ["effective": "\(effective)"],
                explanation: event.type == .superseded
                    ? "Superseded by a later agreement from \(effective): last day in force \(lastDay)."
                    : "Terminated by the parties' consent from \(effective): last day in force \(lastDay)."
            )
            ends.append((lastDay, event.type == .superseded ? .supersession(event.id) : .consent(event.id)))
        }
        let end = ends.min { $0.lastDay < $1.lastDay }
        if let end {
            compareRecordedEnd(end.lastDay)
            status.endCause = endCause(end.cause)
        }

        if let end, asOf > end.lastDay {
            status.state = status.endCause?.kind == .expired ? .expired : .terminated
            status.lastDayInForce = end.lastDay
            step(
                "state",
                result: status.state.rawValue,
                inputs: ["asOf": "\(asOf)", "lastDayInForce": "\(end.lastDay)"],
                explanation: end.cause.isExpiry
                    ? "\(asOf) is after the last day of the last term, \(end.lastDay), with no renewal left: expired."
                    : "\(asOf) is after the last day in force, \(end.lastDay) (\(describe(end.cause))): \(status.state.rawValue)."
            )
            return
        }

        guard let index = schedule.index(containing: asOf) else { return }
        let term = Term(index: index, start: schedule.start(index) ?? entry, lastDay: schedule.lastDay(index))
        status.currentTerm = term
        if !schedule.isOpenEnded(index), term.lastDay == nil {
            undetermined.append(
                Undetermined(
                    field: "currentTerm.lastDay",
                    reason: "Term \(index) ends after 9999-12-31, the last date Pacta represents."
                )
            )
        }
        step(
            "currentTerm",
            rule: index == 1 ? "term" : "renewal",
            article: index == 1 ? rules.term.article : rules.renewal?.article ?? rules.term.article,
            result: "\(index)",
            inputs: ["asOf": "\(asOf)", "start": "\(term.start)"].merging(term.lastDay.map { ["lastDay": "\($0)"] } ?? [:]) { a, _ in a },
            explanation: term.lastDay.map { "\(asOf) falls in term \(index), from \(term.start) through \($0)." }
                ?? "\(asOf) falls in the open-ended term that began on \(term.start)."
        )

        if let end, !end.cause.isExpiry {
            status.state = .terminationPending
            status.lastDayInForce = end.lastDay
            step(
                "state",
                result: status.state.rawValue,
                inputs: ["lastDayInForce": "\(end.lastDay)"],
                explanation: "The last day in force is fixed on \(end.lastDay) (\(describe(end.cause))): termination pending."
            )
            return
        }
        status.state = .inForce
        if let end {
            status.lastDayInForce = end.lastDay
            step(
                "lastDayInForce",
                rule: "renewal",
                article: rules.renewal?.article ?? rules.term.article,
                result: "\(end.lastDay)",
                inputs: ["lastTerm": "\(schedule.maxTerms ?? index)"],
                explanation:
                    "No renewal follows term \(schedule.maxTerms ?? index) under the rules and the record: the agreement expires after \(end.lastDay)."
            )
        }
        let renewable = { (term: Int) -> Bool in schedule.renewal != nil && (schedule.maxTerms.map { term < $0 } ?? true) }
        if renewable(index), let next = schedule.start(index + 1), let renewal = schedule.renewal {
            status.nextRenewal = next
            step(
                "nextRenewal",
                rule: "renewal",
                article: rules.renewal?.article,
                result: "\(next)",
                inputs: ["lastDay": term.lastDay.map { "\($0)" } ?? "", "period": "\(renewal)"],
                explanation: "Unless a notice stops it, term \(index + 1) starts on \(next), the day after \(term.lastDay.map { "\($0)" } ?? "")."
            )
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

    private func endCause(_ trigger: EndTrigger) -> EndCause {
        switch trigger {
        case .notice(let id):
            return EndCause(kind: .terminated, reason: .notice, eventId: id, rule: "termination", article: rules.termination?.article)
        case .nonRenewal(let id):
            return EndCause(kind: .expired, reason: .nonRenewal, eventId: id, rule: "termination", article: rules.termination?.article)
        case .naturalExpiry:
            return EndCause(
                kind: .expired,
                reason: .lastTermEnded,
                rule: rules.renewal == nil ? "term" : "renewal",
                article: rules.renewal?.article ?? rules.term.article
            )
        case .withdrawal(let party):
            return EndCause(kind: .terminated, reason: .withdrawal, party: party, rule: "withdrawal", article: rules.withdrawal?.article)
        case .consent(let id):
            return EndCause(kind: .terminated, reason: .consent, eventId: id)
        case .supersession(let id):
            return EndCause(kind: .terminated, reason: .supersession, eventId: id)
        }
    }

    private func describe(_ cause: EndTrigger) -> String {
        switch cause {
        case .notice(let id): return "by notice \(id)"
        case .nonRenewal(let id): return "the last term, not renewed after notice of non-renewal \(id)"
        case .naturalExpiry: return "end of the last term"
        case .withdrawal(let party): return "\(party)'s withdrawal ends this bilateral agreement"
        case .consent(let id): return "terminated by consent, event \(id)"
        case .supersession(let id): return "superseded, event \(id)"
        }
    }

    /// Flags a recorded end (`terminated`, `expired`) whose date is not the day after the computed last day.
    private mutating func compareRecordedEnd(_ lastDay: CalendarDate) {
        guard let firstDayOut = try? lastDay.addingDays(1) else { return }
        for event in events where (event.type == .terminated || event.type == .expired) && event.date != firstDayOut {
            flags.append(
                StatusFlag(
                    code: .recordedDateDiffers,
                    party: nil,
                    since: event.date,
                    eventId: event.id,
                    message: "The record gives \(event.date) as the first day no longer in force; the rules give \(firstDayOut)."
                )
            )
        }
    }

    private mutating func describeTerms(_ schedule: TermSchedule) {
        guard let initial = schedule.initial else {
            step(
                "term",
                rule: "term",
                article: rules.term.article,
                result: "indefinite",
                inputs: [:],
                explanation: "The agreement is in force for an indefinite period."
            )
            return
        }
        let lastDay = schedule.lastDay(1)
        step(
            "initialTerm",
            rule: "term",
            article: rules.term.article,
            convention: "a term of length P starting on S covers S through S + P − 1 day",
            result: lastDay.map { "\($0)" },
            inputs: ["start": "\(schedule.entry)", "length": "\(initial)"],
            explanation: "Term 1 runs \(initial) from \(schedule.entry): its last day in force is \(lastDay.map { "\($0)" } ?? "beyond 9999-12-31")."
                + (schedule.boundaryWasClamped(after: 1) ? " The day was clamped to the end of a shorter month." : "")
        )
        switch schedule.continuation {
        case .renewing(let renewal):
            let limit = rules.renewal?.maxRenewals.map { "at most \($0) times" } ?? "without limit"
            step(
                "renewal",
                rule: "renewal",
                article: rules.renewal?.article,
                convention:
                    "term k ≥ 2 starts on entry into force + initial term + (k − 2) × renewal period, each boundary computed from the entry into force in one addition",
                result: "\(renewal)",
                inputs: ["period": "\(renewal)"],
                explanation: "The agreement renews automatically for \(renewal) at a time, \(limit)."
            )
        case .extensions(let extensions):
            for (offset, added) in extensions.enumerated() {
                let lastDay = schedule.lastDay(offset + 2)
                let start = schedule.start(offset + 2)
                let counted =
                    added.start.map { " a new term counted from the decision of \($0)" }
                    ?? " counted from the end of term \(offset + 1)"
                let how = rules.renewal?.kind == .byReview ? "Every party confirmed the extension" : "The parties extended the agreement"
                step(
                    "extension",
                    rule: "renewal",
                    article: rules.renewal?.article,
                    convention: added.start == nil
                        ? "fromTermEnd: the next term starts the day after the current term's last day"
                        : "fromDecision: the new term starts on the decision's date; the term before ends the day before",
                    result: lastDay.map { "\($0)" },
                    inputs: ["extension": added.period.map { "\($0)" } ?? "indefinite", "start": start.map { "\($0)" } ?? ""],
                    explanation: added.period.map {
                        "\(how) by \($0),\(counted): term \(offset + 2) runs from \(start.map { "\($0)" } ?? "?") through \(lastDay.map { "\($0)" } ?? "beyond 9999-12-31")."
                    } ?? "\(how) indefinitely,\(counted)."
                )
            }
        case .indefinite:
            step(
                "term",
                rule: "term",
                article: rules.term.article,
                result: "indefinite",
                inputs: [:],
                explanation: "After term 1 the agreement continues in force indefinitely."
            )
        case .none:
            break
        }
    }

    // MARK: Trace

    func step(
        _ subject: String,
        rule: String? = nil,
        article: String? = nil,
        eventId: String? = nil,
        convention: @autoclosure () -> String? = nil,
        result: @autoclosure () -> String?,
        inputs: @autoclosure () -> [String: String],
        explanation: @autoclosure () -> String
    ) {
        guard let recorder else { return }
        recorder.steps.append(
            TraceStep(
                subject: subject,
                rule: rule,
                article: article,
                eventId: eventId,
                convention: convention(),
                inputs: inputs(),
                result: result(),
                explanation: explanation()
            )
        )
    }
}

/// The steps of one evaluation, in order.
final class TraceRecorder {
    var steps: [TraceStep] = []
}
