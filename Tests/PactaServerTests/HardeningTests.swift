import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PactaCore
import PactaStore
import Testing

@testable import PactaServer

@Suite struct TokenTests {
    @Test func aTokenIsCreatedThenUsedThenRevoked() async throws {
        try await TestApp.run { app, client in
            let (token, hash) = Tokens.generate()
            #expect(token.hasPrefix("pacta_"))
            try await app.store.createToken(name: "newsroom", hash: hash)
            // Only the hash is stored: the list shows names, and the token is not in it.
            let listed = try await app.store.tokens()
            #expect(listed.map(\.name).contains("newsroom"))
            #expect(!String(describing: listed).contains(token))
            let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            let created = try await client.execute(
                uri: "/v1/agreements",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: sampleDocument())
            )
            #expect(created.status == .created)

            #expect(try await app.store.revokeToken(name: "newsroom"))
            #expect(try await app.store.revokeToken(name: "newsroom") == false)
            let afterRevoke = try await client.execute(
                uri: "/v1/agreements/sample",
                method: .delete,
                headers: headers
            )
            #expect(afterRevoke.status == .unauthorized)
            #expect(afterRevoke.headers[.wwwAuthenticate] == "Bearer realm=\"pacta\"")
            #expect(!afterRevoke.text.contains(token))
            #expect(try await app.store.tokens().first { $0.name == "newsroom" }?.revokedAt != nil)
        }
    }

    @Test func aTokenNameCanBeUsedOnce() async throws {
        let store = try SQLiteAgreementStore.inMemory()
        try await store.createToken(name: "ops", hash: Tokens.generate().hash)
        await #expect(throws: TokenError.nameTaken("ops")) { try await store.createToken(name: "ops", hash: Tokens.generate().hash) }
        #expect(Tokens.isValidName("ops-1.a_b"))
        #expect(!Tokens.isValidName("has space") && !Tokens.isValidName("") && !Tokens.isValidName(String(repeating: "a", count: 65)))
    }

    @Test func readinessAnswers503OnceTheStoreIsClosedWhileLivenessStaysOk() async throws {
        try await TestApp.run { app, client in
            try await app.store.close()
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .serviceUnavailable)
            #expect(ready.headers[.contentType] == "application/problem+json")
            #expect(ready.headers[.retryAfter] == "5")
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
    }

    @Test func readsNeedATokenWhenTheOptionIsOnButProbesStayOpen() async throws {
        let configure: (inout AppConfiguration) -> Void = { $0.requireTokenForReads = true }
        try await TestApp.run(configure: configure) { app, client in
            let anonymous = try await client.execute(uri: "/v1/agreements/gsomia", method: .get)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            #expect(try await client.execute(uri: "/openapi.yaml", method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
            let wrong = try await client.execute(
                uri: "/v1/agreements",
                method: .get,
                headers: [.authorization: "Bearer pacta_nope"]
            )
            #expect(wrong.status == .unauthorized)
            let authorised = try await client.execute(
                uri: "/v1/agreements/gsomia",
                method: .get,
                headers: [.authorization: "Bearer \(app.token)"]
            )
            #expect(authorised.status == .ok)
        }
    }

    @Test func readsAreOpenByDefault() async throws {
        try await TestApp.run { _, client in
            let response = try await client.execute(uri: "/v1/agreements/gsomia", method: .get)
            #expect(response.status == .ok)
        }
    }
}

@Suite struct LimitTests {
    func post(
        _ client: some TestClientProtocol,
        _ app: TestApp,
        _ body: String,
        uri: String = "/v1/agreements"
    )
        async throws -> TestResponse
    {
        try await client.execute(uri: uri, method: .post, headers: app.auth, body: ByteBuffer(string: body))
    }

    @Test func aBodyOverTheLimitIs413EvenWithoutContentLength() async throws {
        var limits = Limits()
        limits.maxBodyBytes = 1000
        try await TestApp.run(limits: limits) { app, client in
            let response = try await post(client, app, sampleDocument(extra: #", "summary": "\#(String(repeating: "x", count: 2000))""#))
            #expect(response.status == .contentTooLarge)
            #expect(try response.json()["type"] as? String == "urn:pacta:problem:too-large")
        }
    }

    @Test func thePageSizeIsBounded() async throws {
        try await TestApp.run { _, client in
            for limit in ["0", "501"] {
                let response = try await client.execute(uri: "/v1/agreements?limit=\(limit)", method: .get)
                #expect(response.status == .unprocessableContent)
                #expect(response.text.contains(#""parameter":"limit""#))
            }
            #expect(try await client.execute(uri: "/v1/agreements?limit=500", method: .get).status == .ok)
        }
    }

    @Test func eventsPerRequestAreBounded() async throws {
        try await TestApp.run { app, client in
            let event = #"{"type": "signature", "date": "2016-11-23"}"#
            let tooMany = "{\"events\": [" + Array(repeating: event, count: 101).joined(separator: ",") + "]}"
            let response = try await post(client, app, tooMany, uri: "/v1/agreements/gsomia/events")
            #expect(response.status == .unprocessableContent)
            #expect(response.text.contains(#""pointer":"/events""#))
            let empty = try await post(client, app, #"{"events": []}"#, uri: "/v1/agreements/gsomia/events")
            #expect(empty.status == .unprocessableContent)
        }
    }

    @Test func aStringOverTheLimitIs422WithItsPointer() async throws {
        try await TestApp.run { app, client in
            let long = String(repeating: "x", count: 16 * 1024 + 1)
            let response = try await post(client, app, sampleDocument(extra: #", "summary": "\#(long)""#))
            #expect(response.status == .unprocessableContent)
            let errors = try #require(try response.json()["errors"] as? [[String: Any]])
            #expect(errors.first?["pointer"] as? String == "/summary")
            #expect(try await client.execute(uri: "/v1/agreements/sample", method: .get).status == .notFound)
        }
    }

    @Test func nestingDeeperThanTheLimitIs422() async throws {
        var limits = Limits()
        limits.json.maxDepth = 4
        try await TestApp.run(limits: limits) { app, client in
            // The document is level 1; x's value is 2, y's 3, z's 4 and w's 5.
            let response = try await post(
                client,
                app,
                sampleDocument(extra: #", "x": {"y": {"z": {"w": {"v": 1}}}}"#)
            )
            #expect(response.status == .unprocessableContent)
            #expect(response.text.contains(#""pointer":"/x/y/z/w""#))
            #expect(response.text.contains("nests deeper than 4 levels"))
        }
    }

    @Test func aDuplicateMemberIs422NotFirstOrLastWins() async throws {
        try await TestApp.run { app, client in
            let response = try await post(client, app, sampleDocument(extra: #", "title": "Second title""#))
            #expect(response.status == .unprocessableContent)
            #expect(response.text.contains(#""pointer":"/title""#))
            #expect(try await client.execute(uri: "/v1/agreements/sample", method: .get).status == .notFound)
        }
    }

    @Test func headersOverTheLimitAre431WithAProblemDocument() async throws {
        var limits = Limits()
        limits.maxHeaderBytes = 4096
        try await TestApp.run(limits: limits, testing: .live) { _, client in
            let response = try await client.execute(
                uri: "/healthz",
                method: .get,
                headers: [HTTPField.Name("X-Padding")!: String(repeating: "a", count: 8000)]
            )
            #expect(response.status.code == 431)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(response.text.contains("urn:pacta:problem:headers-too-large"))
        }
    }

    @Test func normalRequestsPassTheConnectionGuard() async throws {
        try await TestApp.run(testing: .live) { app, client in
            for _ in 0..<3 {
                #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            }
            let created = try await client.execute(
                uri: "/v1/agreements",
                method: .post,
                headers: app.auth,
                body: ByteBuffer(string: sampleDocument())
            )
            #expect(created.status == .created)
        }
    }
}

@Suite struct RequestIdAndHistoryTests {
    @Test func aValidRequestIdIsEchoedAndAnInvalidOneReplaced() async throws {
        try await TestApp.run { _, client in
            let name = HTTPField.Name("X-Request-Id")!
            let echoed = try await client.execute(uri: "/healthz", method: .get, headers: [name: "abc-123.x:y"])
            #expect(echoed.headers[name] == "abc-123.x:y")
            let replaced = try await client.execute(uri: "/healthz", method: .get, headers: [name: "has spaces/and a slash"])
            let generated = try await client.execute(uri: "/v1/agreements/nope", method: .get)
            #expect(generated.status == .notFound)
            // Hummingbird's ids: a random prefix and a counter, in lowercase hex, different for every request.
            let ids = [replaced, generated].compactMap { $0.headers[name] }
            #expect(ids.count == 2 && Set(ids).count == 2)
            for id in ids {
                #expect((17...32).contains(id.utf8.count))
                #expect(id.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) })
            }
        }
    }

    @Test func todayIsTheUTCCalendarDate() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let before = calendar.dateComponents([.year, .month, .day], from: Date())
        let today = CalendarDate.todayUTC()
        let after = calendar.dateComponents([.year, .month, .day], from: Date())
        // The clock may pass midnight between the reads: today is then one of the two days.
        let days = try [before, after].map { try CalendarDate(year: $0.year!, month: $0.month!, day: $0.day!) }
        #expect(days.contains(today))
    }

    @Test func historyRecordsEveryWriteWithTokenNameAndRequestId() async throws {
        try await TestApp.run { app, client in
            let name = HTTPField.Name("X-Request-Id")!
            var headers = app.auth
            headers[name] = "create-1"
            _ = try await client.execute(
                uri: "/v1/agreements",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: sampleDocument())
            )
            headers[name] = "append-2"
            _ = try await client.execute(
                uri: "/v1/agreements/sample/events",
                method: .post,
                headers: headers,
                body: ByteBuffer(
                    string: #"{"events": [{"type": "signature", "date": "2019-01-01"}, {"type": "entryIntoForce", "date": "2020-01-01"}]}"#
                )
            )
            headers[name] = "delete-3"
            headers[.ifMatch] = "*"
            #expect(try await client.execute(uri: "/v1/agreements/sample", method: .delete, headers: headers).status == .noContent)

            let response = try await client.execute(uri: "/v1/agreements/sample/history", method: .get)
            #expect(response.status == .ok)
            let items = try #require(try response.json()["items"] as? [[String: Any]])
            #expect(items.map { $0["action"] as? String } == ["create", "appendEvents", "delete"])
            #expect(items.map { $0["actor"] as? String } == ["tester", "tester", "tester"])
            #expect(items.map { $0["requestId"] as? String } == ["create-1", "append-2", "delete-3"])
            let paths = (items[1]["changes"] as? [[String: Any]])?.compactMap { $0["path"] as? String }
            #expect(paths == ["/events/0", "/events/1"])
            #expect((items[0]["at"] as? String)?.hasSuffix("Z") == true)

            #expect(try await client.execute(uri: "/v1/agreements/never/history", method: .get).status == .notFound)
            let seeded = try await client.execute(uri: "/v1/agreements/gsomia/history", method: .get)
            #expect(try #require(try seeded.json()["items"] as? [[String: Any]]).map { $0["action"] as? String } == ["seed"])
        }
    }
}

@Suite struct ContractGuardTests {
    @Test func anUndeclaredMethodIs405WithAllowBeforeAuthOrBodyChecks() async throws {
        try await TestApp.run { _, client in
            let put = try await client.execute(uri: "/v1/agreements/gsomia/history", method: .put)
            #expect(put.status == .methodNotAllowed)
            #expect(put.headers[.allow] == "GET, HEAD")
            #expect(try put.json()["type"] as? String == "urn:pacta:problem:method-not-allowed")
            let patch = try await client.execute(uri: "/v1/agreements/gsomia", method: .patch)
            #expect(patch.headers[.allow] == "DELETE, GET, HEAD, PUT")
            // An unknown path is left to the router (and a write to authentication first).
            #expect(try await client.execute(uri: "/v1/nothing/here", method: .put).status != .methodNotAllowed)
        }
    }

    @Test func queryParametersOverTheirDeclaredLengthAre422() async throws {
        try await TestApp.run { _, client in
            let response = try await client.execute(uri: "/v1/agreements?party=\(String(repeating: "A", count: 17))", method: .get)
            #expect(response.status == .unprocessableContent)
            #expect(response.text.contains(#""parameter":"party""#))
            #expect(try await client.execute(uri: "/v1/agreements?party=JP", method: .get).status == .ok)
        }
    }
}
