/// Issue #14, shape 10: a withdrawal held back by a condition precedent, and obligations of the whole agreement that
/// survive its end (a sunset clause).
extension Evaluation {
    /// The first day `notice`'s withdrawal takes effect once `condition` is taken into account, given `firstOut` from
    /// the notice period; `nil` while the record does not say the condition is met (the reason, pending or contested,
    /// goes to `undetermined`).
    mutating func holdForCondition(
        _ condition: WithdrawalCondition,
        notice: Event,
        firstOut: CalendarDate,
        article: String?
    ) -> CalendarDate? {
        let party = notice.party ?? ""
        let acts = (referring[notice.id] ?? []).filter {
            $0.type == .withdrawalConditionMet || $0.type == .withdrawalConditionDisputed
        }
        // The record of the withdrawal taking effect is the depositary's word that the condition was met by then.
        let recorded = events.first {
            $0.type == .withdrawalEffective && $0.party == party && $0.date >= notice.date
        }
        let lastMet = acts.last { $0.type == .withdrawalConditionMet }
        let met: (date: CalendarDate, event: Event)? =
            lastMet.map { (date: $0.date, event: $0) } ?? recorded.map { (date: $0.date, event: $0) }
        // A position that the condition is not met stands unless the record says it is met after it.
        let disputes = acts.filter { dispute in
            dispute.type == .withdrawalConditionDisputed && (met.map { dispute.date > $0.date } ?? true)
        }
        let clause = condition.article ?? article ?? "The withdrawal clause"
        if let met, disputes.isEmpty {
            let effect = max(firstOut, met.date)
            let lastDay = (try? effect.addingDays(-1)) ?? effect
            withdrawalConditions[notice.id] = WithdrawalConditionStatus(
                state: .met,
                noticeId: notice.id,
                earliestEffect: firstOut,
                metOn: met.date,
                eventIds: [met.event.id]
            )
            let how =
                met.event.type == .withdrawalEffective
                ? "the record gives the withdrawal as taking effect on \(met.date), which it does only with the condition met"
                : "the record says it was met on \(met.date)"
            step(
                "withdrawalCondition",
                rule: "withdrawal",
                article: clause,
                eventId: met.event.id,
                convention:
                    "the withdrawal takes effect at the end of its period if the condition is met by then, otherwise on the day it is recorded as met",
                result: "\(lastDay)",
                inputs: ["party": party, "earliestEffect": "\(firstOut)", "conditionMet": "\(met.date)"],
                explanation: "\(clause) requires \(condition.description); \(how)"
                    + (met.date > firstOut
                        ? ", after the period ended on \(firstOut): the withdrawal takes effect on \(met.date)."
                        : ": the withdrawal takes effect on \(firstOut).")
            )
            return effect
        }
        if !disputes.isEmpty {
            let who = disputes.map { $0.party ?? "depositary" }
            withdrawalConditions[notice.id] = WithdrawalConditionStatus(
                state: .contested,
                noticeId: notice.id,
                earliestEffect: firstOut,
                eventIds: disputes.map(\.id),
                disputedBy: who
            )
            let positions = disputes.map { "\($0.party ?? "the depositary") on \($0.date)" }.joined(separator: ", ")
            flags.append(
                StatusFlag(
                    code: .withdrawalConditionContested,
                    party: party,
                    since: disputes[0].date,
                    eventId: disputes[0].id,
                    message:
                        "\(party)'s withdrawal (notice \(notice.id)) takes effect only once \(condition.description); \(positions) disputed that it is met: its date is contested."
                )
            )
            undetermined.append(
                Undetermined(
                    field: "parties.\(party).lastDayAsParty",
                    reason:
                        "Contested: \(clause) makes the withdrawal take effect no earlier than \(firstOut) and only once \(condition.description); the record holds that this is disputed (\(positions)) and nothing since that says it is met."
                )
            )
            step(
                "withdrawalCondition",
                rule: "withdrawal",
                article: clause,
                eventId: disputes[0].id,
                result: nil,
                inputs: ["party": party, "earliestEffect": "\(firstOut)", "disputedBy": who.joined(separator: ",")],
                explanation:
                    "\(clause) requires \(condition.description); \(positions) disputed that it is met: the withdrawal's date, no earlier than \(firstOut), is contested."
            )
            return nil
        }
        withdrawalConditions[notice.id] = WithdrawalConditionStatus(state: .pending, noticeId: notice.id, earliestEffect: firstOut)
        undetermined.append(
            Undetermined(
                field: "parties.\(party).lastDayAsParty",
                reason:
                    "\(clause) makes the withdrawal take effect no earlier than \(firstOut) and only once \(condition.description); the record does not say this is met on or before \(asOf)."
            )
        )
        step(
            "withdrawalCondition",
            rule: "withdrawal",
            article: clause,
            eventId: notice.id,
            result: nil,
            inputs: ["party": party, "earliestEffect": "\(firstOut)"],
            explanation:
                "\(clause) requires \(condition.description) before the withdrawal takes effect; nothing on record says so by \(asOf): its date, no earlier than \(firstOut), is not yet determined."
        )
        return nil
    }

    /// Puts each party's condition status on its status, and flags the condition events that change nothing.
    mutating func withdrawalConditionReport(_ parties: inout [PartyStatus], memberships: [String: [Membership]]) {
        for index in parties.indices {
            if let linked = memberships[parties[index].party]?.last?.linkedFrom, parties[index].lastDayAsParty != nil {
                parties[index].withdrawalFollows = linked
            }
            guard let notice = memberships[parties[index].party]?.last?.notice,
                let condition = withdrawalConditions[notice.id]
            else { continue }
            parties[index].withdrawalCondition = condition
        }
        for event in events where event.type == .withdrawalConditionMet || event.type == .withdrawalConditionDisputed {
            let reason: String
            if rules.withdrawal?.conditionPrecedent == nil {
                reason = "the withdrawal clause sets no condition precedent"
            } else if let target = event.refersTo, withdrawalConditions[target] != nil {
                continue
            } else {
                reason = "it names no notice of withdrawal that the condition holds back"
            }
            flags.append(
                StatusFlag(
                    code: .withdrawalConditionWithoutEffect,
                    party: event.party,
                    since: event.date,
                    eventId: event.id,
                    message: "The \(event.type.rawValue) of \(event.date) has no effect: \(reason)."
                )
            )
            step(
                "withdrawalCondition",
                eventId: event.id,
                result: nil,
                inputs: ["event": event.type.rawValue],
                explanation: "The \(event.type.rawValue) of \(event.date) has no effect: \(reason)."
            )
        }
    }

    /// The last day the agreement's obligations survive under `rules.survival`, once an end a party brings about is
    /// fixed (scheduled or past).
    mutating func agreementSurvival(_ status: AgreementStatus) -> CalendarDate? {
        guard let survival = rules.survival, let lastDay = status.lastDayInForce, let cause = status.endCause else { return nil }
        switch cause.reason {
        case .notice, .nonRenewal, .withdrawal:
            break
        default:
            return nil
        }
        guard let firstOut = try? lastDay.addingDays(1), let end = try? firstOut.plus(survival.period).addingDays(-1) else {
            undetermined.append(
                Undetermined(field: "obligationsSurviveThrough", reason: "The surviving obligations end after 9999-12-31.")
            )
            return nil
        }
        step(
            "survival",
            rule: "survival",
            article: survival.article,
            convention: "a period of length P from the first day out, F, runs through F + P − 1 day",
            result: "\(end)",
            inputs: ["firstDayNotInForce": "\(firstOut)", "period": "\(survival.period)"],
            explanation:
                "The agreement ends after \(lastDay); \(survival.scope.map { "for \($0), " } ?? "")its provisions continue for \(survival.period) from \(firstOut): through \(end)."
        )
        return end
    }
}
