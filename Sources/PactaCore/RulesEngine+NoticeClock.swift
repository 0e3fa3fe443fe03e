/// Issue #14, shape 7: notice clocks under suspension. Whether a resumed notice's period restarts (the notice counts
/// as given again on the day it is resumed) or pauses and continues (the days that had run carry over) is the rule's
/// `suspendedNotice` convention; the status reports the elapsed and remaining days of every running notice period.

/// How the day a notice counts from came about, for the trace.
enum NoticeCount: Equatable {
    /// The notice's own date (of dispatch or receipt).
    case given
    /// The day of its resumption (`restarts`).
    case resumed
    /// Its own date moved later by `days` spent suspended (`pauses`).
    case paused(days: Int)

    /// The opening of a trace sentence for a notice counted on `counted`; `nil` for `given` (the caller says it).
    func explanation(_ counted: CalendarDate) -> String? {
        switch self {
        case .given: return nil
        case .resumed: return "The notice resumed on \(counted) counts as given again that day. "
        case .paused(let days):
            return
                "The notice's period stood still for \(days) day\(days == 1 ? "" : "s") while suspended; the days that had run carry over, so it counts as from \(counted). "
        }
    }
}

extension Evaluation {
    /// Under `pauses`: each suspension before the notice takes effect stops its period, each resumption continues
    /// it, and the notice counts as given as many days later as it stood suspended. A revocation before the effect
    /// cancels it; a suspension never resumed leaves it without effect (flagged, with the days that carry over).
    mutating func followPausing(
        _ notice: Event,
        countedOn first: CalendarDate,
        rule: String,
        article: String?,
        effect: (inout Evaluation, CalendarDate, NoticeCount) -> NoticeOutcome
    ) -> NoticeOutcome {
        let actions = referring[notice.id, default: []].filter {
            $0.date >= notice.date && ($0.type == .noticeSuspended || $0.type == .noticeResumed || $0.type == .noticeRevoked)
        }
        var paused = 0
        var position = 0
        while true {
            guard let counted = try? first.addingDays(paused) else { return .undetermined }
            let outcome = effect(&self, counted, paused == 0 ? .given : .paused(days: paused))
            // The next suspension or revocation not yet read (a resumption without a suspension is flagged elsewhere).
            let next = actions[position...].firstIndex { $0.type != .noticeResumed }
            guard case .lastDay(let lastDay) = outcome else {
                if outcome == .undetermined, let index = next, actions[index].type == .noticeRevoked {
                    explainRevocation(actions[index], rule: rule, article: article, before: nil)
                    return .noEffect
                }
                return outcome
            }
            guard let index = next, actions[index].date <= lastDay else {
                flagActsAfterEffect(of: notice, actions: Array(actions[position...]), lastDay: lastDay, rule: rule, article: article)
                recordPeriod(of: notice, rule: rule, clock: .pauses, countedFrom: counted, lastDay: lastDay, paused: paused)
                return .lastDay(lastDay)
            }
            let act = actions[index]
            if act.type == .noticeRevoked {
                explainRevocation(act, rule: rule, article: article, before: lastDay)
                return .noEffect
            }
            // A suspension: the clock stands still until the next resumption (or a revocation ends the notice).
            guard let end = actions[(index + 1)...].firstIndex(where: { $0.type == .noticeResumed || $0.type == .noticeRevoked }),
                actions[end].type == .noticeResumed
            else {
                if let end = actions[(index + 1)...].firstIndex(where: { $0.type == .noticeRevoked }) {
                    explainRevocation(actions[end], rule: rule, article: article, before: nil)
                    return .noEffect
                }
                step(
                    "notice",
                    rule: rule,
                    article: article,
                    eventId: act.id,
                    convention: "pauses: the period stands still while the notice is suspended",
                    result: nil,
                    inputs: ["suspended": "\(act.date)", "counted": "\(counted)"],
                    explanation:
                        "On \(act.date), before it took effect (it would have on \((try? lastDay.addingDays(1)).map { "\($0)" } ?? "?")), the notice was suspended: its period stands still, \(max(0, counted.days(to: act.date))) days run."
                )
                flagSuspended(notice, since: act)
                let wouldTakeEffect = try? lastDay.addingDays(1)
                noticePeriods[notice.id] = NoticePeriod(
                    eventId: notice.id,
                    party: notice.party,
                    rule: rule,
                    clock: .pauses,
                    countedFrom: counted,
                    takesEffect: nil,
                    elapsedDays: max(0, counted.days(to: act.date)),
                    remainingDays: wouldTakeEffect.map { max(0, act.date.days(to: $0)) },
                    pausedDays: paused,
                    suspended: true
                )
                return .noEffect
            }
            let resumption = actions[end]
            let days = act.date.days(to: resumption.date)
            paused += days
            step(
                "notice",
                rule: rule,
                article: article,
                eventId: resumption.id,
                convention: "pauses: the period stands still from the suspension to the resumption; the days that had run carry over",
                result: nil,
                inputs: ["suspended": "\(act.date)", "resumed": "\(resumption.date)", "pausedDays": "\(days)"],
                explanation: "Suspended on \(act.date) and resumed on \(resumption.date): the notice's period stood still for \(days) days."
            )
            position = end + 1
        }
    }

    /// The trace step of a revoked notice: while suspended, before its effect (`lastDay` known) or before it could
    /// have any.
    mutating func explainRevocation(
        _ revocation: Event,
        rule: String,
        article: String?,
        before lastDay: CalendarDate?,
        whileSuspended: Bool = false
    ) {
        step(
            "notice",
            rule: rule,
            article: article,
            eventId: revocation.id,
            result: nil,
            inputs: ["revoked": "\(revocation.date)"],
            explanation: whileSuspended
                ? "On \(revocation.date) the suspended notice was revoked: it has no effect."
                : lastDay == nil
                    ? "On \(revocation.date) the notice was revoked: it has no effect."
                    : "On \(revocation.date) the notice was revoked before it took effect: it has no effect."
        )
    }

    /// Suspending or revoking a notice that has taken effect comes too late (a resumption is flagged with the
    /// other resumptions).
    mutating func flagActsAfterEffect(of notice: Event, actions: [Event], lastDay: CalendarDate, rule: String, article: String?) {
        for late in actions where late.date > lastDay && (late.type == .noticeSuspended || late.type == .noticeRevoked) {
            let act = late.type == .noticeRevoked ? "revoked" : "suspended"
            flags.append(
                StatusFlag(
                    code: .actAfterEffect,
                    party: late.party ?? notice.party,
                    since: late.date,
                    eventId: late.id,
                    message:
                        "Notice \(notice.id) is recorded as \(act) on \(late.date), after it took effect (last day bound \(lastDay)): too late to have any effect."
                )
            )
            step(
                "notice",
                rule: rule,
                article: article,
                eventId: late.id,
                result: nil,
                inputs: ["\(act)": "\(late.date)", "lastDay": "\(lastDay)"],
                explanation: "On \(late.date) the notice was \(act), after it had taken effect (last day \(lastDay)): no effect."
            )
        }
    }

    mutating func flagSuspended(_ notice: Event, since suspension: Event) {
        flags.append(
            StatusFlag(
                code: .noticeSuspended,
                party: suspension.party ?? notice.party,
                since: suspension.date,
                eventId: notice.id,
                message: "\(notice.party ?? "A party")'s notice \(notice.id) has been suspended since \(suspension.date); it may be resumed."
            )
        )
    }

    /// Keeps the period of a notice that takes effect after `asOf` (the day after `lastDay`), counted from `countedFrom`.
    mutating func recordPeriod(
        of notice: Event,
        rule: String,
        clock: SuspendedNoticeClock,
        countedFrom: CalendarDate,
        lastDay: CalendarDate,
        paused: Int = 0
    ) {
        guard let takesEffect = try? lastDay.addingDays(1), takesEffect > asOf else {
            noticePeriods[notice.id] = nil
            return
        }
        noticePeriods[notice.id] = NoticePeriod(
            eventId: notice.id,
            party: notice.party,
            rule: rule,
            clock: clock,
            countedFrom: countedFrom,
            takesEffect: takesEffect,
            elapsedDays: max(0, countedFrom.days(to: asOf)),
            remainingDays: asOf.days(to: takesEffect),
            pausedDays: paused,
            suspended: false
        )
    }
}
