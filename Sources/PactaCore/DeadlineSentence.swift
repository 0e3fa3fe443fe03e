extension Deadline {
    /// What happens on a deadline's date, kept as the parts of its sentence and said by ``Deadline/explanation`` only
    /// when it is read (a response, a feed). A catalog's lifecycles hold about five items per agreement, and a sentence
    /// written out for each was half of their memory at 100,000 agreements (issue #12).
    ///
    /// Each case holds what the sentence needs beyond the deadline's own fields (its date, party, parties, term,
    /// article, event and latest day), so the two cannot disagree.
    public enum Sentence: Hashable, Sendable {
        /// The last day to stop the renewal after the deadline's term. `counted` is the termination clause's way of
        /// dating a notice (`nil` without one), `clauseArticle` its article.
        case noticeDeadline(clauseArticle: String?, nextRenewal: CalendarDate?, counted: TerminationRule.NoticeDate?)
        /// A deadline (said by the first value) that `notifier`'s notice (its event `noticeEventId`) met.
        indirect case met(Sentence, notifier: String, noticeEventId: String?)
        /// A renewed term starting; `automatic` under automatic renewal (for `period`), else an extension.
        indirect case renewal(automatic: Bool, period: Period?)
        /// The last term runs out with no renewal left.
        case endOfLastTerm
        /// The deadline's party's notice (its event) ends the agreement; `nonRenewal` when it stops a renewal.
        case endByNotice(nonRenewal: Bool)
        /// A joint review; `period` is the extension it may grant, `extensions` how many it granted so far,
        /// `lastDayInForce` the end without confirmation.
        indirect case review(period: Period?, extensions: Int, lastDayInForce: CalendarDate?)
        /// The party's suspension of its performance, notified on `notifiedOn`, takes effect.
        case performanceSuspension(notifiedOn: CalendarDate)
        /// The party is out from the date: its withdrawal, or its exclusion.
        case partyLeaves(excluded: Bool)
        /// The last day a notice (admissible now) reaches the earliest effect a clause allows.
        case deferredWithdrawalNotice(counted: TerminationRule.NoticeDate, effectiveFrom: CalendarDate)
        /// A withdrawal window closing; a notice counted by the date takes effect on `firstOut` (the party bound
        /// through the day before), or after 9999-12-31 when it is `nil`.
        case withdrawalWindow(counted: TerminationRule.NoticeDate, firstOut: CalendarDate?)
        /// An end known only within `date` … `latest`, and why.
        case rangedEnd(reason: String)
        /// The party's withdrawal taking effect within `date` … `latest`, and why.
        case rangedWithdrawal(reason: String)
        /// A sentence given whole (a deadline read back from JSON).
        case text(String)
    }

    /// What happens on the date, and who must do what by then, as a sentence.
    public var explanation: String { say(sentence) }

    private func say(_ sentence: Sentence) -> String {
        switch sentence {
        case .noticeDeadline(let clauseArticle, let nextRenewal, let counted):
            let how = counted.map { $0 == .receipt ? " (received by the other side)" : " (dispatched)" } ?? ""
            let renewal = nextRenewal.map { " Without it, the agreement renews on \($0)." } ?? ""
            return "Last day for \(Self.partyList(parties, conjunction: "or")) to give written notice\(how) to stop the renewal"
                + " after term \(termText)\(clauseArticle.map { " (\($0))" } ?? "").\(renewal)"
        case .met(let deadline, let notifier, let noticeEventId):
            return say(deadline) + " \(notifier) gave notice in time\(noticeEventId.map { " (event \($0))" } ?? "")."
        case .renewal(let automatic, let period):
            return automatic
                ? "The agreement renews automatically\(period.map { " for \($0)" } ?? ""): term \(termText) starts on \(date), as no notice stopped it."
                : "The agreement continues as extended: term \(termText) starts on \(date)."
        case .endOfLastTerm:
            return "Last day in force: the last term runs out on \(date) with no renewal left; the agreement expires after it."
        case .endByNotice(let nonRenewal):
            let notice = "\(party ?? "a party")'s notice\(nonRenewal ? " of non-renewal" : "")\(eventId.map { " \($0)" } ?? "")"
            let ending = nonRenewal ? "stops the renewal, so the agreement expires after \(date)" : "ends the agreement after \(date)"
            return "Last day in force: \(notice) \(ending) unless it is suspended or revoked by then."
        case .review(let period, let extensions, let lastDayInForce):
            let extended = period.map { " for another \($0)" } ?? ""
            let sofar = extensions > 0 ? " (extended \(extensions) time\(extensions == 1 ? "" : "s") so far)" : ""
            let ends = lastDayInForce.map { " Without every party's confirmation the term ends after \($0)." } ?? ""
            return "Joint review: each of \(Self.partyList(parties, conjunction: "and")) confirms in writing whether it wishes to"
                + " extend the term\(extended)\(sofar).\(ends)"
        case .performanceSuspension(let notifiedOn):
            return "\(party ?? "a party")'s suspension of its performance, notified on \(notifiedOn), takes effect; its legal status is unchanged."
        case .partyLeaves(let excluded):
            let lastBound = (try? date.addingDays(-1)).map { " (bound through \($0))" } ?? ""
            let outcome = "from \(date) it is no longer a party\(lastBound); the agreement stays in force for the others."
            return excluded ? "\(party ?? "a party") is excluded: \(outcome)" : "\(party ?? "a party")'s withdrawal takes effect: \(outcome)"
        case .deferredWithdrawalNotice(let counted, let effectiveFrom):
            let who = party.map { [$0] } ?? parties
            return "Last day for \(Self.partyList(who, conjunction: "or")) to give notice of withdrawal (\(Self.word(counted)))"
                + " taking effect on \(effectiveFrom), the earliest the clause allows: notice is admissible now, and any notice by"
                + " this day is deferred to that date; a later one takes effect later."
        case .withdrawalWindow(let counted, let firstOut):
            let effect =
                firstOut.map { "takes effect on \($0) (the party is bound through \((try? $0.addingDays(-1)).map { "\($0)" } ?? "?"))" }
                ?? "takes effect after 9999-12-31"
            return "Last day for a party free to withdraw to give notice of withdrawal (\(Self.word(counted)))"
                + "\(article.map { " under \($0)" } ?? ""): a notice counted by \(date) \(effect); a later one takes effect later."
        case .rangedEnd(let reason):
            return "Last day in force between \(date) and \(latest ?? date): \(reason)"
        case .rangedWithdrawal(let reason):
            return "\(party ?? "a party")'s withdrawal takes effect between \(date) and \(latest ?? date): \(reason)"
        case .text(let text):
            return text
        }
    }

    private var termText: String { term.map(String.init) ?? "?" }

    private static func word(_ counted: TerminationRule.NoticeDate) -> String { counted == .receipt ? "received" : "dispatched" }

    static func partyList(_ parties: [String], conjunction: String) -> String {
        switch parties.count {
        case 0: return "a party"
        case 1: return parties[0]
        default: return parties.dropLast().joined(separator: ", ") + " \(conjunction) " + parties.last!
        }
    }
}

/// The public JSON of a deadline: its sentence said (``Deadline/explanation``), read back as given
/// (``Deadline/Sentence/text(_:)``). A nil optional is left out, as the synthesized form did. A lifecycle kept beside
/// the rows writes its items with the sentence in parts instead (``encode(to:sentenceInParts:)``), and they read back
/// in parts.
extension Deadline: Codable {
    private enum CodingKeys: String, CodingKey {
        case agreementId, date, kind, party, parties, term, rule, article, convention, eventId, explanation, sentence, latest
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            agreementId: try container.decode(String.self, forKey: .agreementId),
            date: try container.decode(CalendarDate.self, forKey: .date),
            kind: try container.decode(Kind.self, forKey: .kind),
            party: try container.decodeIfPresent(String.self, forKey: .party),
            parties: try container.decode([String].self, forKey: .parties),
            term: try container.decodeIfPresent(Int.self, forKey: .term),
            rule: try container.decodeIfPresent(String.self, forKey: .rule),
            article: try container.decodeIfPresent(String.self, forKey: .article),
            convention: try container.decodeIfPresent(String.self, forKey: .convention),
            eventId: try container.decodeIfPresent(String.self, forKey: .eventId),
            sentence: try container.decodeIfPresent(Sentence.self, forKey: .sentence)
                ?? .text(try container.decode(String.self, forKey: .explanation)),
            latest: try container.decodeIfPresent(CalendarDate.self, forKey: .latest)
        )
    }

    public func encode(to encoder: any Encoder) throws { try encode(to: encoder, sentenceInParts: false) }

    /// The deadline with its sentence said (`explanation`) or, for a copy this build reads back, in parts (`sentence`).
    func encode(to encoder: any Encoder, sentenceInParts: Bool) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(agreementId, forKey: .agreementId)
        try container.encode(date, forKey: .date)
        try container.encode(kind, forKey: .kind)
        try container.encodeIfPresent(party, forKey: .party)
        try container.encode(parties, forKey: .parties)
        try container.encodeIfPresent(term, forKey: .term)
        try container.encodeIfPresent(rule, forKey: .rule)
        try container.encodeIfPresent(article, forKey: .article)
        try container.encodeIfPresent(convention, forKey: .convention)
        try container.encodeIfPresent(eventId, forKey: .eventId)
        if sentenceInParts {
            try container.encode(sentence, forKey: .sentence)
        } else {
            try container.encode(explanation, forKey: .explanation)
        }
        try container.encodeIfPresent(latest, forKey: .latest)
    }
}

/// A sentence in parts as a lifecycle kept beside the rows holds it (the server's snapshot file): its case's number,
/// then its parts in order, a nil one as null. Said in a list, not by name: a catalog holds half a million of them, and
/// reading them back by key made the lifecycles' decode a third slower.
extension Deadline.Sentence: Codable {
    private enum Case: Int, Codable {
        case noticeDeadline, met, renewal, endOfLastTerm, endByNotice, review, performanceSuspension, partyLeaves
        case deferredWithdrawalNotice, withdrawalWindow, rangedEnd, rangedWithdrawal, text
    }

    public init(from decoder: any Decoder) throws {
        var parts = try decoder.unkeyedContainer()
        switch try parts.decode(Case.self) {
        case .noticeDeadline:
            self = .noticeDeadline(
                clauseArticle: try parts.decodeIfPresent(String.self),
                nextRenewal: try parts.decodeIfPresent(CalendarDate.self),
                counted: try parts.decodeIfPresent(TerminationRule.NoticeDate.self)
            )
        case .met:
            self = .met(
                try parts.decode(Deadline.Sentence.self),
                notifier: try parts.decode(String.self),
                noticeEventId: try parts.decodeIfPresent(String.self)
            )
        case .renewal:
            self = .renewal(automatic: try parts.decode(Bool.self), period: try parts.decodeIfPresent(Period.self))
        case .endOfLastTerm: self = .endOfLastTerm
        case .endByNotice: self = .endByNotice(nonRenewal: try parts.decode(Bool.self))
        case .review:
            self = .review(
                period: try parts.decodeIfPresent(Period.self),
                extensions: try parts.decode(Int.self),
                lastDayInForce: try parts.decodeIfPresent(CalendarDate.self)
            )
        case .performanceSuspension: self = .performanceSuspension(notifiedOn: try parts.decode(CalendarDate.self))
        case .partyLeaves: self = .partyLeaves(excluded: try parts.decode(Bool.self))
        case .deferredWithdrawalNotice:
            self = .deferredWithdrawalNotice(
                counted: try parts.decode(TerminationRule.NoticeDate.self),
                effectiveFrom: try parts.decode(CalendarDate.self)
            )
        case .withdrawalWindow:
            self = .withdrawalWindow(
                counted: try parts.decode(TerminationRule.NoticeDate.self),
                firstOut: try parts.decodeIfPresent(CalendarDate.self)
            )
        case .rangedEnd: self = .rangedEnd(reason: try parts.decode(String.self))
        case .rangedWithdrawal: self = .rangedWithdrawal(reason: try parts.decode(String.self))
        case .text: self = .text(try parts.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var parts = encoder.unkeyedContainer()
        func put<Value: Encodable>(_ value: Value?) throws {
            if let value { try parts.encode(value) } else { try parts.encodeNil() }
        }
        switch self {
        case .noticeDeadline(let clauseArticle, let nextRenewal, let counted):
            try put(Case.noticeDeadline)
            try put(clauseArticle)
            try put(nextRenewal)
            try put(counted)
        case .met(let deadline, let notifier, let noticeEventId):
            try put(Case.met)
            try put(deadline)
            try put(notifier)
            try put(noticeEventId)
        case .renewal(let automatic, let period):
            try put(Case.renewal)
            try put(automatic)
            try put(period)
        case .endOfLastTerm: try put(Case.endOfLastTerm)
        case .endByNotice(let nonRenewal):
            try put(Case.endByNotice)
            try put(nonRenewal)
        case .review(let period, let extensions, let lastDayInForce):
            try put(Case.review)
            try put(period)
            try put(extensions)
            try put(lastDayInForce)
        case .performanceSuspension(let notifiedOn):
            try put(Case.performanceSuspension)
            try put(notifiedOn)
        case .partyLeaves(let excluded):
            try put(Case.partyLeaves)
            try put(excluded)
        case .deferredWithdrawalNotice(let counted, let effectiveFrom):
            try put(Case.deferredWithdrawalNotice)
            try put(counted)
            try put(effectiveFrom)
        case .withdrawalWindow(let counted, let firstOut):
            try put(Case.withdrawalWindow)
            try put(counted)
            try put(firstOut)
        case .rangedEnd(let reason):
            try put(Case.rangedEnd)
            try put(reason)
        case .rangedWithdrawal(let reason):
            try put(Case.rangedWithdrawal)
            try put(reason)
        case .text(let text):
            try put(Case.text)
            try put(text)
        }
    }
}
