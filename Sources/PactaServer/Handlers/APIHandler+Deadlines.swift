import Foundation
import OpenAPIRuntime
import PactaAPI
import PactaCore
import PactaStore

/// Dashboards and calendars: deadlines across agreements, the summary, iCalendar feeds and timeline pictures.
/// Every date comes from ``DeadlineProjection``, which asks the rules engine.
extension APIHandler {
    /// The widest window a deadline list or feed may span (100 years), which bounds the work per request.
    static let maxWindowDays = 36_525

    func listDeadlines(_ input: Operations.ListDeadlines.Input) async throws -> Operations.ListDeadlines.Output {
        let query = input.query
        let limit = try limits.pageSize(query.limit)
        let window = try resolveWindow(from: query.from, to: query.to, defaultBefore: 0, defaultAfter: 365)
        let after = try query.cursor.map { cursor in
            guard let key = DeadlineCursor.decode(cursor) else {
                throw Problem.badParameter("cursor", "is not a cursor this server issued")
            }
            return key
        }
        let snapshot = catalog.snapshot
        let etag = Self.catalogTag(
            snapshot, "deadlines", "\(window.from)", "\(window.to)", query.party ?? "", query.kind?.rawValue ?? "",
            "\(limit)", query.cursor ?? "")
        if let tag = input.headers.ifNoneMatch, EntityTag.noneMatchHits(tag, current: etag) {
            return .notModified(.init(headers: .init(eTag: etag)))
        }
        let filter = Self.deadlineFilter(in: snapshot, party: query.party, kind: query.kind.flatMap { Deadline.Kind(rawValue: $0.rawValue) })
        let (items, hasMore) = try await snapshot.deadlinePage(
            from: window.from, to: window.to, after: after, limit: limit, filter: filter, work: work)
        let nextCursor = hasMore ? items.last.map { DeadlineCursor.encode($0.sortKey) } : nil
        let page = Components.Schemas.DeadlinePage(
            items: items, from: "\(window.from)", to: "\(window.to)", nextCursor: nextCursor,
            next: nextCursor.map { nextDeadlinesLink(query, window: window, limit: limit, cursor: $0) })
        return .ok(.init(headers: .init(eTag: etag), body: .json(page)))
    }

    func getSummary(_ input: Operations.GetSummary.Input) async throws -> Operations.GetSummary.Output {
        let asOf = try resolveAsOf(input.query.asOf)
        let snapshot = catalog.snapshot
        let etag = Self.catalogTag(snapshot, "summary", "\(asOf)")
        if let tag = input.headers.ifNoneMatch, EntityTag.noneMatchHits(tag, current: etag) {
            return .notModified(.init(headers: .init(eTag: etag)))
        }
        var counts: [AgreementStatus.State: Int] = [:]
        for state in try await snapshot.states(asOf: asOf, work: work) { counts[state, default: 0] += 1 }
        let in90 = try await snapshot.deadlineCount(from: asOf, to: Self.offset(asOf, 90), work: work)
        let in30 = try await snapshot.deadlineCount(from: asOf, to: Self.offset(asOf, 30), work: work)
        let next = try await snapshot.firstDeadline(from: asOf, to: Self.offset(asOf, Self.maxWindowDays), work: work)
        let summary = Components.Schemas.Summary(
            asOf: "\(asOf)", agreements: snapshot.sortedIds.count,
            byState: .init(
                notYetInForce: counts[.notYetInForce] ?? 0, inForce: counts[.inForce] ?? 0,
                terminationPending: counts[.terminationPending] ?? 0, terminated: counts[.terminated] ?? 0,
                expired: counts[.expired] ?? 0),
            deadlines: .init(next30Days: in30, next90Days: in90, next: next))
        return .ok(.init(headers: .init(eTag: etag), body: .json(summary)))
    }

    func getCalendar(_ input: Operations.GetCalendar.Input) async throws -> Operations.GetCalendar.Output {
        let query = input.query
        let window = try resolveWindow(from: query.from, to: query.to, defaultBefore: 365, defaultAfter: 5 * 365 + 1)
        let alarm = try DeadlineCalendar.Alarm.parse(query.alarm)
        let snapshot = catalog.snapshot
        let etag = Self.catalogTag(
            snapshot, "calendar", "\(window.from)", "\(window.to)", query.party ?? "", query.kind?.rawValue ?? "",
            alarm.map { "\($0.days)" } ?? "none")
        if let tag = input.headers.ifNoneMatch, EntityTag.noneMatchHits(tag, current: etag) {
            return .notModified(.init(headers: .init(eTag: etag)))
        }
        let filter = Self.deadlineFilter(
            in: snapshot, party: query.party, kind: query.kind.flatMap { Deadline.Kind(rawValue: $0.rawValue) })
        let dated = try await snapshot.deadlines(from: window.from, to: window.to, work: work)
        // Without a filter the size is known before any deadline is said in full.
        if query.party == nil && query.kind == nil { try checkFeedSize(dated.count) }
        let deadlines = dated.filter(filter)
        try checkFeedSize(deadlines.count)
        let name = "Pacta deadlines" + (query.party.map { " (\($0))" } ?? "")
        // Calendar clients poll the same feed: its bytes are held under its strong ETag while the snapshot lasts.
        let work = work
        let body = try await work.awaitShared {
            try await snapshot.derived.feeds.value(for: etag) {
                try await work.pool.run {
                    DeadlineCalendar.render(
                        name: name, deadlines: deadlines, agreement: { snapshot.byId[$0]?.agreement }, alarm: alarm)
                }
            }
        }
        return .ok(.init(headers: .init(eTag: etag), body: .textCalendar(HTTPBody(body))))
    }

    func getAgreementCalendar(_ input: Operations.GetAgreementCalendar.Input) async throws
        -> Operations.GetAgreementCalendar.Output
    {
        guard let stored = catalog.snapshot.byId[input.path.id] else { throw Problem.agreementNotFound(input.path.id) }
        let query = input.query
        let window = try resolveWindow(from: query.from, to: query.to, defaultBefore: 365, defaultAfter: 5 * 365 + 1)
        let alarm = try DeadlineCalendar.Alarm.parse(query.alarm)
        let kind = query.kind.flatMap { Deadline.Kind(rawValue: $0.rawValue) }
        var hasher = ETagHasher()
        for part in [
            RulesEngine.version, stored.etag, "calendar", "\(window.from)", "\(window.to)", query.party ?? "",
            query.kind?.rawValue ?? "", alarm.map { "\($0.days)" } ?? "none",
        ] { hasher.combine(part) }
        let etag = hasher.etag
        if let tag = input.headers.ifNoneMatch, EntityTag.noneMatchHits(tag, current: etag) {
            return .notModified(.init(headers: .init(eTag: etag)))
        }
        let party = query.party
        let deadlines = try await work.run {
            DeadlineProjection.deadlines(for: stored.agreement, from: window.from, through: window.to)
                .filter { deadline in
                    (party.map { deadline.concerns($0) } ?? true) && (kind.map { deadline.kind == $0 } ?? true)
                }
        }
        try checkFeedSize(deadlines.count)
        let name = "Pacta: \(stored.agreement.shortTitle ?? stored.agreement.id)"
        let body = try await work.run {
            DeadlineCalendar.render(
                name: name, deadlines: deadlines, agreement: { $0 == stored.agreement.id ? stored.agreement : nil },
                alarm: alarm)
        }
        return .ok(.init(headers: .init(eTag: etag), body: .textCalendar(HTTPBody(body))))
    }

    func getAgreementTimeline(_ input: Operations.GetAgreementTimeline.Input) async throws
        -> Operations.GetAgreementTimeline.Output
    {
        guard let stored = catalog.snapshot.byId[input.path.id] else { throw Problem.agreementNotFound(input.path.id) }
        let asOf = try resolveAsOf(input.query.asOf)
        let from = try dateParameter(input.query.from, name: "from")
        let to = try dateParameter(input.query.to, name: "to")
        let range = TimelineSVG.defaultRange(for: stored.agreement, asOf: asOf, from: from, to: to)
        guard range.from < range.to else { throw Problem.invalidParameter("to", "must be after from") }
        guard range.from.days(to: range.to) <= TimelineSVG.maxSpanDays else {
            throw Problem.invalidParameter("to", "the picture may span at most 200 years")
        }
        var hasher = ETagHasher()
        for part in [RulesEngine.version, TimelineSVG.version, stored.etag, "timeline", "\(asOf)", "\(range.from)", "\(range.to)"] {
            hasher.combine(part)
        }
        let etag = hasher.etag
        if let tag = input.headers.ifNoneMatch, EntityTag.noneMatchHits(tag, current: etag) {
            return .notModified(.init(headers: .init(eTag: etag)))
        }
        let maxItems = limits.maxFeedItems
        let rendered = try await work.run {
            TimelineSVG.render(stored.agreement, asOf: asOf, from: range.from, to: range.to, maxItems: maxItems)
        }
        guard let svg = rendered else {
            throw Problem.invalidParameter(
                "to", "the window holds more than \(maxItems) terms and dates to draw; narrow from/to")
        }
        return .ok(.init(headers: .init(eTag: etag), body: .imageSvgXml(HTTPBody(svg))))
    }

    // MARK: Helpers

    /// A calendar feed holds at most ``Limits/maxFeedItems`` events, which bounds its size.
    func checkFeedSize(_ count: Int) throws {
        guard count <= limits.maxFeedItems else {
            throw Problem.invalidParameter(
                "to",
                "the window holds \(count) dates, more than the \(limits.maxFeedItems) a feed may hold; narrow from/to or filter by party or kind")
        }
    }

    /// Which deadlines a `party` and `kind` filter lets through: those of that kind that concern the party, in
    /// agreements the party is recorded in.
    static func deadlineFilter(
        in snapshot: AgreementCatalog.Snapshot, party: String?, kind: Deadline.Kind?
    ) -> @Sendable (Deadline) -> Bool {
        { deadline in
            if let kind, deadline.kind != kind { return false }
            guard let party else { return true }
            return deadline.concerns(party)
                && snapshot.byId[deadline.agreementId]?.agreement.parties.contains { $0.code == party } == true
        }
    }

    /// A strong ETag for a representation computed from every agreement (their own ETags) and `parts`.
    static func catalogTag(_ snapshot: AgreementCatalog.Snapshot, _ parts: String...) -> String {
        var hasher = ETagHasher()
        hasher.combine(snapshot.catalogTag)
        for part in parts { hasher.combine(part) }
        return hasher.etag
    }

    static func offset(_ date: CalendarDate, _ days: Int) -> CalendarDate {
        (try? date.addingDays(days)) ?? (days < 0 ? .minimum : .maximum)
    }

    /// `from` and `to` from the query, defaulting around today; `to` must not precede `from` and the window may
    /// span at most ``maxWindowDays``.
    func resolveWindow(from: String?, to: String?, defaultBefore: Int, defaultAfter: Int) throws
        -> (from: CalendarDate, to: CalendarDate)
    {
        let explicitFrom = try dateParameter(from, name: "from")
        let explicitTo = try dateParameter(to, name: "to")
        let start = explicitFrom ?? explicitTo.map { Self.offset($0, -(defaultBefore + defaultAfter)) }
            ?? Self.offset(today(), -defaultBefore)
        let end = explicitTo ?? Self.offset(start, explicitFrom == nil ? defaultBefore + defaultAfter : defaultAfter)
        guard start <= end else { throw Problem.invalidParameter("to", "must not be before from (\(start))") }
        guard start.days(to: end) <= Self.maxWindowDays else {
            throw Problem.invalidParameter("to", "the window may span at most \(Self.maxWindowDays) days (100 years)")
        }
        return (start, end)
    }

    private func nextDeadlinesLink(
        _ query: Operations.ListDeadlines.Input.Query, window: (from: CalendarDate, to: CalendarDate), limit: Int,
        cursor: String
    ) -> String {
        var components = URLComponents()
        components.path = "/v1/deadlines"
        var items = [
            URLQueryItem(name: "from", value: "\(window.from)"), URLQueryItem(name: "to", value: "\(window.to)"),
            URLQueryItem(name: "limit", value: "\(limit)"),
        ]
        if let party = query.party { items.append(.init(name: "party", value: party)) }
        if let kind = query.kind { items.append(.init(name: "kind", value: kind.rawValue)) }
        items.append(.init(name: "cursor", value: cursor))
        components.queryItems = items
        return components.string ?? "/v1/deadlines?cursor=\(cursor)"
    }
}

/// Opaque cursors for deadline lists: the sort key of the last item served, base64url-encoded.
enum DeadlineCursor {
    static func encode(_ key: Deadline.SortKey) -> String {
        let text = "d:\(key.date)|\(key.agreementId)|\(key.kind.rawValue)|\(key.party)"
        return Base64URL.encode(text)
    }

    static func decode(_ cursor: String) -> Deadline.SortKey? {
        guard let text = Base64URL.decodeText(cursor), text.hasPrefix("d:") else { return nil }
        let parts = text.dropFirst(2).split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 4, let date = try? CalendarDate(parsing: parts[0]),
            AgreementValidator.isValidIdentifier(String(parts[1])), let kind = Deadline.Kind(rawValue: String(parts[2])),
            parts[3].count <= 16
        else { return nil }
        return Deadline.SortKey(date: date, agreementId: String(parts[1]), kind: kind, party: String(parts[3]))
    }
}
