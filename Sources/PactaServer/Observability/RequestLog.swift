import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PactaStore

/// The id of the request being served, for audit records; set by ``RequestLogMiddleware``.
public enum RequestID {
    @TaskLocal public static var current: String?

    static let headerName = HTTPField.Name("X-Request-Id")!
    /// Where Hummingbird keeps the id it gives each request (``RequestContext/id`` reads it back).
    static let logKey = "hb.request.id"

    /// An incoming id is reused when it is 1–128 characters of letters, digits and `-_.:`; anything else is
    /// replaced, so a log line or audit record never carries arbitrary client text.
    static func isValid(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 128
            && id.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
            }
    }
}

extension AuditContext {
    /// The caller's token name and request id, as set by the middleware for the request being served.
    static var current: AuditContext { AuditContext(actor: Caller.tokenName, requestId: RequestID.current) }
}

/// The outermost middleware: gives every request one id, echoes it in `X-Request-Id`, and logs one line per
/// request with the method, path (without the query), status and duration.
///
/// The id is Hummingbird's own (``RequestContext/id``, in every log line of the request as `hb.request.id`), or a
/// valid incoming `X-Request-Id`, which then replaces it in the logger, so a request never has two ids.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        let started = ContinuousClock.now
        var context = context
        if let incoming = request.headers[RequestID.headerName], RequestID.isValid(incoming) {
            context.logger[metadataKey: RequestID.logKey] = .string(incoming)
        }
        let id = context.id
        let logger = context.logger
        do {
            var response = try await RequestID.$current.withValue(id) { try await next(request, context) }
            response.headers[RequestID.headerName] = id
            log(logger, request, status: Int(response.status.code), since: started)
            return response
        } catch {
            // Only reached when an error escapes ProblemMiddleware; the server then answers with its own status.
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            log(logger, request, status: Int(status), since: started)
            throw error
        }
    }

    private func log(_ logger: Logger, _ request: Request, status: Int, since started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        // Hundredths of a millisecond, printed as "12.34" without `String(format:)` (slow on Linux).
        let hundredths = elapsed.components.seconds * 100_000 + elapsed.components.attoseconds / 10_000_000_000_000
        let fraction = hundredths % 100
        logger.info(
            "request",
            metadata: [
                "method": .string(request.method.rawValue),
                "path": .string(String(request.uri.path.prefix(256))),
                "status": .stringConvertible(status),
                "duration_ms": .string("\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"),
            ]
        )
    }
}
