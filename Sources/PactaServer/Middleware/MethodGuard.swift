import HTTPTypes
import Hummingbird

/// Answers `405 Method Not Allowed` with an `Allow` header when a path of the API is asked for with a method
/// it does not have, before authentication and body checks (which would otherwise answer 401 or 415 for, say,
/// a `PUT` to a read-only path). Paths and methods come from the served `openapi.yaml`, so the table follows
/// the contract; a path that matches no template is left to the router (404).
struct MethodGuardMiddleware<Context: RequestContext>: RouterMiddleware {
    struct Route: Sendable, Equatable {
        let segments: [Substring]
        let methods: [String]

        func matches(_ path: ArraySlice<Substring>) -> Bool {
            segments.count == path.count
                && zip(segments, path).allSatisfy { template, actual in
                    template.hasPrefix("{") ? !actual.isEmpty : template == actual
                }
        }
    }

    let routes: [Route]

    init(openAPIDocument: [UInt8]) {
        routes = Self.routes(in: String(decoding: openAPIDocument, as: UTF8.self))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let method = request.method.rawValue
        let segments = request.uri.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        // Every request passes here: find a route that allows the method without building anything.
        var matched = false
        for route in routes where route.matches(segments) {
            if route.methods.contains(method) || (method == "HEAD" && route.methods.contains("GET")) {
                return try await next(request, context)
            }
            matched = true
        }
        guard matched else { return try await next(request, context) }
        var allowed = Set(routes.filter { $0.matches(segments) }.flatMap(\.methods))
        if allowed.contains("GET") { allowed.insert("HEAD") }
        if allowed.contains(method) { return try await next(request, context) }
        let allow = allowed.sorted().joined(separator: ", ")
        throw Problem(
            type: .methodNotAllowed, status: .methodNotAllowed, title: "Method not allowed",
            detail: "\(request.uri.path.prefix(200)) answers \(allow).", headers: [.allow: allow])
    }

    /// The path templates and their methods, read from the document's `paths` (two-space indentation, as
    /// `openapi.yaml` is written; a test holds it to that).
    static func routes(in document: String) -> [Route] {
        var routes: [Route] = []
        var inPaths = false
        var path: Substring?
        var methods: [String] = []
        func flush() {
            if let path {
                routes.append(Route(segments: Array(path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()), methods: methods))
            }
            path = nil
            methods = []
        }
        for line in document.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" {
                inPaths = true
            } else if inPaths, let first = line.first, first != " ", first != "#" {
                break
            } else if inPaths, line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                flush()
                path = line.dropFirst(2).dropLast()
            } else if inPaths, path != nil, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let key = line.dropFirst(4).dropLast()
                if ["get", "put", "post", "delete", "patch"].contains(key) { methods.append(key.uppercased()) }
            }
        }
        flush()
        return routes
    }
}

/// The `maxLength` of query parameters declared in `openapi.yaml`, which the generated code does not enforce:
/// a longer value answers 422 naming the parameter, as the contract promises, instead of being searched for.
enum QueryLimits {
    /// Path template → parameter → maxLength (Unicode code points, as JSON Schema counts), as in openapi.yaml.
    static let table: [(template: [Substring], parameters: [String: Int])] = {
        [
            ("/v1/agreements", ["party": 16, "tag": 64, "q": 200, "cursor": 200]),
            ("/v1/deadlines", ["party": 16, "cursor": 200]),
            ("/v1/calendar.ics", ["party": 16, "alarm": 16]),
            ("/v1/agreements/{id}/calendar.ics", ["party": 16, "alarm": 16]),
        ].map { (Array($0.0.split(separator: "/").map { Substring($0) }), $0.1) }
    }()
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
                    type: .malformedRequest, status: .badRequest, title: "Malformed request",
                    detail: "The query string has an empty parameter (two '&' in a row, or one at an end).")
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
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if let query = request.uri.query, let problem = QuerySyntax.problem(in: Substring(query)) { throw problem }
        let segments = request.uri.path.split(separator: "/")
        let matching = QueryLimits.table.first { entry in
            entry.template.count == segments.count
                && zip(entry.template, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }
        if let limits = matching?.parameters {
            for (name, value) in request.uri.queryParameters {
                if let limit = limits[String(name)], value.unicodeScalars.count > limit {
                    throw Problem.invalidParameter(String(name), "must be at most \(limit) characters")
                }
            }
        }
        return try await next(request, context)
    }
}
