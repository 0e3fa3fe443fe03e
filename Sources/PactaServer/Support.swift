import Foundation
import PactaCore

/// Request limits, each answered with a clear problem when exceeded.
public struct Limits: Sendable {
    /// Largest request body accepted, in bytes (413 beyond).
    public var maxBodyBytes: Int = 1 << 20
    public var defaultPageSize: Int = 50
    public var maxPageSize: Int = 500
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

    /// The page size a `limit` parameter asks for: the default when absent, 422 outside 1…``maxPageSize``.
    func pageSize(_ limit: Int?) throws -> Int {
        let size = limit ?? defaultPageSize
        guard (1...maxPageSize).contains(size) else {
            throw Problem.invalidParameter("limit", "must be between 1 and \(maxPageSize)")
        }
        return size
    }
}

/// Opaque pagination cursors: the id after which the next page starts, base64url-encoded.
enum PageCursor {
    static func encode(after id: String) -> String {
        Data("a:\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ cursor: String) -> String? {
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
            text.hasPrefix("a:")
        else { return nil }
        let id = String(text.dropFirst(2))
        return AgreementValidator.isValidIdentifier(id) ? id : nil
    }
}

/// Builds strong ETags from the parts a representation depends on (FNV-1a, 64-bit: stable across runs).
struct ETagHasher {
    private var state: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func combine(_ text: String) {
        for byte in text.utf8 {
            state ^= UInt64(byte)
            state = state &* 0x0000_0100_0000_01b3
        }
        state ^= 0xff
        state = state &* 0x0000_0100_0000_01b3
    }

    var etag: String { "\"" + String(state, radix: 16) + "\"" }

    /// A tag for a representation derived from a stored one (e.g. the status on a date).
    static func derived(from etag: String, qualifier: String) -> String {
        var hasher = ETagHasher()
        hasher.combine(etag)
        hasher.combine(qualifier)
        return hasher.etag
    }
}

extension CalendarDate {
    /// Today's civil date in UTC, read from the system clock. Only the server's edge calls this; the
    /// engine is always given its `asOf`.
    ///
    /// The clock's instant becomes a day by counting whole days since 1970-01-01T00:00:00Z (the inverse of
    /// ``CalendarDate/unixMidnightUTC``; POSIX time has no leap seconds), so no `Calendar` or time zone is built:
    /// the response cache asks for today on every read.
    public static func todayUTC() -> CalendarDate {
        let days = Int((Date().timeIntervalSince1970 / 86_400).rounded(.down))
        return (try? CalendarDate(dayNumber: days)) ?? .minimum
    }
}
