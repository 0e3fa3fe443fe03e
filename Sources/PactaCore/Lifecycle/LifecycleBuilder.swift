/// Derives an ``AgreementLifecycle`` from the engine.
///
/// An agreement that renews automatically without a limit has a future that never ends; once its last event
/// and its parties' last changes are behind it, that future is periodic. The builder finds the term from which
/// nothing but the periodic renewal is left, walks the engine two terms further, and keeps the periodic tail only
/// if its arithmetic says exactly what the walk said over those two terms (every item, field by field, and the
/// state). Anything else (fixed terms, extensions, indefinite agreements) has a last day of interest, and the
/// walk over the whole calendar ends there by itself.
public enum LifecycleBuilder {
    public static func build(
        _ agreement: Agreement,
        stepLimit: Int = DeadlineProjection.defaultStepLimit
    ) -> AgreementLifecycle {
        if let plan = TailPlan(agreement) {
            // Skip the quiet terms between the entry into force and the first later event, if there are enough of
            // them; if the arithmetic does not bear that out, walk them all.
            if let quiet = plan.quietTerms,
                let lifecycle = tailLifecycle(agreement, plan, skipping: quiet, stepLimit: stepLimit)
            {
                return lifecycle
            }
            if let lifecycle = tailLifecycle(agreement, plan, skipping: nil, stepLimit: stepLimit) { return lifecycle }
        }
        // No periodic future (the walk ends by itself after the last day of interest), or a tail the walk refuted
        // (the walk goes on to 9999-12-31 or its step limit).
        var recorder = WalkRecorder()
        let projection = DeadlineProjection.project(
            agreement,
            from: .minimum,
            through: .maximum,
            stepLimit: stepLimit,
            observe: { recorder.observe($0, $1) }
        )
        let through = projection.complete ? CalendarDate.maximum : projection.segments.last?.lastDay ?? .minimum
        return recorder.lifecycle(agreement, items: projection.deadlines, through: through, runs: [])
    }

    /// The lifecycle of an agreement with a periodic tail: the engine walked from the start of the calendar two
    /// terms into the tail (but for the `skipping` terms, said by arithmetic checked against the terms walked on each
    /// side), or `nil` if the walk refutes the tail or the skipped terms.
    static func tailLifecycle(
        _ agreement: Agreement,
        _ plan: TailPlan,
        skipping quiet: Range<Int>?,
        stepLimit: Int
    ) -> AgreementLifecycle? {
        var recorder = WalkRecorder()
        var walked: [Deadline]
        if let quiet {
            guard let skipFrom = plan.schedule.start(quiet.lowerBound), let resume = plan.schedule.start(quiet.upperBound),
                let headEnd = try? skipFrom.addingDays(-1), let skipThrough = try? resume.addingDays(-1)
            else { return nil }
            let head = DeadlineProjection.project(
                agreement,
                from: .minimum,
                through: headEnd,
                stepLimit: stepLimit,
                observe: { recorder.observe($0, $1) }
            )
            guard head.complete, recorder.stateChanges.last?.state == .inForce,
                let filler = plan.run(startingAt: quiet.lowerBound - 1, in: head.deadlines, for: agreement)
            else { return nil }
            var rest = WalkRecorder(from: resume)
            let after = DeadlineProjection.project(
                agreement,
                from: resume,
                through: plan.checkThrough,
                stepLimit: stepLimit,
                observe: { rest.observe($0, $1) }
            )
            // The skipped terms were in force throughout, and the run says the first term walked after them.
            guard after.complete, rest.stateChanges.first?.state == .inForce,
                let afterFirst = plan.schedule.start(quiet.upperBound + 1), let firstEnd = try? afterFirst.addingDays(-1),
                filler.ending(on: nil).said(from: resume, through: firstEnd, of: agreement)
                    == TailPlan.periodicItems(in: after.deadlines, from: resume, through: firstEnd)
            else { return nil }
            recorder.append(rest)
            walked =
                head.deadlines + filler.ending(on: skipThrough).said(from: skipFrom, through: skipThrough, of: agreement)
                + after.deadlines
        } else {
            let projection = DeadlineProjection.project(
                agreement,
                from: .minimum,
                through: plan.checkThrough,
                stepLimit: stepLimit,
                observe: { recorder.observe($0, $1) }
            )
            guard projection.complete else { return nil }
            walked = projection.deadlines
        }
        // Keep the tail if its arithmetic says what the engine said over the two terms walked into it.
        guard let tail = plan.tail(for: agreement, checkedAgainst: walked), recorder.holdsSteady(from: tail.start),
            let explicitThrough = try? tail.start.addingDays(-1)
        else { return nil }
        let (runs, rest) = plan.runs(in: walked.filter { $0.date < tail.start }, for: agreement)
        return recorder.lifecycle(agreement, items: rest, through: explicitThrough, runs: runs + [tail])
    }

    /// Where the periodic future of an automatically renewing agreement begins, if it has one.
    struct TailPlan {
        let schedule: TermSchedule
        /// The first day of the tail: a full term of margin after the term in force once nothing but renewals is
        /// left.
        let start: CalendarDate
        /// The last day of the two terms walked to check the tail's arithmetic against the engine.
        let checkThrough: CalendarDate
        /// Terms after the entry into force in which nothing happens (no event, no party's change) but renewals,
        /// with two terms of margin on each side, when there are enough of them to be worth skipping.
        let quietTerms: Range<Int>?

        init?(_ agreement: Agreement) {
            let rules = agreement.rules
            guard rules.term.kind == .fixed, let renewal = rules.renewal, renewal.kind == .automatic,
                renewal.period != nil, renewal.maxRenewals == nil
            else { return nil }
            // An event dated only to a month or a year is settled once its period is over.
            var settle =
                (agreement.events.map(\.latestDate) + LinkedAgreements.changeDates(of: agreement)).max()
                .flatMap { try? $0.addingDays(1) } ?? .minimum
            // Each round moves `settle` past a date the engine still has ahead (entry into force, a party's
            // change); a handful is plenty, and the walk's comparison catches anything missed.
            for _ in 0..<4 {
                let status = RulesEngine.evaluate(agreement, asOf: settle, trace: false)
                guard let entry = status.entryIntoForce else { return nil }
                if entry > settle {
                    settle = entry
                    continue
                }
                guard status.state == .inForce, status.lastDayInForce == nil, let term = status.currentTerm else {
                    return nil
                }
                let pending = status.parties.flatMap { [$0.since, $0.lastDayAsParty.flatMap { try? $0.addingDays(1) }] }
                if let later = pending.compactMap({ $0 }).filter({ $0 > settle }).max() {
                    settle = later
                    continue
                }
                let schedule = Evaluation(agreement: agreement, asOf: settle, tracing: false).schedule(entry: entry)
                guard case .renewing = schedule.continuation, schedule.maxTerms == nil else { return nil }
                let firstTailTerm = term.index + 2
                guard let start = schedule.start(firstTailTerm), let checkEnd = schedule.start(firstTailTerm + 2),
                    let checkThrough = try? checkEnd.addingDays(-1)
                else { return nil }
                self.schedule = schedule
                self.start = start
                self.checkThrough = checkThrough
                // The first day after the entry into force on which something other than a renewal happens.
                let changes = agreement.events.map(\.latestDate) + LinkedAgreements.changeDates(of: agreement) + pending.compactMap { $0 }
                let firstChange = changes.filter { $0 > entry }.min() ?? settle
                let resume = (schedule.index(containing: firstChange) ?? 0) - 2
                self.quietTerms = resume - 4 >= Self.minimumRunTerms ? 4..<resume : nil
                return
            }
            return nil
        }

        /// The tail, if its arithmetic says exactly what the engine's walk said from ``start`` through
        /// ``checkThrough`` (every item, field by field).
        func tail(for agreement: Agreement, checkedAgainst walked: [Deadline]) -> PeriodicRun? {
            let checked = walked.filter { $0.date >= start }
            guard let renewalPrototype = checked.first(where: { $0.kind == .renewal }) else { return nil }
            let tail = PeriodicRun(
                start: start,
                end: nil,
                schedule: schedule,
                agreement: agreement,
                noticePrototype: checked.first { $0.kind == .noticeDeadline },
                renewalPrototype: renewalPrototype
            )
            let predicted = tail.said(from: start, through: checkThrough, of: agreement)
            return predicted == checked ? tail : nil
        }

        /// The renewals and notice deadlines of `walked` dated `from` through `to`.
        static func periodicItems(in walked: [Deadline], from: CalendarDate, through to: CalendarDate) -> [Deadline] {
            let first = walked.partitionPoint { $0.date < from }
            return walked[first...].prefix { $0.date <= to }.filter { PeriodicRun.says($0.kind) }
        }

        /// A one-term run for `term`, said the way the walk said that term's renewal and notice deadline, if its
        /// arithmetic says exactly the term's walked items.
        func run(startingAt term: Int, in walked: [Deadline], for agreement: Agreement) -> PeriodicRun? {
            guard term >= 2, let termStart = schedule.start(term), let next = schedule.start(term + 1),
                let termEnd = try? next.addingDays(-1)
            else { return nil }
            let inTerm = Self.periodicItems(in: walked, from: termStart, through: termEnd)
            guard let renewal = inTerm.first(where: { $0.kind == .renewal && $0.date == termStart }) else { return nil }
            let candidate = PeriodicRun(
                start: termStart,
                end: termEnd,
                schedule: schedule,
                agreement: agreement,
                noticePrototype: inTerm.first { $0.kind == .noticeDeadline },
                renewalPrototype: renewal
            )
            return candidate.said(from: termStart, through: termEnd, of: agreement) == inTerm ? candidate : nil
        }

        /// The shortest run worth keeping: shorter ones stay explicit items.
        static let minimumRunTerms = 4

        /// The stretches of `walked` (the items before the tail) that runs say exactly, and the items left over.
        ///
        /// Term by term, a run started on a renewal keeps going while its arithmetic says exactly the renewals and
        /// notice deadlines the walk dated within the term; the other items (ends, withdrawals, deadlines met by a
        /// notice) stay explicit. The result is checked whole against the walk, so a run can only save memory,
        /// never change an answer.
        func runs(in walked: [Deadline], for agreement: Agreement) -> (runs: [PeriodicRun], rest: [Deadline]) {
            var runs: [PeriodicRun] = []
            var term = 2
            while let termStart = schedule.start(term), termStart < start {
                // A run whose first term says what the walk said, extended a term at a time while it goes on to.
                guard let candidate = run(startingAt: term, in: walked, for: agreement), var runEnd = candidate.end
                else {
                    term += 1
                    continue
                }
                var last = term
                while let following = schedule.start(last + 2), following <= start,
                    let followingEnd = try? following.addingDays(-1), let nextStart = try? runEnd.addingDays(1),
                    candidate.said(from: nextStart, through: followingEnd, of: agreement)
                        == Self.periodicItems(in: walked, from: nextStart, through: followingEnd)
                {
                    last += 1
                    runEnd = followingEnd
                }
                if last - term + 1 >= Self.minimumRunTerms { runs.append(candidate.ending(on: runEnd)) }
                term = last + 1
            }
            guard !runs.isEmpty else { return ([], walked) }
            let rest = walked.filter { item in
                !(PeriodicRun.says(item.kind) && runs.contains { $0.start <= item.date && item.date <= $0.end! })
            }
            // The whole answer again, from the runs and the rest: it must be the walk's, item for item.
            var rebuilt = rest
            for run in runs { rebuilt += run.said(from: run.start, through: run.end!, of: agreement) }
            rebuilt.sort { $0.sortKey < $1.sortKey }
            return rebuilt == walked ? (runs, rest) : ([], walked)
        }
    }
}

/// Collects the state changes the walk observes. (Party statuses are not kept: the walk does not stop on every
/// day a party's status changes, only on those the agreement's answer depends on.)
private struct WalkRecorder {
    var stateChanges: [(from: CalendarDate, state: AgreementStatus.State)] = []
    /// The first day the walk answers for.
    let start: CalendarDate

    init(from start: CalendarDate = .minimum) { self.start = start }

    mutating func observe(_ day: CalendarDate, _ status: AgreementStatus) {
        // The walk's first step may be the day before its start; the first answer holds from the start.
        let from = stateChanges.isEmpty ? start : max(day, start)
        if stateChanges.last?.state != status.state { stateChanges.append((from, status.state)) }
    }

    /// Goes on with the changes a later walk recorded.
    mutating func append(_ later: WalkRecorder) {
        for change in later.stateChanges where stateChanges.last?.state != change.state { stateChanges.append(change) }
    }

    /// Whether nothing changed from `day` on but for the agreement being in force.
    func holdsSteady(from day: CalendarDate) -> Bool {
        guard let last = stateChanges.last, last.state == .inForce else { return false }
        return last.from <= day
    }

    func lifecycle(
        _ agreement: Agreement,
        items: [Deadline],
        through: CalendarDate,
        runs: [PeriodicRun]
    ) -> AgreementLifecycle {
        AgreementLifecycle(
            agreementId: agreement.id,
            stateChanges: stateChanges.filter { $0.from <= through },
            items: items,
            runs: runs,
            explicitThrough: through
        )
    }
}
