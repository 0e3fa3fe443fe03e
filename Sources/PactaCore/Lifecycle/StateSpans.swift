/// Which agreements are in a given state on a date, without reading every agreement's state: for each state, the
/// spans of days in which a complete lifecycle is in it, in catalog order.
///
/// A list filtered by a rare state (say `terminationPending` on some date) read every agreement's state, one binary
/// search each, to find a handful; here it reads only that state's spans, and a common state's page ends after about
/// as many spans as it has items.
struct StateSpans: Sendable {
    fileprivate struct Span: Sendable {
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

    /// A cursor over the candidates of `state` on `date` (``LifecycleIndex/candidates(in:on:)``).
    func candidates(in state: AgreementStatus.State, on date: CalendarDate) -> StateCandidates {
        StateCandidates(spans: spans[Self.states.firstIndex(of: state)!], incompleteSlots: incompleteSlots, date: date)
    }
}

/// The agreements that may be in one state on one date, in catalog order: those whose lifecycle says so, and those
/// whose lifecycle cannot say (the caller asks the engine). A list page asks for the next one from a position
/// again and again, always further on, so the cursor walks the state's spans forward instead of searching them
/// each time (a page of a common state filtered by party asks at almost every position).
public struct StateCandidates: Sendable {
    fileprivate let spans: [StateSpans.Span]
    fileprivate let incompleteSlots: [Int]
    fileprivate let date: CalendarDate
    private var span = -1
    private var incomplete = -1
    private var lastAsked = Int.min

    fileprivate init(spans: [StateSpans.Span], incompleteSlots: [Int], date: CalendarDate) {
        self.spans = spans
        self.incompleteSlots = incompleteSlots
        self.date = date
    }

    /// The first slot from `slot` on that may be in the state on the date, or `nil` when none is left.
    public mutating func next(from slot: Int) -> Int? {
        if slot < lastAsked || span < 0 {
            span = spans.partitionPoint { $0.slot < slot }
            incomplete = incompleteSlots.partitionPoint { $0 < slot }
        }
        lastAsked = slot
        while incomplete < incompleteSlots.count, incompleteSlots[incomplete] < slot { incomplete += 1 }
        let bound = incomplete < incompleteSlots.count ? incompleteSlots[incomplete] : Int.max
        while span < spans.count, Int(spans[span].slot) < bound {
            let candidate = spans[span]
            if Int(candidate.slot) >= slot, candidate.first <= date, date <= candidate.last { return Int(candidate.slot) }
            span += 1
        }
        return bound == Int.max ? nil : bound
    }
}
