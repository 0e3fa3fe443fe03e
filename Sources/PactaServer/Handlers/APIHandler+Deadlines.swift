import Foundation
import NIOCore
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
        let (page, etag) = try await deadlinesAnswer(input.query, ifNoneMatch: input.headers.ifNoneMatch)
        return .ok(.init(headers: .init(eTag: etag), body: .json(page)))
    }

    /// A page of deadlines and its entity tag; throws the 400 and 422 problems, and ``NotModified`` when
    /// `ifNoneMatch` names the tag. Shared by the generated operation and ``DeadlinesRoute``, which answers it over
    /// HTTP.
    func deadlinesAnswer(
        _ query: Operations.ListDeadlines.Input.Query,
        ifNoneMatch: String?
    ) async throws -> (Components.Schemas.DeadlinePage, etag: String) {
        let limit = try limits.pageSize(query.limit)
        let window = try resolveWindow(from: query.from, to: query.to, defaults: .aroundToday(before: 0, after: 365))
        let after = try query.cursor.map { cursor in
            guard let key = DeadlineCursor.decode(cursor) else {
                throw Problem.badParameter("cursor", "is not a cursor this server issued")
            }
            return key
        }
        let snapshot = catalog.snapshot
        let etag = Self.catalogTag(
            snapshot,
            "deadlines",
            "\(window.from)",
            "\(window.to)",
            query.party ?? "",
            query.kind?.rawValue ?? "",
            "\(limit)",
            query.cursor ?? ""
        )
        try NotModified.check(ifNoneMatch, current: etag)
        let filter = Self.deadlineFilter(in: snapshot, party: query.party, kind: query.kind.flatMap { Deadline.Kind(rawValue: $0.rawValue) })
        let (items, hasMore) = try await snapshot.deadlinePage(
            from: window.from,
            to: window.to,
            after: after,
            limit: limit,
            filter: filter,
            work: work
        )
        let nextCursor = hasMore ? items.last.map { DeadlineCursor.encode($0.sortKey) } : nil
        let page = Components.Schemas.DeadlinePage(
            items: items,
            from: "\(window.from)",
            to: "\(window.to)",
            nextCursor: nextCursor,
            next: nextCursor.map { nextDeadlinesLink(query, window: window, limit: limit, cursor: $0) }
        )
        return (page, etag)
    }

    func getSummary(_ input: Operations.GetSummary.Input) async throws -> Operations.GetSummary.Output {
        let asOf = try resolveAsOf(input.query.asOf)
        let snapshot = catalog.snapshot
        let etag = Self.catalogTag(snapshot, "summary", "\(asOf)")
        try NotModified.check(input.headers.ifNoneMatch, current: etag)
        let counts = try await snapshot.stateCounts(asOf: asOf, work: work)
        let deadlineCounts = try await snapshot.deadlineCounts(
            from: asOf,
            through: [Self.offset(asOf, 30), Self.offset(asOf, 90)],
            work: work
        )
        let (in30, in90) = (deadlineCounts[0], deadlineCounts[1])
        let next = try await snapshot.firstDeadline(from: asOf, to: Self.offset(asOf, Self.maxWindowDays), work: work)
        let summary = Components.Schemas.Summary(
            asOf: "\(asOf)",
            agreements: snapshot.sortedIds.count,
            byState: .init(
                notYetInForce: counts[.notYetInForce] ?? 0,
                inForce: counts[.inForce] ?? 0,
                terminationPending: counts[.terminationPending] ?? 0,
                terminated: counts[.terminated] ?? 0,
                expired: counts[.expired] ?? 0,
                undetermined: counts[.undetermined] ?? 0
            ),
            deadlines: .init(next30Days: in30, next90Days: in90, next: next)
        )
        return .ok(.init(headers: .init(eTag: etag), body: .json(summary)))
    }

    func getCalendar(_ input: Operations.GetCalendar.Input) async throws -> Operations.GetCalendar.Output {
        let (feed, etag) = try await calendarAnswer(input.query, ifNoneMatch: input.headers.ifNoneMatch)
        return .ok(.init(headers: .init(eTag: etag), body: .textCalendar(HTTPBody(feed.readableBytesView))))
    }

    /// The catalog's iCalendar feed and its entity tag; throws the 400 and 422 problems, and ``NotModified`` when
    /// `ifNoneMatch` names the tag. Shared by the generated operation and ``CalendarRoute``, which answers it over HTTP.
    func calendarAnswer(
        _ query: Operations.GetCalendar.Input.Query,
        ifNoneMatch: String?
    ) async throws -> (ByteBuffer, etag: String) {
        let window = try resolveWindow(from: query.from, to: query.to, defaults: .feed)
        let alarm = try DeadlineCalendar.Alarm.parse(query.alarm)
        let snapshot = catalog.snapshot
        let etag = Self.catalogTag(
            snapshot,
            "calendar",
            "\(window.from)",
            "\(window.to)",
            query.party ?? "",
            query.kind?.rawValue ?? "",
            alarm.map { "\($0.days)" } ?? "none"
        )
        try NotModified.check(ifNoneMatch, current: etag)
        let filter = Self.deadlineFilter(
            in: snapshot,
            party: query.party,
            kind: query.kind.flatMap { Deadline.Kind(rawValue: $0.rawValue) }
        )
        let dated = try await snapshot.deadlines(from: window.from, to: window.to, work: work)
        // Filtered, the deadlines kept are said in full here; unfiltered, each is said as the feed is written (on the
        // pool), so a request waiting for its turn holds only the window's references, not 4,600 deadlines.
        let filtered = filter.map { dated.filter($0) }
        try checkFeedSize(filtered?.count ?? dated.count)
        let name = "Pacta deadlines" + (query.party.map { " (\($0))" } ?? "")
        // Calendar clients poll the same feed: its bytes are held under its strong ETag while the snapshot lasts.
        let work = work
        let body = try await work.awaitShared {
            try await snapshot.derived.feeds.value(for: etag) {
                try await work.pool.run {
                    let agreement = { (id: String) in snapshot.byId[id]?.agreement }
                    if let filtered {
                        return ByteBuffer(bytes: DeadlineCalendar.render(name: name, deadlines: filtered, agreement: agreement, alarm: alarm))
                    }
                    return ByteBuffer(bytes: DeadlineCalendar.render(name: name, deadlines: dated, agreement: agreement, alarm: alarm))
                }
            }
        }
        return (body, etag)
    }

    func getAgreementCalendar(
        _ input: Operations.GetAgreementCalendar.Input
    ) async throws
        -> Operations.GetAgreementCalendar.Output
    {
        let subject = try evaluable(input.path.id)
        let stored = subject.stored
        let query = input.query
        let window = try resolveWindow(from: query.from, to: query.to, defaults: .feed)
        let alarm = try DeadlineCalendar.Alarm.parse(query.alarm)
        let kind = query.kind.flatMap { Deadline.Kind(rawValue: $0.rawValue) }
        let etag = ETagHasher.tag(
            RulesEngine.version,
            subject.tag,
            "calendar",
            "\(window.from)",
            "\(window.to)",
            query.party ?? "",
            query.kind?.rawValue ?? "",
            alarm.map { "\($0.days)" } ?? "none"
        )
        try NotModified.check(input.headers.ifNoneMatch, current: etag)
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
                name: name,
                deadlines: deadlines,
                agreement: { $0 == stored.agreement.id ? stored.agreement : nil },
                alarm: alarm
            )
        }
        return .ok(.init(headers: .init(eTag: etag), body: .textCalendar(HTTPBody(body))))
    }

    func getAgreementTimeline(
        _ input: Operations.GetAgreementTimeline.Input
    ) async throws
        -> Operations.GetAgreementTimeline.Output
    {
        let subject = try evaluable(input.path.id)
        let stored = subject.stored
        let asOf = try resolveAsOf(input.query.asOf)
        let range = try resolveWindow(
            from: input.query.from,
            to: input.query.to,
            defaults: .spanning(
                from: { TimelineSVG.defaultStart(for: stored.agreement, asOf: asOf) },
                to: { TimelineSVG.defaultEnd(for: stored.agreement, asOf: asOf) }
            ),
            maxDays: TimelineSVG.maxSpanDays
        )
        // A picture needs a width.
        guard range.from < range.to else { throw Problem.invalidParameter("to", "must be after from") }
        let etag = ETagHasher.tag(
            RulesEngine.version,
            TimelineSVG.version,
            subject.tag,
            "timeline",
            "\(asOf)",
            "\(range.from)",
            "\(range.to)"
        )
        try NotModified.check(input.headers.ifNoneMatch, current: etag)
        let maxItems = limits.maxFeedItems
        let rendered = try await work.run {
            TimelineSVG.render(stored.agreement, asOf: asOf, from: range.from, to: range.to, maxItems: maxItems)
        }
        guard let svg = rendered else {
            throw Problem.invalidParameter(
                "to",
                "the window holds more than \(maxItems) terms and dates to draw; narrow from/to"
            )
        }
        return .ok(.init(headers: .init(eTag: etag), body: .imageSvgXml(HTTPBody(svg))))
    }

    // MARK: Helpers

    /// A calendar feed holds at most ``Limits/maxFeedItems`` events, which bounds its size.
    func checkFeedSize(_ count: Int) throws {
        guard count <= limits.maxFeedItems else {
            throw Problem.invalidParameter(
                "to",
                "the window holds \(count) dates, more than the \(limits.maxFeedItems) a feed may hold; narrow from/to or filter by party or kind"
            )
        }
    }

    /// Which deadlines a `party` and `kind` filter lets through: those of that kind that concern the party, in
    /// agreements the party is recorded in; `nil` without either, so that no deadline is said in full only to be
    /// tested.
    static func deadlineFilter(
        in snapshot: AgreementCatalog.Snapshot,
        party: String?,
        kind: Deadline.Kind?
    ) -> (@Sendable (Deadline) -> Bool)? {
        guard party != nil || kind != nil else { return nil }
        return { deadline in
            if let kind, deadline.kind != kind { return false }
            guard let party else { return true }
            return deadline.concerns(party)
                && snapshot.byId[deadline.agreementId]?.agreement.parties.contains { $0.code == party } == true
        }
    }

    /// A strong ETag for a representation computed from every agreement (their own ETags) and `parts`.
    static func catalogTag(_ snapshot: AgreementCatalog.Snapshot, _ parts: String...) -> String {
        ETagHasher.tag([snapshot.catalogTag] + parts)
    }

    /// What a window resolves to where the request leaves it open.
    enum WindowDefaults {
        /// `before` days before today through `after` days after; with only `to` given the same span ending there,
        /// with only `from` given `after` days from it.
        case aroundToday(before: Int, after: Int)
        /// The dates given by the closures, run only for an end the request leaves open.
        case spanning(from: () throws -> CalendarDate, to: () throws -> CalendarDate)

        /// Calendar feeds: a year back and five ahead, so a subscribed calendar holds what is coming.
        static var feed: Self { .aroundToday(before: 365, after: 5 * 365 + 1) }
    }

    static func offset(_ date: CalendarDate, _ days: Int) -> CalendarDate {
        (try? date.addingDays(days)) ?? (days < 0 ? .minimum : .maximum)
    }

    /// The one resolver of `from`/`to` windows: the dates given, `defaults` for those not given; `to` must not
    /// precede `from`, and the window may span at most `maxDays`.
    func resolveWindow(
        from: String?,
        to: String?,
        defaults: WindowDefaults,
        maxDays: Int = maxWindowDays
    ) throws
        -> (from: CalendarDate, to: CalendarDate)
    {
        let explicitFrom = try dateParameter(from, name: "from")
        let explicitTo = try dateParameter(to, name: "to")
        let start: CalendarDate
        let end: CalendarDate
        switch defaults {
        case .aroundToday(let before, let after):
            start = explicitFrom ?? explicitTo.map { Self.offset($0, -(before + after)) } ?? Self.offset(today(), -before)
            end = explicitTo ?? Self.offset(start, explicitFrom == nil ? before + after : after)
        case .spanning(let defaultFrom, let defaultTo):
            end = try explicitTo ?? defaultTo()
            // A default start is moved up to the widest window before the end, never refused.
            start = try explicitFrom ?? max(defaultFrom(), Self.offset(end, -maxDays))
        }
        guard start <= end else { throw Problem.invalidParameter("to", "must not be before from (\(start))") }
        guard start.days(to: end) <= maxDays else {
            throw Problem.invalidParameter("to", "the window may span at most \(maxDays) days (\(maxDays / 365) years)")
        }
        return (start, end)
    }

    private func nextDeadlinesLink(
        _ query: Operations.ListDeadlines.Input.Query,
        window: (from: CalendarDate, to: CalendarDate),
        limit: Int,
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
