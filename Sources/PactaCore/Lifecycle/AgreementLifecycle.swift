/// What the engine says about one version of an agreement on every date, computed once: the days its state
/// changes, its dated items (``Deadline``s), and, for automatic renewal without a
/// limit, a periodic tail that places the renewals and notice deadlines of any later term by arithmetic.
///
/// It is derived from the engine, never the other way round: ``LifecycleBuilder`` walks
/// ``DeadlineProjection`` over the whole calendar (the walk jumps between the days the engine's answer can change,
/// so it costs a few evaluations per term) and stops where the agreement's future becomes periodic. Answers for
/// a date past ``explicitThrough`` come from the tail; a lifecycle without a tail that stops short of
/// 9999-12-31 (a walk cut at its step limit) says so, and callers ask the engine for the rest.
public struct AgreementLifecycle: Sendable {
    public let agreementId: String
    /// `stateChanges[i].state` holds from `stateChanges[i].from` until the next change; the first starts on
    /// 0001-01-01.
    public let stateChanges: [(from: CalendarDate, state: AgreementStatus.State)]
    /// Every item dated through ``explicitThrough``, in ``Deadline/sortKey`` order.
    public let items: [Deadline]
    /// The last day the explicit record covers: 9999-12-31, or the day before the periodic tail starts, or where
    /// a cut walk stopped.
    public let explicitThrough: CalendarDate
    public let tail: PeriodicTail?

    /// Whether every date has an answer without asking the engine again.
    public var isComplete: Bool { tail != nil || explicitThrough == .maximum }

    /// The agreement's state on `date`, or `nil` past a cut walk's end.
    public func state(on date: CalendarDate) -> AgreementStatus.State? {
        if date > explicitThrough { return tail == nil ? nil : .inForce }
        // The last change on or before `date` (the first one starts on 0001-01-01).
        return stateChanges[max(stateChanges.partitionPoint { $0.from <= date } - 1, 0)].state
    }

    /// The items dated `from` through `to`, in ``Deadline/sortKey`` order, or `nil` when the window reaches past a
    /// cut walk's end.
    public func deadlines(from: CalendarDate, through to: CalendarDate) -> [Deadline]? {
        guard from <= to else { return [] }
        if to > explicitThrough && tail == nil { return nil }
        var found: [Deadline] = []
        if from <= explicitThrough {
            let start = items.partitionPoint { $0.date < from }
            for item in items[start...] {
                if item.date > to { break }
                found.append(item)
            }
        }
        if let tail, to > explicitThrough {
            found += tail.items(from: from, through: to).map { tail.deadline($0) }
        }
        return found
    }
}

/// The open-ended future of an agreement that renews automatically without a limit, once nothing else is left to
/// happen: in force, the same parties, and in every term `k` a notice deadline and the renewal starting term
/// `k + 1`, each a function of `k` (``TermSchedule`` and the termination rule), so any year costs the same.
public struct PeriodicTail: Sendable {
    /// The first day the tail answers for (a renewal day).
    public let start: CalendarDate
    let schedule: TermSchedule
    let agreement: Agreement
    /// How the walk said each kind of item (rule, article, convention), copied into every later one.
    let noticePrototype: Deadline?
    let renewalPrototype: Deadline

    /// One dated item of the tail, cheap to find and compare; ``deadline(_:)`` says it in full.
    public struct Item: Hashable, Sendable {
        public let date: CalendarDate
        public let kind: Deadline.Kind
        public let term: Int
    }

    /// The items dated `from` through `to` and not before ``start``, in date order then kind order.
    public func items(from: CalendarDate, through to: CalendarDate) -> [Item] {
        let from = max(from, start)
        guard from <= to, let first = schedule.index(containing: from), let last = schedule.index(containing: to)
        else { return [] }
        var found: [Item] = []
        // A term's notice deadline lies before its end and may lie in the term before (a notice period longer
        // than a term), so look one term on each side.
        for term in max(first - 1, 1)...(last + 1) {
            if term >= 2, let date = schedule.start(term), date >= from, date <= to {
                found.append(Item(date: date, kind: .renewal, term: term))
            }
            if noticePrototype != nil, let termination = agreement.rules.termination,
                let date = termination.noticeDeadline(forTerm: term, in: schedule), date >= from, date <= to
            {
                found.append(Item(date: date, kind: .noticeDeadline, term: term))
            }
        }
        found.sort { ($0.date, Deadline.Kind.order($0.kind)) < ($1.date, Deadline.Kind.order($1.kind)) }
        return found
    }

    /// The item said in full, as the walk would have said it.
    public func deadline(_ item: Item) -> Deadline {
        let parties = renewalPrototype.parties
        switch item.kind {
        case .noticeDeadline:
            let prototype = noticePrototype ?? renewalPrototype
            return DeadlineProjection.noticeDeadline(
                on: item.date, term: item.term, nextRenewal: schedule.start(item.term + 1), agreement: agreement,
                parties: parties, rule: prototype.rule, article: prototype.article, convention: prototype.convention)
        default:
            return DeadlineProjection.renewal(
                on: item.date, term: item.term, agreement: agreement, parties: parties,
                article: renewalPrototype.article)
        }
    }
}

extension Deadline.Kind {
    /// The position of the kind in ``Deadline/SortKey`` order (declaration order).
    static func order(_ kind: Deadline.Kind) -> Int { allCases.firstIndex(of: kind)! }
}
