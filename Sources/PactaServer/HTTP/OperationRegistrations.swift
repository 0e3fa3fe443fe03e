import HTTPTypes
import Hummingbird
import OpenAPIHummingbird
import OpenAPIRuntime

/// The generated handlers' registrations, held so they can be put on the router in two groups.
///
/// Hummingbird applies a middleware to the endpoints added after it, and the generated code registers every
/// operation at once; holding the registrations lets the health probes be added before the API's middleware
/// (authentication, limits, the response cache), so a load balancer's probe passes only what it needs.
final class OperationRegistrations: ServerTransport {
    typealias Handler = @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)

    private var registrations: [(handler: Handler, method: HTTPRequest.Method, path: String)] = []

    func register(_ handler: @escaping Handler, method: HTTPRequest.Method, path: String) throws {
        registrations.append((handler, method, path))
    }

    /// Adds the held operations whose method and path satisfy `include` to `router`, under the middleware added so
    /// far.
    func add(to router: Router<some RequestContext>, where include: (HTTPRequest.Method, String) -> Bool) {
        for registration in registrations where include(registration.method, registration.path) {
            router.register(registration.handler, method: registration.method, path: registration.path)
        }
    }
}
