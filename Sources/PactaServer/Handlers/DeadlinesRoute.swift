import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PactaAPI
import PactaCore

/// `GET /v1/deadlines`, answered by Hummingbird directly rather than through the OpenAPI runtime (the operation
/// `listDeadlines` in openapi.yaml describes it, and ``APIHandler/deadlinesAnswer(_:ifNoneMatch:)`` computes it for
/// both), as ``StatusRoute`` is and for the same reason: a page of 100 deadlines on a window not asked before is
/// computed on every request, and the runtime's generic `JSONEncoder` was 36% of the server's CPU under that load at
/// 100,000 agreements (perf; BENCHMARKS.md). ``JSONBytes`` writes the page byte for byte as the runtime would have
/// (`JSONBytesEquivalenceTests`, `DeadlinesRouteTests`).
enum DeadlinesRoute {
    static let path = "/v1/deadlines"

    static func register(on router: Router<some RequestContext>, handler: APIHandler) {
        router.get(RouterPath(Self.path)) { request, _ -> Response in
            let query = try Self.query(request.uri.queryParameters)
            let (page, etag) = try await handler.deadlinesAnswer(query, ifNoneMatch: request.headers[.ifNoneMatch])
            var json = JSONBytes(capacity: 512 + page.items.count * 400)
            json.write(page)
            return JSONBytes.response(json.bytes, etag: etag)
        }
    }

    /// The operation's query, read as the generated operation reads it (``QueryParameters``).
    static func query(_ parameters: Parameters) throws -> Operations.ListDeadlines.Input.Query {
        let query = QueryParameters(parameters)
        return .init(
            from: query.string("from"),
            to: query.string("to"),
            party: query.string("party"),
            kind: try query.value("kind", Components.Schemas.DeadlineKind.init(rawValue:)),
            limit: try query.int("limit"),
            cursor: query.string("cursor")
        )
    }
}
