import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PactaAPI
import Testing

@testable import PactaServer

/// The server layer's single mechanisms: conditional requests, header encoding, the write gate, probes and metrics.
@Suite struct ServerLayerTests {
    @Test(arguments: [
        "/v1/agreements/gsomia", "/v1/agreements/gsomia/events", "/v1/agreements/gsomia/status?asOf=2019-08-23",
        "/v1/agreements/gsomia/parties/KR/status?asOf=2019-08-23", "/v1/agreements/gsomia/timeline",
        "/v1/deadlines?from=2019-01-01&to=2019-12-31", "/v1/summary?asOf=2019-08-23", "/v1/calendar.ics",
        "/v1/agreements/gsomia/calendar.ics", "/v1/agreements/gsomia/timeline.svg",
        // (Not /healthz: its body says whether the lifecycle index is ready yet, which may change in between.)
        "/v1/dates?date=2019-08-24&add=P90D", "/openapi.yaml",
    ])
    func everyTaggedReadAnswers304ToItsOwnTagWithTheTagQuoted(path: String) async throws {
        try await TestApp.run { _, client in
            let first = try await client.execute(uri: path, method: .get)
            #expect(first.status == .ok)
            let etag = try #require(first.headers[.eTag])
            // The tag keeps its quotes: the runtime's percent-encoding of header values is undone (#857).
            #expect(etag.hasPrefix("\"") && etag.hasSuffix("\"") && !etag.contains("%"))
            let again = try await client.execute(uri: path, method: .get, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
            #expect(again.headers[.eTag] == etag)
            #expect(again.body.readableBytes == 0)
            let weak = try await client.execute(uri: path, method: .get, headers: [.ifNoneMatch: "W/\(etag)"])
            #expect(weak.status == .notModified)
            let other = try await client.execute(uri: path, method: .get, headers: [.ifNoneMatch: "\"other\""])
            #expect(other.status == .ok)
        }
    }

    @Test func aCreatedAgreementsLocationKeepsItsSlashes() async throws {
        try await TestApp.run { app, client in
            let created = try await client.execute(
                uri: "/v1/agreements",
                method: .post,
                headers: app.auth,
                body: ByteBuffer(string: sampleDocument())
            )
            #expect(created.status == .created)
            #expect(created.headers[.location] == "/v1/agreements/sample")
        }
    }

    /// The write gate under concurrency: appends that all expect the same version race, and the store lets exactly
    /// one of them commit; the others learn the version moved on.
    @Test func parallelAppendsWithTheSameIfMatchCommitExactlyOnce() async throws {
        try await TestApp.run { app, client in
            let created = try await client.execute(
                uri: "/v1/agreements",
                method: .post,
                headers: app.auth,
                body: ByteBuffer(string: sampleDocument())
            )
            let etag = try #require(created.headers[.eTag])
            var headers = app.auth
            headers[.ifMatch] = etag
            let sharedHeaders = headers
            // The router test client only calls the router, which serves concurrent requests.
            nonisolated(unsafe) let client = client
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for day in 1...16 {
                    group.addTask {
                        let body = #"{"events": [{"type": "signature", "date": "2019-01-\#(day < 10 ? "0" : "")\#(day)"}]}"#
                        return try await client.execute(
                            uri: "/v1/agreements/sample/events",
                            method: .post,
                            headers: sharedHeaders,
                            body: ByteBuffer(string: body)
                        ).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1)
            #expect(statuses.filter { $0 == .preconditionFailed }.count == 15)
            let events = try await client.execute(uri: "/v1/agreements/sample/events", method: .get).json()
            #expect((events["items"] as? [Any])?.count == 1)
        }
    }

    @Test func probesAnswerWithoutTheAPIsGuardsButWithTheirOwnIdAndMetrics() async throws {
        let configure: (inout AppConfiguration) -> Void = { $0.requireTokenForReads = true }
        try await TestApp.run(configure: configure) { app, client in
            let name = HTTPField.Name("X-Request-Id")!
            let health = try await client.execute(uri: "/healthz", method: .get, headers: [name: "probe-1"])
            #expect(health.status == .ok)
            #expect(health.headers[name] == "probe-1")
            // A method the probe does not have still gets the contract's 405 with Allow.
            let post = try await client.execute(uri: "/healthz", method: .post)
            #expect(post.status == .methodNotAllowed)
            #expect(post.headers[.allow]?.contains("GET") == true)
            let metrics = try await client.execute(
                uri: "/metrics",
                method: .get,
                headers: [.authorization: "Bearer \(app.token)"]
            )
            let text = metrics.text
            #expect(text.contains(#"pacta_http_requests_total{method="GET",route="/healthz",status="200"}"#))
            #expect(text.contains("# HELP pacta_http_requests_total HTTP requests answered"))
            #expect(text.contains("# HELP pacta_http_request_duration_seconds Seconds from receiving a request"))
        }
    }

    /// `/healthz` skips the OpenAPI runtime, so its document is checked against the generated encoder's output.
    @Test func theHealthDocumentIsWhatTheGeneratedEncoderWrites() async throws {
        try await TestApp.run { _, client in
            let response = try await client.execute(uri: "/healthz", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            let body = Data(buffer: response.body)
            let health = try JSONDecoder().decode(Components.Schemas.Health.self, from: body)
            let bundled = try BundledData.agreements().count
            #expect(health.status == "ok" && health.agreements == bundled)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            #expect(try encoder.encode(health) == body)
            for lifecycles in [nil, Components.Schemas.Health.LifecyclesPayload.building] {
                let other = Components.Schemas.Health(status: "ok", agreements: nil, lifecycles: lifecycles)
                #expect(Data(HealthRoute.json(other).utf8) == (try encoder.encode(other)))
            }
        }
    }

    @Test func aProblemThatEscapesEveryMiddlewareIsStillProblemJSON() async throws {
        let response = Problem.agreementNotFound("x").response()
        #expect(response.status == .notFound)
        #expect(response.headers[.contentType] == "application/problem+json")
        let body = try #require(
            JSONSerialization.jsonObject(with: Problem.agreementNotFound("x").body()) as? [String: Any]
        )
        #expect(body["type"] as? String == ProblemType.notFound.rawValue)
        #expect(body["status"] as? Int == 404)
    }
}
