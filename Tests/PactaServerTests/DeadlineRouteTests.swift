import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PactaAPI
import PactaCore
import PactaStore
import Testing

@testable import PactaServer

/// Builds the app like ``TestApp`` does, with a configuration hook for CORS and metrics.
private func withApp(
    _ configure: (inout AppConfiguration) -> Void = { _ in },
    adding extra: [Agreement] = [],
    _ body: @Sendable (SQLiteAgreementStore, any TestClientProtocol) async throws -> Void
) async throws {
    let store = try SQLiteAgreementStore.inMemory()
    _ = try await store.seedIfNeeded(BundledData.agreements() + extra)
    var configuration = AppConfiguration()
    configuration.today = { TestApp.today }
    configure(&configuration)
    let app = try await buildApplication(configuration: configuration, store: store, logger: Logger(label: "test"))
    try await app.test(.router) { client in try await body(store, client) }
}

private func sample(_ id: String, party: String) -> Agreement {
    Agreement(
        id: id,
        title: "Sample \(id)",
        parties: [Party(code: party, name: party), Party(code: "ZZ", name: "Z")],
        rules: Rules(
            entryIntoForce: EntryIntoForceRule(kind: .onDate, date: try! CalendarDate(parsing: "2020-01-01")),
            term: TermRule(kind: .fixed, length: .years(1)),
            renewal: RenewalRule(period: .years(1)),
            termination: TerminationRule(notice: .days(30), counting: .beforeLastDayInForce, noticeDate: .dispatch)
        )
    )
}

@Suite struct DeadlineRouteTests {
    @Test func deadlinesDefaultToTheNextYearFromToday() async throws {
        try await withApp { _, client in
            let response = try await client.execute(uri: "/v1/deadlines", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.eTag] != nil)
            let json = try response.json()
            #expect(json["from"] as? String == "2026-11-29")
            #expect(json["to"] as? String == "2027-11-29")
            let all = try #require(json["items"] as? [[String: Any]])
            let dates = all.compactMap { $0["date"] as? String }
            #expect(dates == dates.sorted())
            // The merged list is every agreement's own projection, in order.
            let expected = try BundledData.agreements().flatMap {
                DeadlineProjection.deadlines(for: $0, from: TestApp.today, through: try TestApp.today.addingDays(365))
            }.sorted { $0.sortKey < $1.sortKey }
            #expect(all.count == min(50, expected.count))
            #expect(dates == expected.prefix(50).map { "\($0.date)" })
            let items = all.filter { $0["agreementId"] as? String == "gsomia" }
            #expect(items.map { $0["date"] as? String } == ["2027-08-24", "2027-11-23"])
            #expect(items.map { $0["kind"] as? String } == ["noticeDeadline", "renewal"])
            #expect(items[0]["rule"] as? String == "termination")
            #expect(items[0]["article"] as? String == "Art. 21")
        }
    }

    @Test func deadlinesFilterByKindPartyAndWindow() async throws {
        try await withApp(adding: [sample("alpha", party: "AA"), sample("beta", party: "BB")]) { _, client in
            let byKind = try await client.execute(
                uri: "/v1/deadlines?from=2030-01-01&to=2039-12-31&kind=renewal",
                method: .get
            ).json()
            let kinds = Set((byKind["items"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String })
            #expect(kinds == ["renewal"])
            let renewals = byKind["items"] as? [[String: Any]] ?? []
            for id in ["gsomia", "alpha", "beta"] {
                #expect(renewals.filter { $0["agreementId"] as? String == id }.count == 10)
            }
            let alpha = try await client.execute(uri: "/v1/deadlines?party=AA&from=2030-01-01&to=2030-12-31", method: .get).json()
            let alphaItems = try #require(alpha["items"] as? [[String: Any]])
            #expect(Set(alphaItems.compactMap { $0["agreementId"] as? String }) == ["alpha"])
            #expect(alphaItems.map { $0["date"] as? String } == ["2030-01-01", "2030-12-01"])
            let shared = try await client.execute(uri: "/v1/deadlines?party=ZZ&from=2030-01-01&to=2030-12-31", method: .get).json()
            #expect(Set((shared["items"] as? [[String: Any]] ?? []).compactMap { $0["agreementId"] as? String }) == ["alpha", "beta"])
            let byParty = try await client.execute(uri: "/v1/deadlines?party=KR&from=2019-01-01&to=2019-12-31", method: .get).json()
            let items = try #require(byParty["items"] as? [[String: Any]])
            #expect(items.map { $0["date"] as? String } == ["2019-08-24", "2019-11-23"])
            let nobody = try await client.execute(uri: "/v1/deadlines?party=XX", method: .get).json()
            #expect((nobody["items"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func deadlinesPaginateWithACursorAcrossAgreements() async throws {
        try await withApp { _, client in
            let everything = try await client.execute(uri: "/v1/deadlines?from=2019-01-01&to=2036-12-31&limit=500", method: .get).json()
            let all = try #require(everything["items"] as? [[String: Any]])
            #expect(all.count > 20)
            func key(_ item: [String: Any]) -> String {
                ["date", "agreementId", "kind", "party"].map { item[$0] as? String ?? "" }.joined(separator: "|")
            }
            var uri = "/v1/deadlines?from=2019-01-01&to=2036-12-31&limit=7"
            var paged: [String] = []
            var pages = 0
            while true {
                let json = try await client.execute(uri: uri, method: .get).json()
                let items = try #require(json["items"] as? [[String: Any]])
                #expect(items.count <= 7)
                paged += items.map(key)
                pages += 1
                guard let next = json["next"] as? String else { break }
                #expect(json["nextCursor"] as? String != nil)
                uri = next
            }
            #expect(paged == all.map(key))
            #expect(Set(paged).count == paged.count)
            #expect(pages == (all.count + 6) / 7)
        }
    }

    @Test(arguments: [
        ("/v1/deadlines?from=2027-02-30", "from", 422), ("/v1/deadlines?from=2027-01-02&to=2027-01-01", "to", 422),
        ("/v1/deadlines?from=2000-01-01&to=2200-01-01", "to", 422), ("/v1/deadlines?limit=0", "limit", 422),
        ("/v1/deadlines?cursor=bm9wZQ", "cursor", 400), ("/v1/calendar.ics?alarm=P1M", "alarm", 422),
        ("/v1/summary?asOf=2019-13-01", "asOf", 422),
    ])
    func badParametersAreProblemsNamingTheParameter(_ uri: String, _ parameter: String, _ status: Int) async throws {
        try await withApp { _, client in
            let response = try await client.execute(uri: uri, method: .get)
            #expect(Int(response.status.code) == status)
            #expect(response.headers[.contentType] == "application/problem+json")
            let errors = try #require(try response.json()["errors"] as? [[String: Any]])
            #expect(errors.first?["parameter"] as? String == parameter)
        }
    }

    @Test func anUnknownKindIs400() async throws {
        try await withApp { _, client in
            let response = try await client.execute(uri: "/v1/deadlines?kind=birthday", method: .get)
            #expect(response.status == .badRequest)
        }
    }

    @Test func summaryCountsStatesAndDeadlinesAhead() async throws {
        try await withApp { _, client in
            let json = try await client.execute(uri: "/v1/summary?asOf=2027-07-01", method: .get).json()
            let agreements = try BundledData.agreements()
            let asOf = try CalendarDate(parsing: "2027-07-01")
            #expect(json["agreements"] as? Int == agreements.count)
            let byState = try #require(json["byState"] as? [String: Int])
            var expected = Dictionary(uniqueKeysWithValues: AgreementStatus.State.allCases.map { ($0.rawValue, 0) })
            for agreement in agreements { expected[RulesEngine.evaluate(agreement, asOf: asOf).state.rawValue]! += 1 }
            #expect(byState == expected)
            let ahead = try agreements.flatMap {
                DeadlineProjection.deadlines(for: $0, from: asOf, through: try asOf.addingDays(90))
            }
            let deadlines = try #require(json["deadlines"] as? [String: Any])
            #expect(deadlines["next90Days"] as? Int == ahead.count)
            #expect(deadlines["next30Days"] as? Int == ahead.filter { $0.date <= (try! asOf.addingDays(30)) }.count)
            #expect(ahead.contains { $0.agreementId == "gsomia" && "\($0.date)" == "2027-08-24" })
            let next = try #require(deadlines["next"] as? [String: Any])
            #expect(next["date"] as? String == ahead.map(\.date).min().map { "\($0)" })
        }
    }

    @Test func calendarIsValidICalendarWithStableUIDs() async throws {
        try await withApp { _, client in
            let first = try await client.execute(uri: "/v1/calendar.ics?alarm=P14D", method: .get)
            #expect(first.status == .ok)
            #expect(first.headers[.contentType]?.hasPrefix("text/calendar") == true)
            let text = first.text
            #expect(text.hasPrefix("BEGIN:VCALENDAR\r\n"))
            #expect(text.hasSuffix("END:VCALENDAR\r\n"))
            #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
            for line in text.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 75) }
            #expect(text.contains("DTSTART;VALUE=DATE:20270824\r\n"))
            #expect(text.contains("UID:gsomia.noticeDeadline.term11@pacta\r\n"))
            #expect(text.contains("TRIGGER:-P14D\r\n"))
            #expect(text.contains("UID:gsomia.renewal.term12@pacta\r\n"))
            let second = try await client.execute(uri: "/v1/calendar.ics?alarm=P14D", method: .get)
            #expect(second.text == text)
            #expect(second.headers[.eTag] == first.headers[.eTag])
            let etag = try #require(first.headers[.eTag])
            #expect(etag.hasPrefix("\"") && etag.hasSuffix("\""))
            let unchanged = try await client.execute(uri: "/v1/calendar.ics?alarm=P14D", method: .get, headers: [.ifNoneMatch: etag])
            #expect(unchanged.status == .notModified)
            #expect(unchanged.headers[.eTag] == etag)
            #expect(unchanged.body.readableBytes == 0)
            let none = try await client.execute(uri: "/v1/calendar.ics?alarm=none&kind=renewal", method: .get).text
            #expect(!none.contains("VALARM"))
            #expect(!none.contains("noticeDeadline"))
            // Twenty years of every bundled agreement: each entry its own UID (USMCA's yearly reviews share a term).
            let wide = try await client.execute(uri: "/v1/calendar.ics?from=2016-01-01&to=2035-12-31", method: .get).text
            let uids = wide.components(separatedBy: "\r\n").filter { $0.hasPrefix("UID:") }
            #expect(uids.count > 100)
            #expect(Set(uids).count == uids.count, "\(Dictionary(grouping: uids, by: { $0 }).filter { $0.value.count > 1 }.keys)")
            #expect(wide.contains("UID:usmca.review.term1.20270701@pacta\r\n"))
        }
    }

    @Test func agreementCalendarAndTimelineAnswer404ForUnknownIds() async throws {
        try await withApp { _, client in
            #expect(try await client.execute(uri: "/v1/agreements/nope/calendar.ics", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/v1/agreements/nope/timeline.svg", method: .get).status == .notFound)
            let ics = try await client.execute(uri: "/v1/agreements/gsomia/calendar.ics", method: .get)
            #expect(ics.status == .ok)
            #expect(ics.text.contains("X-WR-CALNAME:Pacta: Japan–Korea GSOMIA"))
            // The stamp is the date of GSOMIA's latest recorded event, not the time of the request.
            #expect(ics.text.contains("DTSTAMP:20230321T000000Z\r\n"))
        }
    }

    @Test func timelineIsAnSVGWithTheAsOfMarked() async throws {
        try await withApp { _, client in
            let response = try await client.execute(uri: "/v1/agreements/gsomia/timeline.svg?asOf=2019-09-01", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "image/svg+xml")
            let svg = response.text
            #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
            #expect(svg.contains("asOf 2019-09-01"))
            #expect(svg.contains("terminationPending"))
            #expect(svg.contains("2019-08-23 notice of termination (KR)"))
            #expect(svg.hasSuffix("</svg>\n"))
        }
    }

    @Test(arguments: [
        "/v1/deadlines", "/v1/summary", "/v1/calendar.ics", "/v1/agreements/gsomia/calendar.ics",
        "/v1/agreements/gsomia/timeline.svg", "/metrics", "/healthz", "/openapi.yaml", "/v1/agreements",
        "/v1/agreements/gsomia/status",
    ])
    func everyGetHasAnETagAndAnswers304(_ uri: String) async throws {
        try await withApp { _, client in
            if uri == "/healthz" {
                // The body says whether the lifecycle index is built yet, so its tag changes once when it is.
                for _ in 0..<500 where !(try await client.execute(uri: uri, method: .get).text.contains("\"ready\"")) {
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            let response = try await client.execute(uri: uri, method: .get)
            #expect(response.status == .ok)
            let etag = try #require(response.headers[.eTag])
            #expect(etag.hasPrefix("\"") && etag.hasSuffix("\""))
            let again = try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: etag])
            if uri == "/metrics" {
                // Counting the first request changed the metrics, so the old tag no longer matches.
                #expect(again.status == .ok)
            } else {
                #expect(again.status == .notModified)
                #expect(again.headers[.eTag] == etag)
                #expect(again.body.readableBytes == 0)
            }
            let stale = try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: "\"stale\""])
            #expect(stale.status == .ok)
        }
    }

    @Test func metricsAreInThePrometheusTextFormat() async throws {
        try await withApp { _, client in
            _ = try await client.execute(uri: "/v1/agreements/gsomia/status", method: .get)
            _ = try await client.execute(uri: "/v1/agreements/nope", method: .get)
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let text = response.text
            #expect(text.contains("# HELP pacta_http_requests_total "))
            #expect(text.contains("# TYPE pacta_http_requests_total counter"))
            #expect(text.contains(#"pacta_http_requests_total{method="GET",route="/v1/agreements/{id}/status",status="200"} 1"#))
            #expect(text.contains(#",status="404"} 1"#))
            #expect(text.contains("# TYPE pacta_http_request_duration_seconds histogram"))
            let agreements = try BundledData.agreements()
            for state in AgreementStatus.State.allCases {
                let count = agreements.filter { RulesEngine.evaluate($0, asOf: TestApp.today).state == state }.count
                #expect(text.contains("pacta_agreements{state=\"\(state.rawValue)\"} \(count)\n"))
            }
            // 2027-08-24 is day 21055 since 1970-01-01: 21055 × 86400 s.
            #expect(text.contains(#"pacta_notice_deadline_timestamp_seconds{agreement="gsomia",party="KR"} 1819065600"#))
            #expect(text.contains(#"pacta_next_renewal_timestamp_seconds{agreement="gsomia",party="JP"} 1826928000"#))
        }
    }

    @Test func corsIsOffByDefault() async throws {
        try await withApp { _, client in
            let response = try await client.execute(
                uri: "/v1/deadlines",
                method: .get,
                headers: [.origin: "https://dash.example.org"]
            )
            #expect(response.status == .ok)
            #expect(response.headers[.accessControlAllowOrigin] == nil)
        }
    }

    @Test func corsPreflightAndReadsForConfiguredOrigins() async throws {
        let configure: (inout AppConfiguration) -> Void = { $0.corsOrigins = ["https://dash.example.org"] }
        try await withApp(configure) { _, client in
            let preflight = try await client.execute(
                uri: "/v1/agreements/gsomia",
                method: .options,
                headers: [
                    .origin: "https://dash.example.org", .accessControlRequestMethod: "PUT",
                    .accessControlRequestHeaders: "authorization, content-type, if-match",
                ]
            )
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowOrigin] == "https://dash.example.org")
            #expect(preflight.headers[.accessControlAllowMethods]?.contains("PUT") == true)
            #expect(preflight.headers[.accessControlAllowHeaders]?.contains("If-Match") == true)

            let read = try await client.execute(
                uri: "/v1/summary",
                method: .get,
                headers: [.origin: "https://dash.example.org"]
            )
            #expect(read.headers[.accessControlAllowOrigin] == "https://dash.example.org")
            #expect(read.headers[.accessControlExposeHeaders]?.contains("ETag") == true)
            #expect(read.headers[values: .vary].contains("Origin"))

            let stranger = try await client.execute(
                uri: "/v1/agreements/gsomia",
                method: .options,
                headers: [.origin: "https://evil.example", .accessControlRequestMethod: "DELETE"]
            )
            #expect(stranger.headers[.accessControlAllowOrigin] == nil)
            let strangerRead = try await client.execute(
                uri: "/v1/summary",
                method: .get,
                headers: [.origin: "https://evil.example"]
            )
            #expect(strangerRead.status == .ok)
            #expect(strangerRead.headers[.accessControlAllowOrigin] == nil)
        }
    }

    @Test func corsWildcardAllowsAnyOrigin() async throws {
        let configure: (inout AppConfiguration) -> Void = { $0.corsOrigins = ["*"] }
        try await withApp(configure) { _, client in
            let read = try await client.execute(uri: "/v1/deadlines", method: .get, headers: [.origin: "https://a.example"])
            #expect(read.headers[.accessControlAllowOrigin] == "*")
        }
    }
}

/// The direct route (DeadlinesRoute) answers what the generated operation would: the page as the runtime's
/// `JSONEncoder` writes it, the query read as the runtime reads it.
@Suite struct DeadlinesRouteBytesTests {
    @Test func theAnswerIsTheEncodersBytes() async throws {
        try await TestApp.run { _, client in
            let uri = "/v1/deadlines?from=2019-01-01&to=2036-12-31&limit=7"
            let response = try await client.execute(uri: uri, method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            // The first seven deadlines of the bundled dataset in the window, in sortKey order, and the next page.
            let (from, to) = (try CalendarDate(parsing: "2019-01-01"), try CalendarDate(parsing: "2036-12-31"))
            let all = try BundledData.agreements().flatMap { DeadlineProjection.deadlines(for: $0, from: from, through: to) }
                .sorted { $0.sortKey < $1.sortKey }
            let items = Array(all.prefix(7))
            let next = try #require(try response.json()["next"] as? String)
            let page = Components.Schemas.DeadlinePage(
                items: items,
                from: "2019-01-01",
                to: "2036-12-31",
                nextCursor: DeadlineCursor.encode(items[6].sortKey),
                next: next
            )
            #expect(Data(buffer: response.body) == (try JSONBytesEquivalenceTests.encoder.encode(page)))
            #expect(next.contains("cursor=\(DeadlineCursor.encode(items[6].sortKey))"))

            // Percent-encoded names and values, as the generated operations take them.
            let encoded = try await client.execute(uri: "/v1/deadlines?fr%6Fm=2019%2D01%2D01&to=2036-12-31&li%6Dit=7", method: .get)
            #expect(Data(buffer: encoded.body) == Data(buffer: response.body))
            try await DirectRouteChecks.expectTagAndHead(client, uri, response)
            // A kind or limit not of the declared type: 400, naming the parameter.
            try await DirectRouteChecks.expectNotOfDeclaredType(client, "/v1/deadlines", ["kind=birthday": "kind", "limit=seven": "limit"])
        }
    }
}

/// The list's direct route (AgreementsRoute) answers what the generated operation would, and POST stays generated.
@Suite struct AgreementsRouteBytesTests {
    @Test func theAnswerIsTheEncodersBytes() async throws {
        try await TestApp.run { app, client in
            let uri = "/v1/agreements?state=inForce&asOf=2019-08-22&limit=5"
            let response = try await client.execute(uri: uri, method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            // The first five bundled agreements in force on 2019-08-22, by id, and the next page.
            let asOf = try CalendarDate(parsing: "2019-08-22")
            let inForce = try BundledData.agreements().sorted { $0.id < $1.id }
                .filter { RulesEngine.state(of: $0, asOf: asOf) == .inForce }
            let items = inForce.prefix(5).map { agreement in
                Components.Schemas.AgreementSummary(
                    id: agreement.id,
                    title: agreement.title,
                    shortTitle: agreement.shortTitle,
                    parties: agreement.parties.map(\.code),
                    tags: agreement.tags,
                    state: .inForce,
                    href: "/v1/agreements/\(agreement.id)"
                )
            }
            let next = try #require(try response.json()["next"] as? String)
            let page = Components.Schemas.AgreementPage(
                items: Array(items),
                asOf: "2019-08-22",
                nextCursor: PageCursor.encode(after: items[4].id),
                next: next
            )
            #expect(Data(buffer: response.body) == (try JSONBytesEquivalenceTests.encoder.encode(page)))
            // Percent-encoded names, the tag's 304, HEAD.
            let encoded = try await client.execute(uri: "/v1/agreements?st%61te=inForce&asOf=2019-08-22&limit=5", method: .get)
            #expect(Data(buffer: encoded.body) == Data(buffer: response.body))
            try await DirectRouteChecks.expectTagAndHead(client, uri, response)
            // A state or limit not of the declared type: 400, naming the parameter.
            try await DirectRouteChecks.expectNotOfDeclaredType(client, "/v1/agreements", ["state=sleeping": "state", "limit=five": "limit"])
            // Creating an agreement is still the generated operation on the same path.
            var created = try BundledData.agreements().first { $0.id == "gsomia" }!
            created.id = "gsomia-copy"
            let posted = try await client.execute(
                uri: "/v1/agreements",
                method: .post,
                headers: app.auth,
                body: ByteBuffer(data: try JSONEncoder().encode(created))
            )
            #expect(posted.status == .created)
        }
    }
}

enum DirectRouteChecks {
    /// `response`'s tag answers `uri` 304, and HEAD on `uri` has the same tag and no body.
    static func expectTagAndHead(_ client: any TestClientProtocol, _ uri: String, _ response: TestResponse) async throws {
        let etag = try #require(response.headers[.eTag])
        let notModified = try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: etag])
        #expect(notModified.status == .notModified, "\(uri)")
        let head = try await client.execute(uri: uri, method: .head)
        #expect(head.status == .ok)
        #expect(head.headers[.eTag] == etag)
        #expect(head.body.readableBytes == 0)
    }

    /// Each query of `refusals` on `path` is answered 400 problem+json naming its parameter, as the generated
    /// operations answer a value not of the declared type.
    static func expectNotOfDeclaredType(_ client: any TestClientProtocol, _ path: String, _ refusals: [String: String]) async throws {
        for (query, parameter) in refusals {
            let refused = try await client.execute(uri: "\(path)?\(query)", method: .get)
            #expect(refused.status == .badRequest, "\(path)?\(query)")
            #expect(refused.headers[.contentType] == "application/problem+json")
            let errors = try #require(try refused.json()["errors"] as? [[String: Any]])
            #expect(errors.first?["parameter"] as? String == parameter)
        }
    }
}
