import Foundation
import OpenAPIRuntime
import PactaAPI
import PactaCore
import PactaStore

/// Implements the operations generated from `openapi.yaml`. Handlers throw ``Problem`` for client errors;
/// ``ProblemMiddleware`` renders them.
struct APIHandler: APIProtocol {
    let catalog: AgreementCatalog
    let limits: Limits
    /// Today's civil date in UTC: the default `asOf`. Injected so tests fix the day.
    let today: @Sendable () -> CalendarDate
    /// Where heavy answers are computed (off the request threads, within a budget).
    let work: HeavyWork
    let openAPIDocument: [UInt8]
    var webhooks = WebhookAPIContext()

    // MARK: Operations routes

    func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        .ok(.init(body: .json(health())))
    }

    /// The liveness document: served by ``HealthRoute`` (and by this operation, for the contract's sake).
    func health() -> Components.Schemas.Health {
        .init(
            status: "ok",
            agreements: catalog.snapshot.byId.count,
            lifecycles: catalog.lifecyclesReady ? .ready : .building
        )
    }

    func getReadiness(_ input: Operations.GetReadiness.Input) async throws -> Operations.GetReadiness.Output {
        do {
            try await catalog.store.checkWritable()
        } catch {
            // The reason (which names the file) is for the operator: logged, not sent.
            throw Problem(
                type: .notReady,
                status: .serviceUnavailable,
                title: "Not ready",
                detail: "The database cannot take writes.",
                headers: [.retryAfter: "5"],
                logReason: "\(error)"
            )
        }
        guard catalog.isCaughtUp else {
            throw Problem(
                type: .notReady,
                status: .serviceUnavailable,
                title: "Not ready",
                detail: "The server has not caught up with the writes of the servers sharing its database.",
                headers: [.retryAfter: "1"],
                logReason: "the catalog has not caught up with the store's changes"
            )
        }
        return .ok(.init(body: .json(.init(status: "ready", agreements: catalog.snapshot.byId.count))))
    }

    func getOpenAPIDocument(
        _ input: Operations.GetOpenAPIDocument.Input
    ) async throws
        -> Operations.GetOpenAPIDocument.Output
    {
        .ok(.init(body: .yaml(HTTPBody(openAPIDocument))))
    }

    // MARK: Agreements

    func listAgreements(_ input: Operations.ListAgreements.Input) async throws -> Operations.ListAgreements.Output {
        let (page, etag) = try await agreementsAnswer(input.query, ifNoneMatch: input.headers.ifNoneMatch)
        return .ok(.init(headers: .init(eTag: etag), body: .json(page)))
    }

    /// A page of the list and its entity tag; throws the 400 and 422 problems, and ``NotModified`` when `ifNoneMatch`
    /// names the tag. Shared by the generated operation and ``AgreementsRoute``, which answers it over HTTP.
    func agreementsAnswer(
        _ query: Operations.ListAgreements.Input.Query,
        ifNoneMatch: String?
    ) async throws -> (Components.Schemas.AgreementPage, etag: String) {
        let limit = try limits.pageSize(query.limit)
        let asOf = try resolveAsOf(query.asOf)
        let snapshot = catalog.snapshot
        // Everything the page depends on: every agreement (its items and whether more follow), the engine version
        // (the states), and every parameter. A client that holds the page gets its 304 before it is computed.
        let etag = Self.catalogTag(
            snapshot,
            "agreements",
            "\(asOf)",
            "\(limit)",
            query.cursor ?? "",
            query.party ?? "",
            query.state?.rawValue ?? "",
            query.tag ?? "",
            query.q ?? ""
        )
        try NotModified.check(ifNoneMatch, current: etag)
        var start = 0
        if let cursor = query.cursor {
            guard let after = PageCursor.decode(cursor) else {
                throw Problem.badParameter("cursor", "is not a cursor this server issued")
            }
            start = snapshot.sortedIds.partitionPoint { $0 <= after }
        }
        let text = query.q?.lowercased()
        let wantedState = query.state.flatMap { AgreementStatus.State(rawValue: $0.rawValue) }
        let filter = ListFilter(party: query.party, tag: query.tag, text: text, state: wantedState)
        // A party's agreements are a few percent of the catalog: visiting only them, from a list held for the snapshot,
        // spares a page the pass over every agreement in between.
        let listed = query.party.flatMap { snapshot.positions(listing: $0, work: work) }
        var found: ListFilter.Found
        if let reader = snapshot.stateReader(asOf: asOf) {
            // From the lifecycle index a state costs one binary search: read as far as the page needs, the first
            // stretch here and the rest (a rare state may scan the whole catalog) on the compute pool.
            let candidates = wantedState.flatMap(reader.candidates(of:))
            found = filter.scan(
                snapshot.ordered,
                from: start,
                limit: limit,
                state: reader.state(at:),
                candidates: candidates,
                listed: listed,
                maxScanned: 20_000
            )
            if let resume = found.resumeAt {
                let ordered = snapshot.ordered
                let left = limit - found.positions.count
                let rest = try await work.run {
                    filter.scan(ordered, from: resume, limit: left, state: reader.state(at:), candidates: candidates, listed: listed)
                }
                found = ListFilter.Found(positions: found.positions + rest.positions, hasMore: rest.hasMore, resumeAt: nil)
            }
        } else {
            // No index yet (the seconds after a start): every state on `asOf` at once, held for the snapshot.
            let states = wantedState == nil ? nil : try await snapshot.states(asOf: asOf, work: work)
            found = filter.scan(
                snapshot.ordered,
                from: start,
                limit: limit,
                state: { position in
                    states?[position] ?? RulesEngine.state(of: snapshot.ordered[position].agreement, asOf: asOf)
                },
                listed: listed
            )
        }
        let items = found.positions.map { position, state in
            let agreement = snapshot.ordered[position].agreement
            return Components.Schemas.AgreementSummary(
                id: agreement.id,
                title: agreement.title,
                shortTitle: agreement.shortTitle,
                parties: agreement.parties.map(\.code),
                tags: agreement.tags,
                state: .init(rawValue: state.rawValue)!,
                href: "/v1/agreements/\(agreement.id)"
            )
        }
        let hasMore = found.hasMore
        let nextCursor = hasMore ? items.last.map { PageCursor.encode(after: $0.id) } : nil
        let page = Components.Schemas.AgreementPage(
            items: items,
            asOf: "\(asOf)",
            nextCursor: nextCursor,
            next: nextCursor.map { nextPageLink(query, cursor: $0, limit: limit, asOf: asOf) }
        )
        return (page, etag)
    }

    private func nextPageLink(
        _ query: Operations.ListAgreements.Input.Query,
        cursor: String,
        limit: Int,
        asOf: CalendarDate
    ) -> String {
        var components = URLComponents()
        components.path = "/v1/agreements"
        var items = [URLQueryItem(name: "limit", value: "\(limit)"), URLQueryItem(name: "asOf", value: "\(asOf)")]
        if let party = query.party { items.append(.init(name: "party", value: party)) }
        if let state = query.state { items.append(.init(name: "state", value: state.rawValue)) }
        if let tag = query.tag { items.append(.init(name: "tag", value: tag)) }
        if let text = query.q { items.append(.init(name: "q", value: text)) }
        items.append(.init(name: "cursor", value: cursor))
        components.queryItems = items
        return components.string ?? "/v1/agreements?cursor=\(cursor)"
    }

    func createAgreement(_ input: Operations.CreateAgreement.Input) async throws -> Operations.CreateAgreement.Output {
        guard case .json(let agreement) = input.body else { throw unsupportedBody }
        try validate(agreement)
        let stored = try await catalog.create(agreement)
        return .created(
            .init(
                headers: .init(eTag: stored.etag, location: "/v1/agreements/\(agreement.id)"),
                body: .json(stored.agreement)
            )
        )
    }

    func getAgreement(_ input: Operations.GetAgreement.Input) async throws -> Operations.GetAgreement.Output {
        let stored = try find(input.path.id)
        try NotModified.check(input.headers.ifNoneMatch, current: stored.etag)
        return .ok(.init(headers: .init(eTag: stored.etag), body: .json(stored.agreement)))
    }

    func replaceAgreement(_ input: Operations.ReplaceAgreement.Input) async throws -> Operations.ReplaceAgreement.Output {
        guard case .json(let agreement) = input.body else { throw unsupportedBody }
        let expected = try requireIfMatch(input.headers.ifMatch, for: "PUT")
        var issues: [ValidationIssue] = []
        if agreement.id != input.path.id {
            issues.append(.init(pointer: "/id", message: "must equal the id in the path, '\(input.path.id)'"))
        }
        // Append-only is checked by the store inside the write, after If-Match: a stale tag is 412, not 422.
        try validate(agreement, issues: issues)
        let stored = try await catalog.replace(agreement, expected: expected)
        return .ok(.init(headers: .init(eTag: stored.etag), body: .json(stored.agreement)))
    }

    func deleteAgreement(_ input: Operations.DeleteAgreement.Input) async throws -> Operations.DeleteAgreement.Output {
        let expected = try requireIfMatch(input.headers.ifMatch, for: "DELETE")
        try await catalog.delete(id: input.path.id, expected: expected)
        return .noContent(.init())
    }

    /// PUT and DELETE replace or remove what a client last saw, so they must say what that was (RFC 6585 §3):
    /// without it, two editors silently overwrite each other.
    private func requireIfMatch(_ ifMatch: String?, for method: String) throws -> ExpectedVersion {
        guard let ifMatch, !ifMatch.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw Problem(
                type: .preconditionRequired,
                status: .init(code: 428, reasonPhrase: "Precondition Required"),
                title: "Precondition required",
                detail: "\(method) needs an If-Match header with the agreement's current ETag (from a GET), or * to act whatever its revision."
            )
        }
        return EntityTag.expectedVersion(ifMatch: ifMatch)
    }

    // MARK: Events

    func listEvents(_ input: Operations.ListEvents.Input) async throws -> Operations.ListEvents.Output {
        let stored = try find(input.path.id)
        try NotModified.check(input.headers.ifNoneMatch, current: stored.etag)
        return .ok(.init(headers: .init(eTag: stored.etag), body: .json(.init(items: stored.agreement.events))))
    }

    func appendEvents(_ input: Operations.AppendEvents.Input) async throws -> Operations.AppendEvents.Output {
        guard case .json(let request) = input.body else { throw unsupportedBody }
        guard !request.events.isEmpty, request.events.count <= limits.maxEventsPerRequest else {
            throw Problem.validation([
                .init(pointer: "/events", message: "must hold 1 to \(limits.maxEventsPerRequest) events")
            ])
        }
        let maxEvents = limits.maxEventsPerAgreement
        // Run by the store inside the serialized write, against the agreement as it is then.
        let expected = input.headers.ifMatch.map(EntityTag.expectedVersion(ifMatch:)) ?? .any
        let appended = try await catalog.appendEvents(request.events, to: input.path.id, expected: expected) {
            proposed,
            firstNew in
            if proposed.events.count > maxEvents {
                throw Problem.tooManyEvents(limit: maxEvents, recorded: firstNew)
            }
            // Report problems of the new events against the request body's own indices.
            let issues = AgreementValidator.validate(proposed).compactMap { Self.relocate($0, firstNew: firstNew) }
            if !issues.isEmpty { throw Problem.validation(issues) }
        }
        return .created(
            .init(headers: .init(eTag: appended.stored.etag), body: .json(.init(items: appended.events)))
        )
    }

    // MARK: Status

    func getAgreementStatus(
        _ input: Operations.GetAgreementStatus.Input
    ) async throws
        -> Operations.GetAgreementStatus.Output
    {
        let (status, etag) = try statusAnswer(id: input.path.id, asOf: input.query.asOf, ifNoneMatch: input.headers.ifNoneMatch)
        return .ok(.init(headers: .init(eTag: etag), body: .json(status)))
    }

    /// The status of agreement `id` on `asOf` (today when absent) and its entity tag; throws the 404 and 422
    /// problems, and ``NotModified`` when `ifNoneMatch` names the tag. Shared by the generated operation and
    /// ``StatusRoute``, which answers it over HTTP.
    func statusAnswer(id: String, asOf text: String?, ifNoneMatch: String?) throws -> (AgreementStatus, etag: String) {
        let subject = try evaluable(id)
        let asOf = try resolveAsOf(text)
        let etag = ETagHasher.tag(subject.tag, "status-\(asOf)-\(RulesEngine.version)")
        try NotModified.check(ifNoneMatch, current: etag)
        return (RulesEngine.evaluate(subject.agreement, asOf: asOf), etag)
    }

    // MARK: Helpers

    func find(_ id: String) throws -> StoredAgreement {
        guard let stored = catalog.snapshot.byId[id] else { throw Problem.agreementNotFound(id) }
        return stored
    }

    /// Agreement `id` as the engine is given it (its linked agreements resolved), with the tag of every input of its
    /// answers, for the routes that evaluate one agreement: their ETags name that tag, not the document's.
    func evaluable(_ id: String) throws -> Evaluable { try Self.evaluable(id, in: catalog.snapshot) }

    /// The same from `snapshot`, for a request that reads other agreements from that snapshot too.
    static func evaluable(_ id: String, in snapshot: AgreementCatalog.Snapshot) throws -> Evaluable {
        guard let subject = snapshot.evaluable(id) else { throw Problem.agreementNotFound(id) }
        return subject
    }

    /// The `asOf` query parameter, today in UTC when absent.
    func resolveAsOf(_ text: String?) throws -> CalendarDate {
        try dateParameter(text, name: "asOf") ?? today()
    }

    /// The one parser of date query parameters: nil when absent, a 422 problem naming the parameter when not a
    /// `YYYY-MM-DD` calendar date.
    func dateParameter(_ text: String?, name: String) throws -> CalendarDate? {
        guard let text else { return nil }
        do { return try CalendarDate(parsing: text) } catch { throw Problem.invalidParameter(name, error.description) }
    }

    private func validate(_ agreement: Agreement, issues: [ValidationIssue] = []) throws {
        if agreement.events.count > limits.maxEventsPerAgreement {
            throw Problem.tooManyEvents(limit: limits.maxEventsPerAgreement, recorded: nil)
        }
        let all = issues + AgreementValidator.validate(agreement)
        if !all.isEmpty { throw Problem.validation(all) }
    }

    var unsupportedBody: Problem {
        Problem(
            type: .unsupportedMediaType,
            status: .unsupportedMediaType,
            title: "Unsupported media type",
            detail: "Send the body as application/json."
        )
    }
}

/// The filters of the agreement list, applied in catalog order.
struct ListFilter: Sendable {
    let party: String?
    let tag: String?
    /// Lowercased text to find in the id, title or short title.
    let text: String?
    let state: AgreementStatus.State?

    struct Found: Sendable {
        /// Catalog positions that pass, with their state.
        var positions: [(Int, AgreementStatus.State)]
        /// Whether another agreement after the last one found passes too.
        var hasMore: Bool
        /// Where to go on when the scan stopped at `maxScanned` before the page was full.
        var resumeAt: Int?
    }

    /// The first `limit` agreements from `start` on that pass, reading each one's state with `state` only when the
    /// other filters let it through; at most `maxScanned` positions are passed over. `candidates`, when given, names
    /// the positions that may be in the wanted state (``StateReader/candidates(of:)``); the others are skipped.
    /// `listed`, when given, is every position (ascending) whose agreement lists `party`
    /// (``AgreementCatalog/Snapshot/positions(listing:work:)``): only those are visited.
    func scan(
        _ ordered: [StoredAgreement],
        from start: Int,
        limit: Int,
        state: (Int) -> AgreementStatus.State,
        candidates: StateCandidates? = nil,
        listed: [Int32]? = nil,
        maxScanned: Int = .max
    ) -> Found {
        var found = Found(positions: [], hasMore: false, resumeAt: nil)
        var visit = Visit(listed: listed, candidates: candidates, from: start)
        while let position = visit.next(below: ordered.count) {
            if position - start >= maxScanned {
                found.resumeAt = position
                return found
            }
            if (party != nil && listed == nil) || tag != nil || text != nil {
                let agreement = ordered[position].agreement
                if listed == nil, let party, !agreement.parties.contains(where: { $0.code == party }) { continue }
                if let tag, !agreement.tags.contains(tag) { continue }
                if let text, !Self.matches(agreement, text) { continue }
            }
            let current = state(position)
            if let wanted = self.state, current != wanted { continue }
            if found.positions.count == limit {
                found.hasMore = true
                return found
            }
            found.positions.append((position, current))
        }
        return found
    }

    /// The positions a scan visits, ascending: the listed ones, or every one (jumping to the next state candidate
    /// when there are candidates).
    private struct Visit {
        let listed: [Int32]?
        var candidates: StateCandidates?
        /// The next position to look at, or with `listed`, the index in it of the next one.
        var cursor: Int

        init(listed: [Int32]?, candidates: StateCandidates?, from start: Int) {
            self.listed = listed
            self.candidates = listed == nil ? candidates : nil
            cursor = listed.map { list in list.partitionPoint { Int($0) < start } } ?? start
        }

        mutating func next(below count: Int) -> Int? {
            if let listed {
                guard cursor < listed.count, Int(listed[cursor]) < count else { return nil }
                defer { cursor += 1 }
                return Int(listed[cursor])
            }
            guard cursor < count else { return nil }
            if candidates != nil {
                guard let next = candidates?.next(from: cursor) else { return nil }
                cursor = next
            }
            guard cursor < count else { return nil }
            defer { cursor += 1 }
            return cursor
        }
    }

    private static func matches(_ agreement: Agreement, _ text: String) -> Bool {
        agreement.id.contains(text) || agreement.title.lowercased().contains(text)
            || (agreement.shortTitle?.lowercased().contains(text) ?? false)
    }
}
