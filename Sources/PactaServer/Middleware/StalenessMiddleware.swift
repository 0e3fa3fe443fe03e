import HTTPTypes
import Hummingbird

/// Says on every `/v1` read (GET, HEAD) when the catalog it came from may lack writes committed by other servers: reads go on
/// from memory while the database is unreachable or the server is catching up, and the client learns how stale they
/// may be from `Pacta-Stale: age=S, revision=R` (an RFC 8941 dictionary): S whole seconds since the catalog was last
/// known to hold every committed write, R the store revision up to which it holds every write. No header: caught up.
///
/// Outside the ETag middleware and the response cache, so that a 304 and a cached answer carry it too; it costs one
/// atomic load while the catalog is caught up.
struct StalenessMiddleware<Context: RequestContext>: RouterMiddleware {
    static var headerName: HTTPField.Name { HTTPField.Name("Pacta-Stale")! }

    let catalog: AgreementCatalog

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        var response = try await next(request, context)
        guard request.method == .get || request.method == .head, let staleness = catalog.staleness,
            request.uri.path.hasPrefix("/v1/")
        else { return response }
        response.headers[Self.headerName] = Self.value(staleness, now: .now)
        return response
    }

    static func value(_ staleness: AgreementCatalog.Staleness, now: ContinuousClock.Instant) -> String {
        let age = max(.zero, now - staleness.since).components.seconds
        return "age=\(age), revision=\(staleness.completeThrough)"
    }
}
