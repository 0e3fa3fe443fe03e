/// The lifecycle clauses of an agreement, as data. Each rule names the article it comes from and every
/// counting convention it relies on, so the engine never has to guess how a depositary counts.
public struct Rules: Codable, Hashable, Sendable {
    public var entryIntoForce: EntryIntoForceRule
    public var term: TermRule
    public var renewal: RenewalRule?
    public var termination: TerminationRule?

    public init(
        entryIntoForce: EntryIntoForceRule, term: TermRule, renewal: RenewalRule? = nil,
        termination: TerminationRule? = nil
    ) {
        self.entryIntoForce = entryIntoForce
        self.term = term
        self.renewal = renewal
        self.termination = termination
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
    }

    public var kind: Kind
    public var date: CalendarDate?
    public var article: String?

    public init(kind: Kind, date: CalendarDate? = nil, article: String? = nil) {
        self.kind = kind
        self.date = date
        self.article = article
    }
}

public struct TermRule: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Hashable, Sendable {
        case indefinite
        /// In force for `length` from entry into force. A term of length P starting on S covers S ... S+P−1 day.
        case fixed
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
    }

    public var kind: Kind
    public var period: Period
    /// At most this many renewals; `nil` for no limit.
    public var maxRenewals: Int?
    public var article: String?

    public init(kind: Kind = .automatic, period: Period, maxRenewals: Int? = nil, article: String? = nil) {
        self.kind = kind
        self.period = period
        self.maxRenewals = maxRenewals
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
    public var article: String?

    public init(
        notice: Period, counting: DeadlineCounting, noticeDate: NoticeDate, lateNotice: LateNotice = .endsNextTerm,
        article: String? = nil
    ) {
        self.notice = notice
        self.counting = counting
        self.noticeDate = noticeDate
        self.lateNotice = lateNotice
        self.article = article
    }

    private enum CodingKeys: String, CodingKey { case notice, counting, noticeDate, lateNotice, article }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        notice = try container.decode(Period.self, forKey: .notice)
        counting = try container.decode(DeadlineCounting.self, forKey: .counting)
        noticeDate = try container.decode(NoticeDate.self, forKey: .noticeDate)
        lateNotice = try container.decodeIfPresent(LateNotice.self, forKey: .lateNotice) ?? .endsNextTerm
        article = try container.decodeIfPresent(String.self, forKey: .article)
    }
}
