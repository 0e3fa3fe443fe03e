/// One dated item in an agreement's life: a recorded event, or a date the rules produce.
public struct TimelineEntry: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Hashable, Sendable {
        case event, entryIntoForce, termStart, noticeDeadline, lastDayInForce
        case partyEntryIntoForce, lastDayAsParty, obligationsEnd
        /// The last day to give notice of withdrawal for the nearest date a withdrawal can take effect.
        case withdrawalNoticeDeadline
        /// A joint review under a review clause (the latest one passed, and those ahead in the term).
        case review
        /// The day a party's suspension of its performance takes effect (declared or notified).
        case performanceSuspension
    }

    public var date: CalendarDate
    public var kind: Kind
    public var party: String?
    public var eventId: String?
    public var eventType: EventType?
    public var description: String
    /// True for dates after `asOf`: what the rules project if nothing else happens.
    public var projected: Bool
    /// For an item known only within a range (issue #14, shape 12): its last possible day; `date` is the first. An
    /// event dated only to a month or a year, or a date derived from one.
    public var latest: CalendarDate? = nil
}

public struct Timeline: Codable, Hashable, Sendable {
    public var agreementId: String
    public var asOf: CalendarDate
    public var from: CalendarDate
    public var to: CalendarDate
    public var items: [TimelineEntry]
    /// True when the window held more items than `limit`; narrow the window to see the rest.
    public var truncated: Bool
}

extension RulesEngine {
    /// The agreement's past events and projected dates within `from...to`, in date order, using what was
    /// recorded up to `asOf`. At most `limit` items.
    public static func timeline(
        _ agreement: Agreement,
        asOf: CalendarDate,
        from: CalendarDate,
        to: CalendarDate,
        limit: Int = 1000
    ) -> Timeline {
        let status = evaluate(agreement, asOf: asOf, trace: false)
        var items: [TimelineEntry] = []
        func add(
            _ date: CalendarDate?,
            _ kind: TimelineEntry.Kind,
            party: String? = nil,
            event: Event? = nil,
            latest: CalendarDate? = nil,
            _ text: String
        ) {
            guard let date, (latest ?? date) >= from, date <= to else { return }
            items.append(
                TimelineEntry(
                    date: date,
                    kind: kind,
                    party: party,
                    eventId: event?.id,
                    eventType: event?.type,
                    description: text,
                    projected: date > asOf,
                    latest: latest
                )
            )
        }
        for event in agreement.events where event.date <= asOf {
            if event.isImprecise {
                let spelled = (event.datePrecision ?? .day).spelled(event.date)
                add(
                    event.date,
                    .event,
                    party: event.party,
                    event: event,
                    latest: event.latestDate,
                    "\(event.summary ?? event.type.rawValue) (dated only to \(spelled))"
                )
            } else {
                add(event.date, .event, party: event.party, event: event, event.summary ?? event.type.rawValue)
            }
        }
        // Dates known only within a range: one item spanning it, never a day picked inside it.
        for range in status.ranges {
            let parts = range.field.split(separator: ".").map(String.init)
            switch (parts.first ?? "", parts.last ?? "") {
            case ("lastDayInForce", _):
                add(
                    range.earliest,
                    .lastDayInForce,
                    latest: range.latest,
                    "Last day in force: between \(range.earliest) and \(range.latest). \(range.reason)"
                )
            case ("noticeDeadline", _):
                add(
                    range.earliest,
                    .noticeDeadline,
                    latest: range.latest,
                    "Last day to give notice: between \(range.earliest) and \(range.latest). \(range.reason)"
                )
            case ("parties", "lastDayAsParty") where parts.count == 3:
                add(
                    range.earliest,
                    .lastDayAsParty,
                    party: parts[1],
                    latest: range.latest,
                    "Last day \(parts[1]) is bound: between \(range.earliest) and \(range.latest). \(range.reason)"
                )
            case ("parties", "obligationsSurviveThrough") where parts.count == 3:
                add(
                    range.earliest,
                    .obligationsEnd,
                    party: parts[1],
                    latest: range.latest,
                    "Surviving obligations of \(parts[1]) end between \(range.earliest) and \(range.latest)."
                )
            default:
                break
            }
        }
        add(status.entryIntoForce, .entryIntoForce, "Entry into force.")
        if let entry = status.entryIntoForce {
            let evaluation = Evaluation(agreement: agreement, asOf: asOf, tracing: false)
            let schedule = evaluation.schedule(entry: entry)
            // An end known only within a range (shape 12) stops the projection at its earliest day: no term is listed
            // that may never begin.
            let end = status.lastDayInForce ?? status.ranges.first { $0.field == "lastDayInForce" }?.earliest ?? .maximum
            let first = max(2, schedule.index(containing: max(from, entry)) ?? 1)
            var index = first
            while items.count < limit + 1, let start = schedule.start(index), start <= to, start <= end {
                add(start, .termStart, "Term \(index) begins.")
                index += 1
            }
            if agreement.rules.termination != nil, schedule.renewal != nil {
                var term = max(1, first - 1)
                while items.count < limit + 1, let deadline = evaluation.deadline(for: term, in: schedule), deadline <= to,
                    schedule.lastDay(term).map({ $0 < end }) ?? false
                {
                    if schedule.maxTerms.map({ term < $0 }) ?? true {
                        add(deadline, .noticeDeadline, "Last day to give notice to stop the renewal after term \(term).")
                    }
                    term += 1
                }
            }
        }
        add(status.lastDayInForce, .lastDayInForce, "Last day in force.")
        add(status.obligationsSurviveThrough, .obligationsEnd, "Obligations surviving the agreement's end (sunset clause) end.")
        if let review = status.review, let entry = status.entryIntoForce, let lastDay = status.lastDayInForce {
            let outcome = review.notRecorded.isEmpty ? "" : " Outcome not recorded for \(review.notRecorded.joined(separator: ", "))."
            add(review.last, .review, "Joint review on whether to extend the term.\(outcome)")
            let ahead = Evaluation(agreement: agreement, asOf: asOf, tracing: false)
                .projectedReviews(entry: entry, from: from, through: to, lastDay: lastDay, limit: limit + 1)
            for date in ahead { add(date, .review, "Joint review: each party confirms whether it wishes to extend the term.") }
        }
        for party in status.parties {
            // `since` is the entry into force only for a state bound now; a consented one has it ahead, in `boundFrom`.
            if let since = party.since, party.status == .party || party.status == .withdrawalPending {
                add(since, .partyEntryIntoForce, party: party.party, "In force for \(party.party).")
            }
            add(party.boundFrom, .partyEntryIntoForce, party: party.party, "In force for \(party.party) (consent deposited).")
            add(party.lastDayAsParty, .lastDayAsParty, party: party.party, "Last day \(party.party) is bound.")
            add(party.obligationsSurviveThrough, .obligationsEnd, party: party.party, "Surviving obligations of \(party.party) end.")
            if let suspension = party.performanceSuspension {
                add(
                    suspension.from,
                    .performanceSuspension,
                    party: party.party,
                    "\(party.party) suspends its performance" + (suspension.notifiedOn.map { " (notified on \($0))" } ?? "") + "."
                )
            }
        }
        // One item per distinct window: in a large convention most parties share the same one.
        var windows: [WithdrawalWindow: [String]] = [:]
        for party in status.parties { if let window = party.nextWithdrawal { windows[window, default: []].append(party.party) } }
        for (window, who) in windows {
            add(
                window.noticeBy,
                .withdrawalNoticeDeadline,
                party: who.count == 1 ? who[0] : nil,
                "Last day for \(who.count == 1 ? who[0] : "\(who.count) parties") to give notice of withdrawal taking effect on \(window.effectiveFrom) (bound through \(window.lastDayAsParty))."
                    + (window.limit == .earliestEffect
                        ? " Notice is admissible now; the clause defers its effect to that day, the earliest it allows."
                        : window.noticeFrom.map { " Notice is not admissible before \($0), when the lock-in ends." } ?? "")
            )
        }
        items.sort { ($0.date, $0.kind.rawValue) < ($1.date, $1.kind.rawValue) }
        let truncated = items.count > limit
        return Timeline(
            agreementId: agreement.id,
            asOf: asOf,
            from: from,
            to: to,
            items: Array(items.prefix(limit)),
            truncated: truncated
        )
    }

    /// One party's standing with the flags and trace steps that concern it.
    public static func partyStatus(_ agreement: Agreement, party: String, asOf: CalendarDate) -> PartyReport? {
        let status = evaluate(agreement, asOf: asOf)
        guard let standing = status.parties.first(where: { $0.party == party }) else { return nil }
        let partyEvents = Set(agreement.events.filter { $0.party == party }.map(\.id))
        return PartyReport(
            agreementId: agreement.id,
            asOf: asOf,
            agreementState: status.state,
            party: standing,
            flags: status.flags.filter { $0.party == party },
            trace: status.trace.filter { $0.inputs["party"] == party || $0.eventId.map(partyEvents.contains) == true }
        )
    }
}

public struct PartyReport: Codable, Hashable, Sendable {
    public var agreementId: String
    public var asOf: CalendarDate
    public var agreementState: AgreementStatus.State
    public var party: PartyStatus
    public var flags: [StatusFlag]
    public var trace: [TraceStep]
}
