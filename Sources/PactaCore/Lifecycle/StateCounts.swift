/// How many agreements are in each state on any date, by one binary search: every state change of every complete
/// lifecycle in date order, each with the counts that hold from its day on.
///
/// The summary's counts on a date were a state per agreement (100,000 binary searches at 100,000 agreements);
/// here they are one search, plus the engine for the few agreements whose lifecycle is incomplete or which were
/// written since the index was built.
struct StateCounts: Sendable {
    private static let states = AgreementStatus.State.allCases
    /// The counts before any change (on 0001-01-01), by `states` order.
    private let initial: [Int32]
    /// The days on which some lifecycle's state changes, ascending (a day once, with every change on it applied).
    private let days: [CalendarDate]
    /// `counts[i * states.count + s]`: agreements in state `s` from `days[i]` until the next day.
    private let counts: [Int32]
    /// Lifecycles that do not say their state on every date (a walk cut at its step limit): asked one by one.
    let incompleteSlots: [Int]

    init(_ lifecycles: [AgreementLifecycle]) {
        var initial = [Int32](repeating: 0, count: Self.states.count)
        var changes: [(day: CalendarDate, from: Int, to: Int)] = []
        var incomplete: [Int] = []
        for (slot, lifecycle) in lifecycles.enumerated() {
            guard let stretches = lifecycle.stateStretches, let first = stretches.first else {
                incomplete.append(slot)
                continue
            }
            initial[Self.position(first.state)] += 1
            for (previous, stretch) in zip(stretches, stretches.dropFirst()) {
                changes.append((stretch.from, Self.position(previous.state), Self.position(stretch.state)))
            }
        }
        changes.sort { $0.day < $1.day }
        var days: [CalendarDate] = []
        var counts: [Int32] = []
        var running = initial
        for (offset, change) in changes.enumerated() {
            running[change.from] -= 1
            running[change.to] += 1
            if offset + 1 == changes.count || changes[offset + 1].day != change.day {
                days.append(change.day)
                counts += running
            }
        }
        self.initial = initial
        self.days = days
        self.counts = counts
        self.incompleteSlots = incomplete
    }

    /// Agreements per state on `date`, among the complete lifecycles.
    func counts(on date: CalendarDate) -> [AgreementStatus.State: Int] {
        let changed = days.partitionPoint { $0 <= date }
        var result: [AgreementStatus.State: Int] = [:]
        for (position, state) in Self.states.enumerated() { result[state] = count(at: position, changed: changed) }
        return result
    }

    /// Agreements in any of `states` on `date`, among the complete lifecycles.
    func count(in states: [AgreementStatus.State], on date: CalendarDate) -> Int {
        let changed = days.partitionPoint { $0 <= date }
        return states.reduce(0) { $0 + count(at: Self.position($1), changed: changed) }
    }

    /// How many are in the state at `position` from the `changed`th day on (before any change when 0).
    private func count(at position: Int, changed: Int) -> Int {
        Int(changed == 0 ? initial[position] : counts[(changed - 1) * Self.states.count + position])
    }

    private static func position(_ state: AgreementStatus.State) -> Int { states.firstIndex(of: state)! }
}
