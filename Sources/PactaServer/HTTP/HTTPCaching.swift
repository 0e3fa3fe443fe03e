import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PactaStore

/// Gives every successful GET an `ETag` and answers `If-None-Match` with `304 Not Modified`.
///
/// Handlers that know a cheaper tag (from the stored agreement's revision) set it themselves and usually answer
/// the 304 before doing any work; for the rest (`/metrics`, `/healthz`, `/openapi.yaml`, …) this middleware
/// hashes the body. Bodies of those routes are small and finite, so collecting them costs little.
struct ETagMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var response = try await next(request, context)
        // OpenAPIRuntime writes header values in URI "simple" style, so a generated handler's `"tag"` arrives as
        // `%22tag%22`; an entity tag must carry its quotes (RFC 9110 §8.8.3). Fixed for every method, so the tag a
        // write returns equals the one a later read returns.
        if let raw = response.headers[.eTag], raw.contains("%"), let decoded = raw.removingPercentEncoding {
            response.headers[.eTag] = decoded
        }
        guard request.method == .get || request.method == .head, response.status == .ok else { return response }
        let etag: String
        if let existing = response.headers[.eTag] {
            etag = existing
        } else {
            let collected = try await Self.collect(response.body)
            etag = Self.tag(for: collected.readableBytesView)
            response.headers[.eTag] = etag
            response.body = ResponseBody(byteBuffer: collected)
        }
        if let header = request.headers[.ifNoneMatch], EntityTag.noneMatchHits(header, current: etag) {
            var headers: HTTPFields = [.eTag: etag]
            for name in [HTTPField.Name.cacheControl, .vary, .contentLocation, .expires] {
                if let value = response.headers[name] { headers[name] = value }
            }
            return Response(status: .notModified, headers: headers)
        }
        return response
    }

    /// A strong tag for a body: its FNV-1a 64-bit hash and its length.
    static func tag(for bytes: some Collection<UInt8>) -> String {
        var state: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            state ^= UInt64(byte)
            state = state &* 0x0000_0100_0000_01b3
        }
        return "\"" + String(state, radix: 16) + "-" + String(bytes.count, radix: 16) + "\""
    }

    /// The bytes a response body writes.
    static func collect(_ body: ResponseBody) async throws -> ByteBuffer {
        let sink = Sink()
        try await body.write(CollectingWriter(sink: sink))
        return sink.buffer
    }

    /// Holds the bytes while the writer, which the body consumes, fills it. Used by one task at a time.
    private final class Sink {
        var buffer = ByteBuffer()
    }

    private struct CollectingWriter: ResponseBodyWriter {
        let sink: Sink

        mutating func write(_ buffer: ByteBuffer) async throws {
            var buffer = buffer
            sink.buffer.writeBuffer(&buffer)
        }

        mutating func write(contentsOf buffers: some Sequence<ByteBuffer>) async throws {
            for buffer in buffers { try await write(buffer) }
        }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}

/// Entity tags (RFC 9110 §8.8.3): the store's versions, quoted, and the two conditional headers.
enum EntityTag {
    /// The strong tag of a stored agreement's version.
    static func of(version: String) -> String { "\"" + version + "\"" }

    /// What an `If-Match` header (RFC 9110 §13.1.1) lets a write replace: `*` any current version, otherwise one of
    /// the listed strong tags. A weak tag (`W/"…"`) never matches: If-Match uses the strong comparison.
    static func expectedVersion(ifMatch header: String) -> ExpectedVersion {
        var versions: Set<String> = []
        for candidate in header.split(separator: ",") {
            let tag = candidate.trimmingCharacters(in: .whitespaces)
            if tag == "*" { return .any }
            if tag.count >= 2, tag.hasPrefix("\""), tag.hasSuffix("\"") { versions.insert(String(tag.dropFirst().dropLast())) }
        }
        return .oneOf(versions)
    }

    /// `If-None-Match` comparison, which uses weak comparison: `W/"x"` matches `"x"`.
    static func noneMatchHits(_ header: String, current: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            var tag = candidate.trimmingCharacters(in: .whitespaces)
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            return tag == "*" || tag == current
        }
    }
}

extension StoredAgreement {
    /// The `ETag` of the agreement's document.
    var etag: String { EntityTag.of(version: version) }
}
