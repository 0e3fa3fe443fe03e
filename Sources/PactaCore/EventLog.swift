/// The append-only rules of an agreement's events, as pure functions, so that every store applies them inside
/// its own serialized write (against the record as it is then, never a snapshot read before it).
extension Agreement {
    /// The agreement with `drafts` appended in order. A draft without an id gets `e<N>`, N its position in the
    /// events counted from 1, or the next free number when that id is taken.
    public func appending(_ drafts: [NewEvent]) -> (agreement: Agreement, appended: [Event]) {
        var taken = Set(events.map(\.id))
        for draft in drafts { if let id = draft.id { taken.insert(id) } }
        var next = events.count + 1
        var appended: [Event] = []
        appended.reserveCapacity(drafts.count)
        for draft in drafts {
            let event: Event
            if let id = draft.id {
                event = draft.event(id: id)
            } else {
                while taken.contains("e\(next)") { next += 1 }
                event = draft.event(id: "e\(next)")
                taken.insert(event.id)
            }
            appended.append(event)
            next += 1
        }
        var result = self
        result.events += appended
        return (result, appended)
    }

    /// Where `replacement` breaks the record: the first recorded event that is missing from it or changed, or
    /// moved from its place. Events are append-only, so a replacement must start with every recorded event,
    /// unchanged and in order.
    public func appendOnlyViolation(in replacement: Agreement) -> ValidationIssue? {
        for (index, existing) in events.enumerated()
        where index >= replacement.events.count || replacement.events[index] != existing {
            return ValidationIssue(
                pointer: "/events/\(index)",
                message:
                    "recorded event '\(existing.id)' must appear unchanged here: events are append-only; record a correction as a new event that supersedes it"
            )
        }
        return nil
    }
}
