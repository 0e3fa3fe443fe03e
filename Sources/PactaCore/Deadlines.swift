/// A dated thing to do or to expect in an agreement's life: the last day to give notice, a renewal, a
/// scheduled end, a withdrawal taking effect.
///
/// Every deadline comes from ``RulesEngine/evaluate(_:asOf:)``: ``DeadlineProjection`` walks the engine
/// forward through a window and records the dates it reports, so the counting conventions live in one place.
public struct Deadline: Hashable, Sendable {
    public enum Kind: String, Codable, Hashable, Sendable, CaseIterable {
        /// The last day on which a notice can stop the next renewal.
        case noticeDeadline
        /// The first day of a new term.
        case renewal
        /// The last day in force of an agreement whose end is fixed (its last term runs out, or a notice ends it).
        case scheduledEnd
        /// The day a party's withdrawal takes effect while the agreement stays in force for the others.
        case withdrawalEffective
        /// The last day of a withdrawal window: a notice counted on or before it takes effect on the window's date,
        /// a later one on a later date. Listed while the agreement is in force, under a withdrawal clause whose
        /// windows are longer than a day (a calendar anchor, or a notice period snapped to the calendar); under a
        /// notice period alone every day closes its own window, and only a party's status reports it.
        case withdrawalNoticeDeadline
        /// A joint review under a review clause, at which each party confirms whether it wishes to extend the term.
        case review
        /// The day a suspension of performance notified by `party` takes effect (its legal status is unchanged).
        case performanceSuspensionEffective
    }

    public var agreementId: String
    /// The party that must act or whose act fixed the date; `nil` when any of `parties` may act.
    public var party: String?
    /// The parties the date concerns.
    public var parties: [String]
    /// Where the date comes from: the same for many items (a clause's), so one box shared by them (``Provenance``).
    private(set) var provenance: SharedFields<Provenance>?
    /// What happens on the date, and who must do what by then: the parts of the sentence ``explanation`` says.
    public var sentence: Sentence
    public var date: CalendarDate
    /// ``term``, in four bytes.
    private var termNumber: Int32?
    public var kind: Kind

    /// The rule, article and convention behind a date, the event that fixed it and the last day of a range: equal for
    /// every item of one clause of an agreement, and a lifecycle index holds half a million items at 100,000
    /// agreements, so they sit in one box that equal items share (``DeadlineInterner``), out of line. With the term in
    /// four bytes and the fields ordered by alignment, an item is 88 bytes, not 160.
    struct Provenance: Hashable, Sendable {
        var rule: String?
        var article: String?
        var convention: String?
        var eventId: String?
        var latest: CalendarDate?

        /// In a box, or `nil` when every field is absent.
        var boxed: SharedFields<Provenance>? { self == Provenance() ? nil : SharedFields(self) }
    }

    private mutating func updateProvenance(_ change: (inout Provenance) -> Void) {
        var fields = provenance?.fields ?? Provenance()
        change(&fields)
        provenance = fields.boxed
    }

    /// The term the date belongs to: the term a notice deadline would be the last of, the term a renewal starts,
    /// the term that ends.
    public var term: Int? {
        get { termNumber.map(Int.init) }
        // A term is counted in days at the shortest, and 9999 years hold fewer than 2^31 of them.
        set { termNumber = newValue.map { Int32(clamping: $0) } }
    }
    /// The rule behind the date (`termination`, `renewal`, `term`) and its article.
    public var rule: String? {
        get { provenance?.fields.rule }
        set { updateProvenance { $0.rule = newValue } }
    }
    public var article: String? {
        get { provenance?.fields.article }
        set { updateProvenance { $0.article = newValue } }
    }
    /// The counting convention the engine applied, when it names one.
    public var convention: String? {
        get { provenance?.fields.convention }
        set { updateProvenance { $0.convention = newValue } }
    }
    /// The event that fixed the date (a notice), if any.
    public var eventId: String? {
        get { provenance?.fields.eventId }
        set { updateProvenance { $0.eventId = newValue } }
    }
    /// For a date known only within a range because the notice it follows from is dated only to a month or a year
    /// (issue #14, shape 12): the last possible day; `date` is the first. Absent for a day-precise date.
    public var latest: CalendarDate? {
        get { provenance?.fields.latest }
        set { updateProvenance { $0.latest = newValue } }
    }

    public init(
        agreementId: String,
        date: CalendarDate,
        kind: Kind,
        party: String? = nil,
        parties: [String],
        term: Int? = nil,
        rule: String? = nil,
        article: String? = nil,
        convention: String? = nil,
        eventId: String? = nil,
        sentence: Sentence,
        latest: CalendarDate? = nil
    ) {
        self.agreementId = agreementId
        self.party = party
        self.parties = parties
        self.provenance =
            Provenance(rule: rule, article: article, convention: convention, eventId: eventId, latest: latest).boxed
        self.sentence = sentence
        self.date = date
        self.termNumber = term.map { Int32(clamping: $0) }
        self.kind = kind
    }

    /// This item with its provenance box and its sentence replaced by equal ones `interner` already holds.
    func interned(by interner: inout DeadlineInterner) -> Deadline {
        var item = self
        if let provenance {
            if let held = interner.provenances.firstIndex(of: provenance) {
                item.provenance = interner.provenances[held]
            } else {
                // A new box; its convention (a sentence, written out by each walk) may be another box's too.
                var fields = provenance.fields
                fields.convention = fields.convention.map { interner.conventions.insert($0).memberAfterInsert }
                let box = SharedFields(fields)
                interner.provenances.insert(box)
                item.provenance = box
            }
        }
        if case .renewal = sentence { item.sentence = interner.sentences.insert(sentence).memberAfterInsert }
        return item
    }

    /// Whether the deadline concerns `party` (as the actor or as one of the parties concerned).
    public func concerns(_ code: String) -> Bool { party == code || parties.contains(code) }

    /// The stable order of deadline lists: by date, then agreement, kind and party.
    public var sortKey: SortKey { SortKey(date: date, agreementId: agreementId, kind: kind, party: party ?? "") }

    public struct SortKey: Comparable, Hashable, Sendable {
        public var date: CalendarDate
        public var agreementId: String
        public var kind: Kind
        public var party: String

        public init(date: CalendarDate, agreementId: String, kind: Kind, party: String) {
            self.date = date
            self.agreementId = agreementId
            self.kind = kind
            self.party = party
        }

        public static func < (lhs: SortKey, rhs: SortKey) -> Bool {
            if lhs.date != rhs.date { return lhs.date < rhs.date }
            if lhs.agreementId != rhs.agreementId { return lhs.agreementId < rhs.agreementId }
            let left = Kind.order(lhs.kind)
            let right = Kind.order(rhs.kind)
            if left != right { return left < right }
            return lhs.party < rhs.party
        }
    }
}

/// A stretch of days over which the engine reports the same state and term.
public struct StateSegment: Hashable, Sendable {
    public var start: CalendarDate
    public var lastDay: CalendarDate
    public var state: AgreementStatus.State
    /// The term in force, if any.
    public var term: Int?
}

/// What the engine says about an agreement over a window: its deadlines and its states, day by day.
public struct Projection: Sendable {
    public var deadlines: [Deadline]
    public var segments: [StateSegment]
    /// `false` when the walk stopped at its step limit before reaching the end of the window (a rule with
    /// very short terms over a very long window); everything listed up to that point is still right.
    public var complete: Bool
}

/// Projects an agreement's deadlines and states over a window by evaluating the rules engine at successive
/// dates.
///
/// Each date is reported as the record stood on that date: a notice deadline on day D is listed when the
/// engine, evaluated on D, still names D as the deadline (or when a notice given by D met it); a renewal on D
/// when the engine evaluated on D finds a new term starting that day; a scheduled end on D when the engine
/// evaluated on D names D as the last day in force. So a past end that a later event called off (GSOMIA, 22 November 2019) is not listed, and a
/// renewal that happened is.
///
/// The walk jumps from one date of interest to the next (notice deadlines, renewals, the last day in force and
/// the day after, entry into force, recorded events), so it takes a handful of
/// evaluations per term in the window, not one per day. Every step moves strictly forward and the number of
/// steps is capped, so it always terminates.
public enum DeadlineProjection {
    public static let defaultStepLimit = 20_000

    /// The deadlines dated `from` through `to` (both included), in ``Deadline/sortKey`` order.
    public static func deadlines(
        for agreement: Agreement,
        from: CalendarDate,
        through to: CalendarDate,
        stepLimit: Int = defaultStepLimit
    ) -> [Deadline] {
        withWithdrawalWindows(
            project(agreement, from: from, through: to, stepLimit: stepLimit),
            agreement: agreement,
            from: from,
            through: to
        )
    }

    /// The walk's items and the withdrawal windows closing while the segments say the agreement is in force.
    static func withWithdrawalWindows(
        _ projection: Projection,
        agreement: Agreement,
        from: CalendarDate,
        through to: CalendarDate
    )
        -> [Deadline]
    {
        guard WithdrawalWindows(agreement.rules.withdrawal) != nil else { return projection.deadlines }
        let inForce = projection.segments.filter { $0.state == .inForce || $0.state == .terminationPending }
            .map { (max($0.start, from), min($0.lastDay, to)) }
        let windows = WithdrawalWindows.deadlines(of: agreement, during: inForce)
        guard !windows.isEmpty else { return projection.deadlines }
        return (projection.deadlines + windows).sorted { $0.sortKey < $1.sortKey }
    }

    /// `observe` sees every status the walk evaluates (without a trace), in date order: the status holds from
    /// that day until the next one observed.
    public static func project(
        _ agreement: Agreement,
        from: CalendarDate,
        through to: CalendarDate,
        stepLimit: Int = defaultStepLimit,
        observe: ((CalendarDate, AgreementStatus) -> Void)? = nil
    ) -> Projection {
        guard from <= to else { return Projection(deadlines: [], segments: [], complete: true) }
        let parties = agreement.parties.map(\.code)
        // An event dated only to a month or a year (shape 12) may have happened on any day up to the end of its period:
        // the answer may change on the last day and the day after.
        let imprecise = agreement.events.contains { $0.datePrecision != nil && $0.isImprecise }
        let eventDates = Array(
            Set(
                agreement.events.map(\.date) + LinkedAgreements.changeDates(of: agreement)
                    + (imprecise ? RulesEngine.bracketDaysOfInterest(agreement) : [])
            )
        ).sorted()
        var deadlines: [Deadline] = []
        var segments: [StateSegment] = []
        // Start the day before the window so that the first day is reached as a day of interest (a renewal on it
        // is then seen as a new term starting that day).
        var day = (try? from.addingDays(-1)) ?? from
        // A deadline met by a notice is listed on its day only if the walk saw the engine announce it. When the
        // window opens with a notice already pending, start at the beginning of the term in force (or an earlier one,
        // for a notice given in the term before), so the answer for a window never depends on where it opens.
        // The last of these evaluations is the walk's first step (kept in `opening`), not done twice.
        var opening = RulesEngine.evaluate(agreement, asOf: day, trace: false)
        for _ in 0..<3 {
            // A state left undetermined by an event dated only to a month or a year (shape 12): start before that
            // period, where the record is read the same way whatever the day was, so that a deadline announced before
            // it is seen as it is from the start of the calendar.
            if opening.state == .undetermined,
                let first = agreement.events.lazy.filter({ $0.isImprecise && $0.date <= day }).map(\.date).min(),
                let before = try? first.addingDays(-1), before < day
            {
                day = before
                opening = RulesEngine.evaluate(agreement, asOf: day, trace: false)
                continue
            }
            guard opening.state == .terminationPending, let start = opening.currentTerm?.start,
                let before = try? start.addingDays(-1), before < day
            else { break }
            day = before
            opening = RulesEngine.evaluate(agreement, asOf: day, trace: false)
        }
        var steps = 0
        var complete = true
        // The notice deadline the engine last announced (and the day it did), kept until its day so that a
        // deadline met by a notice (and so no longer reported on its own day) is still listed.
        var pendingNotice: (date: CalendarDate, announcedOn: CalendarDate)?
        while day <= to {
            steps += 1
            if steps > stepLimit {
                complete = false
                break
            }
            // Walk without a trace; evaluate again with one only on a day that reports a deadline, whose
            // rule, article and convention come from the trace.
            var status = opening.asOf == day ? opening : RulesEngine.evaluate(agreement, asOf: day, trace: false)
            observe?(day, status)
            let running = status.state == .inForce || status.state == .terminationPending
            let noticeDueToday = status.state == .inForce && status.noticeDeadline == day
            let noticeMetToday = pendingNotice?.date == day && status.state == .terminationPending
            let reportsToday =
                running
                && (status.currentTerm.map { $0.start == day && $0.index > 1 } == true || status.lastDayInForce == day
                    || status.parties.contains { $0.status == .withdrawn && $0.since == day } || status.review?.next == day
                    || status.parties.contains { $0.performanceSuspension.map { $0.from == day && $0.notifiedOn != nil } == true })
            if noticeDueToday || noticeMetToday || reportsToday { status = RulesEngine.evaluate(agreement, asOf: day) }
            var found = reportsToday ? deadlinesReported(on: day, by: status, agreement: agreement, parties: parties) : []
            if noticeMetToday, let pending = pendingNotice,
                var met = noticeDeadline(
                    in: RulesEngine.evaluate(agreement, asOf: pending.announcedOn),
                    agreement: agreement,
                    parties: parties
                )
            {
                // The deadline the engine announced was met: a notice given on or before it now fixes the end.
                let notice = status.trace.last { $0.subject == "notice" && $0.result == status.lastDayInForce.map { "\($0)" } }
                let notifier = notice?.inputs["party"].flatMap { $0.isEmpty ? nil : $0 } ?? "A party"
                met.sentence = .met(met.sentence, notifier: notifier, noticeEventId: notice?.eventId)
                found.append(met)
            }
            if noticeDueToday, let notice = noticeDeadline(in: status, agreement: agreement, parties: parties) {
                found.append(notice)
            }
            if !status.ranges.isEmpty { found += rangedDeadlines(on: day, in: status, agreement: agreement, parties: parties) }
            if running, let deferred = deferredWithdrawalDeadline(on: day, in: status, agreement: agreement, parties: parties) {
                found.append(deferred)
            }
            for deadline in found where deadline.date >= from && deadline.date <= to {
                deadlines.append(deadline)
            }
            if status.state == .inForce, let announced = status.noticeDeadline, announced > day {
                pendingNotice = (announced, day)
            } else if let pending = pendingNotice, pending.date <= day {
                pendingNotice = nil
            }
            var next = nextDayOfInterest(after: day, status: status, eventDates: eventDates)
            // A bracketed status reports only what its two readings share; each reading's own days of interest are
            // where either may change.
            if imprecise, let readings = RulesEngine.readings(of: agreement, asOf: day) {
                for reading in [readings.early, readings.late] {
                    let own = RulesEngine.evaluate(reading, asOf: day, trace: false)
                    if let candidate = nextDayOfInterest(after: day, status: own, eventDates: eventDates),
                        next.map({ candidate < $0 }) ?? true
                    {
                        next = candidate
                    }
                }
            }
            if let pending = pendingNotice?.date, pending > day, next.map({ pending < $0 }) ?? true { next = pending }
            // The state holds from `day` until the next day of interest; keep the part inside the window.
            let lastDay = min(next.flatMap { try? $0.addingDays(-1) } ?? to, to)
            if lastDay >= from {
                let segment = StateSegment(
                    start: max(day, from),
                    lastDay: lastDay,
                    state: status.state,
                    term: status.currentTerm?.index
                )
                if let previous = segments.last, previous.state == segment.state, previous.term == segment.term,
                    (try? previous.lastDay.addingDays(1)) == segment.start
                {
                    segments[segments.count - 1].lastDay = segment.lastDay
                } else {
                    segments.append(segment)
                }
            }
            guard let next else { break }
            day = next
        }
        deadlines.sort { $0.sortKey < $1.sortKey }
        return Projection(deadlines: deadlines, segments: segments, complete: complete)
    }

    /// The ends known only within a range (shape 12) whose first possible day is `day`: listed once, spanning the
    /// range (`date` … `latest`), never on a day picked inside it.
    private static func rangedDeadlines(
        on day: CalendarDate,
        in status: AgreementStatus,
        agreement: Agreement,
        parties: [String]
    ) -> [Deadline] {
        var found: [Deadline] = []
        for range in status.ranges {
            if range.field == "lastDayInForce", range.earliest == day {
                found.append(
                    Deadline(
                        agreementId: agreement.id,
                        date: day,
                        kind: .scheduledEnd,
                        parties: parties,
                        eventId: range.eventIds.first,
                        sentence: .rangedEnd(reason: range.reason),
                        latest: range.latest
                    )
                )
            }
            let parts = range.field.split(separator: ".")
            if parts.count == 3, parts[0] == "parties", parts[2] == "lastDayAsParty",
                let firstOut = try? range.earliest.addingDays(1), firstOut == day, let latestOut = try? range.latest.addingDays(1)
            {
                found.append(
                    Deadline(
                        agreementId: agreement.id,
                        date: day,
                        kind: .withdrawalEffective,
                        party: String(parts[1]),
                        parties: parties,
                        rule: "withdrawal",
                        eventId: range.eventIds.first,
                        sentence: .rangedWithdrawal(reason: range.reason),
                        latest: latestOut
                    )
                )
            }
        }
        return found
    }

    /// Under an `earliestEffect` clause (shape 8), the last day a notice (admissible now) reaches the earliest effect
    /// the clause allows, for the parties whose window closes on `day`. A lock-in is not listed here: until it ends no
    /// notice counts, and the window the status reports then is the notice period's own.
    private static func deferredWithdrawalDeadline(
        on day: CalendarDate,
        in status: AgreementStatus,
        agreement: Agreement,
        parties: [String]
    ) -> Deadline? {
        let closing = status.parties.filter { $0.nextWithdrawal?.limit == .earliestEffect && $0.nextWithdrawal?.noticeBy == day }
        guard let window = closing.first?.nextWithdrawal, let rule = agreement.rules.withdrawal else { return nil }
        let who = closing.map(\.party)
        return Deadline(
            agreementId: agreement.id,
            date: day,
            kind: .withdrawalNoticeDeadline,
            party: who.count == 1 ? who[0] : nil,
            parties: who.count == 1 ? parties : who,
            rule: "withdrawal",
            article: rule.earliestEffect?.article ?? rule.article,
            convention: "earliestEffect: a notice may be given at any time; its effect comes no earlier than \(window.effectiveFrom)",
            sentence: .deferredWithdrawalNotice(counted: rule.noticeDate, effectiveFrom: window.effectiveFrom)
        )
    }

    /// The earliest date after `day` on which the engine's answer may change.
    private static func nextDayOfInterest(
        after day: CalendarDate,
        status: AgreementStatus,
        eventDates: [CalendarDate]
    ) -> CalendarDate? {
        var candidates: [CalendarDate?] = [
            // The day after a notice deadline the engine announces the next one, which may fall before the
            // next renewal (a notice period longer than the rest of the term).
            status.noticeDeadline, status.noticeDeadline.flatMap { try? $0.addingDays(1) }, status.nextRenewal,
            status.lastDayInForce,
            status.lastDayInForce.flatMap { try? $0.addingDays(1) }, status.entryIntoForce,
            // On the day after a review the engine names the next one.
            status.review?.next, status.review?.next.flatMap { try? $0.addingDays(1) },
        ]
        for party in status.parties {
            candidates.append(party.performanceSuspension?.from)
            candidates.append(party.since)
            candidates.append(party.boundFrom)
            candidates.append(party.lastDayAsParty.flatMap { try? $0.addingDays(1) })
            if let window = party.nextWithdrawal, window.limit == .earliestEffect { candidates.append(window.noticeBy) }
        }
        // The first recorded event after `day` (binary search: event dates are sorted).
        var low = 0
        var high = eventDates.count
        while low < high {
            let middle = (low + high) / 2
            if eventDates[middle] <= day { low = middle + 1 } else { high = middle }
        }
        if low < eventDates.count { candidates.append(eventDates[low]) }
        return candidates.compactMap { $0 }.filter { $0 > day }.min()
    }

    /// The notice deadline the status announces, if the agreement is in force and one is still ahead.
    private static func noticeDeadline(in status: AgreementStatus, agreement: Agreement, parties: [String]) -> Deadline? {
        guard status.state == .inForce, let deadline = status.noticeDeadline else { return nil }
        let step = status.trace.last { $0.subject == "noticeDeadline" }
        let term = step?.inputs["term"].flatMap { Int($0) } ?? status.currentTerm?.index
        // A notice period longer than what is left of the term puts the deadline for a later term's renewal in this
        // one: the renewal it stops is then not the next one.
        var stops = status.nextRenewal
        if let term, term != status.currentTerm?.index, let entry = status.entryIntoForce {
            stops = Evaluation(agreement: agreement, asOf: status.asOf, tracing: false).schedule(entry: entry)
                .start(term + 1)
        }
        return noticeDeadline(
            on: deadline,
            term: term,
            nextRenewal: stops,
            agreement: agreement,
            parties: parties,
            rule: step?.rule,
            article: step?.article,
            convention: step?.convention
        )
    }

    /// The notice deadline for `term` on `date`, said the same way by the walk and by a lifecycle's periodic tail.
    static func noticeDeadline(
        on date: CalendarDate,
        term: Int?,
        nextRenewal: CalendarDate?,
        agreement: Agreement,
        parties: [String],
        rule: String?,
        article: String?,
        convention: String?
    ) -> Deadline {
        let termination = agreement.rules.termination
        return Deadline(
            agreementId: agreement.id,
            date: date,
            kind: .noticeDeadline,
            parties: parties,
            term: term,
            rule: rule ?? "termination",
            article: article ?? termination?.article,
            convention: convention,
            sentence: .noticeDeadline(clauseArticle: termination?.article, nextRenewal: nextRenewal, counted: termination?.noticeDate)
        )
    }

    /// The start of renewed term `term` on `date`, said the same way by the walk and by a lifecycle's periodic tail.
    static func renewal(
        on date: CalendarDate,
        term: Int,
        agreement: Agreement,
        parties: [String],
        article: String?
    ) -> Deadline {
        Deadline(
            agreementId: agreement.id,
            date: date,
            kind: .renewal,
            parties: parties,
            term: term,
            rule: "renewal",
            article: article ?? agreement.rules.renewal?.article,
            convention: "term k ≥ 2 starts on entry into force + initial term + (k − 2) × renewal period",
            sentence: .renewal(automatic: agreement.rules.renewal?.kind == .automatic, period: agreement.rules.renewal?.period)
        )
    }

    /// The renewals and ends that the status evaluated on `day` places on `day`.
    private static func deadlinesReported(
        on day: CalendarDate,
        by status: AgreementStatus,
        agreement: Agreement,
        parties: [String]
    ) -> [Deadline] {
        var found: [Deadline] = []
        let running = status.state == .inForce || status.state == .terminationPending
        let termination = agreement.rules.termination
        if running, let term = status.currentTerm, term.start == day, term.index > 1 {
            let step = status.trace.last { $0.subject == "currentTerm" }
            found.append(renewal(on: day, term: term.index, agreement: agreement, parties: parties, article: step?.article))
        }
        if running, let lastDay = status.lastDayInForce, lastDay == day {
            if status.state == .terminationPending {
                let step = status.trace.last { $0.subject == "notice" && $0.result == "\(lastDay)" }
                let notifier = step?.inputs["party"].flatMap { $0.isEmpty ? nil : $0 }
                found.append(
                    Deadline(
                        agreementId: agreement.id,
                        date: day,
                        kind: .scheduledEnd,
                        party: notifier,
                        parties: parties,
                        term: status.currentTerm?.index,
                        rule: step?.rule ?? "termination",
                        article: step?.article ?? termination?.article,
                        convention: step?.convention,
                        eventId: step?.eventId,
                        sentence: .endByNotice(nonRenewal: status.endCause?.reason == .nonRenewal)
                    )
                )
            } else {
                let step = status.trace.last { $0.subject == "lastDayInForce" }
                found.append(
                    Deadline(
                        agreementId: agreement.id,
                        date: day,
                        kind: .scheduledEnd,
                        parties: parties,
                        term: status.currentTerm?.index,
                        rule: step?.rule ?? "term",
                        article: step?.article,
                        convention: step?.convention,
                        sentence: .endOfLastTerm
                    )
                )
            }
        }
        if running, let review = status.review, review.next == day {
            found.append(reviewDeadline(on: day, status: status, review: review, agreement: agreement, parties: parties))
        }
        for standing in status.parties where running {
            guard let suspension = standing.performanceSuspension, suspension.from == day, let notified = suspension.notifiedOn
            else { continue }
            let step = status.trace.last { $0.subject == "performance" && $0.eventId == suspension.eventId && $0.result != nil }
            found.append(
                Deadline(
                    agreementId: agreement.id,
                    date: day,
                    kind: .performanceSuspensionEffective,
                    party: standing.party,
                    parties: [standing.party],
                    rule: "performanceSuspension",
                    article: step?.article ?? agreement.rules.performanceSuspension?.article,
                    convention: step?.convention,
                    eventId: suspension.eventId,
                    sentence: .performanceSuspension(notifiedOn: notified)
                )
            )
        }
        for standing in status.parties where running && standing.status == .withdrawn && standing.since == day {
            // An exclusion is its own event; a withdrawal is explained by the step that dated it.
            let step =
                standing.excludedBy != nil
                ? nil
                : status.trace.last {
                    ($0.subject == "withdrawal" || $0.subject == "linkedWithdrawal") && $0.inputs["party"] == standing.party
                        && $0.result != nil
                }
            found.append(
                Deadline(
                    agreementId: agreement.id,
                    date: day,
                    kind: .withdrawalEffective,
                    party: standing.party,
                    parties: [standing.party],
                    rule: standing.excludedBy != nil ? "exclusion" : step?.rule ?? "withdrawal",
                    article: standing.excludedBy != nil
                        ? agreement.rules.exclusion?.article : step?.article ?? agreement.rules.withdrawal?.article,
                    convention: step?.convention,
                    eventId: standing.excludedBy ?? step?.eventId,
                    sentence: .partyLeaves(excluded: standing.excludedBy != nil)
                )
            )
        }
        return found
    }

    /// A joint review on `day`, as the status evaluated on that day reports it.
    private static func reviewDeadline(
        on day: CalendarDate,
        status: AgreementStatus,
        review: ReviewStatus,
        agreement: Agreement,
        parties: [String]
    ) -> Deadline {
        let step = status.trace.last { $0.subject == "review" && $0.result == "\(day)" && $0.eventId == nil }
        let renewal = agreement.rules.renewal
        return Deadline(
            agreementId: agreement.id,
            date: day,
            kind: .review,
            parties: parties,
            term: status.currentTerm?.index,
            rule: "renewal",
            article: step?.article ?? renewal?.review?.article ?? renewal?.article,
            convention: step?.convention,
            sentence: .review(period: renewal?.period, extensions: review.extensions, lastDayInForce: status.lastDayInForce)
        )
    }
}

extension CalendarDate {
    /// Seconds from 1970-01-01T00:00:00Z to 00:00 UTC on this day (`dayNumber × 86400`): how a civil date is
    /// written where an instant is required (Prometheus gauges, iCalendar stamps).
    public var unixMidnightUTC: Int { dayNumber * 86_400 }
}
