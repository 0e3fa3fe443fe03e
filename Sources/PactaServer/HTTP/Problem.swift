import Foundation
import HTTPTypes
import Hummingbird
import PactaAPI
import PactaCore
import PactaStore

/// An RFC 9457 problem that a handler or middleware throws; ``ProblemMiddleware`` renders it.
struct Problem: Error, Sendable {
    var type: ProblemType
    var status: HTTPResponse.Status
    var title: String
    var detail: String?
    var errors: [Components.Schemas.FieldError] = []
    var headers: HTTPFields = [:]
    /// Why, for the operator's log (never sent): set where the client's detail must stay general.
    var logReason: String? = nil

    static func validation(_ issues: [ValidationIssue], detail: String? = nil) -> Problem {
        Problem(
            type: .validation,
            status: .unprocessableContent,
            title: "The request is invalid",
            detail: detail ?? "\(issues.count) problem\(issues.count == 1 ? "" : "s") found; see errors.",
            errors: issues.map { .init(pointer: $0.pointer, detail: $0.message) }
        )
    }

    static func invalidParameter(_ name: String, _ message: String) -> Problem {
        Problem(
            type: .validation,
            status: .unprocessableContent,
            title: "The request is invalid",
            detail: "Query parameter '\(name)': \(message)",
            errors: [.init(parameter: name, detail: message)]
        )
    }

    static func badParameter(_ name: String, _ message: String) -> Problem {
        Problem(
            type: .malformedRequest,
            status: .badRequest,
            title: "Malformed request",
            detail: "Query parameter '\(name)': \(message)",
            errors: [.init(parameter: name, detail: message)]
        )
    }

    static func agreementNotFound(_ id: String) -> Problem {
        Problem(type: .notFound, status: .notFound, title: "Not found", detail: "No agreement has the id '\(id.prefix(64))'.")
    }

    static func unauthorized(_ detail: String) -> Problem {
        Problem(
            type: .unauthorized,
            status: .unauthorized,
            title: "Unauthorized",
            detail: detail,
            headers: [.wwwAuthenticate: "Bearer realm=\"pacta\""]
        )
    }

    static func preconditionFailed(_ id: String) -> Problem {
        Problem(
            type: .preconditionFailed,
            status: .preconditionFailed,
            title: "Precondition failed",
            detail: "Agreement '\(id)' has changed since the ETag given in If-Match; fetch it again and retry."
        )
    }

    static func tooManyEvents(limit: Int, recorded: Int?) -> Problem {
        Problem(
            type: .validation,
            status: .unprocessableContent,
            title: "The request is invalid",
            detail: "An agreement holds at most \(limit) events"
                + (recorded.map { "; it has \($0), so this append would go over" } ?? "") + ".",
            errors: [.init(pointer: "/events", detail: "at most \(limit) events per agreement")]
        )
    }

    /// The problem+json response, with `headers` added.
    func response() -> Response {
        var fields = headers
        fields[.contentType] = Self.contentType
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body())))
    }

    static let contentType = "application/problem+json"

    /// The problem+json document: the one renderer, for responses from routes and from the connection layer
    /// (``ConnectionGuardHandler``), which answers before any route runs.
    func body() -> Data {
        let document = Components.Schemas.Problem(
            _type: type.rawValue,
            title: title,
            status: Int(status.code),
            detail: detail,
            errors: errors.isEmpty ? nil : errors
        )
        return (try? Self.encoder.encode(document)) ?? Data("{}".utf8)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}

/// A problem that escapes every middleware still reaches the client as problem+json: Hummingbird renders errors
/// that generate their own response.
extension Problem: HTTPResponseError {
    func response(from request: Request, context: some RequestContext) throws -> Response { response() }
}

extension Problem {
    /// Heavy work that was not done: the server is protecting its other requests, so the client should retry.
    init(_ refusal: ComputeRefusal) {
        switch refusal {
        case .busy:
            self = Problem(
                type: .busy,
                status: .serviceUnavailable,
                title: "Busy",
                detail: "Every worker for heavy answers is taken; retry in a few seconds.",
                headers: [.retryAfter: "2"]
            )
        case .budgetExceeded(let seconds):
            self = Problem(
                type: .busy,
                status: .serviceUnavailable,
                title: "Busy",
                detail:
                    "The answer took longer than this request's budget of \(seconds) s. Retry: a shared answer (lists, deadlines, summary, feeds) goes on being computed and is then ready; or ask for a narrower window.",
                headers: [.retryAfter: "5"]
            )
        case .shuttingDown:
            self = Problem(
                type: .busy,
                status: .serviceUnavailable,
                title: "Shutting down",
                detail: "This server is shutting down; retry in a few seconds (on another instance, or on this one once it is back).",
                headers: [.retryAfter: "5"]
            )
        }
    }

    /// The problem a client sees for a storage error: the one place where those map to HTTP.
    init(_ error: StoreError) {
        switch error {
        case .notFound(let id):
            self = .agreementNotFound(id)
        case .alreadyExists(let id):
            self = Problem(
                type: .conflict,
                status: .conflict,
                title: "Conflict",
                detail: "An agreement with the id '\(id)' exists; replace it with PUT /v1/agreements/\(id)."
            )
        case .versionMismatch(let id, _):
            self = .preconditionFailed(id)
        case .recordedEventChanged(_, let issue):
            self = .validation([issue])
        case .invalid(let issues):
            self = .validation(issues)
        case .unavailable(let reason):
            // The reason is for the operator's log (ProblemMiddleware), not for the client.
            self = Problem(
                type: .unavailable,
                status: .serviceUnavailable,
                title: "Service unavailable",
                detail: "The database cannot take writes now; nothing was written. Retry later.",
                headers: [.retryAfter: "30"],
                logReason: reason
            )
        }
    }
}
