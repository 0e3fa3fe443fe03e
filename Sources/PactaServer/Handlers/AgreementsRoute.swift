import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PactaAPI
import PactaCore

/// `GET /v1/agreements` (the list), answered by Hummingbird directly rather than through the OpenAPI runtime (the
/// operation `listAgreements` in openapi.yaml describes it, and ``APIHandler/agreementsAnswer(_:)`` computes it for
/// both), as ``StatusRoute`` and ``DeadlinesRoute`` are: a page of 100 agreements in a state on a date not asked before
/// is computed on every request, and the runtime's generic `JSONEncoder` was 71% of the server's CPU under that load
/// at 100,000 agreements (perf; BENCHMARKS.md). ``JSONBytes`` writes the page byte for byte as the runtime would have
/// (`JSONBytesEquivalenceTests`, `AgreementsRouteBytesTests`). `POST /v1/agreements` stays a generated operation.
enum AgreementsRoute {
    static let path = "/v1/agreements"

    static func register(on router: Router<some RequestContext>, handler: APIHandler) {
        router.get(RouterPath(Self.path)) { request, _ -> Response in
            let (page, etag) = try await handler.agreementsAnswer(
                try Self.query(request.uri.queryParameters),
                ifNoneMatch: request.headers[.ifNoneMatch]
            )
            var json = JSONBytes(capacity: 256 + page.items.count * 200)
            json.write(page)
            return JSONBytes.response(json.bytes, etag: etag)
        }
    }

    /// The operation's query, read as the generated operation reads it (``QueryParameters``).
    static func query(_ parameters: Parameters) throws -> Operations.ListAgreements.Input.Query {
        let query = QueryParameters(parameters)
        return .init(
            limit: try query.int("limit"),
            cursor: query.string("cursor"),
            party: query.string("party"),
            state: try query.value("state", Components.Schemas.State.init(rawValue:)),
            tag: query.string("tag"),
            q: query.string("q"),
            asOf: query.string("asOf")
        )
    }
}
