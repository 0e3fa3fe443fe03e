/// Issue #14, shape 4: review clauses. Joint reviews fall a period after the entry into force; if every party
/// confirms the extension, the term is extended (counted as the rule's `extensionCounting` says, shape 3) and a new
/// cycle of reviews begins; if not, reviews repeat at the rule's interval for the rest of the term, and a confirmation
/// at any of them still counts. The record drives the answer: a review whose outcome is not recorded leaves the term
/// as it stands, and the status says the outcome is not recorded rather than guess it.

/// Where an agreement's review cycles stand, from the confirmations recorded up to `asOf`.
struct ReviewCycles {
    /// The extensions the confirmations granted, in order.
    var extensions: [TermExtension] = []
    /// The confirmation that completed each extension (the decision), in order.
    var decisions: [Event] = []
    /// The first review of the cycle still open (after the last decision); `nil` past 9999-12-31.
    var cycleFirstReview: CalendarDate?
    /// The first review of the cycle each decision closed, in the order of `decisions`.
    var closedCycleFirstReviews: [CalendarDate] = []
    /// Each party's latest word (a confirmation or not) in the open cycle.
    var stances: [String: Event] = [:]
    /// Confirmations and non-confirmations the rule does not count, with the reason.
    var skipped: [(Event, String)] = []
}

extension ReviewRule {
    /// The `index`th review (0 for the first) of a cycle whose first review is `first`, in one addition from it.
    func review(_ index: Int, cycleFrom first: CalendarDate) -> CalendarDate? {
        index == 0 ? first : try? first.plus(interval.multiplied(by: index))
    }

    /// The index of the first review of the cycle on or after `date` (0 when `date` is on or before the first).
    /// Constant time: an estimate from the interval's average length, corrected by a few exact steps.
    func reviewIndex(atOrAfter date: CalendarDate, cycleFrom first: CalendarDate) -> Int? {
        guard date > first else { return 0 }
        var index = max(0, Int(Double(first.days(to: date)) / max(interval.approximateDays, 1)) - 1)
        while index > 0, let review = review(index, cycleFrom: first), review >= date { index -= 1 }
        while true {
            guard let review = review(index, cycleFrom: first) else { return nil }
            if review >= date { return index }
            index += 1
        }
    }

    /// Whether `date` is one of the cycle's reviews.
    func isReview(_ date: CalendarDate, cycleFrom first: CalendarDate) -> Bool {
        reviewIndex(atOrAfter: date, cycleFrom: first).flatMap { review($0, cycleFrom: first) } == date
    }
}

extension Evaluation {
    /// The review cycles under a `byReview` renewal rule, or `nil` under any other rule (or an incomplete one).
    func reviewCycles(entry: CalendarDate) -> ReviewCycles? {
        guard let renewal = rules.renewal, renewal.kind == .byReview, let review = renewal.review,
            let period = renewal.period, let length = rules.term.length
        else { return nil }
        var cycles = ReviewCycles()
        cycles.cycleFirstReview = try? entry.plus(review.first)
        let parties = agreement.parties.map(\.code)
        for event in events where event.type == .extensionConfirmed || event.type == .extensionNotConfirmed {
            let schedule = TermSchedule(
                entry: entry,
                initial: length,
                continuation: .extensions(cycles.extensions),
                maxTerms: cycles.extensions.count + 1
            )
            let lastTerm = cycles.extensions.count + 1
            guard event.date >= entry else {
                cycles.skipped.append((event, "it is dated before the entry into force (\(entry))"))
                continue
            }
            guard let lastDay = schedule.lastDay(lastTerm), event.date <= lastDay else {
                let ended = schedule.lastDay(lastTerm).map { "term \(lastTerm) had already ended on \($0)" } ?? "the term has no last day"
                cycles.skipped.append((event, ended))
                continue
            }
            guard let first = cycles.cycleFirstReview, event.date >= first else {
                let when = cycles.cycleFirstReview.map { "\($0)" } ?? "after 9999-12-31"
                cycles.skipped.append(
                    (
                        event,
                        "it is dated before the cycle's first review (\(when)), from which \(review.article ?? renewal.article ?? "the review clause") counts confirmations"
                    )
                )
                continue
            }
            if let limit = renewal.maxRenewals, cycles.extensions.count >= limit {
                cycles.skipped.append(
                    (event, "\(renewal.article ?? "the renewal rule") allows at most \(limit) extension\(limit == 1 ? "" : "s"), already granted")
                )
                continue
            }
            guard let party = event.party else { continue }
            cycles.stances[party] = event
            guard parties.allSatisfy({ cycles.stances[$0]?.type == .extensionConfirmed }) else { continue }
            // Every party has confirmed: the decision.
            let start = renewal.extensionCounting == .fromDecision ? event.date : nil
            cycles.extensions.append(TermExtension(period: period, start: start))
            cycles.decisions.append(event)
            cycles.closedCycleFirstReviews.append(first)
            cycles.cycleFirstReview = try? event.date.plus(review.afterExtension)
            cycles.stances = [:]
        }
        return cycles
    }

    /// `status.review` under a review clause: the next review, the parties' words in the open cycle, and what is not
    /// recorded; trace steps and flags for confirmations the rule does not count.
    mutating func reviewStatus(entry: CalendarDate?, into status: inout AgreementStatus) {
        guard let entry, entry <= asOf, let renewal = rules.renewal, let review = renewal.review,
            let cycles = reviewCycles(entry: entry)
        else { return }
        let article = review.article ?? renewal.article
        for (event, reason) in cycles.skipped {
            flags.append(
                StatusFlag(
                    code: .confirmationWithoutEffect,
                    party: event.party,
                    since: event.date,
                    eventId: event.id,
                    message:
                        "\(event.party ?? "A party")'s \(event.type == .extensionConfirmed ? "confirmation" : "non-confirmation") of \(event.date) is not counted: \(reason)."
                )
            )
            step(
                "review",
                rule: "renewal",
                article: article,
                eventId: event.id,
                result: nil,
                inputs: ["date": "\(event.date)", "party": event.party ?? ""],
                explanation: "The \(event.type.rawValue) of \(event.date) has no effect under the review clause: \(reason)."
            )
        }
        for (decision, first) in zip(cycles.decisions, cycles.closedCycleFirstReviews) {
            step(
                "review",
                rule: "renewal",
                article: article,
                eventId: decision.id,
                convention: renewal.extensionCounting == .fromDecision
                    ? "fromDecision: a new term of \(renewal.period.map { "\($0)" } ?? "?") from the date of the last confirmation"
                    : "fromTermEnd: an extension of \(renewal.period.map { "\($0)" } ?? "?") from the end of the current term",
                result: "\(decision.date)",
                inputs: ["cycleFirstReview": "\(first)", "lastConfirmation": "\(decision.date)"],
                explanation:
                    "In the review cycle that opened on \(first), every party had confirmed the extension by \(decision.date) (\(decision.party ?? "?") last)."
            )
        }
        let running = status.state == .inForce || status.state == .terminationPending
        let terms = schedule(entry: entry)
        // Reviews fall "for the remainder of the term": through the last term's last day, or an earlier end.
        guard running, let termEnd = terms.lastDay(terms.maxTerms ?? 1) else { return }
        let lastDay = min(termEnd, status.lastDayInForce ?? termEnd)
        var report = ReviewStatus(extensions: cycles.extensions.count)
        // A decision taken today at a review of the cycle it closed: that review is today's.
        if let decision = cycles.decisions.last, decision.date == asOf, let first = cycles.closedCycleFirstReviews.last,
            review.isReview(asOf, cycleFrom: first)
        {
            report.next = asOf
        } else if let first = cycles.cycleFirstReview, let index = review.reviewIndex(atOrAfter: asOf, cycleFrom: first),
            let next = review.review(index, cycleFrom: first), next <= lastDay
        {
            report.next = next
        }
        if let first = cycles.cycleFirstReview, first < asOf,
            let index = review.reviewIndex(atOrAfter: asOf, cycleFrom: first), index > 0
        {
            report.last = review.review(index - 1, cycleFrom: first)
        }
        for party in agreement.parties.map(\.code) {
            switch cycles.stances[party]?.type {
            case .extensionConfirmed: report.confirmed.append(party)
            case .extensionNotConfirmed: report.notConfirmed.append(party)
            default: report.notRecorded.append(party)
            }
        }
        if let last = report.last, !report.notRecorded.isEmpty {
            undetermined.append(
                Undetermined(
                    field: "review.outcome",
                    reason:
                        "The outcome of the joint review of \(last)\(article.map { " (\($0))" } ?? "") is not recorded: no confirmation or non-confirmation by \(report.notRecorded.joined(separator: ", ")). Until one is, the term stands as recorded (last day \(lastDay))."
                )
            )
        }
        step(
            "review",
            rule: "renewal",
            article: article,
            convention:
                "reviews at entry into force + \(review.first) (after an extension: the decision + \(review.afterExtension)), then every \(review.interval) from that review while not every party has confirmed, through the term's last day",
            result: report.next.map { "\($0)" },
            inputs: [
                "cycleFirstReview": cycles.cycleFirstReview.map { "\($0)" } ?? "", "lastDay": "\(lastDay)",
                "confirmed": report.confirmed.joined(separator: ","), "notConfirmed": report.notConfirmed.joined(separator: ","),
            ],
            explanation: report.next.map { "The next joint review falls on \($0)." }
                ?? "No joint review remains before the term's last day, \(lastDay)."
        )
        status.review = report
    }
}

extension Evaluation {
    /// The open cycle's reviews dated `from` through `to` and on or after `asOf`, through the term's `lastDay`: what
    /// the rules project if no confirmation completes the cycle. At most `limit`.
    func projectedReviews(
        entry: CalendarDate,
        from: CalendarDate,
        through to: CalendarDate,
        lastDay: CalendarDate,
        limit: Int
    ) -> [CalendarDate] {
        guard let review = rules.renewal?.review, let cycles = reviewCycles(entry: entry), let first = cycles.cycleFirstReview,
            var index = review.reviewIndex(atOrAfter: max(from, asOf), cycleFrom: first)
        else { return [] }
        var found: [CalendarDate] = []
        while found.count < limit, let date = review.review(index, cycleFrom: first), date <= to, date <= lastDay {
            found.append(date)
            index += 1
        }
        return found
    }
}
