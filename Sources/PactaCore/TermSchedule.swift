/// The terms of an agreement laid out from its entry into force.
///
/// Term 1 starts on the entry into force; term k ≥ 2 starts on `entry + initial + (k−2)·renewal`, always
/// computed from the entry into force in one addition. Anchoring every boundary there means month-end
/// clamping in one term never shifts the next (31 Jan + P1M, + P1M gives 31 Mar, not 28 Mar). A term's last
/// day in force is the day before the next term's start.
struct TermSchedule: Sendable {
    let entry: CalendarDate
    /// `nil` for an indefinite term.
    let initial: Period?
    let renewal: Period?
    /// How many terms there can be at most; `nil` for no limit.
    let maxTerms: Int?

    init(entry: CalendarDate, rules: Rules) {
        self.entry = entry
        switch rules.term.kind {
        case .indefinite:
            initial = nil
            renewal = nil
            maxTerms = 1
        case .fixed:
            initial = rules.term.length
            renewal = rules.renewal?.period
            if let renewalRule = rules.renewal {
                maxTerms = renewalRule.maxRenewals.map { $0 + 1 }
            } else {
                maxTerms = 1
            }
        }
    }

    var isIndefinite: Bool { initial == nil }

    /// The first day of term `index`, or `nil` past 9999-12-31 or past the last possible term.
    func start(_ index: Int) -> CalendarDate? {
        if index == 1 { return entry }
        guard let initial, index >= 2 else { return nil }
        if let maxTerms, index > maxTerms { return nil }
        return boundary(after: index - 1)
    }

    /// The day after term `index` ends (its expiry date), whether or not another term follows.
    func boundary(after index: Int) -> CalendarDate? {
        guard let initial else { return nil }
        let offset: Period
        if index == 1 {
            offset = initial
        } else {
            guard let renewal else { return nil }
            let extra = renewal.multiplied(by: index - 1)
            offset = Period(
                years: initial.years + extra.years, months: initial.months + extra.months,
                weeks: initial.weeks + extra.weeks, days: initial.days + extra.days)
        }
        return try? entry.plus(offset)
    }

    /// Whether the boundary after term `index` was produced by clamping a day to a shorter month.
    func boundaryWasClamped(after index: Int) -> Bool {
        guard let initial else { return false }
        let extra = renewal?.multiplied(by: index - 1) ?? Period()
        let offset = Period(
            years: initial.years + extra.years, months: initial.months + extra.months,
            weeks: initial.weeks + extra.weeks, days: initial.days + extra.days)
        return (try? entry.adding(offset))?.clampedFromDay != nil
    }

    /// The last day in force of term `index`; `nil` for an indefinite term or beyond 9999-12-31.
    func lastDay(_ index: Int) -> CalendarDate? {
        guard let expiry = boundary(after: index) else { return nil }
        return try? expiry.addingDays(-1)
    }

    /// The term in which `date` falls, or `nil` before entry into force. Past the last possible term it
    /// answers that last term; callers compare with its last day. Constant time: an estimate from the
    /// average period length, corrected by a few exact steps.
    func index(containing date: CalendarDate) -> Int? {
        guard date >= entry else { return nil }
        guard let firstExpiry = boundary(after: 1), date >= firstExpiry, let renewal else { return 1 }
        var index = 2 + Int(Double(firstExpiry.days(to: date)) / renewal.approximateDays)
        if let maxTerms { index = min(index, maxTerms) }
        while index > 2, start(index).map({ $0 > date }) ?? true { index -= 1 }
        while let next = start(index + 1), next <= date { index += 1 }
        return index
    }
}
