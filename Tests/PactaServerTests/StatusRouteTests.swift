import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PactaCore
import Testing

@testable import PactaServer

@Suite struct StatusRouteTests {
    @Test func gsomiaOnTheDayKoreaAnnouncedItsDecision() async throws {
        try await TestApp.run { _, client in
            let response = try await client.execute(uri: "/v1/agreements/gsomia/status?asOf=2019-08-22", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(response.headers[.eTag] != nil)
            let json = try response.json()
            #expect(json["state"] as? String == "inForce")
            #expect(json["noticeDeadline"] as? String == "2019-08-24")
            #expect(json["nextRenewal"] as? String == "2019-11-23")
            #expect(json["lastDayInForce"] is NSNull)
            let term = try #require(json["currentTerm"] as? [String: Any])
            #expect(term["index"] as? Int == 3)
            #expect(term["start"] as? String == "2018-11-23")
            #expect(term["lastDay"] as? String == "2019-11-22")
            let trace = try #require(json["trace"] as? [[String: Any]])
            #expect(trace.contains { $0["subject"] as? String == "noticeDeadline" && $0["result"] as? String == "2019-08-24" })
        }
    }

    @Test func asOfDefaultsToTodayInUTC() async throws {
        try await TestApp.run { _, client in
            let json = try await client.execute(uri: "/v1/agreements/gsomia/status", method: .get).json()
            #expect(json["asOf"] as? String == "2026-11-29")
        }
    }

    @Test func theFarFutureAnswers() async throws {
        try await TestApp.run { _, client in
            let response = try await client.execute(uri: "/v1/agreements/gsomia/status?asOf=9999-12-31", method: .get)
            #expect(response.status == .ok)
            #expect(try response.json()["state"] as? String == "inForce")
        }
    }

    @Test(arguments: ["2019-02-30", "2019-8-22", "tomorrow", "10000-01-01", ""])
    func anInvalidAsOfIs422WithTheParameterNamed(_ asOf: String) async throws {
        try await TestApp.run { _, client in
            let response = try await client.execute(uri: "/v1/agreements/gsomia/status?asOf=\(asOf)", method: .get)
            #expect(response.status == .unprocessableContent)
            #expect(response.headers[.contentType] == "application/problem+json")
            let json = try response.json()
            #expect(json["type"] as? String == "urn:pacta:problem:validation")
            let errors = try #require(json["errors"] as? [[String: Any]])
            #expect(errors.first?["parameter"] as? String == "asOf")
        }
    }

    @Test func anUnknownAgreementIs404ProblemJSON() async throws {
        try await TestApp.run { _, client in
            let response = try await client.execute(uri: "/v1/agreements/nope/status", method: .get)
            #expect(response.status == .notFound)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(try response.json()["status"] as? Int == 404)
        }
    }

    @Test func etagsAnswer304() async throws {
        try await TestApp.run { _, client in
            for uri in ["/v1/agreements/gsomia/status?asOf=2019-08-22", "/v1/agreements/gsomia", "/v1/agreements/gsomia/events"] {
                let first = try await client.execute(uri: uri, method: .get)
                let etag = try #require(first.headers[.eTag])
                let second = try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: etag])
                #expect(second.status == .notModified, "\(uri)")
                #expect(second.headers[.eTag] == etag)
                let other = try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: "\"other\""])
                #expect(other.status == .ok)
            }
            let a = try await client.execute(uri: "/v1/agreements/gsomia/status?asOf=2019-08-22", method: .get)
            let b = try await client.execute(uri: "/v1/agreements/gsomia/status?asOf=2019-08-23", method: .get)
            #expect(a.headers[.eTag] != b.headers[.eTag])
        }
    }

    @Test func operationalRoutes() async throws {
        try await TestApp.run { _, client in
            #expect(try await client.execute(uri: "/healthz", method: .get).json()["status"] as? String == "ok")
            #expect(try await client.execute(uri: "/readyz", method: .get).json()["status"] as? String == "ready")
            let spec = try await client.execute(uri: "/openapi.yaml", method: .get)
            #expect(spec.status == .ok)
            #expect(spec.text.hasPrefix("openapi: 3.1.0"))
            let missing = try await client.execute(uri: "/nowhere", method: .get)
            #expect(missing.status == .notFound)
            #expect(missing.headers[.contentType] == "application/problem+json")
        }
    }
}

@Suite struct StatusRouteBytesTests {
    /// The direct route (StatusRoute) answers what the generated operation would: the engine's status as the
    /// runtime's `JSONEncoder` writes it, with the same tag, for a percent-encoded date too; HEAD has the headers.
    @Test func theAnswerIsTheEncodersBytes() async throws {
        try await TestApp.run { _, client in
            let response = try await client.execute(uri: "/v1/agreements/gsomia/status?asOf=2019%2D08%2D22", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            let gsomia = try #require(try BundledData.agreements().first { $0.id == "gsomia" })
            let expected = try JSONBytesEquivalenceTests.encoder.encode(
                RulesEngine.evaluate(gsomia, asOf: .init(parsing: "2019-08-22"))
            )
            #expect(Data(buffer: response.body) == expected)
            // A percent-encoded id and parameter name, as the generated operations take them.
            let encoded = try await client.execute(uri: "/v1/agreements/gs%6Fmia/status?as%4Ff=2019-08-22", method: .get)
            #expect(encoded.status == .ok)
            #expect(Data(buffer: encoded.body) == expected)
            let head = try await client.execute(uri: "/v1/agreements/gsomia/status?asOf=2019-08-22", method: .head)
            #expect(head.status == .ok)
            #expect(head.headers[.eTag] == response.headers[.eTag])
            #expect(head.body.readableBytes == 0)
        }
    }
}
