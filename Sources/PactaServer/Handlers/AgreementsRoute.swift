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
        router.get("/v1/agreements") { request, _ -> Response in
            let (page, etag) = try await handler.agreementsAnswer(try Self.query(request.uri.queryParameters))
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

/// A direct route's query parameters, read as the generated operations read theirs: names percent-decoded
/// (Hummingbird decodes values only), the first of repeated names, and a value not of the declared type refused with
/// the problem the runtime's decoding error gets.
struct QueryParameters {
    let parameters: Parameters

    init(_ parameters: Parameters) { self.parameters = parameters }

    func string(_ name: String) -> String? {
        parameters.first { String($0.key).removingPercentEncoding == name }.map { String($0.value) }
    }

    func int(_ name: String) throws -> Int? { try value(name) { Int($0) } }

    func value<Value>(_ name: String, _ parse: (String) -> Value?) throws -> Value? {
        try string(name).map { text in
            guard let value = parse(text) else {
                throw Problem.badParameter(name, "could not be read as the type the contract declares")
            }
            return value
        }
    }
}
