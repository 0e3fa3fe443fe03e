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
        _ agreement: Agreement, stepLimit: Int = DeadlineProjection.defaultStepLimit
    ) -> AgreementLifecycle {
        if let plan = TailPlan(agreement) {
            // Walk two terms into the tail and keep it if its arithmetic says what the engine said.
            var recorder = WalkRecorder()
            let projection = DeadlineProjection.project(
                agreement, from: .minimum, through: plan.checkThrough, stepLimit: stepLimit,
                observe: { recorder.observe($0, $1) })
            if projection.complete, let tail = plan.tail(for: agreement, checkedAgainst: projection.deadlines),
                recorder.holdsSteady(from: tail.start), let explicitThrough = try? tail.start.addingDays(-1)
            {
                return recorder.lifecycle(
                    agreement, items: projection.deadlines.filter { $0.date < tail.start }, through: explicitThrough,
                    tail: tail)
            }
        }
        // No periodic future (the walk ends by itself after the last day of interest), or a tail the walk refuted
        // (the walk goes on to 9999-12-31 or its step limit).
        var recorder = WalkRecorder()
        let projection = DeadlineProjection.project(
            agreement, from: .minimum, through: .maximum, stepLimit: stepLimit, observe: { recorder.observe($0, $1) })
        let through = projection.complete ? CalendarDate.maximum : projection.segments.last?.lastDay ?? .minimum
        return recorder.lifecycle(agreement, items: projection.deadlines, through: through, tail: nil)
    }

    /// Where the periodic future of an automatically renewing agreement begins, if it has one.
    struct TailPlan {
        let schedule: TermSchedule
        /// The first day of the tail: a full term of margin after the term in force once nothing but renewals is
        /// left.
        let start: CalendarDate
        /// The last day of the two terms walked to check the tail's arithmetic against the engine.
        let checkThrough: CalendarDate

        init?(_ agreement: Agreement) {
            let rules = agreement.rules
            guard rules.term.kind == .fixed, let renewal = rules.renewal, renewal.kind == .automatic,
                renewal.period != nil, renewal.maxRenewals == nil
            else { return nil }
            var settle = agreement.events.map(\.date).max().flatMap { try? $0.addingDays(1) } ?? .minimum
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
                return
            }
            return nil
        }

        /// The tail, if its arithmetic says exactly what the engine's walk said from ``start`` through
        /// ``checkThrough`` (every item, field by field).
        func tail(for agreement: Agreement, checkedAgainst walked: [Deadline]) -> PeriodicTail? {
            let checked = walked.filter { $0.date >= start }
            guard let renewalPrototype = checked.first(where: { $0.kind == .renewal }) else { return nil }
            let tail = PeriodicTail(
                start: start, schedule: schedule, agreement: agreement,
                noticePrototype: checked.first { $0.kind == .noticeDeadline }, renewalPrototype: renewalPrototype)
            let predicted = tail.items(from: start, through: checkThrough).map { tail.deadline($0) }
            return predicted == checked ? tail : nil
        }
    }
}

/// Collects the state changes the walk observes. (Party statuses are not kept: the walk does not stop on every
/// day a party's status changes, only on those the agreement's answer depends on.)
private struct WalkRecorder {
    var stateChanges: [(from: CalendarDate, state: AgreementStatus.State)] = []

    mutating func observe(_ day: CalendarDate, _ status: AgreementStatus) {
        // The walk's first day may be 0001-01-01 or the day it starts from; the first answer holds from the start.
        let from = stateChanges.isEmpty ? CalendarDate.minimum : day
        if stateChanges.last?.state != status.state { stateChanges.append((from, status.state)) }
    }

    /// Whether nothing changed from `day` on but for the agreement being in force.
    func holdsSteady(from day: CalendarDate) -> Bool {
        guard let last = stateChanges.last, last.state == .inForce else { return false }
        return last.from <= day
    }

    func lifecycle(
        _ agreement: Agreement, items: [Deadline], through: CalendarDate, tail: PeriodicTail?
    ) -> AgreementLifecycle {
        AgreementLifecycle(
            agreementId: agreement.id, stateChanges: stateChanges.filter { $0.from <= through }, items: items,
            explicitThrough: through, tail: tail)
    }
}
