/// "Any Party that withdraws from the Convention shall be considered as also having withdrawn from this Protocol"
/// (Kyoto Protocol Art. 27(3); Paris Agreement Art. 28(3)): a withdrawal from one agreement implies the withdrawal
/// from another that depends on it (issue #14, shape 11).
///
/// The rule names the other agreement by id. Evaluation stays per agreement and pure: the catalog puts the named
/// agreement, as it holds it, in ``Agreement/linked`` (``LinkedAgreements/resolve(_:in:)``), and the engine evaluates
/// it on the same `asOf` to read its parties' withdrawals. A party whose withdrawal from the framework is fixed (pending
/// or taken effect) stops being bound here on the same day, unless its own withdrawal here ends it earlier.
public struct LinkedWithdrawalRule: Codable, Hashable, Sendable {
    /// The id of the agreement a withdrawal from which implies a withdrawal from this one.
    public var agreement: String
    public var article: String?

    public init(agreement: String, article: String? = nil) {
        self.agreement = agreement
        self.article = article
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
                let entry = last.entry, entry <= frameworkLastDay
            else { continue }
            if let own = last.lastDayBound, own <= frameworkLastDay { continue }
            let firstOut = (try? frameworkLastDay.addingDays(1)) ?? frameworkLastDay
            last.lastDayBound = frameworkLastDay
            last.withdrawalUndetermined = false
            last.linkedFrom = rule.agreement
            spans[spans.count - 1] = last
            memberships[standing.party] = spans
            step(
                "linkedWithdrawal",
                rule: "linkedWithdrawal",
                article: rule.article,
                convention: "the withdrawal from the linked agreement takes effect here on the same day",
                result: "\(frameworkLastDay)",
                inputs: ["party": standing.party, "agreement": rule.agreement, "effectiveFrom": "\(firstOut)"],
                explanation:
                    "\(standing.party)'s withdrawal from \(rule.agreement) takes effect on \(firstOut); it is considered as also having withdrawn from this agreement: bound through \(frameworkLastDay)."
            )
        }
    }
}
