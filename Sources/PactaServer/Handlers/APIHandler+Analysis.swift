import Foundation
import PactaAPI
import PactaCore
import PactaStore

/// Per-party status, timeline and what-if simulation: read-only questions answered by the engine.
extension APIHandler {
    func getPartyStatus(_ input: Operations.GetPartyStatus.Input) async throws -> Operations.GetPartyStatus.Output {
        let subject = try evaluable(input.path.id)
        let stored = subject.stored
        let asOf = try resolveAsOf(input.query.asOf)
        // The tag names the agreement's version, so a client holds it only from a 200 for a party it lists.
        let etag = ETagHasher.tag(subject.tag, "party-\(input.path.party)-\(asOf)-\(RulesEngine.version)")
        try NotModified.check(input.headers.ifNoneMatch, current: etag)
        guard let report = RulesEngine.partyStatus(stored.agreement, party: input.path.party, asOf: asOf) else {
            throw Problem(
                type: .notFound,
                status: .notFound,
                title: "Not found",
                detail: "'\(input.path.party.prefix(16))' is not a party listed in agreement '\(stored.agreement.id)'."
            )
        }
        return .ok(.init(headers: .init(eTag: etag), body: .json(report)))
    }

    func getTimeline(_ input: Operations.GetTimeline.Input) async throws -> Operations.GetTimeline.Output {
        let subject = try evaluable(input.path.id)
        let stored = subject.stored
        let asOf = try resolveAsOf(input.query.asOf)
        let (from, to) = try timelineWindow(
            from: input.query.from,
            to: input.query.to,
            asOf: asOf,
            agreement: stored.agreement
        )
        let etag = ETagHasher.tag(subject.tag, "timeline-\(asOf)-\(from)-\(to)-\(RulesEngine.version)")
        try NotModified.check(input.headers.ifNoneMatch, current: etag)
        let timeline = try await work.run { RulesEngine.timeline(stored.agreement, asOf: asOf, from: from, to: to) }
        return .ok(.init(headers: .init(eTag: etag), body: .json(timeline)))
    }

    func simulate(_ input: Operations.Simulate.Input) async throws -> Operations.Simulate.Output {
        guard case .json(let request) = input.body else { throw unsupportedBody }
        // As held, its linked agreements resolved: the simulated events are this agreement's own.
        let snapshot = catalog.snapshot
        var agreement = try Self.evaluable(input.path.id, in: snapshot).agreement
        guard (1...limits.maxEventsPerRequest).contains(request.events.count) else {
            throw Problem.validation([.init(pointer: "/events", message: "must hold 1 to \(limits.maxEventsPerRequest) events")])
        }
        let asOf = try request.asOf.map { try parseDate($0, pointer: "/asOf") } ?? today()
        let firstNew = agreement.events.count
        agreement.events += request.events.enumerated().map { offset, draft in draft.event(id: "simulated-\(offset + 1)") }
        var issues = AgreementValidator.validate(agreement).compactMap { issue in
            Self.relocate(issue, firstNew: firstNew)
        }
        // The engine reads the record as it stood on `asOf`, so a later event would be ignored without a word.
        for (offset, draft) in request.events.enumerated() where draft.date > asOf {
            issues.append(
                .init(
                    pointer: "/events/\(offset)/date",
                    message: "\(draft.date) is after the simulation's asOf (\(asOf)); a simulated event must be dated on or before it"
                )
            )
        }
        if !issues.isEmpty { throw Problem.validation(issues) }
        let from = try request.from.map { try parseDate($0, pointer: "/from") }
        let to = try request.to.map { try parseDate($0, pointer: "/to") }
        let window = try timelineWindow(
            from: from.map(\.description),
            to: to.map(\.description),
            asOf: asOf,
            agreement: agreement
        )
        let simulated = agreement
        let dependents = Self.dependents(of: simulated, in: snapshot)
        let (status, timeline, dependentStatuses) = try await work.run {
            (
                RulesEngine.evaluate(simulated, asOf: asOf),
                RulesEngine.timeline(simulated, asOf: asOf, from: window.from, to: window.to),
                dependents.map { Components.Schemas.SimulatedDependent(agreementId: $0.id, status: RulesEngine.evaluate($0, asOf: asOf)) }
            )
        }
        return .ok(.init(body: .json(.init(status: status, timeline: timeline, dependents: dependentStatuses))))
    }

    /// The agreements of `snapshot` that name `simulated` in a linked-withdrawal rule, each with `simulated` in place
    /// of the version the catalog resolved for it (given, like every linked agreement, without its own links).
    static func dependents(of simulated: Agreement, in snapshot: AgreementCatalog.Snapshot) -> [Agreement] {
        var framework = simulated
        framework.linked = [:]
        return snapshot.links.dependents(of: simulated.id).compactMap { id in
            guard var dependent = snapshot.evaluable(id)?.agreement else { return nil }
            dependent.linked[simulated.id] = framework
            return dependent
        }
    }

    /// The timeline window: the given bounds, or by default from the entry into force (at most ten years
    /// before `asOf`) to ten years after `asOf`. At most 200 years wide: a default start further back (an
    /// agreement in force since 1800) is moved up to 200 years before the end, never refused.
    /// A timeline's window where the request leaves it open: from the entry into force (or ten years before
    /// `asOf`, whichever is earlier) through ten years after `asOf`.
    private func timelineWindow(
        from: String?,
        to: String?,
        asOf: CalendarDate,
        agreement: Agreement
    ) throws
        -> (from: CalendarDate, to: CalendarDate)
    {
        let tenYearsBefore = (try? asOf.plus(.years(-10))) ?? .minimum
        return try resolveWindow(
            from: from,
            to: to,
            defaults: .spanning(
                from: { min(RulesEngine.evaluate(agreement, asOf: asOf).entryIntoForce ?? tenYearsBefore, tenYearsBefore) },
                to: { (try? asOf.plus(.years(10))) ?? .maximum }
            ),
            maxDays: TimelineSVG.maxSpanDays
        )
    }

    private func parseDate(_ text: String, pointer: String) throws -> CalendarDate {
        do { return try CalendarDate(parsing: text) } catch {
            throw Problem.validation([.init(pointer: pointer, message: error.description)])
        }
    }

    /// Maps a validation issue about appended event `firstNew + k` to `/events/k` of the request body.
    static func relocate(_ issue: ValidationIssue, firstNew: Int) -> ValidationIssue? {
        guard issue.pointer.hasPrefix("/events/"),
            let index = Int(issue.pointer.dropFirst("/events/".count).prefix { $0.isNumber }), index >= firstNew
        else { return nil }
        let rest = issue.pointer.dropFirst("/events/\(index)".count)
        return ValidationIssue(pointer: "/events/\(index - firstNew)\(rest)", message: issue.message)
    }
}
