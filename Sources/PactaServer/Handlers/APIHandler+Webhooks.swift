import Foundation
import PactaAPI
import PactaCore
import PactaStore

/// Webhook subscriptions. Every operation needs a token (a subscription's URL can itself be a secret); the signing
/// secret is shown once, in the answer to the creation, and never logged.
extension APIHandler {
    func listWebhooks(_ input: Operations.ListWebhooks.Input) async throws -> Operations.ListWebhooks.Output {
        let subscriptions = try await catalog.store.webhooks()
        return .ok(.init(body: .json(.init(items: subscriptions.map(Self.webhook)))))
    }

    func createWebhook(_ input: Operations.CreateWebhook.Input) async throws -> Operations.CreateWebhook.Output {
        guard case .json(let body) = input.body else { throw unsupportedBody }
        var issues: [ValidationIssue] = []
        do {
            _ = try webhooks.policy.checkWithoutResolving(body.url)
        } catch {
            switch error {
            case .invalidURL(let reason): issues.append(.init(pointer: "/url", message: reason))
            case .refusedAddress(let kind):
                issues.append(
                    .init(
                        pointer: "/url",
                        message: "is a \(kind) address; webhooks go to public addresses unless PACTA_WEBHOOKS_ALLOW_PRIVATE=true"
                    )
                )
            case .unresolvable: issues.append(.init(pointer: "/url", message: "has a host that does not resolve"))
            }
        }
        if body.url.utf8.count > 2_048 { issues.append(.init(pointer: "/url", message: "is longer than 2,048 bytes")) }
        if body.events.isEmpty { issues.append(.init(pointer: "/events", message: "must name at least one event type")) }
        if Set(body.events).count != body.events.count {
            issues.append(.init(pointer: "/events", message: "must not name a type twice"))
        }
        if let description = body.description, description.count > 500 {
            issues.append(.init(pointer: "/description", message: "is longer than 500 characters"))
        }
        guard issues.isEmpty else { throw Problem.validation(issues) }
        let id = "wh_" + Base64URL.randomToken(bytes: 15)
        let subscription = try await catalog.store.createWebhook(
            NewWebhook(
                id: id,
                url: body.url,
                events: body.events.map(\.rawValue),
                description: body.description,
                secret: WebhookSignature.newSecret(),
                createdAt: webhooks.now()
            )
        )
        return .created(
            .init(
                headers: .init(location: "/v1/webhooks/\(id)"),
                body: .json(.init(value1: Self.webhook(subscription), value2: .init(secret: subscription.secret)))
            )
        )
    }

    func getWebhook(_ input: Operations.GetWebhook.Input) async throws -> Operations.GetWebhook.Output {
        guard let subscription = try await catalog.store.webhook(id: input.path.webhookId) else {
            throw Problem.webhookNotFound(input.path.webhookId)
        }
        return .ok(.init(body: .json(Self.webhook(subscription))))
    }

    func deleteWebhook(_ input: Operations.DeleteWebhook.Input) async throws -> Operations.DeleteWebhook.Output {
        guard try await catalog.store.deleteWebhook(id: input.path.webhookId) else {
            throw Problem.webhookNotFound(input.path.webhookId)
        }
        return .noContent(.init())
    }

    func testWebhook(_ input: Operations.TestWebhook.Input) async throws -> Operations.TestWebhook.Output {
        let id = input.path.webhookId
        let eventId = "test_" + Base64URL.randomToken(bytes: 15)
        guard try await catalog.store.requestWebhookTest(id: id, eventId: eventId) else {
            throw Problem.webhookNotFound(id)
        }
        webhooks.poke()
        return .accepted(.init(body: .json(.init(webhookId: id, eventId: eventId))))
    }

    func listWebhookDeliveries(
        _ input: Operations.ListWebhookDeliveries.Input
    ) async throws
        -> Operations.ListWebhookDeliveries.Output
    {
        let id = input.path.webhookId
        let limit = try limits.pageSize(input.query.limit)
        guard try await catalog.store.webhook(id: id) != nil else { throw Problem.webhookNotFound(id) }
        let attempts = try await catalog.store.webhookAttempts(webhookId: id, limit: limit)
        let items = attempts.map { attempt in
            Components.Schemas.WebhookDelivery(
                eventId: attempt.eventId,
                eventType: attempt.eventType,
                attempt: attempt.attempt,
                at: Self.date(attempt.at),
                durationMs: attempt.durationMs,
                statusCode: attempt.statusCode,
                error: attempt.error,
                outcome: .init(rawValue: attempt.outcome.rawValue)!,
                nextAttemptAt: attempt.nextAttemptAt.map(Self.date)
            )
        }
        return .ok(.init(body: .json(.init(webhookId: id, items: items))))
    }

    static func webhook(_ subscription: WebhookSubscription) -> Components.Schemas.Webhook {
        .init(
            id: subscription.id,
            url: subscription.url,
            events: subscription.events.compactMap { Components.Schemas.WebhookEventType(rawValue: $0) },
            description: subscription.description,
            createdAt: date(subscription.createdAt),
            enabled: subscription.isEnabled,
            disabledAt: subscription.disabledAt.map(date),
            disabledReason: subscription.disabledReason,
            failures: subscription.failures,
            nextAttemptAt: subscription.isEnabled && subscription.failures > 0 ? date(subscription.nextAttemptAt) : nil,
            href: "/v1/webhooks/\(subscription.id)"
        )
    }

    static func date(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1_000) }
}

extension Problem {
    static func webhookNotFound(_ id: String) -> Problem {
        Problem(
            type: .notFound,
            status: .notFound,
            title: "Not found",
            detail: "No webhook subscription has the id '\(id.prefix(64))'."
        )
    }
}
