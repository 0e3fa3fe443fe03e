/// Shape 8 of issue #14: "notice may be given at any time, but takes effect no earlier than X". The notice stands
/// (unlike one given during a lock-in, which has no effect); only its effect waits for the earliest date.
extension Evaluation {
    /// Records that a withdrawal computed to take effect on `computed` waits until `earliest`.
    mutating func deferEffect(of notice: Event, from computed: CalendarDate, to earliest: CalendarDate, rule: WithdrawalRule) {
        let party = notice.party ?? ""
        let clause = rule.earliestEffect
        step(
            "withdrawal",
            rule: "withdrawal",
            article: clause?.article ?? rule.article,
            eventId: notice.id,
            convention: "earliestEffect: a notice may be given at any time; its effect comes no earlier than "
                + (clause?.date.map { "\($0)" }
                    ?? "\(clause?.period.map { "\($0)" } ?? "") after the \((clause?.from ?? .entryIntoForce) == .partyEntryIntoForce ? "party's " : "")entry into force"),
            result: (try? earliest.addingDays(-1)).map { "\($0)" },
            inputs: ["party": party, "computed": "\(computed)", "earliestEffect": "\(earliest)"],
            explanation:
                "The notice is admissible, but the withdrawal may take effect no earlier than \(earliest): its effect is deferred from \(computed) to \(earliest)."
        )
    }
}

extension WithdrawalRule {
    /// The window open on `day` when the effect it reaches comes before `earliest`: every notice counted from `day`
    /// through `noticeBy` takes effect on `earliest` (the notice period's own date is earlier). Found by bisection
    /// over the days (the computed date never moves back as the notice day moves forward).
    func deferredWindow(openingOn day: CalendarDate, earliest: CalendarDate) -> CalendarDate? {
        func reaches(_ candidate: CalendarDate) -> Bool {
            guard let computed = try? computedDate(countedOn: candidate), let firstOut = bounds(of: computed)?.firstOut else {
                return false
            }
            return firstOut <= earliest
        }
        guard reaches(day) else { return nil }
        if reaches(earliest) { return earliest }
        var low = day.dayNumber
        var high = earliest.dayNumber
        // `low` reaches the earliest date; `high` (the earliest date itself, counted then) cannot come before it.
        while high - low > 1 {
            let middle = low + (high - low) / 2
            guard let date = try? CalendarDate(dayNumber: middle) else { return nil }
            if reaches(date) { low = middle } else { high = middle }
        }
        return try? CalendarDate(dayNumber: low)
    }
}
