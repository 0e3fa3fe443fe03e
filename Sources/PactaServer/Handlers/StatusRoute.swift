import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PactaCore

/// `GET /v1/agreements/{id}/status`, answered by Hummingbird directly rather than through the OpenAPI runtime (the
/// operation `getAgreementStatus` in openapi.yaml describes it, and ``APIHandler/statusAnswer(id:asOf:ifNoneMatch:)``
/// computes it for both).
///
/// A status on a date not asked before is computed on every request, and the runtime's generic `JSONEncoder` cost
/// six times the evaluation (issue #12; `PactaProfile status-json`). Here the answer is written by ``JSONBytes``, byte
/// for byte what the runtime would have sent (`JSONBytesEquivalenceTests`, `StatusRouteTests`).
enum StatusRoute {
    static let path = "/v1/agreements/{id}/status"

    static func register(on router: Router<some RequestContext>, handler: APIHandler) {
        router.get("/v1/agreements/:id/status") { request, context -> Response in
            // Percent-decoded like the generated operations' path and query (Hummingbird decodes query values only).
            let id = try context.parameters.require("id")
            let (status, etag) = try handler.statusAnswer(
                id: id.removingPercentEncoding ?? id,
                asOf: QueryParameters(request.uri.queryParameters).string("asOf"),
                ifNoneMatch: request.headers[.ifNoneMatch]
            )
            return JSONBytes.response(status.jsonBytes, etag: etag)
        }
    }
}
