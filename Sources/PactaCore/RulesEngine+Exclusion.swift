/// The parties, or an organ the agreement sets up, may decide that a party has ceased to be one: "If such member does
/// not comply with this request, the Committee may decide that it has ceased to be a member of the Council as from
/// such date as the Committee may determine" (Statute of the Council of Europe, Art. 8). The decision is an
/// `exclusion` event dated on the first day the party is no longer bound.
public struct ExclusionRule: Codable, Hashable, Sendable {
    public var article: String?

    public init(article: String? = nil) {
        self.article = article
    }
}

extension Evaluation {
    /// Ends `membership` on the day before `exclusion`'s date, ahead of any withdrawal that would end it later: a
    /// notice of withdrawal still running then has no effect. Without an exclusion clause the record still stands (the
    /// party is out from that date), flagged.
    mutating func exclude(_ membership: inout Membership, by exclusion: Event) {
        let party = exclusion.party ?? ""
        guard let lastDay = try? exclusion.date.addingDays(-1) else { return }
        if let own = membership.lastDayBound, own <= lastDay {
            // A withdrawal that takes effect no later than the exclusion: the party is already out on its date.
            flagNotAParty(party, exclusion, left: own)
            return
        }
        let clause = rules.exclusion
        if clause == nil {
            flags.append(
                StatusFlag(
                    code: .exclusionWithoutClause,
                    party: party,
                    since: exclusion.date,
                    eventId: exclusion.id,
                    message:
                        "The record says \(party) ceased to be a party on \(exclusion.date) by a decision to exclude it, but the rules hold no exclusion clause; \(party) is taken to have left on that date."
                )
            )
        }
        if let notice = membership.notice {
            noticePeriods[notice.id] = nil
            step(
                "exclusion",
                rule: "exclusion",
                article: clause?.article,
                eventId: notice.id,
                result: nil,
                inputs: ["party": party, "exclusion": exclusion.id],
                explanation:
                    "\(party)'s notice of withdrawal of \(notice.date) has no effect: \(party) ceased to be a party on \(exclusion.date), \(membership.lastDayBound.map { "before the notice's effect (bound through \($0))" } ?? "before the notice took effect")."
            )
        }
        membership.lastDayBound = lastDay
        membership.withdrawalUndetermined = false
        membership.survivesThrough = nil
        membership.extensions = nil
        membership.exclusion = exclusion
        step(
            "exclusion",
            rule: "exclusion",
            article: clause?.article,
            eventId: exclusion.id,
            result: "\(lastDay)",
            inputs: ["party": party, "effectiveFrom": "\(exclusion.date)"],
            explanation: "\(party) was excluded: it ceased to be a party on \(exclusion.date), so it is bound through \(lastDay)."
        )
    }
}
