import Foundation
import HTTPTypes
import OpenAPIRuntime

/// Undoes OpenAPIRuntime's percent-encoding of response header values.
///
/// The runtime serialises every header value in URI "simple" style
/// (apple/swift-openapi-generator#857), so a handler's `ETag` of `"tag"` would be sent as `%22tag%22` and a
/// `Location` of `/v1/agreements/x` with its slashes encoded. An entity tag must carry its quotes (RFC 9110 §8.8.3)
/// and a location is a URI reference as is (§10.2.2). The encoding is the exact inverse of this decoding, and it
/// runs on the generated handlers' responses only, so a value is restored to what the handler set.
struct HeaderPercentDecoding: ServerMiddleware {
    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var (response, responseBody) = try await next(request, body, metadata)
        for index in response.headerFields.indices where response.headerFields[index].value.contains("%") {
            let field = response.headerFields[index]
            if let decoded = field.value.removingPercentEncoding {
                response.headerFields[index] = HTTPField(name: field.name, value: decoded)
            }
        }
        return (response, responseBody)
    }
}
