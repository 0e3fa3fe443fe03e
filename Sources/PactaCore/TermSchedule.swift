/// The terms of an agreement laid out from its entry into force.
///
/// Term 1 starts on the entry into force; every later boundary is computed from the entry into force in
/// one addition (`entry + initial + renewals so far`). Anchoring every boundary there means month-end
/// clamping in one term never shifts the next (31 Jan + P1M, + P1M gives 31 Mar, not 28 Mar). A term's last
/// day in force is the day before the next term's start.
struct TermSchedule: Codable, Sendable {
    enum Continuation: Codable, Sendable {
        /// No term follows the last one.
        case none
        /// Every further term lasts `period` (automatic renewal).
        case renewing(Period)
        /// Terms agreed one by one (by agreement or after a review).
        case extensions([TermExtension])
        /// After the first term the agreement continues without end.
        case indefinite
    }

    let entry: CalendarDate
    /// `nil` for an agreement in force indefinitely from the start.
    let initial: Period?
    let continuation: Continuation
    /// How many terms there can be at most; `nil` for no limit.
    let maxTerms: Int?

    init(entry: CalendarDate, initial: Period?, continuation: Continuation, maxTerms: Int?) {
        self.entry = entry
        self.initial = initial
        self.continuation = continuation
        self.maxTerms = maxTerms
    }

    var isIndefinite: Bool { initial == nil }

    var renewal: Period? {
        if case .renewing(let period) = continuation { return period }
        return nil
    }

    /// The first day of term `index`, or `nil` past 9999-12-31 or past the last possible term.
    func start(_ index: Int) -> CalendarDate? {
        if index == 1 { return entry }
        guard index >= 2 else { return nil }
        if let maxTerms, index > maxTerms { return nil }
        return boundary(after: index - 1)
    }

    /// The day after term `index` ends, as the date it is counted from and the offset from that date, if that term
    /// ends. Counted from the entry into force, or from the start of the latest term that began on a date of its own
    /// (an extension counted from the decision that granted it), in one addition.
    private func offset(after index: Int) -> (base: CalendarDate, offset: Period)? {
        guard let initial else { return nil }
        if index == 1 { return (entry, initial) }
        switch continuation {
        case .none:
            return nil
        case .indefinite:
            return nil
        case .renewing(let period):
            return (entry, initial + period.multiplied(by: index - 1))
        case .extensions(let extensions):
            guard index - 1 <= extensions.count else { return nil }
            var base = entry
            var total = initial
            for added in extensions.prefix(index - 1) {
                guard let period = added.period else { return nil }
                if let start = added.start {
                    base = start
                    total = period
                } else {
                    total = total + period
                }
            }
            return (base, total)
        }
    }

    /// The day after term `index` ends (its expiry date), whether or not another term follows. A following term that
    /// starts on a date of its own (counted from a decision) ends term `index` the day before.
    func boundary(after index: Int) -> CalendarDate? {
        if case .extensions(let extensions) = continuation, index >= 1, index <= extensions.count,
            let start = extensions[index - 1].start
        {
            return start
        }
        return offset(after: index).flatMap { try? $0.base.plus($0.offset) }
    }

    /// Whether the boundary after term `index` was produced by clamping a day to a shorter month.
    func boundaryWasClamped(after index: Int) -> Bool {
        offset(after: index).flatMap { try? $0.base.adding($0.offset) }?.clampedFromDay != nil
    }

    /// The last day in force of term `index`; `nil` for an open-ended term or beyond 9999-12-31.
    func lastDay(_ index: Int) -> CalendarDate? {
        guard let expiry = boundary(after: index) else { return nil }
        return try? expiry.addingDays(-1)
    }

    /// Whether term `index` is open-ended by the rules (not merely beyond the representable range).
    func isOpenEnded(_ index: Int) -> Bool {
        guard initial != nil else { return true }
        if index == 1 { return false }
        switch continuation {
        case .none, .renewing: return false
        case .indefinite: return true
        case .extensions(let extensions): return index - 1 <= extensions.count && extensions[index - 2].period == nil
        }
    }

    /// The term in which `date` falls, or `nil` before entry into force. Past the last possible term it
    /// answers that last term; callers compare with its last day. Constant time for automatic renewal: an
    /// estimate from the average period length, corrected by a few exact steps.
    func index(containing date: CalendarDate) -> Int? {
        guard date >= entry else { return nil }
        guard let firstExpiry = boundary(after: 1), date >= firstExpiry else { return 1 }
        var index = 2
        if let renewal {
            index = 2 + Int(Double(firstExpiry.days(to: date)) / renewal.approximateDays)
            if let maxTerms { index = min(index, maxTerms) }
            while index > 2, start(index).map({ $0 > date }) ?? true { index -= 1 }
        }
        while let next = start(index + 1), next <= date { index += 1 }
        if let maxTerms { index = min(index, maxTerms) }
        return index
    }
}

/// One term added after the first by an extension: `period` long (`nil`: without end), starting the day after the
/// term before ends (`start` nil: counted from the end of the current term), or on `start` (a new term counted from
/// the decision or review that granted it, which ends the term before on the day before).
struct TermExtension: Codable, Hashable, Sendable {
    var period: Period?
    var start: CalendarDate?

    init(period: Period?, start: CalendarDate? = nil) {
        self.period = period
        self.start = start
    }
}

extension Period {
    static func + (lhs: Period, rhs: Period) -> Period {
        Period(
            years: lhs.years + rhs.years,
            months: lhs.months + rhs.months,
            weeks: lhs.weeks + rhs.weeks,
            days: lhs.days + rhs.days
        )
    }
}
