/// "Any Party that withdraws from the Convention shall be considered as also having withdrawn from this Protocol"
/// (Kyoto Protocol Art. 27(3); Paris Agreement Art. 28(3)): a withdrawal from one agreement implies the withdrawal
/// from another that depends on it (issue #14, shape 11).
///
/// The rule names the other agreement by id. Evaluation stays per agreement and pure: the catalog puts the named
/// agreement, as it holds it, in ``Agreement/linked`` (``LinkedAgreements/resolve(_:in:)``), and the engine evaluates
/// it on the same `asOf` to read its parties' withdrawals. A party whose withdrawal from the framework is fixed (pending
/// or taken effect, or an exclusion) stops being bound here as `effect` says, unless its own withdrawal here ends it
/// earlier.
public struct LinkedWithdrawalRule: Codable, Hashable, Sendable {
    /// When the implied withdrawal takes effect here.
    public enum Effect: String, Codable, Hashable, Sendable {
        /// On the day the party stops being bound by the other agreement ("shall be considered as also having
        /// withdrawn", Kyoto Protocol Art. 27(3)).
        case sameDay
        /// As if the party gave notice of withdrawal here on the first day it is no longer bound by the other
        /// agreement: this agreement's own withdrawal clause dates the effect ("shall cease to be a Party to this
        /// Convention under the same conditions", ECHR Art. 58(3)). Its period or anchor, snap and `effectDate` count;
        /// its lock-in, earliest effect and holders do not, since no party chose to give that notice.
        case ownNoticePeriod
    }

    /// The id of the agreement a withdrawal from which implies a withdrawal from this one.
    public var agreement: String
    public var article: String?
    /// Absent: `sameDay`.
    public var effect: Effect?

    public init(agreement: String, article: String? = nil, effect: Effect? = nil) {
        self.agreement = agreement
        self.article = article
        self.effect = effect
    }
}

/// Resolves the agreements a rule names, so that the engine can be given them (see ``Agreement/linked``).
public enum LinkedAgreements {
    /// The ids of the agreements `agreement`'s rules name.
    public static func ids(of agreement: Agreement) -> [String] {
        agreement.rules.linkedWithdrawal.map { [$0.agreement] } ?? []
    }

    /// `agreement` with the agreements its rules name, looked up with `lookup` (the catalog), in ``Agreement/linked``.
    /// One level only: the linked agreements are given without their own links, so a cycle cannot recurse.
    public static func resolve(_ agreement: Agreement, in lookup: (String) -> Agreement?) -> Agreement {
        var resolved = agreement
        resolved.linked = [:]
        for id in ids(of: agreement) where id != agreement.id {
            guard var other = lookup(id) else { continue }
            other.linked = [:]
            resolved.linked[id] = other
        }
        return resolved
    }

    /// The dates on which what `agreement`'s linked agreements say may change: their recorded events. Together with
    /// the agreement's own events they are the days a walk over the calendar must look at.
    public static func changeDates(of agreement: Agreement) -> [CalendarDate] {
        agreement.linked.values.flatMap { $0.events.map(\.date) }
    }
}

extension Evaluation {
    /// Ends each membership that a withdrawal from the linked agreement ends, as the rule says.
    mutating func linkedWithdrawals(_ memberships: inout [String: [Membership]]) {
        guard let rule = rules.linkedWithdrawal else { return }
        guard let framework = agreement.linked[rule.agreement] else {
            step(
                "linkedWithdrawal",
                rule: "linkedWithdrawal",
                article: rule.article,
                result: nil,
                inputs: ["agreement": rule.agreement],
                explanation:
                    "Withdrawals from \(rule.agreement) imply withdrawals from this agreement, but \(rule.agreement) is not in the catalog: none is followed."
            )
            return
        }
        let frameworkStatus = RulesEngine.evaluate(framework, asOf: asOf, trace: false)
        for standing in frameworkStatus.parties {
            guard standing.status == .withdrawalPending || standing.status == .withdrawn,
                let frameworkLastDay = standing.lastDayAsParty,
                var spans = memberships[standing.party], var last = spans.last,
                let entry = last.entry, entry <= frameworkLastDay,
                let firstOut = try? frameworkLastDay.addingDays(1),
                let implied = impliedLastDay(rule, leavingOn: firstOut, party: standing.party)
            else { continue }
            // The party's own withdrawal (or exclusion) here, when it ends the membership no later, stands; a
            // recorded end with no notice behind it is explained by the linked withdrawal, and compared with it.
            if let own = last.lastDayBound, last.recordedEnd == nil, own <= implied.lastDay { continue }
            last.lastDayBound = implied.lastDay
            last.withdrawalUndetermined = false
            last.linkedFrom = rule.agreement
            spans[spans.count - 1] = last
            memberships[standing.party] = spans
            step(
                "linkedWithdrawal",
                rule: "linkedWithdrawal",
                article: rule.article,
                convention: implied.convention,
                result: "\(implied.lastDay)",
                inputs: ["party": standing.party, "agreement": rule.agreement, "effectiveFrom": "\(firstOut)"],
                explanation:
                    "\(standing.party) is no longer bound by \(rule.agreement) from \(firstOut); it ceases to be a party to this agreement as well: bound through \(implied.lastDay)."
            )
            if let recorded = last.recordedEnd, let computed = try? implied.lastDay.addingDays(1), recorded.date != computed {
                flags.append(
                    StatusFlag(
                        code: .recordedDateDiffers,
                        party: standing.party,
                        since: recorded.date,
                        eventId: recorded.id,
                        message:
                            "The record gives \(recorded.date) for \(standing.party)'s withdrawal taking effect; the rules give \(computed), following its withdrawal from \(rule.agreement)."
                    )
                )
            }
        }
    }

    /// The last day a party leaving the linked agreement on `firstOut` is bound here, and the convention that gives it.
    private func impliedLastDay(
        _ rule: LinkedWithdrawalRule,
        leavingOn firstOut: CalendarDate,
        party: String
    ) -> (lastDay: CalendarDate, convention: String)? {
        switch rule.effect ?? .sameDay {
        case .sameDay:
            guard let lastDay = try? firstOut.addingDays(-1) else { return nil }
            return (lastDay, "the withdrawal from the linked agreement takes effect here on the same day")
        case .ownNoticePeriod:
            // Validation requires a withdrawal clause with this effect; without one there is nothing to count.
            guard let withdrawal = rules.withdrawal, let computed = try? withdrawal.computedDate(countedOn: firstOut),
                let lastDay = withdrawal.bounds(of: computed)?.lastDay
            else { return nil }
            let period = withdrawal.notice.map { "\($0)" } ?? "the withdrawal clause's anchor"
            return (
                lastDay,
                "as a notice of withdrawal here counted from \(firstOut), the first day \(party) is no longer bound by the linked agreement: \(period) under \(withdrawal.article ?? "the withdrawal clause")"
            )
        }
    }
}
