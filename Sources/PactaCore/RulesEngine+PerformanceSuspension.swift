/// Issue #14, shape 6: suspension of performance by notification. Under a `performanceSuspension` rule a party may
/// notify that it suspends its performance, taking effect `notice` after the notification (as some arms control
/// treaties allow); beside it, a declared `performanceSuspended` takes effect on its own date. Either is a flag and a
/// dated fact on the party's status, never a change of legal status, until a `performanceResumed` ends it.

extension PerformanceSuspensionRule {
    /// The first day a suspension notified (counted) on `counted` is in effect: `counted + notice` on the same
    /// calendar date, or the day after that.
    public func effectiveDate(countedOn counted: CalendarDate) -> CalendarDate? {
        guard let date = try? counted.plus(notice) else { return nil }
        return counting == .dayAfter ? try? date.addingDays(1) : date
    }
}

extension Evaluation {
    /// Each party's suspension of performance on `asOf`, on its status and as a flag (`performanceSuspended` once in
    /// effect, `performanceSuspensionPending` before).
    mutating func performanceSuspensions(_ parties: inout [PartyStatus]) {
        var current: [String: PerformanceSuspension] = [:]
        for event in events {
            guard let party = event.party else { continue }
            switch event.type {
            case .performanceSuspended:
                current[party] = PerformanceSuspension(from: event.date, notifiedOn: nil, eventId: event.id, inEffect: true)
            case .performanceSuspensionNotified:
                guard let rule = rules.performanceSuspension else {
                    flags.append(
                        StatusFlag(
                            code: .noticeWithoutClause,
                            party: party,
                            since: event.date,
                            eventId: event.id,
                            message:
                                "\(party) notified a suspension of its performance on \(event.date), but the agreement has no clause for suspension by notification; the rules give it no effect."
                        )
                    )
                    step(
                        "performance",
                        eventId: event.id,
                        result: nil,
                        inputs: ["party": party],
                        explanation: "No clause provides for suspension by notification: \(party)'s notification of \(event.date) has no effect."
                    )
                    continue
                }
                guard let counted = rule.noticeDate == .dispatch ? event.date : event.received else {
                    undetermined.append(
                        Undetermined(
                            field: "parties.\(party).performanceSuspension",
                            reason: "Notification \(event.id) has no recorded date of receipt, and \(rule.article ?? "the rule") counts from receipt."
                        )
                    )
                    continue
                }
                guard let from = rule.effectiveDate(countedOn: counted) else { continue }
                current[party] = PerformanceSuspension(from: from, notifiedOn: counted, eventId: event.id, inEffect: from <= asOf)
                step(
                    "performance",
                    rule: "performanceSuspension",
                    article: rule.article,
                    eventId: event.id,
                    convention: "\(rule.noticeDate.rawValue) + \(rule.notice)"
                        + (rule.counting == .dayAfter ? ", counted from the day after: the day after that date" : " on the same calendar date"),
                    result: "\(from)",
                    inputs: ["party": party, "counted": "\(counted)", "notice": "\(rule.notice)"],
                    explanation:
                        "\(party) notified the suspension of its performance, counted from \(counted): it takes effect on \(from); its legal status is unchanged."
                )
            case .performanceResumed:
                guard let suspension = current[party] else { continue }
                if suspension.from > event.date {
                    step(
                        "performance",
                        rule: "performanceSuspension",
                        article: rules.performanceSuspension?.article,
                        eventId: event.id,
                        result: nil,
                        inputs: ["party": party, "resumed": "\(event.date)", "effective": "\(suspension.from)"],
                        explanation:
                            "\(party) resumed its performance on \(event.date), before the suspension notified in \(suspension.eventId) took effect (\(suspension.from)): it never takes effect."
                    )
                }
                current[party] = nil
            default:
                continue
            }
        }
        for index in parties.indices {
            guard let suspension = current[parties[index].party] else { continue }
            parties[index].performanceSuspension = suspension
        }
        for (party, suspension) in current.sorted(by: { $0.key < $1.key }) {
            if suspension.inEffect {
                let how = suspension.notifiedOn.map { " (notified on \($0), in effect from \(suspension.from))" } ?? ""
                flags.append(
                    StatusFlag(
                        code: .performanceSuspended,
                        party: party,
                        since: suspension.from,
                        eventId: suspension.eventId,
                        message: suspension.notifiedOn == nil
                            ? "\(party) has suspended its performance since \(suspension.from); its legal status is unchanged."
                            : "\(party) has suspended its performance\(how); its legal status is unchanged."
                    )
                )
            } else {
                flags.append(
                    StatusFlag(
                        code: .performanceSuspensionPending,
                        party: party,
                        since: suspension.notifiedOn,
                        eventId: suspension.eventId,
                        message:
                            "\(party) notified the suspension of its performance on \(suspension.notifiedOn.map { "\($0)" } ?? "?"); it takes effect on \(suspension.from) unless resumed before."
                    )
                )
            }
        }
    }
}
