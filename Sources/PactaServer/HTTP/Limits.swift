import PactaCore

/// Request limits, each answered with a clear problem when exceeded.
public struct Limits: Sendable {
    /// Largest request body accepted, in bytes (413 beyond).
    public var maxBodyBytes: Int = 1 << 20
    /// The `limit` parameter's default and maximum, as openapi.yaml declares them.
    public var defaultPageSize: Int = SpecContract.pageSize.default
    public var maxPageSize: Int = SpecContract.pageSize.maximum
    public var maxEventsPerRequest: Int = 100
    /// Most events one agreement may hold (422 beyond). Bounds every per-agreement computation; the bundled
    /// dataset's largest record holds 11, and a treaty with every state's signature and consent some 400.
    public var maxEventsPerAgreement: Int = 2_000
    /// Most events in one calendar feed (422 beyond, asking for a narrower window): a feed of 13,209 events measured
    /// 10.1 MB (BENCHMARKS.md), so this bounds one to about 8 MB.
    public var maxFeedItems: Int = 10_000
    /// Largest size of all header fields together, and of any one (431 beyond).
    public var maxHeaderBytes: Int = 16 * 1024
    /// Most header fields in one request (431 beyond).
    public var maxHeaderFields: Int = 100
    /// Nesting depth and string length of JSON bodies (422 beyond); duplicate members are rejected too.
    public var json = JSONShapeLimits()

    public init() {}

    /// The page size a `limit` parameter asks for: the default when absent, 422 outside the declared minimum
    /// (1)…``maxPageSize``.
    func pageSize(_ limit: Int?) throws -> Int {
        let size = limit ?? defaultPageSize
        let minimum = SpecContract.pageSize.minimum
        guard (minimum...max(minimum, maxPageSize)).contains(size) else {
            throw Problem.invalidParameter("limit", "must be between \(minimum) and \(maxPageSize)")
        }
        return size
    }
}
