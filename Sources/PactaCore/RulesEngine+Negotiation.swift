/// Shape 1 (TEU Art. 50(3)): a withdrawal after a negotiation period the parties may extend, again and again, and
/// that a withdrawal agreement may end earlier.
extension Evaluation {
    /// The period's date after the extensions agreed for `notice`, in date order: each counts if the rule allows
    /// extensions, it was agreed on or before the last day of the period it extends, and its date is later than
    /// that period's. `date` (and every extension's) is read as the rule's `effectDate` says.
    mutating func extendedPeriod(of notice: Event, from date: CalendarDate, rule: WithdrawalRule) -> CalendarDate {
        var current = date
        var count = 0
        for agreed in referring[notice.id, default: []] where agreed.type == .withdrawalPeriodExtended {
            let party = notice.party ?? ""
            guard let negotiation = rule.negotiation, negotiation.extensible else {
                negotiationNoEffect[agreed.id] = "\(rule.article ?? "the withdrawal clause") provides no extension of the period"
                continue
            }
            guard let bounds = rule.bounds(of: current), agreed.date >= notice.date, agreed.date <= bounds.lastDay else {
                negotiationNoEffect[agreed.id] =
                    agreed.date < notice.date
                    ? "it is dated before the notice (\(notice.date))"
                    : "the period had already ended (\(party) was bound through \(rule.bounds(of: current)?.lastDay.description ?? "\(current)"))"
                continue
            }
            guard let until = agreed.statedEffectiveDate, until > current else {
                negotiationNoEffect[agreed.id] = "it does not move the end of the period beyond \(current)"
                continue
            }
            count += 1
            current = until
            negotiationApplied.insert(agreed.id)
            let newBounds = rule.bounds(of: until)
            step(
                "withdrawalExtension",
                rule: "withdrawal",
                article: negotiation.article ?? rule.article,
                eventId: agreed.id,
                convention: rule.effectDate == .lastDayBound
                    ? "the extension's date is the last day of the period: the withdrawal takes effect at the end of that day"
                    : "the extension's date is the day the withdrawal takes effect, from its start",
                result: newBounds.map { "\($0.lastDay)" },
                inputs: ["party": party, "agreed": "\(agreed.date)", "until": "\(until)", "extensions": "\(count)"],
                explanation:
                    "On \(agreed.date), before the period ended (last day \(bounds.lastDay)), it was extended by agreement until \(until) (extension \(count)): \(party) is bound through \(newBounds.map { "\($0.lastDay)" } ?? "\(until)")."
            )
        }
        extensionsByNotice[notice.id] = count
        return current
    }

    /// Flags every extension of a withdrawal period and every withdrawal agreement's entry into force that changed
    /// nothing, with the reason.
    mutating func negotiationFlags() {
        for event in events
        where (event.type == .withdrawalPeriodExtended || event.type == .withdrawalAgreementInForce)
            && !negotiationApplied.contains(event.id)
        {
            let party = event.party ?? "a party"
            let extensionEvent = event.type == .withdrawalPeriodExtended
            let reason =
                negotiationNoEffect[event.id]
                ?? (extensionEvent
                    ? "no withdrawal by \(party) under notice \(event.refersTo ?? "?") is pending"
                    : rules.withdrawal?.negotiation?.endsOnWithdrawalAgreement == true
                        ? "no notice of withdrawal by \(party) is pending"
                        : "\(rules.withdrawal?.article ?? "the rules") give a withdrawal agreement no effect on the date")
            let what =
                extensionEvent
                ? "The extension of \(party)'s withdrawal period agreed on \(event.date)"
                : "The withdrawal agreement with \(party) in force from \(event.date)"
            flags.append(
                StatusFlag(
                    code: extensionEvent ? .extensionWithoutEffect : .withdrawalAgreementWithoutEffect,
                    party: event.party,
                    since: event.date,
                    eventId: event.id,
                    message: "\(what) has no effect: \(reason)."
                )
            )
            step(
                "withdrawal",
                eventId: event.id,
                result: nil,
                inputs: ["party": event.party ?? ""],
                explanation: "\(what) has no effect: \(reason)."
            )
        }
    }
}
