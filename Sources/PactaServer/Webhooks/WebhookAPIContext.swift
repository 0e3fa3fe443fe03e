import Foundation

/// What the webhook handlers need besides the store: the address rules for new URLs, the clock for creation times,
/// and the deliverer to wake when a test is asked for.
struct WebhookAPIContext: Sendable {
    var policy = WebhookAddressPolicy(allowPrivate: false)
    var now: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1_000) }
    var deliverer: WebhookDeliveryService?

    func poke() { deliverer?.poke() }
}
