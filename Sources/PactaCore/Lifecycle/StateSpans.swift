/// Which agreements are in a given state on a date, without reading every agreement's state: for each state, the
/// spans of days in which a complete lifecycle is in it, in catalog order.
///
/// A list filtered by a rare state (say `terminationPending` on some date) read every agreement's state, one binary
/// search each, to find a handful; here it reads only that state's spans, and a common state's page ends after about
/// as many spans as it has items.
struct StateSpans: Sendable {
    private struct Span: Sendable {
        let slot: Int32
        let first: CalendarDate
        let last: CalendarDate
    }

    private static let states = AgreementStatus.State.allCases
    /// `spans[s]`: the spans of state `s` (by `states` order), ordered by slot, then by day.
    private let spans: [[Span]]
    /// Lifecycles that do not say their state on every date, ascending: each is a candidate for every state.
    private let incompleteSlots: [Int]

    init(_ lifecycles: [AgreementLifecycle]) {
        var spans = [[Span]](repeating: [], count: Self.states.count)
        var incomplete: [Int] = []
        for (slot, lifecycle) in lifecycles.enumerated() {
            guard let stretches = lifecycle.stateStretches else {
                incomplete.append(slot)
                continue
            }
            for (offset, stretch) in stretches.enumerated() {
                let next = offset + 1 < stretches.count ? stretches[offset + 1].from : nil
                let last = next.flatMap { try? $0.addingDays(-1) } ?? .maximum
                spans[Self.states.firstIndex(of: stretch.state)!].append(
                    Span(slot: Int32(slot), first: stretch.from, last: last)
                )
            }
        }
        self.spans = spans
        self.incompleteSlots = incomplete
    }

    /// The first slot from `slot` on that may be in `state` on `date`: one whose lifecycle says so, or one whose
    /// lifecycle is incomplete (the caller asks the engine). `nil` when none is left.
    func nextCandidate(in state: AgreementStatus.State, on date: CalendarDate, from slot: Int) -> Int? {
        let ofState = spans[Self.states.firstIndex(of: state)!]
        let incomplete = incompleteSlots.partitionPoint { $0 < slot }
        let bound = incomplete < incompleteSlots.count ? incompleteSlots[incomplete] : Int.max
        var index = ofState.partitionPoint { $0.slot < slot }
        while index < ofState.count, Int(ofState[index].slot) < bound {
            let span = ofState[index]
            if span.first <= date, date <= span.last { return Int(span.slot) }
            index += 1
        }
        return bound == Int.max ? nil : bound
    }
}
