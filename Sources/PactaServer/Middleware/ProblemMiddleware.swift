import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OpenAPIRuntime
import PactaAPI
import PactaStore

/// Turns every error that escapes a route into an RFC 9457 problem+json response (and a handler's
/// ``NotModified`` into its 304).
///
/// Errors thrown inside generated OpenAPI handlers arrive wrapped in OpenAPIRuntime's `ServerError`; this
/// is the one place that unwraps them. Client mistakes become 4xx with the offending field; anything else
/// is logged with the request id and answered with a 500 that reveals nothing of the internals.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch {
            if let notModified = ((error as? ServerError)?.underlyingError ?? error) as? NotModified {
                return notModified.response()
            }
            let problem = ErrorMapping.problem(for: error, method: request.method)
            if let reason = problem.logReason {
                context.logger.warning(
                    "\(problem.title)",
                    metadata: ["reason": "\(reason)", "path": "\(request.uri.path.prefix(256))"]
                )
            } else if problem.type == .busy {
                // A refusal is the server protecting its other requests, or stopping: expected under load and at
                // every shutdown, and counted by the request log's status. An error line each would bury real ones.
                context.logger.debug("\(problem.title)", metadata: ["path": "\(request.uri.path.prefix(256))"])
            } else if problem.status.code >= 500 {
                context.logger.error(
                    "Request failed",
                    metadata: ["error": "\(ErrorMapping.loggable(error))", "path": "\(request.uri.path.prefix(256))"]
                )
            }
            return problem.response()
        }
    }
}

/// The one place where errors become problems.
enum ErrorMapping {
    /// `method` says whether the request had a body, so a decoding failure is blamed on the body or a parameter.
    static func problem(for error: any Error, method: HTTPRequest.Method) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let error as StoreError:
            return Problem(error)
        case let error as DecodingError:
            return problem(for: error)
        case let error as ComputeRefusal:
            return Problem(error)
        case let error as ServerError:
            // A handler's own error is the underlying one.
            if error.underlyingError is Problem || error.underlyingError is StoreError
                || error.underlyingError is ComputeRefusal
            {
                return problem(for: error.underlyingError, method: method)
            }
            if error.operationInput == nil {
                // The request could not be turned into the operation's input: always the client's doing. Without
                // a body (GET, HEAD, DELETE) it was a parameter, never "the body".
                let hasBody = method == .post || method == .put || method == .patch
                if let decoding = error.underlyingError as? DecodingError {
                    return hasBody ? problem(for: decoding) : parameterProblem(decoding)
                }
                if error.httpStatus.code >= 500 {
                    return Problem(
                        type: .malformedRequest,
                        status: .badRequest,
                        title: "Malformed request",
                        detail: hasBody
                            ? "The request could not be read: check its parameters and body."
                            : "The request's parameters could not be read."
                    )
                }
            }
            guard error.httpStatus.code < 500 else { return internalError }
            return Problem(
                type: type(for: error.httpStatus),
                status: error.httpStatus,
                title: error.httpStatus.reasonPhrase,
                detail: error.causeDescription
            )
        case let error as HTTPError:
            guard error.status.code < 500 else { return internalError }
            return Problem(
                type: type(for: error.status),
                status: error.status,
                title: error.status.reasonPhrase,
                detail: error.body ?? defaultDetail(for: error.status),
                headers: error.headers
            )
        default:
            return internalError
        }
    }

    /// What may be logged of an error: its kind and Pacta's own descriptions, never OpenAPIRuntime's description of
    /// a request (which holds every header, `Authorization` and `Cookie` included) nor decoded input.
    static func loggable(_ error: any Error) -> String {
        switch error {
        case let error as ServerError:
            return "operation \(error.operationID): \(loggable(error.underlyingError))"
        case let error as StoreError:
            return "StoreError.\(error)"
        case let error as ComputeRefusal:
            return "ComputeRefusal.\(error)"
        case let error as Problem:
            return "Problem \(error.type.rawValue)"
        default:
            return String(reflecting: Swift.type(of: error))
        }
    }

    /// A query, path or header parameter that could not be decoded, named when the decoder says which.
    static func parameterProblem(_ error: DecodingError) -> Problem {
        let context: DecodingError.Context?
        switch error {
        case .dataCorrupted(let c), .keyNotFound(_, let c), .valueNotFound(_, let c), .typeMismatch(_, let c): context = c
        @unknown default: context = nil
        }
        let name = context?.codingPath.first.map(\.stringValue).map { String($0.prefix(64)) }
        guard let name, !name.isEmpty else {
            return Problem(
                type: .malformedRequest,
                status: .badRequest,
                title: "Malformed request",
                detail: "A query or header parameter could not be read."
            )
        }
        return Problem.badParameter(name, "could not be read as the type the contract declares")
    }

    static let internalError = Problem(
        type: .internalError,
        status: .internalServerError,
        title: "Internal server error",
        detail: "The server could not complete the request; it has been logged."
    )

    static func problem(for error: DecodingError) -> Problem {
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return Problem(
                type: .malformedRequest,
                status: .badRequest,
                title: "Malformed request",
                detail: "The body is not valid JSON."
            )
        case .dataCorrupted(let context):
            return field(context.codingPath, context.debugDescription)
        case .keyNotFound(let key, let context):
            return field(context.codingPath + [key], "is required")
        case .valueNotFound(_, let context):
            return field(context.codingPath, "must not be null")
        case .typeMismatch(let type, let context):
            return field(context.codingPath, "must be \(jsonTypeName(type))")
        @unknown default:
            return Problem(type: .malformedRequest, status: .badRequest, title: "Malformed request", detail: nil)
        }
    }

    private static func field(_ path: [any CodingKey], _ message: String) -> Problem {
        let pointer = path.map { key in
            key.intValue.map(String.init)
                ?? key.stringValue.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
        }.map { "/" + $0 }.joined()
        return Problem(
            type: .validation,
            status: .unprocessableContent,
            title: "The request is invalid",
            detail: "\(pointer.isEmpty ? "The body" : pointer) \(message)",
            errors: [.init(pointer: pointer, detail: message)]
        )
    }

    private static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int64.Type, is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        default:
            let name = String(describing: type)
            return name.hasPrefix("Array") ? "an array" : (name.hasPrefix("Dictionary") ? "an object" : "of the right type (\(name))")
        }
    }

    private static func type(for status: HTTPResponse.Status) -> ProblemType {
        switch status.code {
        case 401: return .unauthorized
        case 403: return .forbidden
        case 404: return .notFound
        case 405: return .methodNotAllowed
        case 406: return .notAcceptable
        case 408: return .requestTimeout
        case 409: return .conflict
        case 412: return .preconditionFailed
        case 413: return .tooLarge
        case 415: return .unsupportedMediaType
        case 422: return .validation
        case 428: return .preconditionRequired
        case 503: return .unavailable
        default: return .malformedRequest
        }
    }

    private static func defaultDetail(for status: HTTPResponse.Status) -> String? {
        switch status.code {
        case 404: return "No resource at this path."
        case 405: return "This path does not support that method."
        case 413: return "The request body is over the limit."
        default: return nil
        }
    }
}
