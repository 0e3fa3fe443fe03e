/// What the server enforces of `openapi.yaml` itself (the generated code does not): the methods of each path (405
/// and `Allow`), who may call each operation (a token or not), and the declared limits of query parameters. The
/// tables (`SpecContract.paths`) are generated at build time from the spec by the `PactaContract` tool (through
/// the `EmbedResources` plugin), so the spec is the only place these are written.
enum SpecContract {
    /// Who may call an operation, from its `security` (or the document's).
    enum Access: Sendable, Equatable {
        /// The requirements name a scheme: `Authorization: Bearer <token>` is needed.
        case token
        /// No requirement (none of its own, none for the document): anonymous by default. A server started with
        /// `requireTokenForReads` applies bearerAuth as the document-wide default, so these then need a token.
        case open
        /// `security: []` on the operation: anonymous even when reads need a token (the probes).
        case `public`
    }

    struct QueryParameter: Sendable, Equatable {
        let name: String
        /// In Unicode code points, as JSON Schema counts.
        let maxLength: Int?
        let minLength: Int?
        let minimum: Int?
        let maximum: Int?
        /// The schema's `default`, for an integer parameter.
        let defaultInteger: Int?
    }

    struct Operation: Sendable, Equatable {
        /// Upper-case, as HTTP writes it.
        let method: String
        let id: String
        let access: Access
        let query: [QueryParameter]
    }

    struct Path: Sendable {
        let template: String
        /// The template split at `/`, without the leading empty segment; `{name}` segments match any non-empty one.
        let segments: [Substring]
        let operations: [Operation]

        init(_ template: String, operations: [Operation]) {
            self.template = template
            self.segments = Array(template.split(separator: "/", omittingEmptySubsequences: false).dropFirst())
            self.operations = operations
        }

        var methods: [String] { operations.map(\.method) }

        /// Whether a request path, split as `segments` is, matches this template.
        func matches(_ path: ArraySlice<Substring>) -> Bool {
            segments.count == path.count
                && zip(segments, path).allSatisfy { template, actual in
                    template.hasPrefix("{") ? !actual.isEmpty : template == actual
                }
        }

        /// The operation for `method`; `HEAD` is served by the `GET` (the router generates it).
        func operation(for method: String) -> Operation? {
            operations.first { $0.method == method } ?? (method == "HEAD" ? operations.first { $0.method == "GET" } : nil)
        }
    }

    /// A request path split as ``Path/segments`` is.
    static func segments(of path: String) -> ArraySlice<Substring> {
        path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
    }

    /// The operation a request is for, if its path and method are in the spec.
    static func operation(method: String, path: String) -> Operation? {
        let segments = segments(of: path)
        for entry in paths where entry.matches(segments) {
            if let operation = entry.operation(for: method) { return operation }
        }
        return nil
    }

    /// The operation with this `operationId`.
    static func operation(id: String) -> Operation? {
        for path in paths {
            if let operation = path.operations.first(where: { $0.id == id }) { return operation }
        }
        return nil
    }

    /// The `limit` parameter of the paginated operations (all declare the same one; a test holds them to that).
    static let pageSize: (minimum: Int, maximum: Int, default: Int) = {
        guard let limit = operation(id: "listAgreements")?.query.first(where: { $0.name == "limit" }),
            let minimum = limit.minimum, let maximum = limit.maximum, let `default` = limit.defaultInteger
        else { preconditionFailure("openapi.yaml: listAgreements declares no limit with minimum, maximum and default") }
        return (minimum, maximum, `default`)
    }()
}
