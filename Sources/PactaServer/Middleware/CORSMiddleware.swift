import HTTPTypes
import Hummingbird

/// Cross-origin access for browser dashboards on other origins, limited to the configured origins
/// (`PACTA_CORS_ORIGINS`; none by default, `*` for any).
///
/// A preflight (`OPTIONS` with `Access-Control-Request-Method`) from an allowed origin is answered here with
/// `204`, before authentication and routing; actual requests get `Access-Control-Allow-Origin` and the headers
/// a script may read (`ETag`, `Location`, …). Requests from other origins are served without CORS headers, so
/// the browser withholds the answer from the script.
struct CORSMiddleware<Context: RequestContext>: RouterMiddleware {
    let origins: Set<String>
    let allowAny: Bool

    static var allowedMethods: String { "GET, HEAD, POST, PUT, DELETE, OPTIONS" }
    static var allowedHeaders: String { "Authorization, Content-Type, If-Match, If-None-Match" }
    static var exposedHeaders: String { "ETag, Location, WWW-Authenticate, Content-Length, Retry-After, Pacta-Stale" }

    init(origins: [String]) {
        self.allowAny = origins.contains("*")
        self.origins = Set(origins.filter { $0 != "*" })
    }

    var isEnabled: Bool { allowAny || !origins.isEmpty }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        guard isEnabled, let origin = request.headers[.origin] else { return try await next(request, context) }
        let allowed = allowAny || origins.contains(origin)
        let allowOrigin = allowAny ? "*" : origin
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers: HTTPFields = [
                .vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
            ]
            if allowed {
                headers[.accessControlAllowOrigin] = allowOrigin
                headers[.accessControlAllowMethods] = Self.allowedMethods
                headers[.accessControlAllowHeaders] = Self.allowedHeaders
                headers[.accessControlMaxAge] = "600"
            }
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        if !allowAny { response.headers.append(HTTPField(name: .vary, value: "Origin")) }
        if allowed {
            response.headers[.accessControlAllowOrigin] = allowOrigin
            response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
        }
        return response
    }
}
