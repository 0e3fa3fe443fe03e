/// The stable `type` URIs of Pacta's RFC 9457 problem documents, one per kind of problem.
public enum ProblemType: String, Sendable, CaseIterable {
    case malformedRequest = "urn:pacta:problem:malformed-request"
    case validation = "urn:pacta:problem:validation"
    case unauthorized = "urn:pacta:problem:unauthorized"
    case forbidden = "urn:pacta:problem:forbidden"
    case notFound = "urn:pacta:problem:not-found"
    case methodNotAllowed = "urn:pacta:problem:method-not-allowed"
    case conflict = "urn:pacta:problem:conflict"
    case preconditionFailed = "urn:pacta:problem:precondition-failed"
    case tooLarge = "urn:pacta:problem:too-large"
    case headersTooLarge = "urn:pacta:problem:headers-too-large"
    case unsupportedMediaType = "urn:pacta:problem:unsupported-media-type"
    case notAcceptable = "urn:pacta:problem:not-acceptable"
    case notReady = "urn:pacta:problem:not-ready"
    case requestTimeout = "urn:pacta:problem:request-timeout"
    case internalError = "urn:pacta:problem:internal"
}
