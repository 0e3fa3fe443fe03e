/// Where an agreement stands on a given day, with the steps that produced every date.
public struct AgreementStatus: Codable, Hashable, Sendable {
    public enum State: String, Codable, Hashable, Sendable, CaseIterable {
        case notYetInForce
        case inForce
        /// In force, but a notice (or the rules) has fixed the last day in force.
        case terminationPending
        /// Ended by a notice, consent or another act.
        case terminated
        /// Ended because its term ran out without renewal.
        case expired
        /// The record dates an event (a notice) only to a month or a year, and the state on `asOf` depends on the day
        /// within it: `undetermined` (field `state`) gives the reason and `ranges` the dates that bound it.
        case undetermined
    }

    public var agreementId: String
    public var asOf: CalendarDate
    public var state: State
    public var entryIntoForce: CalendarDate?
    public var currentTerm: Term?
    /// The last day on which a notice can still stop the next renewal, if one can.
    public var noticeDeadline: CalendarDate?
    /// The first day of the next term, if the agreement renews.
    public var nextRenewal: CalendarDate?
    /// The last day in force, when an end is scheduled or has passed.
    public var lastDayInForce: CalendarDate?
    /// What ends the agreement after `lastDayInForce`, whether that end has passed or is scheduled; `nil` when no
    /// end is known.
    public var endCause: EndCause? = nil
    /// Under a review clause, while the agreement is in force: the next joint review and where the parties stand.
    public var review: ReviewStatus? = nil
    /// Every notice (of termination, non-renewal or withdrawal) whose period is running or suspended on `asOf`:
    /// the days elapsed and remaining, as the rule's `suspendedNotice` convention counts them.
    public var notices: [NoticePeriod] = []
    /// Under a sunset clause (`rules.survival`), once an end a party brings about is fixed: the last day the
    /// agreement's obligations continue for what they covered on its last day in force.
    public var obligationsSurviveThrough: CalendarDate? = nil
    public var parties: [PartyStatus]
    public var flags: [StatusFlag]
    public var undetermined: [Undetermined]
    /// Dates known only to lie within a range, because an event they are derived from is dated only to a month or a
    /// year (issue #14, shape 12); the field itself (`lastDayInForce`, `parties.XX.lastDayAsParty`, ...) is then null.
    public var ranges: [DateRange] = []
    public var trace: [TraceStep]
}

/// A derived date known only to lie between `earliest` and `latest` (both possible), with the events that make it so.
public struct DateRange: Codable, Hashable, Sendable {
    /// The status field the range stands for, as `Undetermined.field` names it: `lastDayInForce`,
    /// `parties.US.lastDayAsParty`, `noticeDeadline`, ...
    public var field: String
    public var earliest: CalendarDate
    public var latest: CalendarDate
    /// The imprecisely dated events behind it.
    public var eventIds: [String]
    public var reason: String

    public init(field: String, earliest: CalendarDate, latest: CalendarDate, eventIds: [String], reason: String) {
        self.field = field
        self.earliest = earliest
        self.latest = latest
        self.eventIds = eventIds
        self.reason = reason
    }
}

/// What ends an agreement's time in force, and the event or rule behind it.
public struct EndCause: Codable, Hashable, Sendable {
    /// The state the agreement is in once the end has passed.
    public enum Kind: String, Codable, Hashable, Sendable {
        /// Its last term ran out without renewal.
        case expired
        /// A notice, a bilateral party's withdrawal, consent or supersession ended it.
        case terminated
    }

    public enum Reason: String, Codable, Hashable, Sendable {
        /// The last term the rules and the record allow ran out.
        case lastTermEnded
        /// A notice of termination (`eventId`).
        case notice
        /// A notice of non-renewal (`eventId`) stopped the next renewal, so the term it reached was the last.
        case nonRenewal
        case withdrawal, consent, supersession
    }

    public var kind: Kind
    public var reason: Reason
    /// The event behind the end (a notice, consent or supersession), when an event is.
    public var eventId: String?
    /// The party whose withdrawal ends a bilateral agreement.
    public var party: String?
    /// The rule behind the end (`term`, `renewal`, `termination`, `withdrawal`), when a rule is.
    public var rule: String?
    public var article: String?

    public init(
        kind: Kind,
        reason: Reason,
        eventId: String? = nil,
        party: String? = nil,
        rule: String? = nil,
        article: String? = nil
    ) {
        self.kind = kind
        self.reason = reason
        self.eventId = eventId
        self.party = party
        self.rule = rule
        self.article = article
    }
}

/// The period of a notice that has not yet taken effect (issue #14, shape 7).
public struct NoticePeriod: Codable, Hashable, Sendable {
    public var eventId: String
    public var party: String?
    /// The rule the notice counts under: `termination` or `withdrawal`.
    public var rule: String
    /// The convention the rule gives a suspended notice.
    public var clock: SuspendedNoticeClock
    /// The day the period counts from now: the notice's own date (of dispatch or receipt), the day it was resumed
    /// (`restarts`), or that date moved later by the days spent suspended (`pauses`).
    public var countedFrom: CalendarDate
    /// The first day the notice's effect holds (the day after the last day bound or in force); `nil` while the notice
    /// is suspended.
    public var takesEffect: CalendarDate?
    /// Days of the period that have run by `asOf` (from `countedFrom`, not counting `asOf`); for a suspended notice,
    /// those that carry over when it is resumed (none under `restarts`).
    public var elapsedDays: Int
    /// Days from `asOf` to `takesEffect`; for a notice suspended under `pauses`, the days left to run once resumed;
    /// `nil` for one suspended under `restarts` (the whole period runs again from a day not yet known).
    public var remainingDays: Int?
    /// Days the period stood still while suspended (`pauses` only).
    public var pausedDays: Int
    /// The notice is suspended on `asOf`.
    public var suspended: Bool

    public init(
        eventId: String,
        party: String?,
        rule: String,
        clock: SuspendedNoticeClock,
        countedFrom: CalendarDate,
        takesEffect: CalendarDate?,
        elapsedDays: Int,
        remainingDays: Int?,
        pausedDays: Int,
        suspended: Bool
    ) {
        self.eventId = eventId
        self.party = party
        self.rule = rule
        self.clock = clock
        self.countedFrom = countedFrom
        self.takesEffect = takesEffect
        self.elapsedDays = elapsedDays
        self.remainingDays = remainingDays
        self.pausedDays = pausedDays
        self.suspended = suspended
    }

    private enum CodingKeys: String, CodingKey {
        case eventId, party, rule, clock, countedFrom, takesEffect, elapsedDays, remainingDays, pausedDays, suspended
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(eventId, forKey: .eventId)
        try container.encode(party, forKey: .party)
        try container.encode(rule, forKey: .rule)
        try container.encode(clock, forKey: .clock)
        try container.encode(countedFrom, forKey: .countedFrom)
        try container.encode(takesEffect, forKey: .takesEffect)
        try container.encode(elapsedDays, forKey: .elapsedDays)
        try container.encode(remainingDays, forKey: .remainingDays)
        try container.encode(pausedDays, forKey: .pausedDays)
        try container.encode(suspended, forKey: .suspended)
    }
}

/// Where an agreement's joint reviews stand (a review clause, issue #14 shape 4).
public struct ReviewStatus: Codable, Hashable, Sendable {
    /// The next joint review on or after `asOf` within the term; `nil` when none remains before the term's last day.
    public var next: CalendarDate?
    /// The latest review of the open cycle before `asOf`, if one has passed.
    public var last: CalendarDate?
    /// The parties whose latest word in the open cycle is a confirmation of the extension.
    public var confirmed: [String]
    /// The parties whose latest word in the open cycle is that they do not confirm it.
    public var notConfirmed: [String]
    /// The parties with nothing recorded in the open cycle.
    public var notRecorded: [String]
    /// How many times reviews have extended the term.
    public var extensions: Int

    public init(
        next: CalendarDate? = nil,
        last: CalendarDate? = nil,
        confirmed: [String] = [],
        notConfirmed: [String] = [],
        notRecorded: [String] = [],
        extensions: Int = 0
    ) {
        self.next = next
        self.last = last
        self.confirmed = confirmed
        self.notConfirmed = notConfirmed
        self.notRecorded = notRecorded
        self.extensions = extensions
    }

    private enum CodingKeys: String, CodingKey { case next, last, confirmed, notConfirmed, notRecorded, extensions }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(next, forKey: .next)
        try container.encode(last, forKey: .last)
        try container.encode(confirmed, forKey: .confirmed)
        try container.encode(notConfirmed, forKey: .notConfirmed)
        try container.encode(notRecorded, forKey: .notRecorded)
        try container.encode(extensions, forKey: .extensions)
    }
}

/// One term of an agreement: from `start` through `lastDay`, both in force.
public struct Term: Codable, Hashable, Sendable {
    /// 1 for the initial term, 2 for the first renewal, and so on.
    public var index: Int
    public var start: CalendarDate
    /// `nil` for an indefinite term.
    public var lastDay: CalendarDate?
}

public struct PartyStatus: Codable, Hashable, Sendable {
    public enum Status: String, Codable, Hashable, Sendable {
        /// Signed (subject to ratification, acceptance or approval), and no consent to be bound in effect.
        case signatory
        /// Deposited its consent to be bound, whether or not it signed, but not yet bound: `boundFrom` says when
        /// it will be (once the agreement's entry into force, or the party's own, can be fixed).
        case consented
        case party, withdrawalPending, withdrawn
        /// Depends on the day, within a month or a year, of an imprecisely dated event (issue #14, shape 12); the
        /// status's `undetermined` gives the reason.
        case undetermined
        /// Not bound and not a signatory: never signed or consented, left, or withdrew its signature (`eventId`).
        case notParty
    }

    public var party: String
    public var status: Status
    /// Since when the status holds: the entry into force for a party, the first day out for a withdrawn one, the
    /// deposit of consent for a consented one, the withdrawal of signature for a state that withdrew it.
    public var since: CalendarDate?
    /// For a `consented` state, the first day it will be bound; absent while that day cannot be fixed.
    public var boundFrom: CalendarDate?
    /// The last day the party is (or was) bound, when an end is scheduled or past.
    public var lastDayAsParty: CalendarDate?
    /// Under a sunset clause, the last day obligations continue after the withdrawal.
    public var obligationsSurviveThrough: CalendarDate?
    /// The event behind the status where one event explains it: the deposit of a `consented` state, the
    /// withdrawal of signature of a `notParty` one.
    public var eventId: String?
    /// For a party free to withdraw under the withdrawal clause: the nearest date a withdrawal can take effect, and
    /// the last day to give notice for it.
    public var nextWithdrawal: WithdrawalWindow?
    /// Under a withdrawal clause whose negotiation period may be extended (TEU Art. 50(3)), how many extensions were
    /// agreed for the withdrawal pending or taken effect; `lastDayAsParty` is the date they give.
    public var withdrawalExtensions: Int? = nil
    /// The party's suspension of its performance on `asOf` (in effect, or notified and pending); its legal status is
    /// unchanged.
    public var performanceSuspension: PerformanceSuspension? = nil
    /// Under a withdrawal clause with a condition precedent, whether the record says the condition is met for the
    /// party's pending (or taken) withdrawal.
    public var withdrawalCondition: WithdrawalConditionStatus? = nil
    /// Under `rules.linkedWithdrawal`, the agreement whose withdrawal ends the party's membership here (its
    /// `lastDayAsParty` is that withdrawal's).
    public var withdrawalFollows: String? = nil
    /// The `exclusion` event by which the party ceased to be one (its `since` is that event's date).
    public var excludedBy: String? = nil

    public init(
        party: String,
        status: Status,
        since: CalendarDate? = nil,
        boundFrom: CalendarDate? = nil,
        lastDayAsParty: CalendarDate? = nil,
        obligationsSurviveThrough: CalendarDate? = nil,
        eventId: String? = nil,
        nextWithdrawal: WithdrawalWindow? = nil
    ) {
        self.nextWithdrawal = nextWithdrawal
        self.party = party
        self.status = status
        self.since = since
        self.boundFrom = boundFrom
        self.lastDayAsParty = lastDayAsParty
        self.obligationsSurviveThrough = obligationsSurviveThrough
        self.eventId = eventId
    }
}

/// A party's suspension of its performance: declared (from its date) or notified (from the date the rule gives).
public struct PerformanceSuspension: Codable, Hashable, Sendable {
    /// The first day the suspension is (or will be) in effect.
    public var from: CalendarDate
    /// For a suspension by notification, the day the notification counts from; `nil` for a declared one.
    public var notifiedOn: CalendarDate?
    public var eventId: String
    /// `false` while a notified suspension is pending.
    public var inEffect: Bool

    public init(from: CalendarDate, notifiedOn: CalendarDate?, eventId: String, inEffect: Bool) {
        self.from = from
        self.notifiedOn = notifiedOn
        self.eventId = eventId
        self.inEffect = inEffect
    }
}

/// A condition worth a reader's attention that does not change the legal state by itself.
public struct StatusFlag: Codable, Hashable, Sendable {
    public enum Code: String, Codable, Hashable, Sendable {
        /// A notice of termination exists but its effect is suspended by the notifying party.
        case noticeSuspended
        /// A notice arrived after the term's deadline, so it ends the following term instead.
        case lateNotice
        /// A recorded date differs from the one the rules produce.
        case recordedDateDiffers
        /// A party has suspended its performance (its legal status is unchanged).
        case performanceSuspended
        /// A notice that no clause gives effect to: a notice of withdrawal with no withdrawal clause (or from a party
        /// holding no right to withdraw), or a notice of termination or non-renewal with no termination clause.
        case noticeWithoutClause
        /// A notice given before the lock-in period allowed it.
        case noticeBeforeLockIn
        /// A withdrawal deferred while the party is engaged in an armed conflict.
        case withdrawalDeferred
        /// A notice of withdrawal (or a recorded withdrawal) by a state that is not a party on its date: it never
        /// became one (it only signed, or revoked its consent) or had already left. It has no effect.
        case notAParty
        /// A recorded withdrawal (`withdrawalEffective`) with no notice of withdrawal in the record: the party is
        /// taken to leave on the recorded date.
        case withdrawalWithoutNotice
        /// An agreed extension the rules do not apply: renewal is not by agreement, the term it would extend had
        /// already ended, or the limit on extensions was reached.
        case extensionWithoutEffect
        /// A resumption of a notice that was not suspended on that date (or is dated before the notice).
        case resumptionWithoutSuspension
        /// A notice of withdrawal given while the same party's earlier notice is pending: it has no effect.
        case noticeAlreadyPending
        /// A suspension or revocation of a notice dated after the notice took effect: too late to have any.
        case actAfterEffect
        /// A withdrawal of signature by a state whose consent to be bound stands: it does not undo the consent
        /// (that takes a revocation or a withdrawal), so it has no effect.
        case signatureWithdrawalWithoutEffect
        /// A withdrawal agreement's entry into force that changes nothing: the rule gives it no effect, no
        /// withdrawal by the party is pending, or the withdrawal had already taken effect.
        case withdrawalAgreementWithoutEffect
        /// A confirmation (or non-confirmation) of an extension under a review clause that is not counted: dated
        /// before the cycle's first review or the entry into force, after the term ended, or past the limit on
        /// extensions.
        case confirmationWithoutEffect
        /// A party notified the suspension of its performance; it takes effect later (the party's
        /// `performanceSuspension` gives the date).
        case performanceSuspensionPending
        /// A withdrawal held back by a condition precedent whose fulfilment the record disputes (the party's
        /// `withdrawalCondition` names the positions); its date is contested.
        case withdrawalConditionContested
        /// A `withdrawalConditionMet` or `withdrawalConditionDisputed` that changes nothing: the rule has no condition
        /// precedent, or the event names no notice of withdrawal the condition holds back.
        case withdrawalConditionWithoutEffect
        /// An exclusion of a party that the rules do not provide for (no `exclusion` clause): the record stands, and
        /// the party is taken to have left on its date.
        case exclusionWithoutClause
    }

    public var code: Code
    public var party: String?
    public var since: CalendarDate?
    public var eventId: String?
    public var message: String
}

/// A date that the rules and the record cannot fix yet, and why.
public struct Undetermined: Codable, Hashable, Sendable {
    public var field: String
    public var reason: String
}

/// One step of the engine's reasoning: which rule or event, which convention, which dates went in and
/// which came out. A reader can redo each step by hand.
public struct TraceStep: Codable, Hashable, Sendable {
    /// What the step establishes, e.g. `entryIntoForce`, `currentTerm`, `noticeDeadline`, `notice`.
    public var subject: String
    /// The rule applied (`entryIntoForce`, `term`, `renewal`, `termination`) with its article, if any.
    public var rule: String?
    public var article: String?
    /// The event the step reads, if any.
    public var eventId: String?
    /// The counting convention applied, spelled out.
    public var convention: String?
    /// The dates and periods that went in, by name.
    public var inputs: [String: String]
    /// The date (or value) that came out.
    public var result: String?
    /// The step as a sentence.
    public var explanation: String
}

// Dashboards read absent dates as explicit nulls, so the optional fields are always present.
extension AgreementStatus {
    private enum CodingKeys: String, CodingKey {
        case agreementId, asOf, state, entryIntoForce, currentTerm, noticeDeadline, nextRenewal, lastDayInForce, endCause
        case review, notices, obligationsSurviveThrough, parties, flags, undetermined, ranges, trace
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(agreementId, forKey: .agreementId)
        try container.encode(asOf, forKey: .asOf)
        try container.encode(state, forKey: .state)
        try container.encode(entryIntoForce, forKey: .entryIntoForce)
        try container.encode(currentTerm, forKey: .currentTerm)
        try container.encode(noticeDeadline, forKey: .noticeDeadline)
        try container.encode(nextRenewal, forKey: .nextRenewal)
        try container.encode(lastDayInForce, forKey: .lastDayInForce)
        try container.encode(endCause, forKey: .endCause)
        try container.encode(review, forKey: .review)
        try container.encode(notices, forKey: .notices)
        try container.encode(obligationsSurviveThrough, forKey: .obligationsSurviveThrough)
        try container.encode(parties, forKey: .parties)
        try container.encode(flags, forKey: .flags)
        try container.encode(undetermined, forKey: .undetermined)
        try container.encode(ranges, forKey: .ranges)
        try container.encode(trace, forKey: .trace)
    }
}

extension Term {
    private enum CodingKeys: String, CodingKey { case index, start, lastDay }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encode(start, forKey: .start)
        try container.encode(lastDay, forKey: .lastDay)
    }
}
