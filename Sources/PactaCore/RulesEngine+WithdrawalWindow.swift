/// The next withdrawal window of a party: the last day a notice can count on (dispatched or received, as the
/// rule says) to reach the nearest date a withdrawal can take effect, and that date.
public struct WithdrawalWindow: Codable, Hashable, Sendable {
    /// The last day a notice may be counted on for this effect; a notice counted later takes effect later.
    public var noticeBy: CalendarDate
    /// The last day the party would be bound.
    public var lastDayAsParty: CalendarDate
    /// The first day it would no longer be bound.
    public var effectiveFrom: CalendarDate
    /// Which clause shapes this window, when one does (issue #14, shape 8); `nil` when the notice period alone does.
    public var limit: Limit?
    /// Under `lockIn`: the first day a notice counts; one counted earlier has no effect ("notice not yet admissible
    /// until"). `nil` otherwise (a notice is admissible now).
    public var noticeFrom: CalendarDate?

    /// The two ways a clause holds a withdrawal back.
    public enum Limit: String, Codable, Hashable, Sendable {
        /// No notice may be given before `noticeFrom`: the window opens then.
        case lockIn
        /// A notice may be given now, but its effect is deferred to `effectiveFrom`, the earliest the clause allows;
        /// every notice counted by `noticeBy` takes effect on that day.
        case earliestEffect
    }

    public init(
        noticeBy: CalendarDate,
        lastDayAsParty: CalendarDate,
        effectiveFrom: CalendarDate,
        limit: Limit? = nil,
        noticeFrom: CalendarDate? = nil
    ) {
        self.noticeBy = noticeBy
        self.lastDayAsParty = lastDayAsParty
        self.effectiveFrom = effectiveFrom
        self.limit = limit
        self.noticeFrom = noticeFrom
    }
}

extension WithdrawalRule {
    /// The date the rule computes for a notice counted on `counted`, before ``effectDate`` says what the date
    /// means, and before a later stated date or a deferral moves it.
    func computedDate(countedOn counted: CalendarDate) throws(DateError) -> CalendarDate {
        var computed: CalendarDate
        if let anchor {
            computed = try CalendarDate(year: anchor.effectYear(forNoticeOn: counted), month: anchor.month, day: anchor.day)
        } else {
            computed = try counted.plus(notice ?? Period())
            if counting == .dayAfter { computed = try computed.addingDays(1) }
        }
        if let snap { computed = try snap.apply(to: computed) }
        return computed
    }

    /// The last day bound and the first day out for a computed date, as ``effectDate`` reads it.
    func bounds(of computed: CalendarDate) -> (lastDay: CalendarDate, firstOut: CalendarDate)? {
        switch effectDate {
        case .firstDayNotBound:
            guard let lastDay = try? computed.addingDays(-1) else { return nil }
            return (lastDay, computed)
        case .lastDayBound:
            guard let firstOut = try? computed.addingDays(1) else { return nil }
            return (computed, firstOut)
        }
    }

    /// The window open on `day`: the last day a notice counted on may be and still reach what a notice counted on
    /// `day` reaches, with that computed date; `nil` past 9999-12-31.
    ///
    /// A calendar anchor fixes the same date for every notice up to its cutoff (or to the end of the year); a notice
    /// period moves the date with every day, except where months clamp or a snap gathers a month's notices onto one
    /// date, so the window there is found day by day (at most two months).
    func window(openingOn day: CalendarDate) -> (noticeBy: CalendarDate, computed: CalendarDate)? {
        guard let computed = try? computedDate(countedOn: day) else { return nil }
        if let anchor {
            var year = day.year
            let last: MonthDay
            if let cutoff = anchor.cutoff {
                if (day.month, day.day) > (cutoff.month, cutoff.day) { year += 1 }
                last = cutoff
            } else {
                last = MonthDay(month: 12, day: 31)
            }
            // A cutoff on 29 February is 28 February in a common year.
            let lastDay = min(last.day, CalendarDate.daysInMonth(year: year, month: last.month))
            guard let noticeBy = try? CalendarDate(year: year, month: last.month, day: lastDay) else { return nil }
            return (noticeBy, computed)
        }
        var noticeBy = day
        for _ in 0..<62 {
            guard let next = try? noticeBy.addingDays(1), (try? computedDate(countedOn: next)) == computed else { break }
            noticeBy = next
        }
        return (noticeBy, computed)
    }

    /// The anchor's arithmetic in words, for the trace.
    func anchorConvention(_ anchor: CalendarAnchor) -> String {
        let day = MonthDay(month: anchor.month, day: anchor.day).spelled
        let years =
            anchor.yearsAfterNotice == 0
            ? "the notice's year" : "the year \(anchor.yearsAfterNotice) after the notice's year"
        guard let cutoff = anchor.cutoff else { return "the fixed day \(day) of \(years)" }
        return
            "the fixed day \(day) of \(years) for a notice counted on or before \(cutoff.spelled) of its year; of the year after that for a later notice"
    }
}

extension WithdrawalRule.MonthDay {
    /// "1 January".
    var spelled: String {
        let names = [
            "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December",
        ]
        return "\(day) \((1...12).contains(month) ? names[month - 1] : "month \(month)")"
    }
}

extension Evaluation {
    /// Gives every party free to withdraw on `asOf` (bound, no withdrawal pending, holding the right) its next
    /// window, after a lock-in if one still runs; one trace step per distinct window.
    mutating func withdrawalWindows(
        _ parties: inout [PartyStatus],
        memberships: [String: [Membership]],
        generalEntry: CalendarDate?,
        agreementState: AgreementStatus.State
    ) {
        guard let rule = rules.withdrawal, agreementState == .inForce || agreementState == .terminationPending else {
            return
        }
        var byOpening: [CalendarDate: (noticeBy: CalendarDate, computed: CalendarDate)?] = [:]
        var said: [WithdrawalWindow: [String]] = [:]
        var order: [(WithdrawalWindow, CalendarDate)] = []
        for index in parties.indices where parties[index].status == .party {
            let party = parties[index].party
            if let holders = rule.holders, !holders.contains(party) { continue }
            var opening = asOf
            if let lockIn = rule.lockIn {
                let base = lockIn.from == .partyEntryIntoForce ? memberships[party]?.last?.entry : generalEntry
                if let base, let earliest = try? base.plus(lockIn.period), earliest > opening { opening = earliest }
            }
            let found: (noticeBy: CalendarDate, computed: CalendarDate)?
            if let known = byOpening[opening] {
                found = known
            } else {
                found = rule.window(openingOn: opening)
                byOpening[opening] = found
            }
            guard let found, let bounds = rule.bounds(of: found.computed) else { continue }
            var window = WithdrawalWindow(noticeBy: found.noticeBy, lastDayAsParty: bounds.lastDay, effectiveFrom: bounds.firstOut)
            if opening > asOf {
                window.limit = .lockIn
                window.noticeFrom = opening
            }
            if let earliest = rule.earliestEffect?.firstDay(partyEntry: memberships[party]?.last?.entry, generalEntry: generalEntry),
                earliest >= bounds.firstOut, let lastDay = try? earliest.addingDays(-1),
                let noticeBy = rule.deferredWindow(openingOn: opening, earliest: earliest)
            {
                window = WithdrawalWindow(
                    noticeBy: noticeBy,
                    lastDayAsParty: lastDay,
                    effectiveFrom: earliest,
                    limit: .earliestEffect,
                    noticeFrom: window.noticeFrom
                )
            }
            parties[index].nextWithdrawal = window
            guard recorder != nil else { continue }
            if said[window] == nil { order.append((window, opening)) }
            said[window, default: []].append(party)
        }
        for (window, opening) in order {
            let who = said[window] ?? []
            step(
                "withdrawalWindow",
                rule: "withdrawal",
                article: rule.article,
                convention: "\(rule.noticeDate.rawValue) date counts; "
                    + (rule.anchor.map { rule.anchorConvention($0) }
                        ?? "notice + \(rule.notice ?? Period())\(rule.counting == .dayAfter ? ", counted from the day after" : "")\(rule.snap == nil ? "" : ", then the first day of the following month")")
                    + (rule.effectDate == .firstDayNotBound
                        ? "; the withdrawal takes effect from the start of the computed day (the party's last day bound is the day before)"
                        : "; the withdrawal takes effect at the end of the computed day (the party's last day bound)"),
                result: "\(window.noticeBy)",
                inputs: [
                    "parties": who.joined(separator: ","), "from": "\(opening)", "lastDayAsParty": "\(window.lastDayAsParty)",
                    "effectiveFrom": "\(window.effectiveFrom)",
                ],
                explanation: window.limit == .earliestEffect
                    ? "A notice is admissible \(opening == asOf ? "now" : "from \(opening), when the lock-in ends"), but its effect is deferred: the earliest withdrawal the clause allows for \(who.count == 1 ? who[0] : "\(who.count) parties") takes effect on \(window.effectiveFrom) (bound through \(window.lastDayAsParty)), for any notice \(rule.noticeDate == .receipt ? "received" : "dispatched") by \(window.noticeBy) (\(window.noticeBy.weekdayName)); a later notice takes effect later."
                    : "\(opening == asOf ? "From \(asOf)" : "Notice is not yet admissible: from \(opening), when the lock-in ends"), the nearest withdrawal for \(who.count == 1 ? who[0] : "\(who.count) parties") takes effect on \(window.effectiveFrom) (bound through \(window.lastDayAsParty)), for a notice \(rule.noticeDate == .receipt ? "received" : "dispatched") by \(window.noticeBy) (\(window.noticeBy.weekdayName)); a later notice takes effect later."
            )
        }
    }
}

/// The withdrawal windows of a clause whose windows are longer than a day, as dated items: each is a function of
/// the rule and the date alone (``WithdrawalRule/window(openingOn:)``), so the engine's walk, a lifecycle and the
/// catalog index place them by arithmetic, in any year, without stepping through the years between.
///
/// A class: the catalog index asks one per clause in every window, and copying the rule out of a value retained each
/// of its fields every time (a tenth of a window's instructions when it held one per agreement, callgrind).
final class WithdrawalWindows: Sendable {
    let rule: WithdrawalRule

    /// `nil` when every day closes its own window (a notice period, not snapped).
    init?(_ rule: WithdrawalRule?) {
        guard let rule, rule.anchor != nil || rule.snap != nil else { return nil }
        self.rule = rule
    }

    /// The last day of the window an anchored clause closes in `year`: its cutoff (31 December without one), a
    /// 29 February cutoff being the 28th in a common year.
    private func closingDay(of anchor: WithdrawalRule.CalendarAnchor, in year: Int) -> CalendarDate? {
        let last = anchor.cutoff ?? WithdrawalRule.MonthDay(month: 12, day: 31)
        return try? CalendarDate(year: year, month: last.month, day: min(last.day, CalendarDate.daysInMonth(year: year, month: last.month)))
    }

    /// The last days of the windows dated `from` through `to`, in date order.
    func closingDays(from: CalendarDate, through to: CalendarDate) -> [CalendarDate] {
        guard from <= to else { return [] }
        var days: [CalendarDate] = []
        if let anchor = rule.anchor {
            for year in from.year...to.year {
                if let date = closingDay(of: anchor, in: year), date >= from, date <= to { days.append(date) }
            }
            return days
        }
        var day = from
        while let window = rule.window(openingOn: day), window.noticeBy <= to {
            days.append(window.noticeBy)
            guard let next = try? window.noticeBy.addingDays(1) else { break }
            day = next
        }
        return days
    }

    /// The window closing on `date`, said in full.
    func deadline(on date: CalendarDate, of agreement: Agreement) -> Deadline {
        let window = rule.window(openingOn: date)
        let bounds = window.flatMap { rule.bounds(of: $0.computed) }
        return Deadline(
            agreementId: agreement.id,
            date: date,
            kind: .withdrawalNoticeDeadline,
            parties: agreement.parties.map(\.code),
            rule: "withdrawal",
            article: rule.article,
            convention: "\(rule.noticeDate.rawValue) date counts; "
                + (rule.anchor.map { rule.anchorConvention($0) } ?? "notice + \(rule.notice ?? Period()), then the first day of the following month"),
            sentence: .withdrawalWindow(counted: rule.noticeDate, firstOut: bounds?.firstOut)
        )
    }

    /// The windows of `agreement` closing within the given stretches (first and last day, in date order).
    static func deadlines(of agreement: Agreement, during stretches: [(CalendarDate, CalendarDate)]) -> [Deadline] {
        guard let windows = WithdrawalWindows(agreement.rules.withdrawal) else { return [] }
        return stretches.flatMap { stretch in
            windows.closingDays(from: stretch.0, through: stretch.1).map { windows.deadline(on: $0, of: agreement) }
        }
    }
}
