import Foundation
import PactaStore

/// The bodies webhooks carry: `{"type", "timestamp", "data"}`, as the feed renders its events.
enum WebhookPayload {
    /// A feed event's payload, byte for byte what the stream sends.
    static func bytes(of event: FeedEvent) -> [UInt8] {
        Array(event.payload.utf8)
    }

    /// The payload of a test delivery (`POST /v1/webhooks/{id}/test`).
    static func test(webhookId: String, at milliseconds: Int64) -> [UInt8] {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let timestamp = formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1_000))
        let object: [String: Any] = [
            "type": WebhookEventTypes.test, "timestamp": timestamp, "data": ["webhookId": webhookId],
        ]
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
    }
}
