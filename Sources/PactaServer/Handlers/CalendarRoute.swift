import HTTPTypes
import Hummingbird
import NIOCore
import PactaAPI

/// `GET /v1/calendar.ics`, answered by Hummingbird directly rather than through the OpenAPI runtime (the operation
/// `getCalendar` in openapi.yaml describes it, and ``APIHandler/calendarAnswer(_:ifNoneMatch:)`` computes it for both).
///
/// A feed of the whole catalog is megabytes (3.5 MB for 30 days at 100,000 agreements), held once per snapshot under
/// its ETag. The runtime copies a body into a buffer of its own for every response: 64 clients polling the same feed
/// held 64 copies (the harness's peak went from 380 to 604 MiB on that row alone). Here every response sends the one
/// held buffer.
enum CalendarRoute {
    static let path = "/v1/calendar.ics"

    static func register(on router: Router<some RequestContext>, handler: APIHandler) {
        router.get(RouterPath(Self.path)) { request, _ -> Response in
            let query = try Self.query(request.uri.queryParameters)
            let (feed, etag) = try await handler.calendarAnswer(query, ifNoneMatch: request.headers[.ifNoneMatch])
            return Response(
                status: .ok,
                headers: [.contentType: "text/calendar", .eTag: etag],
                body: ResponseBody(byteBuffer: feed)
            )
        }
    }

    /// The operation's query, read as the generated operation reads it (``QueryParameters``).
    static func query(_ parameters: Parameters) throws -> Operations.GetCalendar.Input.Query {
        let query = QueryParameters(parameters)
        return .init(
            from: query.string("from"),
            to: query.string("to"),
            party: query.string("party"),
            kind: try query.value("kind", Components.Schemas.DeadlineKind.init(rawValue:)),
            alarm: query.string("alarm")
        )
    }
}
