/// The lifecycle clauses of an agreement, as data. Each rule names the article it comes from and every
/// counting convention it relies on, so the engine never has to guess how a depositary counts.
///
/// The fields live in one shared box, as ``Event``'s do: laid out inline they take about 1,000 bytes, mostly absent
/// clauses, in every agreement and in every evaluation that copies them. A box is one reference, and equal rules loaded
/// together can share one (``RulesInterner``): 100,000 synthetic agreements hold 2,674 distinct rules. Setting a field
/// copies the box, so `Rules` is still a value.
public struct Rules: Codable, Hashable, Sendable {
    struct Fields: Codable, Hashable, Sendable {
        var entryIntoForce: EntryIntoForceRule
        var term: TermRule
        var renewal: RenewalRule?
        var termination: TerminationRule?
        var withdrawal: WithdrawalRule?
        var performanceSuspension: PerformanceSuspensionRule?
        var survival: AgreementSurvival?
        var linkedWithdrawal: LinkedWithdrawalRule?
        var exclusion: ExclusionRule?
    }

    private var box: SharedFields<Fields>

    private mutating func update(_ change: (inout Fields) -> Void) { box = box.updated(change) }

    public var entryIntoForce: EntryIntoForceRule {
        _read { yield box.fields.entryIntoForce }
        set { update { $0.entryIntoForce = newValue } }
    }
    public var term: TermRule {
        _read { yield box.fields.term }
        set { update { $0.term = newValue } }
    }
    public var renewal: RenewalRule? {
        _read { yield box.fields.renewal }
        set { update { $0.renewal = newValue } }
    }
    public var termination: TerminationRule? {
        _read { yield box.fields.termination }
        set { update { $0.termination = newValue } }
    }
    /// How a party leaves. Absent: the agreement has no withdrawal clause, and a notice of withdrawal has no
    /// effect under its rules (it is flagged).
    public var withdrawal: WithdrawalRule? {
        _read { yield box.fields.withdrawal }
        set { update { $0.withdrawal = newValue } }
    }
    /// Suspension of performance by notification, taking effect a period after it is notified. Absent: a
    /// `performanceSuspensionNotified` has no effect (flagged); a declared `performanceSuspended` always takes effect
    /// on its date.
    public var performanceSuspension: PerformanceSuspensionRule? {
        _read { yield box.fields.performanceSuspension }
        set { update { $0.performanceSuspension = newValue } }
    }
    /// Obligations of the whole agreement that continue after a party ends it (a sunset clause of a bilateral
    /// investment treaty); see ``AgreementSurvival``.
    public var survival: AgreementSurvival? {
        _read { yield box.fields.survival }
        set { update { $0.survival = newValue } }
    }
    /// A party that withdraws from another agreement (the framework convention) is considered as also having withdrawn
    /// from this one; see ``LinkedWithdrawalRule``.
    public var linkedWithdrawal: LinkedWithdrawalRule? {
        _read { yield box.fields.linkedWithdrawal }
        set { update { $0.linkedWithdrawal = newValue } }
    }
    /// The parties (or an organ) may decide that a party has ceased to be one; see ``ExclusionRule``. Absent: an
    /// `exclusion` event still takes effect (the record stands), flagged.
    public var exclusion: ExclusionRule? {
        _read { yield box.fields.exclusion }
        set { update { $0.exclusion = newValue } }
    }

    public init(
        entryIntoForce: EntryIntoForceRule,
        term: TermRule,
        renewal: RenewalRule? = nil,
        termination: TerminationRule? = nil,
        withdrawal: WithdrawalRule? = nil,
        performanceSuspension: PerformanceSuspensionRule? = nil,
        survival: AgreementSurvival? = nil,
        linkedWithdrawal: LinkedWithdrawalRule? = nil,
        exclusion: ExclusionRule? = nil
    ) {
        box = SharedFields(
            Fields(
                entryIntoForce: entryIntoForce,
                term: term,
                renewal: renewal,
                termination: termination,
                withdrawal: withdrawal,
                performanceSuspension: performanceSuspension,
                survival: survival,
                linkedWithdrawal: linkedWithdrawal,
                exclusion: exclusion
            )
        )
    }

    public init(from decoder: any Decoder) throws { box = SharedFields(try Fields(from: decoder)) }

    public func encode(to encoder: any Encoder) throws { try box.fields.encode(to: encoder) }

    /// Whether both hold the same box: what ``RulesInterner`` achieves for equal rules.
    func sharesStorage(with other: Rules) -> Bool { box === other.box }
}

/// Gives equal rules one shared box, for a catalog loaded in bulk: the first of each kind is kept, and every later equal
/// one is replaced by it. Not thread-safe: one interner per decoding lane.
public struct RulesInterner: Sendable {
    private var seen: Set<Rules> = []

    public init() {}

    public mutating func intern(_ rules: Rules) -> Rules { seen.insert(rules).memberAfterInsert }

    /// `agreement` with its rules interned.
    public mutating func intern(_ agreement: Agreement) -> Agreement {
        var interned = agreement
        interned.rules = intern(agreement.rules)
        return interned
    }
}

/// A party may suspend its performance by notifying the others; the suspension takes effect `notice` after the
/// notification (issue #14, shape 6). A flag and a dated fact on the party's status, not a change of legal status.
public struct PerformanceSuspensionRule: Codable, Hashable, Sendable {
    public var notice: Period
    /// Which date of the notification counts.
    public var noticeDate: TerminationRule.NoticeDate
    /// `sameCalendarDate`: in effect on notification + `notice`; `dayAfter`: the day after that.
    public var counting: WithdrawalRule.Counting
    public var article: String?

    public init(
        notice: Period,
        noticeDate: TerminationRule.NoticeDate = .receipt,
        counting: WithdrawalRule.Counting = .sameCalendarDate,
        article: String? = nil
    ) {
        self.notice = notice
        self.noticeDate = noticeDate
        self.counting = counting
        self.article = article
    }
}

/// What a notice's period does while the notice is suspended (issue #14, shape 7). Absent on a rule: `restarts`.
public enum SuspendedNoticeClock: String, Codable, Hashable, Sendable {
    /// Resumed, the notice counts as given again on the day it is resumed: the whole period runs again.
    case restarts
    /// The period stops on the day of the suspension and continues on the day of the resumption: the days that had
    /// run carry over, so the notice counts as given (resumption − suspension) days later. Every suspension before
    /// the effect stops the clock, even one resumed before the effect would have come.
    case pauses
}

/// Moving a computed date onto the calendar, as some clauses require.
public enum DateSnap: String, Codable, Hashable, Sendable {
    /// "the first day of the month following ...": the first day of the next month.
    case firstDayOfNextMonth

    public func apply(to date: CalendarDate) throws(DateError) -> CalendarDate {
        switch self {
        case .firstDayOfNextMonth: return try date.firstOfMonth.plus(.months(1))
        }
    }
}

public struct EntryIntoForceRule: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Hashable, Sendable {
        /// On a date fixed by the text.
        case onDate
        /// On the date of the recorded `entryIntoForce` event (for example, the later of two notifications,
        /// as announced by the parties).
        case onEvent
        /// On the date of the recorded `signature` event.
        case onSignature
        /// `delay` after the `consentsRequired`-th consent (all listed parties when absent), or after the
        /// recorded `conditionsMet` event when the consents are not all recorded; then `snap`.
        case afterConsents
    }

    public var kind: Kind
    public var date: CalendarDate?
    /// For `afterConsents`: how many consents; absent means every listed party.
    public var consentsRequired: Int?
    /// For `afterConsents`: added to the date the conditions were met ("the thirtieth day after" = P30D).
    public var delay: Period?
    public var snap: DateSnap?
    /// For a state that consents after the agreement entered into force: its own entry into force.
    public var laterParties: LaterPartiesRule?
    public var article: String?

    public init(
        kind: Kind,
        date: CalendarDate? = nil,
        consentsRequired: Int? = nil,
        delay: Period? = nil,
        snap: DateSnap? = nil,
        laterParties: LaterPartiesRule? = nil,
        article: String? = nil
    ) {
        self.kind = kind
        self.date = date
        self.consentsRequired = consentsRequired
        self.delay = delay
        self.snap = snap
        self.laterParties = laterParties
        self.article = article
    }
}

/// Entry into force for a state that consents after the agreement is in force: `delay` after its own
/// consent, then `snap`. Without this rule such a state is bound from the day of its consent.
public struct LaterPartiesRule: Codable, Hashable, Sendable {
    public var delay: Period?
    public var snap: DateSnap?
    public var article: String?

    public init(delay: Period? = nil, snap: DateSnap? = nil, article: String? = nil) {
        self.delay = delay
        self.snap = snap
        self.article = article
    }
}

public struct TermRule: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Hashable, Sendable {
        case indefinite
        /// In force for `length` from entry into force. A term of length P starting on S covers S ... S+P−1 day.
        case fixed
        /// A fixed first term of `length`, then in force indefinitely (a second, open-ended term).
        case fixedThenIndefinite
    }

    public var kind: Kind
    public var length: Period?
    public var article: String?

    public init(kind: Kind, length: Period? = nil, article: String? = nil) {
        self.kind = kind
        self.length = length
        self.article = article
    }
}

public struct RenewalRule: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Hashable, Sendable {
        /// Extended for `period` at the end of each term unless a notice stops it.
        case automatic
        /// Extended only when the parties agree (`extensionAgreed` events, each for its own period of at most
        /// `maxPeriod`, agreed no later than the last day of the term it extends).
        case byAgreement
        /// Extended by `period` when, after a joint review (`review`), every party confirms it wishes to extend the
        /// term (`extensionConfirmed` events); counted as `extensionCounting` says.
        case byReview
    }

    /// Where an extension's period is counted from (issue #14, shape 3).
    public enum ExtensionCounting: String, Codable, Hashable, Sendable {
        /// An extension of P counted from the end of the current term: the next term starts the day after the
        /// current one's last day and runs P.
        case fromTermEnd
        /// A new term of P counted from the date of the decision (or the confirmation at a review) that grants it:
        /// the new term starts on that date, the current one ends the day before.
        case fromDecision
    }

    public var kind: Kind
    /// For `automatic`: the length of each renewal.
    public var period: Period?
    /// At most this many renewals or extensions; `nil` for no limit.
    public var maxRenewals: Int?
    /// For `byAgreement`: the longest extension allowed.
    public var maxPeriod: Period?
    /// For `byAgreement` and `byReview`: where an extension is counted from. Required for `byReview`; for
    /// `byAgreement` absent means `fromTermEnd`.
    public var extensionCounting: ExtensionCounting?
    /// For `byReview`: when the joint reviews fall.
    public var review: ReviewRule?
    public var article: String?

    public init(
        kind: Kind = .automatic,
        period: Period? = nil,
        maxRenewals: Int? = nil,
        maxPeriod: Period? = nil,
        extensionCounting: ExtensionCounting? = nil,
        review: ReviewRule? = nil,
        article: String? = nil
    ) {
        self.kind = kind
        self.period = period
        self.maxRenewals = maxRenewals
        self.maxPeriod = maxPeriod
        self.extensionCounting = extensionCounting
        self.review = review
        self.article = article
    }
}

/// Joint reviews that may extend a fixed term (USMCA Art. 34.7): the first `first` after the entry into force; if
/// not every party confirms the extension there, one every `interval` for the rest of the term, until every party
/// has confirmed or the term ends; once the term is extended, the next cycle's first review `afterExtension` after
/// the decision.
public struct ReviewRule: Codable, Hashable, Sendable {
    /// From the entry into force to the first review ("on the sixth anniversary" = P6Y).
    public var first: Period
    /// Between reviews while the extension is not confirmed ("every year" = P1Y).
    public var interval: Period
    /// From the decision that extended the term to the next cycle's first review ("no later than at the end of the
    /// next six-year period" = P6Y: the latest date, reported as the review's date).
    public var afterExtension: Period
    public var article: String?

    public init(first: Period, interval: Period, afterExtension: Period, article: String? = nil) {
        self.first = first
        self.interval = interval
        self.afterExtension = afterExtension
        self.article = article
    }
}

/// Notice before the end of a term that stops the next renewal (or, for an indefinite term, ends the
/// agreement `notice` after it is given).
public struct TerminationRule: Codable, Hashable, Sendable {
    /// How "N days in advance of expiry" is counted.
    public enum DeadlineCounting: String, Codable, Hashable, Sendable {
        /// Deadline = the term's last day in force − `notice` (GSOMIA: 2019-11-22 − P90D = 2019-08-24).
        case beforeLastDayInForce
        /// Deadline = the expiry date (the first day no longer in force) − `notice` (2019-11-23 − P90D = 2019-08-25).
        case beforeExpiryDate
    }

    /// Which date of a notice counts.
    public enum NoticeDate: String, Codable, Hashable, Sendable {
        case dispatch
        case receipt
    }

    /// What a notice given after a term's deadline does.
    public enum LateNotice: String, Codable, Hashable, Sendable {
        /// It stops the renewal after the following term.
        case endsNextTerm
    }

    public var notice: Period
    public var counting: DeadlineCounting
    public var noticeDate: NoticeDate
    public var lateNotice: LateNotice
    /// What a suspended notice's period does when it is resumed; absent: `restarts`.
    public var suspendedNotice: SuspendedNoticeClock?
    public var article: String?

    public init(
        notice: Period,
        counting: DeadlineCounting,
        noticeDate: NoticeDate,
        lateNotice: LateNotice = .endsNextTerm,
        suspendedNotice: SuspendedNoticeClock? = nil,
        article: String? = nil
    ) {
        self.notice = notice
        self.counting = counting
        self.noticeDate = noticeDate
        self.lateNotice = lateNotice
        self.suspendedNotice = suspendedNotice
        self.article = article
    }

    private enum CodingKeys: String, CodingKey { case notice, counting, noticeDate, lateNotice, suspendedNotice, article }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        notice = try container.decode(Period.self, forKey: .notice)
        counting = try container.decode(DeadlineCounting.self, forKey: .counting)
        noticeDate = try container.decode(NoticeDate.self, forKey: .noticeDate)
        lateNotice = try container.decodeIfPresent(LateNotice.self, forKey: .lateNotice) ?? .endsNextTerm
        suspendedNotice = try container.decodeIfPresent(SuspendedNoticeClock.self, forKey: .suspendedNotice)
        article = try container.decodeIfPresent(String.self, forKey: .article)
    }
}

/// How a party leaves an agreement by notice. For a bilateral agreement, a withdrawal ends the agreement.
public struct WithdrawalRule: Codable, Hashable, Sendable {
    /// How the end of the notice period is counted.
    public enum Counting: String, Codable, Hashable, Sendable {
        /// The same calendar date: received 2019-11-04 + P1Y takes effect 2020-11-04 (UN practice).
        case sameCalendarDate
        /// The day after that: received 2024-04-26 + P1Y takes effect 2025-04-27 (the period runs from the day
        /// after receipt and the withdrawal takes effect upon its expiry).
        case dayAfter
    }

    /// What the computed date means.
    public enum EffectDate: String, Codable, Hashable, Sendable {
        /// The first day the party is no longer bound ("takes effect on").
        case firstDayNotBound
        /// The last day the party is bound ("until 31 December").
        case lastDayBound
    }

    /// A fixed day of the calendar some years after the notice: "31 December of the year following".
    ///
    /// With `cutoff`, the year depends on the day of the notice within its year: "may withdraw on 30 June of
    /// any year by giving notice on or before 1 January of the same year" (ICRW Art. XI) is the anchor 30 June,
    /// `yearsAfterNotice` 0, `cutoff` 1 January: a notice counted on or before the cutoff takes effect on the
    /// anchor of its year + `yearsAfterNotice`; a later one, on the anchor a year after that.
    public struct CalendarAnchor: Codable, Hashable, Sendable {
        public var month: Int
        public var day: Int
        public var yearsAfterNotice: Int
        /// The last day of a year on which notice counts for the nearer anchor; absent: every day of the year does.
        public var cutoff: MonthDay?

        public init(month: Int, day: Int, yearsAfterNotice: Int, cutoff: MonthDay? = nil) {
            self.month = month
            self.day = day
            self.yearsAfterNotice = yearsAfterNotice
            self.cutoff = cutoff
        }

        /// The anchor's year for a notice counted on `counted`.
        public func effectYear(forNoticeOn counted: CalendarDate) -> Int {
            let late = cutoff.map { (counted.month, counted.day) > ($0.month, $0.day) } ?? false
            return counted.year + yearsAfterNotice + (late ? 1 : 0)
        }
    }

    /// A day of the year, as a clause names it ("1 January").
    public struct MonthDay: Codable, Hashable, Sendable {
        public var month: Int
        public var day: Int

        public init(month: Int, day: Int) {
            self.month = month
            self.day = day
        }
    }

    /// No notice may be given before `period` has passed since `from`.
    public struct LockIn: Codable, Hashable, Sendable {
        public enum From: String, Codable, Hashable, Sendable {
            /// The agreement's entry into force for the withdrawing party.
            case partyEntryIntoForce
            /// The agreement's general entry into force.
            case entryIntoForce
        }

        public var period: Period
        public var from: From

        public init(period: Period, from: From) {
            self.period = period
            self.from = from
        }
    }

    /// A notice may be given at any time, but its effect comes no earlier than this (issue #14, shape 8). Unlike
    /// ``lockIn`` (no notice may be given before a date: an earlier one has no effect), an early notice stands and its
    /// effect is deferred.
    public struct EarliestEffect: Codable, Hashable, Sendable {
        /// A fixed first day the withdrawal may take effect ("no earlier than 1 January 2030").
        public var date: CalendarDate?
        /// Or a period counted from `from` ("at the end of the initial ten-year period": P10Y from the entry into
        /// force); the first day no longer bound is `from` + `period`.
        public var period: Period?
        public var from: LockIn.From?
        public var article: String?

        public init(date: CalendarDate? = nil, period: Period? = nil, from: LockIn.From? = nil, article: String? = nil) {
            self.date = date
            self.period = period
            self.from = from
            self.article = article
        }

        /// The first day a withdrawal may take effect, given the entry into force the rule counts from; `nil` when
        /// that entry is not known or the date falls past 9999-12-31.
        func firstDay(partyEntry: CalendarDate?, generalEntry: CalendarDate?) -> CalendarDate? {
            if let date { return date }
            guard let period, let base = (from ?? .entryIntoForce) == .partyEntryIntoForce ? partyEntry : generalEntry else {
                return nil
            }
            return try? base.plus(period)
        }
    }

    /// The notice period; absent when `anchor` fixes the date instead.
    public var notice: Period?
    public var noticeDate: TerminationRule.NoticeDate
    public var counting: Counting
    public var anchor: CalendarAnchor?
    public var snap: DateSnap?
    public var effectDate: EffectDate
    public var lockIn: LockIn?
    /// Notice at any time, effect no earlier than a date (shape 8); see ``EarliestEffect``.
    public var earliestEffect: EarliestEffect?
    /// Only these parties hold the right to withdraw; absent means every party.
    public var holders: [String]?
    /// The notice may name a later date, which then applies (`statedEffectiveDate` on the notice).
    public var laterDateMayBeSpecified: Bool?
    /// If the withdrawing party is engaged in an armed conflict when the withdrawal would take effect, it
    /// takes effect only when the conflict ends (Ottawa Convention Art. 20(3)).
    public var deferredDuringArmedConflict: Bool?
    /// Obligations continue for this long after the withdrawal takes effect (a sunset clause).
    public var survival: Period?
    /// The notice period is a negotiation period the parties may extend, and a withdrawal agreement may end it
    /// earlier (TEU Art. 50(3)).
    public var negotiation: Negotiation?
    /// What a suspended notice's period does when it is resumed; absent: `restarts`.
    public var suspendedNotice: SuspendedNoticeClock?
    /// The withdrawal takes effect only once a condition is met (ILO Constitution Art. 1(5): "subject to its having at
    /// that time fulfilled all financial obligations"); see ``WithdrawalCondition``.
    public var conditionPrecedent: WithdrawalCondition?
    public var article: String?

    /// "The Treaties shall cease to apply ... from the date of entry into force of the withdrawal agreement or,
    /// failing that, two years after the notification ..., unless the European Council, in agreement with the Member
    /// State concerned, unanimously decides to extend this period."
    public struct Negotiation: Codable, Hashable, Sendable {
        /// The period may be extended, any number of times: each `withdrawalPeriodExtended` event (naming the
        /// notice) gives the new date, read as ``WithdrawalRule/effectDate`` says (for TEU Art. 50, the last day
        /// bound: "until 31 January 2020").
        public var extensible: Bool
        /// The withdrawal takes effect on the day a withdrawal agreement enters into force
        /// (`withdrawalAgreementInForce`), if that day comes before the end of the period.
        public var endsOnWithdrawalAgreement: Bool
        public var article: String?

        public init(extensible: Bool, endsOnWithdrawalAgreement: Bool, article: String? = nil) {
            self.extensible = extensible
            self.endsOnWithdrawalAgreement = endsOnWithdrawalAgreement
            self.article = article
        }
    }

    public init(
        notice: Period? = nil,
        noticeDate: TerminationRule.NoticeDate = .receipt,
        counting: Counting = .sameCalendarDate,
        anchor: CalendarAnchor? = nil,
        snap: DateSnap? = nil,
        effectDate: EffectDate = .firstDayNotBound,
        lockIn: LockIn? = nil,
        earliestEffect: EarliestEffect? = nil,
        holders: [String]? = nil,
        laterDateMayBeSpecified: Bool? = nil,
        deferredDuringArmedConflict: Bool? = nil,
        survival: Period? = nil,
        negotiation: Negotiation? = nil,
        suspendedNotice: SuspendedNoticeClock? = nil,
        conditionPrecedent: WithdrawalCondition? = nil,
        article: String? = nil
    ) {
        self.conditionPrecedent = conditionPrecedent
        self.negotiation = negotiation
        self.suspendedNotice = suspendedNotice
        self.notice = notice
        self.noticeDate = noticeDate
        self.counting = counting
        self.anchor = anchor
        self.snap = snap
        self.effectDate = effectDate
        self.lockIn = lockIn
        self.earliestEffect = earliestEffect
        self.holders = holders
        self.laterDateMayBeSpecified = laterDateMayBeSpecified
        self.deferredDuringArmedConflict = deferredDuringArmedConflict
        self.survival = survival
        self.article = article
    }
}
