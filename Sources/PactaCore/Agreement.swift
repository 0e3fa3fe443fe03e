/// An international agreement: who is bound, the rules of its lifecycle, and what has happened to it.
///
/// The status of an agreement is never stored; it is computed from `rules` and `events` by
/// ``RulesEngine/evaluate(_:asOf:)``.
public struct Agreement: Codable, Hashable, Sendable {
    /// A stable slug such as `gsomia`: lowercase letters, digits and hyphens.
    public var id: String
    public var title: String
    public var shortTitle: String?
    /// Bilateral agreements end when one party leaves; multilateral ones continue among the others.
    public var kind: Kind
    /// The parties the record tracks (for a multilateral agreement, those whose acts are recorded).
    public var parties: [Party]
    public var tags: [String]
    /// Read only by the document: kept where it was loaded from when that can give it back (``DocumentText``).
    var summaryText: DocumentText?
    public var summary: String? {
        get { summaryText?.string }
        set { summaryText = newValue.map(DocumentText.init) }
    }
    public var rules: Rules
    /// The dated facts, in the order they were recorded. Append-only: a correction supersedes, never edits.
    public var events: [Event]
    /// The agreements this one's `rules.linkedWithdrawal` names, as the catalog holds them, by id: the engine reads
    /// their parties' withdrawals to compute the withdrawals they imply here (issue #14, shape 11). Not part of the
    /// agreement's encoding (the catalog resolves it, ``LinkedAgreements/resolve(_:in:)``); empty when unresolved.
    public var linked: [String: Agreement] = [:]

    public enum Kind: String, Codable, Hashable, Sendable {
        case bilateral, multilateral
    }

    public init(
        id: String,
        title: String,
        shortTitle: String? = nil,
        kind: Kind = .bilateral,
        parties: [Party],
        tags: [String] = [],
        summary: String? = nil,
        rules: Rules,
        events: [Event] = []
    ) {
        self.id = id
        self.title = title
        self.shortTitle = shortTitle
        self.kind = kind
        self.parties = parties
        self.tags = tags
        self.summaryText = summary.map(DocumentText.init)
        self.rules = rules
        self.events = events
    }

    private enum CodingKeys: String, CodingKey {
        case id, title, shortTitle, kind, parties, tags, summary, rules, events
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        title = try container.decode(String.self, forKey: .title)
        shortTitle = try container.decodeIfPresent(String.self, forKey: .shortTitle)
        kind = try container.decode(Kind.self, forKey: .kind)
        parties = try container.decode([Party].self, forKey: .parties)
        tags = try container.decodeIfPresent([String].self, forKey: .tags) ?? []
        summaryText = try container.decodeIfPresent(DocumentText.self, forKey: .summary)
        rules = try container.decode(Rules.self, forKey: .rules)
        events = try container.decodeIfPresent([Event].self, forKey: .events) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(title, forKey: .title)
        try container.encodeIfPresent(shortTitle, forKey: .shortTitle)
        try container.encode(kind, forKey: .kind)
        try container.encode(parties, forKey: .parties)
        try container.encode(tags, forKey: .tags)
        try container.encodeIfPresent(summaryText, forKey: .summary)
        try container.encode(rules, forKey: .rules)
        try container.encode(events, forKey: .events)
    }
}

/// A state or organisation that negotiated, signed or joined an agreement.
public struct Party: Codable, Hashable, Sendable {
    /// ISO 3166-1 alpha-2 code for states (`JP`, `KR`), or another short code for organisations (`EU`).
    public var code: String
    public var name: String

    public init(code: String, name: String) {
        self.code = code
        self.name = name
    }
}

/// A dated fact about an agreement, with the public record it comes from.
///
/// The fields live in one shared box (``SharedFields``): the engine passes events around many times per evaluation,
/// and copying a box costs one reference count where copying the fields cost one per string (a third of an evaluation,
/// measured with callgrind). The fields few events carry (a precision, a reference to another event, a stated date, an
/// extension's period) sit in a second box, absent from most events: 168 bytes of fields became 96.
public struct Event: Codable, Hashable, Sendable {
    struct Fields: Codable, Hashable, Sendable {
        var id: String
        var type: EventType
        var date: CalendarDate
        var party: String?
        var received: CalendarDate?
        var summary: DocumentText?
        var source: DocumentText?
        /// `nil` when every rare field is absent (``Rare/boxed``), so equal fields are equal here too.
        var rare: SharedFields<Rare>?

        private enum CodingKeys: String, CodingKey {
            case id, type, date, datePrecision, party, received, refersTo, supersedes, statedEffectiveDate, period
            case indefinite, summary, source
        }

        init(
            id: String,
            type: EventType,
            date: CalendarDate,
            party: String?,
            received: CalendarDate?,
            summary: DocumentText?,
            source: DocumentText?,
            rare: Rare
        ) {
            self.id = id
            self.type = type
            self.date = date
            self.party = party
            self.received = received
            self.summary = summary
            self.source = source
            self.rare = rare.boxed
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            type = try container.decode(EventType.self, forKey: .type)
            date = try container.decode(CalendarDate.self, forKey: .date)
            party = try container.decodeIfPresent(String.self, forKey: .party)
            received = try container.decodeIfPresent(CalendarDate.self, forKey: .received)
            summary = try container.decodeIfPresent(DocumentText.self, forKey: .summary)
            source = try container.decodeIfPresent(DocumentText.self, forKey: .source)
            rare =
                Rare(
                    datePrecision: try container.decodeIfPresent(DatePrecision.self, forKey: .datePrecision),
                    refersTo: try container.decodeIfPresent(String.self, forKey: .refersTo),
                    supersedes: try container.decodeIfPresent(String.self, forKey: .supersedes),
                    statedEffectiveDate: try container.decodeIfPresent(CalendarDate.self, forKey: .statedEffectiveDate),
                    period: try container.decodeIfPresent(Period.self, forKey: .period),
                    indefinite: try container.decodeIfPresent(Bool.self, forKey: .indefinite)
                ).boxed
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(type, forKey: .type)
            try container.encode(date, forKey: .date)
            let rare = self.rare?.fields ?? Rare()
            try container.encodeIfPresent(rare.datePrecision, forKey: .datePrecision)
            try container.encodeIfPresent(party, forKey: .party)
            try container.encodeIfPresent(received, forKey: .received)
            try container.encodeIfPresent(rare.refersTo, forKey: .refersTo)
            try container.encodeIfPresent(rare.supersedes, forKey: .supersedes)
            try container.encodeIfPresent(rare.statedEffectiveDate, forKey: .statedEffectiveDate)
            try container.encodeIfPresent(rare.period, forKey: .period)
            try container.encodeIfPresent(rare.indefinite, forKey: .indefinite)
            try container.encodeIfPresent(summary, forKey: .summary)
            try container.encodeIfPresent(source, forKey: .source)
        }
    }

    /// The fields few events carry; all absent on most.
    struct Rare: Hashable, Sendable {
        var datePrecision: DatePrecision?
        var refersTo: String?
        var supersedes: String?
        var statedEffectiveDate: CalendarDate?
        var period: Period?
        var indefinite: Bool?

        /// In a box, or `nil` when every field is absent.
        var boxed: SharedFields<Rare>? { self == Rare() ? nil : SharedFields(self) }
    }

    private var box: SharedFields<Fields>

    private mutating func update(_ change: (inout Fields) -> Void) { box = box.updated(change) }

    private mutating func updateRare(_ change: (inout Rare) -> Void) {
        update { fields in
            var rare = fields.rare?.fields ?? Rare()
            change(&rare)
            fields.rare = rare.boxed
        }
    }

    /// Unique within the agreement; assigned by the server when a new event arrives without one.
    public var id: String {
        get { box.fields.id }
        set { update { $0.id = newValue } }
    }
    public var type: EventType {
        get { box.fields.type }
        set { update { $0.type = newValue } }
    }
    /// The day the event happened. For a notice, the day it was dispatched. With a `datePrecision` of `month` or
    /// `year`, the first day of that month or year: the event happened on a day within it that the record does not
    /// give.
    public var date: CalendarDate {
        get { box.fields.date }
        set { update { $0.date = newValue } }
    }
    /// How precisely the record dates the event; absent means `day` (issue #14, shape 12).
    public var datePrecision: DatePrecision? {
        get { box.fields.rare?.fields.datePrecision }
        set { updateRare { $0.datePrecision = newValue } }
    }
    /// The party that acted (gave notice, suspended it, ...).
    public var party: String? {
        get { box.fields.party }
        set { update { $0.party = newValue } }
    }
    /// For a notice: the day the other party (or the depositary) received it, when the record says.
    public var received: CalendarDate? {
        get { box.fields.received }
        set { update { $0.received = newValue } }
    }
    /// For events that act on an earlier notice (suspend, resume, revoke): that notice's id.
    public var refersTo: String? {
        get { box.fields.rare?.fields.refersTo }
        set { updateRare { $0.refersTo = newValue } }
    }
    /// A correction: the id of an earlier event this one replaces.
    public var supersedes: String? {
        get { box.fields.rare?.fields.supersedes }
        set { updateRare { $0.supersedes = newValue } }
    }
    /// The date the record (a depositary, a government) states the act takes effect, when it states one.
    /// The engine computes its own date from the rules and flags any difference.
    public var statedEffectiveDate: CalendarDate? {
        get { box.fields.rare?.fields.statedEffectiveDate }
        set { updateRare { $0.statedEffectiveDate = newValue } }
    }
    /// For `extensionAgreed`: how long the agreement is extended.
    public var period: Period? {
        get { box.fields.rare?.fields.period }
        set { updateRare { $0.period = newValue } }
    }
    /// For `extensionAgreed`: the agreement continues indefinitely.
    public var indefinite: Bool? {
        get { box.fields.rare?.fields.indefinite }
        set { updateRare { $0.indefinite = newValue } }
    }
    public var summary: String? {
        get { box.fields.summary?.string }
        set { update { $0.summary = newValue.map(DocumentText.init) } }
    }
    /// Where the fact is recorded (an official page, a depositary notification, a news report).
    public var source: String? {
        get { box.fields.source?.string }
        set { update { $0.source = newValue.map(DocumentText.init) } }
    }

    /// The event with its summary and source as given: kept in the file it was read from (``DocumentText``).
    public func keepingText(summary: DocumentText?, source: DocumentText?) -> Event {
        var event = self
        event.box = box.updated { fields in
            fields.summary = summary
            fields.source = source
        }
        return event
    }

    public init(
        id: String,
        type: EventType,
        date: CalendarDate,
        datePrecision: DatePrecision? = nil,
        party: String? = nil,
        received: CalendarDate? = nil,
        refersTo: String? = nil,
        supersedes: String? = nil,
        statedEffectiveDate: CalendarDate? = nil,
        period: Period? = nil,
        indefinite: Bool? = nil,
        summary: String? = nil,
        source: String? = nil
    ) {
        box = SharedFields(
            Fields(
                id: id,
                type: type,
                date: date,
                party: party,
                received: received,
                summary: summary.map(DocumentText.init),
                source: source.map(DocumentText.init),
                rare: Rare(
                    datePrecision: datePrecision,
                    refersTo: refersTo,
                    supersedes: supersedes,
                    statedEffectiveDate: statedEffectiveDate,
                    period: period,
                    indefinite: indefinite
                )
            )
        )
    }

    public init(from decoder: any Decoder) throws { box = SharedFields(try Fields(from: decoder)) }

    public func encode(to encoder: any Encoder) throws { try box.fields.encode(to: encoder) }

}

/// Kinds of dated facts. Events marked *record* state an outcome that the engine also computes from the
/// rules (for example the day a withdrawal took effect); the engine compares the two and flags a difference.
public enum EventType: String, Codable, Hashable, Sendable, CaseIterable {
    case signature
    /// `party` informed the depositary that it does not intend to become a party, so its signature carries no
    /// obligation (Vienna Convention on the Law of Treaties, Art. 18(a)): it is no longer a signatory. Not a
    /// `consentRevoked`: a signature subject to ratification is not a consent to be bound.
    case signatureWithdrawn
    /// A party's consent to be bound: ratification, acceptance, approval, accession or succession.
    case consent
    /// A consent withdrawn before the agreement entered into force for that party (e.g. a revoked ratification).
    case consentRevoked
    /// The depositary records that the conditions for entry into force were met on this date (e.g. the
    /// deposit that reached a threshold which cannot be counted from the events alone).
    case conditionsMet
    /// The agreement entered into force (for all parties).
    case entryIntoForce
    /// *Record*: the agreement entered into force for `party`.
    case entryIntoForceForParty
    /// Written notice by a party that it terminates the agreement. Under a clause whose notice stops the next
    /// renewal, the agreement ends after the term the notice reaches, as `terminated`.
    case noticeOfTermination
    /// Written notice by a party that it does not want the agreement renewed (extended). Counted under the same
    /// clause as a notice of termination, it stops the next renewal; the last term then runs out, so the agreement
    /// ends as `expired`.
    case noticeOfNonRenewal
    /// Written notice by a party that it withdraws from the agreement.
    case noticeOfWithdrawal
    /// The period before a notice of withdrawal (`refersTo`) takes effect is extended by agreement until
    /// `statedEffectiveDate`, read as the withdrawal rule's `effectDate` says (TEU Art. 50(3): a European Council
    /// decision taken in agreement with the withdrawing State).
    case withdrawalPeriodExtended
    /// A withdrawal agreement with `party` entered into force on this date; under a rule whose negotiation says so,
    /// the party is no longer bound from that day, if the period has not ended before.
    case withdrawalAgreementInForce
    /// The notifying party suspends the effect of its notice; it may resume it later.
    case noticeSuspended
    /// A suspended notice takes effect again.
    case noticeResumed
    /// The notice is withdrawn for good.
    case noticeRevoked
    /// *Record*: `party`'s withdrawal took effect on this date (its first day no longer bound). With no notice of
    /// withdrawal in the record to compute the date from, the record is taken as it stands: the party leaves on
    /// this date (flagged `withdrawalWithoutNotice`).
    case withdrawalEffective
    /// `party` ceased to be a party on this date (its first day no longer bound) by a decision to exclude it, as the
    /// rules' `exclusion` clause allows ("the Committee may decide that it has ceased to be a member of the Council as
    /// from such date as the Committee may determine", Statute of the Council of Europe, Art. 8). It ends the party's
    /// membership ahead of any notice of withdrawal still running.
    case exclusion
    /// The parties agreed to extend the agreement by `period` (or `indefinite`).
    case extensionAgreed
    /// Under a review clause, `party` confirmed in writing that it wishes to extend the term; when every party's
    /// latest word in the review cycle is a confirmation, the term is extended (on the date of the last one).
    case extensionConfirmed
    /// Under a review clause, `party` did not confirm the extension at a review (or withdrew its confirmation);
    /// reviews then repeat at the rule's interval.
    case extensionNotConfirmed
    /// A party stops performing its obligations; a fact worth flagging, not a change of legal status.
    case performanceSuspended
    /// `party` notifies that it suspends its performance; under a `performanceSuspension` rule it takes effect the
    /// rule's period after the notification (counted from dispatch or receipt, as the rule says).
    case performanceSuspensionNotified
    case performanceResumed
    /// The parties terminated the agreement by consent, effective on this date (the first day not in force).
    case terminatedByConsent
    /// A later agreement replaced this one, effective on this date (the first day not in force).
    case superseded
    /// *Record*: the agreement ended on this date (its first day no longer in force).
    case terminated
    /// *Record*: the agreement expired; this date is its first day no longer in force.
    case expired
    /// `party` became engaged in an armed conflict (relevant to withdrawal clauses that defer their effect).
    case armedConflictBegan
    case armedConflictEnded
    /// Under a withdrawal clause with a condition precedent, the record says the condition is met for the notice of
    /// withdrawal `refersTo` (on this date); the withdrawal takes effect at the end of its period, or on this date if
    /// that is later.
    case withdrawalConditionMet
    /// Under a withdrawal clause with a condition precedent, `party` (or, without one, the depositary) holds that the
    /// condition is not met for the notice `refersTo`: until a later `withdrawalConditionMet`, the withdrawal's date is
    /// contested.
    case withdrawalConditionDisputed
}

/// An event as submitted for appending: like ``Event``, but the server may assign the id.
public struct NewEvent: Codable, Hashable, Sendable {
    public var id: String?
    public var type: EventType
    public var date: CalendarDate
    public var datePrecision: DatePrecision?
    public var party: String?
    public var received: CalendarDate?
    public var refersTo: String?
    public var supersedes: String?
    public var statedEffectiveDate: CalendarDate?
    public var period: Period?
    public var indefinite: Bool?
    public var summary: String?
    public var source: String?

    public init(
        id: String? = nil,
        type: EventType,
        date: CalendarDate,
        datePrecision: DatePrecision? = nil,
        party: String? = nil,
        received: CalendarDate? = nil,
        refersTo: String? = nil,
        supersedes: String? = nil,
        statedEffectiveDate: CalendarDate? = nil,
        period: Period? = nil,
        indefinite: Bool? = nil,
        summary: String? = nil,
        source: String? = nil
    ) {
        self.id = id
        self.type = type
        self.date = date
        self.datePrecision = datePrecision
        self.party = party
        self.received = received
        self.refersTo = refersTo
        self.supersedes = supersedes
        self.statedEffectiveDate = statedEffectiveDate
        self.period = period
        self.indefinite = indefinite
        self.summary = summary
        self.source = source
    }

    public func event(id assigned: String) -> Event {
        Event(
            id: id ?? assigned,
            type: type,
            date: date,
            datePrecision: datePrecision,
            party: party,
            received: received,
            refersTo: refersTo,
            supersedes: supersedes,
            statedEffectiveDate: statedEffectiveDate,
            period: period,
            indefinite: indefinite,
            summary: summary,
            source: source
        )
    }
}

/// How precisely the record dates an event (issue #14, shape 12). The event's `date` is then the first day of the
/// month or year, so every existing reader of `date` still gets a valid day and the order of events is kept; the
/// engine never treats that first day as the day of the event.
public enum DatePrecision: String, Codable, Hashable, Sendable {
    case day, month, year

    /// The last day the event may have happened on, for an event dated `date` with this precision.
    public func lastDay(from date: CalendarDate) -> CalendarDate {
        switch self {
        case .day: return date
        case .month:
            return (try? CalendarDate(year: date.year, month: date.month, day: CalendarDate.daysInMonth(year: date.year, month: date.month)))
                ?? date
        case .year: return (try? CalendarDate(year: date.year, month: 12, day: 31)) ?? date
        }
    }

    /// The period as the record gives it: `2018-10` or `2018`.
    public func spelled(_ date: CalendarDate) -> String {
        switch self {
        case .day: return "\(date)"
        case .month: return String("\(date)".prefix(7))
        case .year: return String("\(date)".prefix(4))
        }
    }
}

extension Event {
    /// Dated only to a month or a year.
    public var isImprecise: Bool { datePrecision == .month || datePrecision == .year }

    /// The last day the event may have happened on (its `date` when precise).
    public var latestDate: CalendarDate { (datePrecision ?? .day).lastDay(from: date) }
}
