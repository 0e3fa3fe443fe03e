import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PactaStore

/// Gives every successful GET an `ETag` and answers `If-None-Match` with `304 Not Modified`.
///
/// Handlers that know a cheaper tag (from the stored agreement's version) answer the 304 themselves before doing
/// any work (``NotModified/check(_:current:)``); for the rest (`/metrics`, `/healthz`, `/openapi.yaml`, …) this
/// middleware hashes the body. Bodies of those routes are small and finite, so collecting them costs little.
struct ETagMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        var response = try await next(request, context)
        guard request.method == .get || request.method == .head, response.status == .ok else { return response }
        // A stream never ends, so its body cannot be collected and hashed; it has no entity to tag.
        if response.headers[.contentType]?.hasPrefix("text/event-stream") == true { return response }
        let etag: String
        if let existing = response.headers[.eTag] {
            etag = existing
        } else {
            let collected = try await Self.collect(response.body)
            etag = ETagHasher.tag(ofBody: collected.readableBytesView)
            response.headers[.eTag] = etag
            response.body = ResponseBody(byteBuffer: collected)
        }
        if let header = request.headers[.ifNoneMatch], EntityTag.noneMatchHits(header, current: etag) {
            return NotModified(etag: etag).response(keeping: response.headers)
        }
        return response
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

/// A conditional GET whose representation has not changed: thrown by a handler as soon as it knows the tag, before
/// it does any work, and answered as `304 Not Modified` by ``ProblemMiddleware`` (RFC 9110 §15.4.5). One helper
/// for every route, so none answers 304 on its own terms.
struct NotModified: Error, Sendable {
    let etag: String

    /// Throws when `ifNoneMatch` names `current` (or `*`).
    static func check(_ ifNoneMatch: String?, current: String) throws {
        if let ifNoneMatch, EntityTag.noneMatchHits(ifNoneMatch, current: current) { throw NotModified(etag: current) }
    }

    /// The 304: the tag, and those of `headers` a 200 would have carried that a cache needs (RFC 9110 §15.4.5).
    func response(keeping headers: HTTPFields = [:]) -> Response {
        var fields: HTTPFields = [.eTag: etag]
        for name in [HTTPField.Name.cacheControl, .vary, .contentLocation, .expires] {
            if let value = headers[name] { fields[name] = value }
        }
        return Response(status: .notModified, headers: fields)
    }
}

extension StoredAgreement {
    /// The `ETag` of the agreement's document.
    var etag: String { EntityTag.of(version: version) }
}
