/// A condition a withdrawing party must meet before its withdrawal takes effect (issue #14, shape 10): the ILO
/// Constitution's Art. 1(5) lets a Member withdraw two years after its notice "subject to its having at that time
/// fulfilled all financial obligations arising out of its membership".
///
/// Whether the condition is met is a fact the rules cannot compute, so the record must say it: a
/// `withdrawalConditionMet` event (or the record of the withdrawal taking effect, `withdrawalEffective`, which the
/// depositary makes only once the condition is met). Until then the withdrawal's date is undetermined, with the
/// condition as the reason; when the record holds a `withdrawalConditionDisputed` (a party's or the depositary's
/// position that the condition is not met), it is contested. Met after the notice period has run, the withdrawal
/// takes effect on the day the condition is recorded as met: the clause withholds the effect, it does not cancel
/// the notice.
public struct WithdrawalCondition: Codable, Hashable, Sendable {
    /// What must be fulfilled, in the clause's words ("all financial obligations arising out of its membership").
    public var description: String
    public var article: String?

    public init(description: String, article: String? = nil) {
        self.description = description
        self.article = article
    }
}

/// The agreement's provisions continue to apply for `period` after a party ends it, to what they covered on its last
/// day in force (a bilateral investment treaty's sunset clause: "in respect of investments made before the date of
/// termination ... for a further period of fifteen years from that date"). The status reports the last day of that
/// period as `obligationsSurviveThrough`.
///
/// It follows an end a party brings about: a notice of termination or non-renewal, or a withdrawal that ends a
/// bilateral agreement. An end by the parties' consent or by a later agreement is left out, because the parties
/// who end an agreement together also settle (and often exclude) what survives it; so is the natural expiry of a
/// last term.
public struct AgreementSurvival: Codable, Hashable, Sendable {
    /// Counted from the first day the agreement is no longer in force: obligations survive through that day +
    /// `period` − 1 day (the same reading as a term's length).
    public var period: Period
    /// What survives, in the clause's words ("investments made before the date of termination").
    public var scope: String?
    public var article: String?

    public init(period: Period, scope: String? = nil, article: String? = nil) {
        self.period = period
        self.scope = scope
        self.article = article
    }
}

/// Where a withdrawal held back by a ``WithdrawalCondition`` stands on `asOf`.
public struct WithdrawalConditionStatus: Codable, Hashable, Sendable {
    public enum State: String, Codable, Hashable, Sendable {
        /// The record does not yet say the condition is met: the withdrawal's date is undetermined.
        case pending
        /// The record says the condition is met (`metOn`); the withdrawal's date is fixed.
        case met
        /// The record holds a position that the condition is not met (`disputedBy`), and nothing since that says it
        /// is: the withdrawal's date is contested.
        case contested
    }

    public var state: State
    /// The notice of withdrawal the condition holds back.
    public var noticeId: String
    /// The first day the withdrawal could take effect under the notice period alone.
    public var earliestEffect: CalendarDate
    /// The day the record says the condition was met.
    public var metOn: CalendarDate?
    /// The events that say the condition is met (`met`) or that dispute it (`contested`).
    public var eventIds: [String]
    /// Who disputes that the condition is met (a party's code, or `depositary` when the record names none).
    public var disputedBy: [String]?

    public init(
        state: State,
        noticeId: String,
        earliestEffect: CalendarDate,
        metOn: CalendarDate? = nil,
        eventIds: [String] = [],
        disputedBy: [String]? = nil
    ) {
        self.state = state
        self.noticeId = noticeId
        self.earliestEffect = earliestEffect
        self.metOn = metOn
        self.eventIds = eventIds
        self.disputedBy = disputedBy
    }
}
