import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PactaStore
import Synchronization
import Testing

@testable import PactaServer

@Suite struct WebhookRouteTests {
    static func create(
        _ client: some TestClientProtocol,
        _ app: TestApp,
        url: String,
        events: [String] = ["agreement.created"]
    ) async throws -> TestResponse {
        let events = events.map { "\"\($0)\"" }.joined(separator: ",")
        return try await client.execute(
            uri: "/v1/webhooks",
            method: .post,
            headers: app.auth,
            body: ByteBuffer(string: #"{"url": "\#(url)", "events": [\#(events)], "description": "tests"}"#)
        )
    }

    @Test func everyWebhookOperationNeedsAToken() async throws {
        try await TestApp.run { app, client in
            for (uri, method) in [
                ("/v1/webhooks", HTTPRequest.Method.get), ("/v1/webhooks", .post), ("/v1/webhooks/wh_x", .get),
                ("/v1/webhooks/wh_x", .delete), ("/v1/webhooks/wh_x/test", .post), ("/v1/webhooks/wh_x/deliveries", .get),
            ] {
                let status = try await client.execute(uri: uri, method: method).status
                #expect(status == .unauthorized, "\(method) \(uri)")
            }
        }
    }

    @Test func theSecretIsShownOnceAtCreationAndNeverAgain() async throws {
        try await TestApp.run { app, client in
            let created = try await Self.create(client, app, url: "https://hooks.example.org/pacta")
            #expect(created.status == .created)
            let body = try created.json()
            let id = try #require(body["id"] as? String)
            let secret = try #require(body["secret"] as? String)
            #expect(id.hasPrefix("wh_"))
            #expect(secret.hasPrefix("whsec_"))
            #expect(created.headers[.location] == "/v1/webhooks/\(id)")
            #expect(body["enabled"] as? Bool == true)
            #expect(body["events"] as? [String] == ["agreement.created"])
            let fetched = try await client.execute(uri: "/v1/webhooks/\(id)", method: .get, headers: app.auth)
            #expect(fetched.status == .ok)
            #expect(!fetched.text.contains(secret))
            #expect(try fetched.json()["url"] as? String == "https://hooks.example.org/pacta")
            let list = try await client.execute(uri: "/v1/webhooks", method: .get, headers: app.auth)
            #expect(!list.text.contains(secret))
            #expect((try list.json()["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [id])
            // Stored so that it can sign.
            #expect(try await app.store.webhook(id: id)?.secret == secret)
            #expect(try await client.execute(uri: "/v1/webhooks/\(id)", method: .delete, headers: app.auth).status == .noContent)
            #expect(try await client.execute(uri: "/v1/webhooks/\(id)", method: .get, headers: app.auth).status == .notFound)
            #expect(try await client.execute(uri: "/v1/webhooks/\(id)", method: .delete, headers: app.auth).status == .notFound)
        }
    }

    @Test func privateAndMalformedURLsAre422WithAPointer() async throws {
        try await TestApp.run { app, client in
            for url in [
                "http://127.0.0.1:8080/hook", "http://169.254.169.254/latest", "http://[::1]/x", "http://10.0.0.7/",
                "ftp://example.org/x", "not a url", "https://user:pw@example.org/",
            ] {
                let response = try await Self.create(client, app, url: url)
                #expect(response.status == .unprocessableContent, "\(url)")
                let errors = try response.json()["errors"] as? [[String: Any]]
                #expect(errors?.first?["pointer"] as? String == "/url", "\(url)")
            }
            let noEvents = try await Self.create(client, app, url: "https://hooks.example.org/", events: [])
            #expect(noEvents.status == .unprocessableContent || noEvents.status == .badRequest)
            let unknown = try await Self.create(client, app, url: "https://hooks.example.org/", events: ["agreement.eaten"])
            #expect(unknown.status == .badRequest || unknown.status == .unprocessableContent)
            #expect(try await app.store.webhooks().isEmpty)
        }
    }

    @Test func privateURLsAreAcceptedWhenAllowed() async throws {
        let allowPrivate: (inout AppConfiguration) -> Void = { $0.webhooks.allowPrivateAddresses = true }
        try await TestApp.run(configure: allowPrivate) { app, client in
            let created = try await Self.create(client, app, url: "http://127.0.0.1:9/hook")
            #expect(created.status == .created)
        }
    }

    @Test func aTestIsAskedForWithoutABody() async throws {
        try await TestApp.run { app, client in
            let id = try #require(try await Self.create(client, app, url: "https://hooks.example.org/x").json()["id"] as? String)
            let response = try await client.execute(
                uri: "/v1/webhooks/\(id)/test",
                method: .post,
                headers: [.authorization: "Bearer \(app.token)"]
            )
            #expect(response.status == .accepted)
            #expect(try await app.store.webhook(id: id)?.pendingTestId == (try response.json()["eventId"] as? String))
            // Other POSTs still need their JSON body.
            let bare = try await client.execute(uri: "/v1/agreements", method: .post, headers: [.authorization: "Bearer \(app.token)"])
            #expect(bare.status == .unsupportedMediaType)
        }
    }

    @Test func unknownSubscriptionsAre404Problems() async throws {
        try await TestApp.run { app, client in
            for (uri, method) in [
                ("/v1/webhooks/wh_x", HTTPRequest.Method.get), ("/v1/webhooks/wh_x/test", .post),
                ("/v1/webhooks/wh_x/deliveries", .get),
            ] {
                let response = try await client.execute(uri: uri, method: method, headers: app.auth)
                #expect(response.status == .notFound, "\(uri)")
                #expect(response.headers[.contentType] == "application/problem+json")
            }
        }
    }
}

/// A receiver on loopback that records what it is sent and answers with the statuses it is given, in turn.
final class WebhookReceiver: Sendable {
    struct Received: Sendable {
        let path: String
        let id: String?
        let timestamp: String?
        let signature: String?
        let body: [UInt8]
    }

    private let state = Mutex<(received: [Received], answers: [String: [Int]])>(([], [:]))

    /// What `path` answers, in turn; the last status repeats (204 when none is given).
    func answer(_ path: String, with statuses: [Int]) { state.withLock { $0.answers[path] = statuses } }

    var received: [Received] { state.withLock { $0.received } }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("{path}") { request, context -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let path = request.uri.path
            let status: Int = self.state.withLock { state in
                state.received.append(
                    Received(
                        path: path,
                        id: request.headers[HTTPField.Name("webhook-id")!],
                        timestamp: request.headers[HTTPField.Name("webhook-timestamp")!],
                        signature: request.headers[HTTPField.Name("webhook-signature")!],
                        body: Array(buffer: body)
                    )
                )
                var answers = state.answers[path] ?? []
                let status = answers.first ?? 204
                if answers.count > 1 { answers.removeFirst() }
                state.answers[path] = answers
                return status
            }
            return Response(status: .init(code: status))
        }
        return router
    }

    /// Waits (at most `seconds`) until `condition` holds for what was received.
    func wait(seconds: Double = 15, until condition: ([Received]) -> Bool) async throws -> [Received] {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1_000))
        while ContinuousClock.now < deadline {
            let received = self.received
            if condition(received) { return received }
            try await Task.sleep(for: .milliseconds(20))
        }
        return received
    }
}

@Suite(.serialized) struct WebhookDeliveryTests {
    /// Runs a receiver on loopback and the app (live, with its deliverer) set to deliver there quickly.
    static func withReceiver(
        _ body: @Sendable (WebhookReceiver, Int, TestApp, any TestClientProtocol) async throws -> Void
    ) async throws {
        let receiver = WebhookReceiver()
        let receiverApp = Application(router: receiver.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await receiverApp.test(.live) { receiverClient in
            let port = try #require(receiverClient.port)
            try await TestApp.run(
                testing: .live,
                configure: { configuration in
                    configuration.webhooks.allowPrivateAddresses = true
                    configuration.webhooks.retry.first = .milliseconds(200)
                    configuration.webhooks.pollInterval = .milliseconds(50)
                    configuration.webhooks.totalTimeout = .seconds(5)
                }
            ) { app, client in
                try await body(receiver, port, app, client)
            }
        }
    }

    static func verify(_ received: WebhookReceiver.Received, secret: String) -> Bool {
        guard let id = received.id, let timestamp = received.timestamp.flatMap({ Int64($0) }) else { return false }
        return received.signature == WebhookSignature.sign(secret: secret, id: id, timestamp: timestamp, body: received.body)
    }

    @Test func aWriteIsDeliveredSignedAndAFailureIsRetriedWithTheSameId() async throws {
        try await Self.withReceiver { receiver, port, app, client in
            receiver.answer("/retry", with: [500, 200])
            let created = try await WebhookRouteTests.create(client, app, url: "http://127.0.0.1:\(port)/retry")
            let webhook = try created.json()
            let secret = try #require(webhook["secret"] as? String)
            let id = try #require(webhook["id"] as? String)
            let write = try await client.execute(
                uri: "/v1/agreements",
                method: .post,
                headers: app.auth,
                body: ByteBuffer(string: sampleDocument(id: "hooked"))
            )
            #expect(write.status == .created)
            let received = try await receiver.wait { $0.count >= 2 }
            try #require(received.count >= 2)
            #expect(received[0].id == received[1].id)
            #expect(received.allSatisfy { Self.verify($0, secret: secret) })
            let payload = try #require(try JSONSerialization.jsonObject(with: Data(received[1].body)) as? [String: Any])
            #expect(payload["type"] as? String == "agreement.created")
            #expect((payload["data"] as? [String: Any])?["agreementId"] as? String == "hooked")
            #expect(payload["timestamp"] is String)
            // Both attempts are recorded, newest first.
            var items: [[String: Any]] = []
            for _ in 0..<100 {
                let deliveries = try await client.execute(uri: "/v1/webhooks/\(id)/deliveries", method: .get, headers: app.auth)
                items = try deliveries.json()["items"] as? [[String: Any]] ?? []
                if items.count >= 2 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(items.compactMap { $0["outcome"] as? String } == ["delivered", "retrying"])
            #expect(items.compactMap { $0["statusCode"] as? Int } == [200, 500])
            #expect(items.compactMap { $0["attempt"] as? Int } == [2, 1])
        }
    }

    @Test func aTestDeliveryIsSentOnceAndA410DisablesTheSubscription() async throws {
        try await Self.withReceiver { receiver, port, app, client in
            receiver.answer("/gone", with: [410])
            let created = try await WebhookRouteTests.create(client, app, url: "http://127.0.0.1:\(port)/gone")
            let webhook = try created.json()
            let id = try #require(webhook["id"] as? String)
            let secret = try #require(webhook["secret"] as? String)
            let test = try await client.execute(uri: "/v1/webhooks/\(id)/test", method: .post, headers: app.auth)
            #expect(test.status == .accepted)
            let testId = try #require(try test.json()["eventId"] as? String)
            let tested = try await receiver.wait { $0.contains { $0.id == testId } }
            let delivery = try #require(tested.first { $0.id == testId })
            #expect(Self.verify(delivery, secret: secret))
            #expect(String(decoding: delivery.body, as: UTF8.self).contains(#""type":"webhook.test""#))
            // A failed test changes nothing; a 410 for a real event disables at once.
            #expect(try await app.store.webhook(id: id)?.isEnabled == true)
            _ = try await client.execute(
                uri: "/v1/agreements",
                method: .post,
                headers: app.auth,
                body: ByteBuffer(string: sampleDocument(id: "gone"))
            )
            var state: [String: Any] = [:]
            for _ in 0..<200 {
                state = try await client.execute(uri: "/v1/webhooks/\(id)", method: .get, headers: app.auth).json()
                if state["enabled"] as? Bool == false { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(state["enabled"] as? Bool == false)
            #expect(state["disabledReason"] as? String == "The receiver answered 410 Gone.")
            #expect(receiver.received.filter { $0.id != testId }.count == 1)
        }
    }

    /// A name is checked when it is resolved, before each run of deliveries: `localhost` passes creation (it is not
    /// a literal address) and is refused at delivery, recorded as a failed attempt; nothing is sent.
    @Test func aNameResolvingToLoopbackIsRefusedAtDelivery() async throws {
        let receiver = WebhookReceiver()
        let receiverApp = Application(router: receiver.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await receiverApp.test(.live) { receiverClient in
            let port = try #require(receiverClient.port)
            let quick: (inout AppConfiguration) -> Void = { $0.webhooks.pollInterval = .milliseconds(50) }
            try await TestApp.run(testing: .live, configure: quick) { app, client in
                let created = try await WebhookRouteTests.create(client, app, url: "http://localhost:\(port)/refused")
                #expect(created.status == .created)
                let id = try #require(try created.json()["id"] as? String)
                _ = try await client.execute(
                    uri: "/v1/agreements",
                    method: .post,
                    headers: app.auth,
                    body: ByteBuffer(string: sampleDocument(id: "refused"))
                )
                var attempts: [WebhookAttempt] = []
                for _ in 0..<200 where attempts.isEmpty {
                    attempts = try await app.store.webhookAttempts(webhookId: id, limit: 5)
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(attempts.first?.error == "refusedAddress")
                #expect(attempts.first?.outcome == .retrying)
                #expect(attempts.first?.statusCode == nil)
                #expect(receiver.received.isEmpty)
            }
        }
    }

    /// `/metrics` after a failed and a delivered attempt: the deliveries by outcome, the latency, the subscriptions, the
    /// backlog back at zero, the events recorded and the stream's clients.
    @Test func metricsCountDeliveriesByOutcomeAndShowTheBacklog() async throws {
        try await Self.withReceiver { receiver, port, app, client in
            func metrics() async throws -> String {
                try await client.execute(uri: "/metrics", method: .get).text
            }
            let before = try await metrics()
            #expect(before.contains(#"pacta_webhook_deliveries_total{outcome="delivered"} 0"#))
            #expect(before.contains(#"pacta_webhook_subscriptions{state="enabled"} 0"#))
            #expect(before.contains("pacta_stream_clients 0"))
            receiver.answer("/metered", with: [500, 200])
            let created = try await WebhookRouteTests.create(client, app, url: "http://127.0.0.1:\(port)/metered")
            let id = try #require(try created.json()["id"] as? String)
            _ = try await client.execute(
                uri: "/v1/agreements",
                method: .post,
                headers: app.auth,
                body: ByteBuffer(string: sampleDocument(id: "metered"))
            )
            _ = try await receiver.wait { $0.count >= 2 }
            // The backlog counts every event after the cursor (status.changed too, which this one does not want):
            // it is back at zero once the deliverer has passed them all.
            var text = ""
            for _ in 0..<200 {
                text = try await metrics()
                if text.contains(#"pacta_webhook_backlog_events{webhook="\#(id)"} 0"#),
                    text.contains(#"pacta_feed_events_total{type="agreement.created"} 1"#)
                {
                    break
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(text.contains(#"pacta_webhook_backlog_events{webhook="\#(id)"} 0"#))
            #expect(text.contains(#"pacta_webhook_deliveries_total{outcome="retrying"} 1"#))
            #expect(text.contains(#"pacta_webhook_deliveries_total{outcome="delivered"} 1"#))
            #expect(text.contains(#"pacta_webhook_deliveries_total{outcome="disabled"} 0"#))
            #expect(text.contains("pacta_webhook_delivery_latency_seconds_count 1"))
            #expect(text.contains(#"pacta_webhook_subscriptions{state="enabled"} 1"#))
            #expect(text.contains(#"pacta_feed_events_total{type="agreement.created"} 1"#))
            #expect(text.contains("pacta_stream_clients 0"))
        }
    }

    @Test func eventsOfOtherTypesAreSkippedAndOrderIsKept() async throws {
        try await Self.withReceiver { receiver, port, app, client in
            let created = try await WebhookRouteTests.create(
                client,
                app,
                url: "http://127.0.0.1:\(port)/deleted",
                events: ["agreement.deleted"]
            )
            #expect(created.status == .created)
            for name in ["one", "two"] {
                _ = try await client.execute(
                    uri: "/v1/agreements",
                    method: .post,
                    headers: app.auth,
                    body: ByteBuffer(string: sampleDocument(id: name))
                )
            }
            for name in ["one", "two"] {
                var headers = app.auth
                headers[.ifMatch] = "*"
                #expect(try await client.execute(uri: "/v1/agreements/\(name)", method: .delete, headers: headers).status == .noContent)
            }
            let received = try await receiver.wait { $0.count >= 2 }
            let ids = received.compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any])
                    .flatMap { ($0["data"] as? [String: Any])?["agreementId"] as? String }
            }
            #expect(ids == ["one", "two"])
            let types = received.compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any])?["type"] as? String
            }
            #expect(types == ["agreement.deleted", "agreement.deleted"])
        }
    }
}
