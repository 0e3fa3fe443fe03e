/// What the engine says about one version of an agreement on every date, computed once: the days its state
/// changes, its dated items (``Deadline``s), and the stretches of terms whose renewals and notice deadlines follow
/// by arithmetic (``PeriodicRun``s); for automatic renewal without a limit the last run never ends (the tail),
/// so any year costs the same.
///
/// It is derived from the engine, never the other way round: ``LifecycleBuilder`` walks
/// ``DeadlineProjection`` over the whole calendar (the walk jumps between the days the engine's answer can change,
/// so it costs a few evaluations per term), keeps a run only where its arithmetic says exactly what the walk said,
/// and stops where the agreement's future becomes periodic. Answers for a date past ``explicitThrough`` come from
/// the tail; a lifecycle without a tail that stops short of 9999-12-31 (a walk cut at its step limit) says so, and
/// callers ask the engine for the rest.
public struct AgreementLifecycle: Sendable {
    public let agreementId: String
    /// `stateChanges[i].state` holds from `stateChanges[i].from` until the next change; the first starts on
    /// 0001-01-01.
    public let stateChanges: [(from: CalendarDate, state: AgreementStatus.State)]
    /// Every item dated through ``explicitThrough`` that no run says, in ``Deadline/sortKey`` order.
    public let items: [Deadline]
    /// Stretches of terms said by arithmetic, in date order, not overlapping; the last may be open (the tail).
    public let runs: [PeriodicRun]
    /// The last day the explicit record covers: 9999-12-31, or the day before the periodic tail starts, or where
    /// a cut walk stopped.
    public let explicitThrough: CalendarDate

    /// The open-ended run, when the agreement renews without a limit.
    public var tail: PeriodicRun? { runs.last.flatMap { $0.end == nil ? $0 : nil } }

    /// Whether every date has an answer without asking the engine again.
    public var isComplete: Bool { tail != nil || explicitThrough == .maximum }

    /// The agreement's state on `date`, or `nil` past a cut walk's end.
    public func state(on date: CalendarDate) -> AgreementStatus.State? {
        if date > explicitThrough { return tail == nil ? nil : .inForce }
        // The last change on or before `date` (the first one starts on 0001-01-01).
        return stateChanges[max(stateChanges.partitionPoint { $0.from <= date } - 1, 0)].state
    }

    /// The state on every date as stretches, each holding from its `from` until the next one's (the first from
    /// 0001-01-01, the last through 9999-12-31), no two neighbours in the same state; `nil` for a lifecycle that
    /// does not answer every date (a walk cut at its step limit). Past ``explicitThrough`` the tail is in force.
    var stateStretches: [(from: CalendarDate, state: AgreementStatus.State)]? {
        guard isComplete else { return nil }
        var stretches: [(from: CalendarDate, state: AgreementStatus.State)] = []
        func add(_ from: CalendarDate, _ state: AgreementStatus.State) {
            if stretches.last?.state != state { stretches.append((from, state)) }
        }
        for change in stateChanges where change.from <= explicitThrough { add(change.from, change.state) }
        if tail != nil, let start = try? explicitThrough.addingDays(1) { add(start, .inForce) }
        return stretches
    }

    /// Whether ``deadlines(of:from:through:)`` answers for a window ending on `to`.
    public func answers(through to: CalendarDate) -> Bool { to <= explicitThrough || tail != nil }

    /// The items of `agreement` (the one the lifecycle was built from) dated `from` through `to`, in
    /// ``Deadline/sortKey`` order, or `nil` when the window reaches past a cut walk's end.
    public func deadlines(of agreement: Agreement, from: CalendarDate, through to: CalendarDate) -> [Deadline]? {
        guard from <= to else { return [] }
        guard answers(through: to) else { return nil }
        var found = Array(explicitItems(from: from, through: to))
        for run in runs { found += run.said(from: from, through: to, of: agreement) }
        let windows = WithdrawalWindows.deadlines(of: agreement, during: inForce(from: from, through: to))
        found += windows
        if !runs.isEmpty || !windows.isEmpty { found.sort { $0.sortKey < $1.sortKey } }
        return found
    }

    /// Whether `day` lies in one of the stretches ``inForce(from:through:)`` gives: asked of one day, without listing
    /// stretches.
    func isInForce(on day: CalendarDate) -> Bool {
        let state = state(on: day)
        return state == .inForce || state == .terminationPending
    }

    /// The stretches of `from`...`to` in which the agreement is in force (or its termination pending), in date
    /// order; the days past ``explicitThrough`` belong to the tail, in force.
    func inForce(from: CalendarDate, through to: CalendarDate) -> [(CalendarDate, CalendarDate)] {
        guard from <= to else { return [] }
        var stretches: [(CalendarDate, CalendarDate)] = []
        func add(_ start: CalendarDate, _ end: CalendarDate, _ state: AgreementStatus.State) {
            guard state == .inForce || state == .terminationPending else { return }
            let first = max(start, from)
            let last = min(end, to)
            guard first <= last else { return }
            if let previous = stretches.last, (try? previous.1.addingDays(1)) == first {
                stretches[stretches.count - 1].1 = last
            } else {
                stretches.append((first, last))
            }
        }
        var index = max(stateChanges.partitionPoint { $0.from <= from } - 1, 0)
        while index < stateChanges.count, stateChanges[index].from <= to, stateChanges[index].from <= explicitThrough {
            let next = index + 1 < stateChanges.count ? (try? stateChanges[index + 1].from.addingDays(-1)) : nil
            add(stateChanges[index].from, min(next ?? explicitThrough, explicitThrough), stateChanges[index].state)
            index += 1
        }
        if tail != nil, explicitThrough < to, let afterExplicit = try? explicitThrough.addingDays(1) {
            add(afterExplicit, to, .inForce)
        }
        return stretches
    }

    /// The explicit items dated `from` through `to`.
    public func explicitItems(from: CalendarDate, through to: CalendarDate) -> ArraySlice<Deadline> {
        let start = items.partitionPoint { $0.date < from }
        let end = items.partitionPoint { $0.date <= to }
        return start < end ? items[start..<end] : []
    }
}

/// A stretch of terms of an agreement that renews automatically, from ``start`` through ``end`` (or without end:
/// the tail), in which every term `k` has the renewal starting it and, under a termination clause, the notice
/// deadline that could stop the next one, each a function of `k` (``TermSchedule`` and the termination rule), said
/// the way the walk said the run's first ones.
///
/// It holds only what the arithmetic and the wording need (a catalog holds one or two per agreement); the
/// agreement itself is passed in to say an item in full. A class, immutable: a window visits thousands of runs, and
/// copying one as a value retained each of its members (a fifth of a summary's time at 100,000 agreements, perf).
public final class PeriodicRun: Sendable {
    /// The first day the run answers for (a renewal day).
    public let start: CalendarDate
    /// The last day it answers for, or `nil`: every later day.
    public let end: CalendarDate?
    let schedule: TermSchedule
    let termination: TerminationRule?
    /// How the walk said a notice deadline (rule, article, convention), if the run has them.
    let notice: Wording?
    /// The article the walk cited for a renewal.
    let renewalArticle: String?
    let parties: [String]

    struct Wording: Codable, Sendable {
        let rule: String?
        let article: String?
        let convention: String?
    }

    /// One dated item of the run, cheap to find and compare; ``deadline(_:of:)`` says it in full.
    public struct Item: Hashable, Sendable {
        public let date: CalendarDate
        public let kind: Deadline.Kind
        public let term: Int
    }

    /// A run said like `renewalPrototype` and `noticePrototype` (items the walk said).
    convenience init(
        start: CalendarDate,
        end: CalendarDate?,
        schedule: TermSchedule,
        agreement: Agreement,
        noticePrototype: Deadline?,
        renewalPrototype: Deadline
    ) {
        self.init(
            start: start,
            end: end,
            schedule: schedule,
            termination: agreement.rules.termination,
            notice: noticePrototype.map { Wording(rule: $0.rule, article: $0.article, convention: $0.convention) },
            renewalArticle: renewalPrototype.article,
            parties: renewalPrototype.parties
        )
    }

    /// A run as it was built (``AgreementLifecycle/init(from:)`` reads one back).
    init(
        start: CalendarDate,
        end: CalendarDate?,
        schedule: TermSchedule,
        termination: TerminationRule?,
        notice: Wording?,
        renewalArticle: String?,
        parties: [String]
    ) {
        self.start = start
        self.end = end
        self.schedule = schedule
        self.termination = termination
        self.notice = notice
        self.renewalArticle = renewalArticle
        self.parties = parties
    }

    /// Whether a run says items of `kind` (the others are always explicit).
    static func says(_ kind: Deadline.Kind) -> Bool { kind == .renewal || kind == .noticeDeadline }

    /// The renewal period, which the items of every kind repeat with.
    public var period: Period? { schedule.renewal }

    func ending(on end: CalendarDate?) -> PeriodicRun {
        PeriodicRun(
            start: start,
            end: end,
            schedule: schedule,
            termination: termination,
            notice: notice,
            renewalArticle: renewalArticle,
            parties: parties
        )
    }

    /// The items dated `from` through `to` and within the run, in date order then kind order.
    public func items(from: CalendarDate, through to: CalendarDate) -> [Item] {
        var found: [Item] = []
        forEachItem(from: from, through: to) { found.append($0) }
        found.sort { ($0.date, Deadline.Kind.order($0.kind)) < ($1.date, Deadline.Kind.order($1.kind)) }
        return found
    }

    /// Calls `body` with each item dated `from` through `to` and within the run, in no particular order. A window
    /// asks thousands of runs, most of which have nothing in it: this allocates nothing for them.
    func forEachItem(from: CalendarDate, through to: CalendarDate, _ body: (Item) -> Void) {
        let from = max(from, start)
        let to = end.map { min($0, to) } ?? to
        guard from <= to, let first = schedule.index(containing: from), let last = schedule.index(containing: to)
        else { return }
        // A term's notice deadline lies before its end and may lie in the term before (a notice period longer
        // than a term), so look one term on each side.
        func say(_ kind: Deadline.Kind, _ term: Int) {
            if let date = date(of: kind, term: term), date >= from, date <= to { body(Item(date: date, kind: kind, term: term)) }
        }
        // Each kind by name, not by looping over `saidKinds`: the loop cost a window 3% more instructions (callgrind).
        for term in max(first - 1, 1)...(last + 1) {
            say(.renewal, term)
            say(.noticeDeadline, term)
        }
    }

    /// The date of term `term`'s item of `kind` (a renewal starts every term from the second; a notice deadline, under
    /// a termination clause, may stop the next), whether or not the run holds that term (``forEachItem(from:through:_:)``
    /// says which it holds); `nil` for a kind the run does not say or a date past the calendar.
    func date(of kind: Deadline.Kind, term: Int) -> CalendarDate? {
        switch kind {
        case .renewal: return term >= 2 ? schedule.start(term) : nil
        case .noticeDeadline: return notice == nil ? nil : termination?.noticeDeadline(forTerm: term, in: schedule)
        default: return nil
        }
    }

    /// The item of `agreement` said in full, as the walk would have said it.
    public func deadline(_ item: Item, of agreement: Agreement) -> Deadline {
        switch item.kind {
        case .noticeDeadline:
            return DeadlineProjection.noticeDeadline(
                on: item.date,
                term: item.term,
                nextRenewal: schedule.start(item.term + 1),
                agreement: agreement,
                parties: parties,
                rule: notice?.rule,
                article: notice?.article,
                convention: notice?.convention
            )
        default:
            return DeadlineProjection.renewal(
                on: item.date,
                term: item.term,
                agreement: agreement,
                parties: parties,
                article: renewalArticle
            )
        }
    }

    /// The items dated `from` through `to`, said in full.
    func said(from: CalendarDate, through to: CalendarDate, of agreement: Agreement) -> [Deadline] {
        items(from: from, through: to).map { deadline($0, of: agreement) }
    }
}

extension Deadline.Kind {
    /// The position of the kind in ``Deadline/SortKey`` order (declaration order).
    static func order(_ kind: Deadline.Kind) -> Int { allCases.firstIndex(of: kind)! }
}

/// Gives the items of lifecycles held in bulk (an index's) one copy of each distinct provenance (rule, article,
/// counting convention, event, range: ``Deadline/Provenance``) and of each renewal's sentence: each walk, and each
/// lifecycle read back from the snapshot file, makes its own, while a catalog holds a few thousand distinct ones
/// for half a million items.
public struct DeadlineInterner: Sendable {
    var provenances: Set<SharedFields<Deadline.Provenance>> = []
    var sentences: Set<Deadline.Sentence> = []
    var conventions: Set<String> = []

    public init() {}

    /// `lifecycle` with its items interned.
    public mutating func intern(_ lifecycle: AgreementLifecycle) -> AgreementLifecycle {
        AgreementLifecycle(
            agreementId: lifecycle.agreementId,
            stateChanges: lifecycle.stateChanges,
            items: lifecycle.items.map { $0.interned(by: &self) },
            runs: lifecycle.runs,
            explicitThrough: lifecycle.explicitThrough
        )
    }
}
