import Foundation
import HTTPTypes
import Hummingbird
import PactaCore
import PactaStore

/// Who made a write: the name of the token presented. Set by ``AuthMiddleware`` for the handlers.
public enum Caller {
    @TaskLocal public static var tokenName: String?
}

/// Who needs `Authorization: Bearer <token>` is the spec's: an operation whose `security` names bearerAuth does
/// (the writes); one without requirements is open (the reads, and a simulation, which changes nothing) unless
/// `requireTokenForReads` applies bearerAuth as the document-wide default; one with `security: []` (the probes
/// `/healthz` and `/readyz`) is open always (``SpecContract/Access``). A request for no operation of the spec (an
/// unknown path, `/metrics`) is open for GET, HEAD and OPTIONS only as a read is. The token must name an unrevoked
/// token; it is hashed before the lookup and never logged or echoed.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let store: any AgreementStore
    var requireTokenForReads = false

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        switch Self.access(method: request.method, path: request.uri.path) {
        case .public:
            return try await next(request, context)
        case .open where !requireTokenForReads:
            return try await next(request, context)
        case .open, .token:
            break
        }
        guard let header = request.headers[.authorization] else {
            throw Problem.unauthorized(
                requireTokenForReads
                    ? "This server needs an Authorization: Bearer <token> header on every request."
                    : "This request changes data and needs an Authorization: Bearer <token> header."
            )
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw Problem.unauthorized("The Authorization header must use the Bearer scheme.")
        }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        guard let name = try await store.tokenName(hash: Tokens.hash(token)) else {
            throw Problem.unauthorized("The bearer token is unknown or revoked.")
        }
        return try await Caller.$tokenName.withValue(name) { try await next(request, context) }
    }

    /// The spec's access for the request's operation; outside the spec, reads are open and the rest needs a token.
    static func access(method: HTTPRequest.Method, path: String) -> SpecContract.Access {
        if let operation = SpecContract.operation(method: method.rawValue, path: path) { return operation.access }
        switch method {
        case .get, .head, .options: return .open
        default: return .token
        }
    }
}

/// Checks request bodies before any handler reads them: a declared or actual size over the limit gets 413,
/// and a body that is not JSON gets 415. The body is collected here, so handlers never stream unbounded input.
///
/// The collected JSON is then checked for its shape (``JSONShape``): nesting depth, string lengths and
/// duplicate member names each answer 422 with a pointer to the offending place.
struct BodyGuardMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBodyBytes: Int
    var shapeLimits = JSONShapeLimits()

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        switch request.method {
        case .post, .put, .patch:
            break
        default:
            return try await next(request, context)
        }
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > maxBodyBytes {
            throw tooLarge
        }
        // A POST that takes no body (asking for a webhook test) may come without one, and so without a Content-Type.
        if request.headers[.contentType] == nil, request.headers[.transferEncoding] == nil,
            (request.headers[.contentLength].flatMap { Int($0) } ?? 0) == 0,
            let operation = SpecContract.operation(method: request.method.rawValue, path: request.uri.path),
            Self.operationsWithoutBody.contains(operation.id)
        {
            return try await next(request, context)
        }
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces).lowercased()
        guard let mediaType, mediaType == "application/json" || mediaType.hasSuffix("+json") else {
            throw Problem(
                type: .unsupportedMediaType,
                status: .unsupportedMediaType,
                title: "Unsupported media type",
                detail: "Send the body as application/json (got \(mediaType.map { "'\($0.prefix(80))'" } ?? "no Content-Type"))."
            )
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxBodyBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            // HTTPError for a declared length, NIOTooManyBytesError for a chunked body that grew past the limit.
            throw tooLarge
        }
        let violations = body.withUnsafeReadableBytes { raw in
            JSONShape.check(raw.bindMemory(to: UInt8.self), limits: shapeLimits)
        }
        if !violations.isEmpty {
            throw Problem.validation(violations.map { ValidationIssue(pointer: $0.pointer, message: $0.message) })
        }
        return try await next(request, context)
    }

    /// The POST operations of the spec that declare no `requestBody`.
    static var operationsWithoutBody: Set<String> { ["testWebhook"] }

    private var tooLarge: Problem {
        Problem(
            type: .tooLarge,
            status: .contentTooLarge,
            title: "Content too large",
            detail: "The request body is over the limit of \(maxBodyBytes) bytes."
        )
    }
}
