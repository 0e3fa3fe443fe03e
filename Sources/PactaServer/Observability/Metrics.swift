import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PactaCore
import Prometheus
import Synchronization

/// Prometheus metrics: HTTP request counts and latencies (``HTTPMetrics``), and gauges of the agreements' states
/// and next dates computed from the catalog at scrape time.
public enum PactaMetrics {
    /// The swift-metrics factory that writes into `registry`, for what libraries record through swift-metrics.
    /// `pacta serve` bootstraps `MetricsSystem` with it.
    public static func factory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = HTTPMetrics.buckets
        return factory
    }

    /// The `/metrics` document: the registry's metrics followed by the agreement gauges.
    ///
    /// Civil dates become instants as 00:00 UTC of that day, `CalendarDate.dayNumber × 86400` seconds after the
    /// Unix epoch, so `pacta_notice_deadline_timestamp_seconds - time()` is the time left until the day begins
    /// in UTC. The deadline itself lasts the whole civil day.
    static func exposition(
        registry: PrometheusCollectorRegistry,
        snapshot: AgreementCatalog.Snapshot,
        asOf: CalendarDate
    ) -> String {
        var text = registry.emitToString()
        var byState: [AgreementStatus.State: Int] = [:]
        var deadlines: [String] = []
        var renewals: [String] = []
        var ends: [String] = []
        for id in snapshot.sortedIds {
            guard let agreement = snapshot.byId[id]?.agreement else { continue }
            let status = RulesEngine.evaluate(agreement, asOf: asOf)
            byState[status.state, default: 0] += 1
            let running = status.state == .inForce || status.state == .terminationPending
            for party in agreement.parties.map(\.code) {
                let standing = status.parties.first { $0.party == party }
                if standing?.status == .withdrawn || standing?.status == .notParty { continue }
                let labels = #"{agreement="\#(escapeLabel(agreement.id))",party="\#(escapeLabel(party))"}"#
                if let deadline = status.noticeDeadline {
                    deadlines.append("pacta_notice_deadline_timestamp_seconds\(labels) \(deadline.unixMidnightUTC)")
                }
                if let renewal = status.nextRenewal {
                    renewals.append("pacta_next_renewal_timestamp_seconds\(labels) \(renewal.unixMidnightUTC)")
                }
                // A party's own end (a pending withdrawal) comes before the agreement's, if both are fixed.
                let ownEnd = standing?.status == .withdrawalPending ? standing?.lastDayAsParty : nil
                if running, let last = [ownEnd, status.lastDayInForce].compactMap({ $0 }).min() {
                    ends.append("pacta_scheduled_end_timestamp_seconds\(labels) \(last.unixMidnightUTC)")
                }
            }
        }
        text += "# HELP pacta_agreements Agreements per state on today's date (UTC).\n"
        text += "# TYPE pacta_agreements gauge\n"
        for state in AgreementStatus.State.allCases {
            text += #"pacta_agreements{state="\#(state.rawValue)"} \#(byState[state] ?? 0)"# + "\n"
        }
        func family(_ name: String, _ help: String, _ lines: [String]) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            for line in lines { text += line + "\n" }
        }
        family(
            "pacta_notice_deadline_timestamp_seconds",
            "Next day on which a party can still give notice to stop the next renewal, as 00:00 UTC of that day (dayNumber*86400).",
            deadlines
        )
        family(
            "pacta_next_renewal_timestamp_seconds",
            "First day of the next term if no notice stops the renewal, as 00:00 UTC of that day (dayNumber*86400).",
            renewals
        )
        family(
            "pacta_scheduled_end_timestamp_seconds",
            "Last day the party is bound, when the agreement's end or the party's withdrawal is fixed, as 00:00 UTC of that day (dayNumber*86400).",
            ends
        )
        return text
    }

    static func escapeLabel(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}

/// Counts requests and measures how long each takes to answer. Labelled with the route template
/// (`/v1/agreements/{id}`), never the raw path, so the number of series stays bounded; the handles of each
/// (method, route, status) are made once, with their help text, and reused by every later request.
struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: HTTPMetrics

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.record(request.method, route: context.endpointPath, status: response.status.code, since: start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.record(request.method, route: context.endpointPath, status: status, since: start)
            throw error
        }
    }
}

/// The HTTP request metrics of one registry.
final class HTTPMetrics: Sendable {
    static let requestsName = "pacta_http_requests_total"
    static let durationName = "pacta_http_request_duration_seconds"
    /// Sized for a server that answers most requests in well under a millisecond.
    static let buckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
    ]

    private struct Series: Hashable {
        let method: HTTPRequest.Method
        let route: String
        let status: Int
    }

    private let registry: PrometheusCollectorRegistry
    private let handles = Mutex<[Series: (requests: Prometheus.Counter, duration: DurationHistogram)]>([:])

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func record(_ method: HTTPRequest.Method, route: String?, status: Int, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let series = Series(method: method, route: route ?? "unmatched", status: status)
        let (requests, duration) = handles.withLock { handles in
            if let known = handles[series] { return known }
            let made = (
                requests: registry.makeCounter(
                    name: Self.requestsName,
                    labels: [("method", method.rawValue), ("route", series.route), ("status", String(status))],
                    help: "HTTP requests answered, by method, route template and status code."
                ),
                duration: registry.makeDurationHistogram(
                    name: Self.durationName,
                    labels: [("method", method.rawValue), ("route", series.route)],
                    buckets: Self.buckets,
                    help: "Seconds from receiving a request to producing its response head, by method and route template."
                )
            )
            handles[series] = made
            return made
        }
        requests.increment()
        duration.record(elapsed)
    }
}

extension Response {
    /// The `/metrics` answer in the Prometheus text format 0.0.4.
    static func prometheus(_ text: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }
}
