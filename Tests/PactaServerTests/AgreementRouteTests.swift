import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import PactaServer

@Suite struct AgreementRouteTests {
    @Test func writesNeedAValidToken() async throws {
        try await TestApp.run { app, client in
            let body = ByteBuffer(string: sampleDocument())
            let none = try await client.execute(
                uri: "/v1/agreements",
                method: .post,
                headers: [.contentType: "application/json"],
                body: body
            )
            #expect(none.status == .unauthorized)
            #expect(none.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            #expect(none.headers[.contentType] == "application/problem+json")
            let wrong = try await client.execute(
                uri: "/v1/agreements",
                method: .post,
                headers: [.contentType: "application/json", .authorization: "Bearer pacta_wrong"],
                body: body
            )
            #expect(wrong.status == .unauthorized)
            #expect(!wrong.text.contains("pacta_wrong"))
            let basic = try await client.execute(
                uri: "/v1/agreements",
                method: .post,
                headers: [.contentType: "application/json", .authorization: "Basic \(app.token)"],
                body: body
            )
            #expect(basic.status == .unauthorized)
            for method in [HTTPRequest.Method.put, .delete] {
                #expect(try await client.execute(uri: "/v1/agreements/gsomia", method: method).status == .unauthorized)
            }
            #expect(try await client.execute(uri: "/v1/agreements/sample", method: .get).status == .notFound)
        }
    }

    @Test func createThenReadThenReplaceThenDelete() async throws {
        try await TestApp.run { app, client in
            let created = try await client.execute(
                uri: "/v1/agreements",
                method: .post,
                headers: app.auth,
                body: ByteBuffer(string: sampleDocument())
            )
            #expect(created.status == .created)
            #expect(created.headers[.location] == "/v1/agreements/sample")
            let etag = try #require(created.headers[.eTag])
            let fetched = try await client.execute(uri: "/v1/agreements/sample", method: .get)
            #expect(fetched.headers[.eTag] == etag)
            #expect(try fetched.json()["title"] as? String == "Sample agreement")

            var headers = app.auth
            headers[.ifMatch] = etag
            let replaced = try await client.execute(
                uri: "/v1/agreements/sample",
                method: .put,
                headers: headers,
                body: ByteBuffer(string: sampleDocument(renewal: "P2Y"))
            )
            #expect(replaced.status == .ok)
            let newTag = try #require(replaced.headers[.eTag])
            #expect(newTag != etag)

            let stale = try await client.execute(
                uri: "/v1/agreements/sample",
                method: .put,
                headers: headers,
                body: ByteBuffer(string: sampleDocument(renewal: "P3Y"))
            )
            #expect(stale.status == .preconditionFailed)
            #expect(try stale.json()["type"] as? String == "urn:pacta:problem:precondition-failed")

            let staleDelete = try await client.execute(uri: "/v1/agreements/sample", method: .delete, headers: headers)
            #expect(staleDelete.status == .preconditionFailed)
            headers[.ifMatch] = newTag
            #expect(try await client.execute(uri: "/v1/agreements/sample", method: .delete, headers: headers).status == .noContent)
            #expect(try await client.execute(uri: "/v1/agreements/sample", method: .get).status == .notFound)
            var any = app.auth
            any[.ifMatch] = "*"
            #expect(try await client.execute(uri: "/v1/agreements/sample", method: .delete, headers: any).status == .notFound)
        }
    }

    @Test func anExistingIdIs409() async throws {
        try await TestApp.run { app, client in
            let response = try await client.execute(
                uri: "/v1/agreements",
                method: .post,
                headers: app.auth,
                body: ByteBuffer(string: sampleDocument(id: "gsomia"))
            )
            #expect(response.status == .conflict)
            #expect(try response.json()["type"] as? String == "urn:pacta:problem:conflict")
        }
    }

    @Test func malformedJSONIs400() async throws {
        try await TestApp.run { app, client in
            for body in ["{", "not json", "{\"id\": }", "\u{FF}\u{FE}"] {
                let response = try await client.execute(
                    uri: "/v1/agreements",
                    method: .post,
                    headers: app.auth,
                    body: ByteBuffer(string: body)
                )
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.headers[.contentType] == "application/problem+json")
            }
        }
    }

    @Test func theWrongContentTypeIs415() async throws {
        try await TestApp.run { app, client in
            for contentType in ["text/plain", "application/x-www-form-urlencoded"] {
                var headers = app.auth
                headers[.contentType] = contentType
                let response = try await client.execute(
                    uri: "/v1/agreements",
                    method: .post,
                    headers: headers,
                    body: ByteBuffer(string: sampleDocument())
                )
                #expect(response.status == .unsupportedMediaType)
                #expect(try response.json()["type"] as? String == "urn:pacta:problem:unsupported-media-type")
            }
            var headers = app.auth
            headers[.contentType] = nil
            let missing = try await client.execute(
                uri: "/v1/agreements",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: sampleDocument())
            )
            #expect(missing.status == .unsupportedMediaType)
        }
    }

    @Test func aBodyOverTheLimitIs413AndNothingIsWritten() async throws {
        var limits = Limits()
        limits.maxBodyBytes = 2048
        try await TestApp.run(limits: limits) { app, client in
            let padding = String(repeating: "x", count: 4096)
            let response = try await client.execute(
                uri: "/v1/agreements",
                method: .post,
                headers: app.auth,
                body: ByteBuffer(string: sampleDocument(extra: ", \"summary\": \"\(padding)\""))
            )
            #expect(response.status == .contentTooLarge)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(try await client.execute(uri: "/v1/agreements/sample", method: .get).status == .notFound)
        }
    }

    @Test(arguments: [
        (sampleDocument(term: "P0D"), "/rules/term/length"),
        (sampleDocument(renewal: "-P1Y"), "/rules/renewal/period"),
        (sampleDocument(renewal: "P1X"), "/rules/renewal/period"),
        (sampleDocument().replacingOccurrences(of: "2020-01-01", with: "2019-02-30"), "/rules/entryIntoForce/date"),
        (sampleDocument(id: "Not An Id"), "/id"),
        (sampleDocument(extra: ", \"events\": [{\"id\": \"e1\", \"type\": \"explosion\", \"date\": \"2020-01-01\"}]"), "/events/0/type"),
        ("{\"id\": \"x\"}", "/title"),
        ("{\"id\": \"x\", \"title\": \"X\", \"kind\": \"bilateral\", \"parties\": 3, \"rules\": {}}", "/parties"),
    ])
    func invalidDocumentsAre422WithTheField(_ body: String, _ pointer: String) async throws {
        try await TestApp.run { app, client in
            let response = try await client.execute(
                uri: "/v1/agreements",
                method: .post,
                headers: app.auth,
                body: ByteBuffer(string: body)
            )
            #expect(response.status == .unprocessableContent)
            let json = try response.json()
            #expect(json["type"] as? String == "urn:pacta:problem:validation")
            let errors = try #require(json["errors"] as? [[String: Any]])
            #expect(errors.contains { $0["pointer"] as? String == pointer }, "\(errors)")
        }
    }

    @Test func putAndDeleteWithoutIfMatchAre428AndChangeNothing() async throws {
        try await TestApp.run { app, client in
            let before = try await client.execute(uri: "/v1/agreements/gsomia", method: .get)
            for method in [HTTPRequest.Method.put, .delete] {
                let response = try await client.execute(
                    uri: "/v1/agreements/gsomia",
                    method: method,
                    headers: app.auth,
                    body: ByteBuffer(string: String(buffer: before.body))
                )
                #expect(response.status.code == 428)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(try response.json()["type"] as? String == "urn:pacta:problem:precondition-required")
            }
            let after = try await client.execute(uri: "/v1/agreements/gsomia", method: .get)
            #expect(after.headers[.eTag] == before.headers[.eTag])
        }
    }

    @Test func replaceCannotRenameOrRewriteHistory() async throws {
        try await TestApp.run { app, client in
            var headers = app.auth
            headers[.ifMatch] = "*"
            let renamed = try await client.execute(
                uri: "/v1/agreements/gsomia",
                method: .put,
                headers: headers,
                body: ByteBuffer(string: sampleDocument(id: "other"))
            )
            #expect(renamed.status == .unprocessableContent)
            let errors = try #require(try renamed.json()["errors"] as? [[String: Any]])
            #expect(errors.contains { $0["pointer"] as? String == "/id" })
            let dropped = try await client.execute(
                uri: "/v1/agreements/gsomia",
                method: .put,
                headers: headers,
                body: ByteBuffer(string: sampleDocument(id: "gsomia"))
            )
            #expect(dropped.status == .unprocessableContent)
            let dropErrors = try #require(try dropped.json()["errors"] as? [[String: Any]])
            #expect(dropErrors.contains { $0["pointer"] as? String == "/events/0" })
        }
    }

    @Test func appendedEventsChangeTheStatusAtomically() async throws {
        try await TestApp.run { app, client in
            let notice = """
                {"events": [{"type": "noticeOfTermination", "date": "2027-07-01", "received": "2027-07-02", "party": "JP",
                             "source": "https://example.org/hypothetical"}]}
                """
            let appended = try await client.execute(
                uri: "/v1/agreements/gsomia/events",
                method: .post,
                headers: app.auth,
                body: ByteBuffer(string: notice)
            )
            #expect(appended.status == .created)
            let items = try #require(try appended.json()["items"] as? [[String: Any]])
            #expect(items.first?["id"] as? String == "e6")
            let status = try await client.execute(uri: "/v1/agreements/gsomia/status?asOf=2027-08-01", method: .get).json()
            #expect(status["state"] as? String == "terminationPending")
            #expect(status["lastDayInForce"] as? String == "2027-11-22")

            // One good event and one bad one: nothing is written.
            let mixed = """
                {"events": [{"type": "signature", "date": "2027-01-01"},
                            {"type": "noticeRevoked", "date": "2027-09-01", "refersTo": "missing"}]}
                """
            let rejected = try await client.execute(
                uri: "/v1/agreements/gsomia/events",
                method: .post,
                headers: app.auth,
                body: ByteBuffer(string: mixed)
            )
            #expect(rejected.status == .unprocessableContent)
            let errors = try #require(try rejected.json()["errors"] as? [[String: Any]])
            #expect(errors.map { $0["pointer"] as? String } == ["/events/1/refersTo"])
            let events = try await client.execute(uri: "/v1/agreements/gsomia/events", method: .get).json()
            #expect((events["items"] as? [Any])?.count == 6)
        }
    }

    @Test func listPagesWithACursorAndFilters() async throws {
        try await TestApp.run { app, client in
            for id in ["a-one", "b-two", "c-three"] {
                let response = try await client.execute(
                    uri: "/v1/agreements",
                    method: .post,
                    headers: app.auth,
                    body: ByteBuffer(string: sampleDocument(id: id))
                )
                #expect(response.status == .created)
            }
            var ids: [String] = []
            var uri = "/v1/agreements?limit=2&asOf=2021-01-01&party=AA"
            var pages = 0
            while pages < 10 {
                let page = try await client.execute(uri: uri, method: .get).json()
                pages += 1
                ids += (page["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                guard let next = page["next"] as? String else { break }
                uri = next
            }
            #expect(ids == ["a-one", "b-two", "c-three"])
            #expect(pages == 2)

            let japan = try await client.execute(uri: "/v1/agreements?party=JP", method: .get).json()
            // The bundled agreements listing Japan as a party: GSOMIA, the whaling convention it left in 2019 and the
            // security treaty with the United States.
            #expect(
                (japan["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [
                    "gsomia", "icrw", "us-japan-security-treaty",
                ]
            )
            let notYet = try await client.execute(uri: "/v1/agreements?state=notYetInForce&asOf=2019-06-01&party=AA", method: .get).json()
            #expect((notYet["items"] as? [[String: Any]])?.count == 3)
            let text = try await client.execute(uri: "/v1/agreements?q=MILITARY", method: .get).json()
            #expect((text["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["gsomia"])

            #expect(try await client.execute(uri: "/v1/agreements?cursor=garbage", method: .get).status == .badRequest)
            #expect(try await client.execute(uri: "/v1/agreements?limit=501", method: .get).status == .unprocessableContent)
            #expect(try await client.execute(uri: "/v1/agreements?state=dormant", method: .get).status == .badRequest)
        }
    }
}
