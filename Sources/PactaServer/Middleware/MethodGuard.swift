import HTTPTypes
import Hummingbird

/// Answers `405 Method Not Allowed` with an `Allow` header when a path of the API is asked for with a method
/// it does not have, before authentication and body checks (which would otherwise answer 401 or 415 for, say,
/// a `PUT` to a read-only path). Paths and methods come from ``SpecContract``, generated from `openapi.yaml` at
/// build time, so the table follows the contract; a path that matches no template is left to the router (404).
struct MethodGuardMiddleware<Context: RequestContext>: RouterMiddleware {
    let paths: [SpecContract.Path]

    init(paths: [SpecContract.Path] = SpecContract.paths) {
        self.paths = paths
    }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        let method = request.method.rawValue
        let segments = SpecContract.segments(of: request.uri.path)
        // Every request passes here: find a path that allows the method without building anything.
        var matched = false
        for path in paths where path.matches(segments) {
            if path.operation(for: method) != nil { return try await next(request, context) }
            matched = true
        }
        guard matched else { return try await next(request, context) }
        var allowed = Set(paths.filter { $0.matches(segments) }.flatMap(\.methods))
        if allowed.contains("GET") { allowed.insert("HEAD") }
        let allow = allowed.sorted().joined(separator: ", ")
        throw Problem(
            type: .methodNotAllowed,
            status: .methodNotAllowed,
            title: "Method not allowed",
            detail: "\(request.uri.path.prefix(200)) answers \(allow).",
            headers: [.allow: allow]
        )
    }
}

/// The `maxLength` of query parameters declared in `openapi.yaml` (``SpecContract``), which the generated code
/// does not enforce: a longer value answers 422 naming the parameter, as the contract promises, instead of being
/// searched for.
enum QueryLimits {
    /// Path template (its non-empty segments) → parameter → maxLength (Unicode code points, as JSON Schema counts),
    /// for the templates whose operations declare any. A name's limit holds for every method of its path, so a
    /// long value is refused before authentication.
    static let byPath: [(segments: [Substring], limits: [String: Int])] = SpecContract.paths.compactMap { entry in
        var limits: [String: Int] = [:]
        for parameter in entry.operations.flatMap(\.query) {
            if let maxLength = parameter.maxLength { limits[parameter.name] = min(limits[parameter.name] ?? .max, maxLength) }
        }
        return limits.isEmpty ? nil : (entry.segments.filter { !$0.isEmpty }, limits)
    }
}

/// Query strings are `name=value` pairs joined by `&` (form style, as the contract declares). OpenAPIRuntime fails
/// on anything else with an internal error (and a 500), so a pair without `=` or an empty pair answers 400 here,
/// naming the parameter.
enum QuerySyntax {
    static func problem(in query: Substring) -> Problem? {
        guard !query.isEmpty else { return nil }
        for pair in query.split(separator: "&", omittingEmptySubsequences: false) {
            if pair.isEmpty {
                return Problem(
                    type: .malformedRequest,
                    status: .badRequest,
                    title: "Malformed request",
                    detail: "The query string has an empty parameter (two '&' in a row, or one at an end)."
                )
            }
            // `=value` (no name) is an unknown parameter, ignored like any other.
            guard pair.contains("=") else {
                let name = String((String(pair).removingPercentEncoding ?? String(pair)).prefix(64))
                return Problem.badParameter(name, "has no value: write \(name)=VALUE")
            }
        }
        return nil
    }
}

struct QueryLimitsMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        if let query = request.uri.query, let problem = QuerySyntax.problem(in: Substring(query)) { throw problem }
        let segments = request.uri.path.split(separator: "/")
        let matching = QueryLimits.byPath.first { entry in
            entry.segments.count == segments.count
                && zip(entry.segments, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }
        if let limits = matching?.limits {
            for (name, value) in request.uri.queryParameters {
                if let limit = limits[String(name)], value.unicodeScalars.count > limit {
                    throw Problem.invalidParameter(String(name), "must be at most \(limit) characters")
                }
            }
        }
        return try await next(request, context)
    }
}
