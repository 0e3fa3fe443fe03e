import PactaStore
import Prometheus

/// The live feeds' metrics: webhook deliveries, the stream's clients and the events recorded. Counters and the
/// latency histogram live in the registry; what is a state rather than a count (backlogs, subscriptions, clients
/// connected) is read when `/metrics` is scraped (``exposition(store:hub:)``).
final class FeedMetrics: Sendable {
    static let deliveriesName = "pacta_webhook_deliveries_total"
    static let latencyName = "pacta_webhook_delivery_latency_seconds"
    static let droppedName = "pacta_stream_clients_dropped_total"
    static let eventsName = "pacta_feed_events_total"
    /// From a few milliseconds on loopback to the retry schedule's hours.
    static let latencyBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        .seconds(30), .seconds(60), .seconds(300), .seconds(1_800), .seconds(3_600), .seconds(21_600),
    ]

    private let outcomes: [WebhookAttempt.Outcome: Prometheus.Counter]
    private let latency: DurationHistogram
    private let dropped: Prometheus.Counter
    private let events: [String: Prometheus.Counter]

    init(registry: PrometheusCollectorRegistry) {
        var outcomes: [WebhookAttempt.Outcome: Prometheus.Counter] = [:]
        for outcome in [WebhookAttempt.Outcome.delivered, .retrying, .disabled, .test] {
            outcomes[outcome] = registry.makeCounter(
                name: Self.deliveriesName,
                labels: [("outcome", outcome.rawValue)],
                help: "Webhook delivery attempts by outcome: delivered (2xx), retrying (failed, tried again later), "
                    + "disabled (failed, and the subscription was disabled), test (a test delivery, any answer)."
            )
        }
        self.outcomes = outcomes
        latency = registry.makeDurationHistogram(
            name: Self.latencyName,
            buckets: Self.latencyBuckets,
            help: "Seconds from an event's commit to the 2xx answer of a subscription's receiver (retries included)."
        )
        dropped = registry.makeCounter(
            name: Self.droppedName,
            help: "Stream clients disconnected because they fell a whole buffer of events behind."
        )
        var events: [String: Prometheus.Counter] = [:]
        for type in FeedEventType.allCases {
            events[type.rawValue] = registry.makeCounter(
                name: Self.eventsName,
                labels: [("type", type.rawValue)],
                help: "Events recorded in the event log since this server started (by any server sharing its database), by type."
            )
        }
        self.events = events
    }

    func attempted(_ outcome: WebhookAttempt.Outcome) {
        outcomes[outcome]?.increment()
    }

    /// A 2xx answer `milliseconds` after the event's commit.
    func delivered(afterMilliseconds milliseconds: Int64) {
        latency.record(.milliseconds(max(0, milliseconds)))
    }

    func droppedStreamClient() {
        dropped.increment()
    }

    func recorded(_ event: FeedEvent) {
        events[event.type]?.increment()
    }

    /// The gauges read at scrape time: subscriptions by state, each enabled subscription's backlog, stream clients.
    static func exposition(store: any AgreementStore, hub: FeedStreamHub) async -> String {
        var text = "# HELP pacta_stream_clients Clients of GET /v1/stream connected now.\n"
        text += "# TYPE pacta_stream_clients gauge\npacta_stream_clients \(hub.clientCount)\n"
        // A database that cannot be read now leaves these out rather than failing the whole scrape.
        guard let subscriptions = try? await store.webhooks(), let head = try? await store.lastFeedSequence() else {
            return text
        }
        let enabled = subscriptions.filter(\.isEnabled)
        text += "# HELP pacta_webhook_subscriptions Webhook subscriptions by state.\n"
        text += "# TYPE pacta_webhook_subscriptions gauge\n"
        text += #"pacta_webhook_subscriptions{state="enabled"} \#(enabled.count)"# + "\n"
        text += #"pacta_webhook_subscriptions{state="disabled"} \#(subscriptions.count - enabled.count)"# + "\n"
        text += "# HELP pacta_webhook_backlog_events Events in the log after an enabled subscription's cursor "
        text += "(not yet delivered, or of types it does not want and not yet passed).\n"
        text += "# TYPE pacta_webhook_backlog_events gauge\n"
        for subscription in enabled {
            let webhook = PactaMetrics.escapeLabel(subscription.id)
            text += #"pacta_webhook_backlog_events{webhook="\#(webhook)"} \#(max(0, head - subscription.cursor))"# + "\n"
        }
        return text
    }
}
