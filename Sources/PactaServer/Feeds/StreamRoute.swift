import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PactaStore
import ServiceLifecycle

/// `GET /v1/stream`: the event log as server-sent events, answered by Hummingbird directly rather than through the
/// OpenAPI runtime (the operation `streamFeedEvents` in openapi.yaml describes it).
///
/// The runtime writes a streamed body from inside the connection's own task, so a write waiting on a client that
/// reads too slowly could only be ended by that client. Here the stream is written by a task of its own, which the
/// hub cancels when it drops the client (``FeedStreamHub``) and which graceful shutdown ends: a slow or stuck client
/// never holds more than its bounded buffer, and never holds up a shutdown.
enum StreamRoute {
    static let path = "/v1/stream"
    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    static func register(on router: Router<some RequestContext>, hub: FeedStreamHub) {
        router.get("/v1/stream") { request, _ -> Response in
            let types = try parseTypes(request.uri.queryParameters.getAll("types"))
            let resumeAfter = try parseLastEventID(request.headers[lastEventID])
            let headers: HTTPFields = [
                .contentType: "text/event-stream; charset=utf-8",
                .cacheControl: "no-store",
                // nginx and other proxies: pass each event on at once.
                HTTPField.Name("X-Accel-Buffering")!: "no",
            ]
            if request.method == .head { return Response(status: .ok, headers: headers) }
            guard let registration = hub.register(types: types) else {
                throw Problem(
                    type: .busy,
                    status: .serviceUnavailable,
                    title: "Too many stream clients",
                    detail: "This server streams to \(hub.settings.maxClients) clients at most; retry in a few seconds.",
                    headers: [.retryAfter: "5"]
                )
            }
            let (client, from) = registration
            return Response(
                status: .ok,
                headers: headers,
                body: ResponseBody { writer in
                    let output = StreamOutput(writer)
                    let pump = Task { try await hub.pump(client, from: from, resumeAfter: resumeAfter, into: output) }
                    client.onEnd { pump.cancel() }
                    let outcome = await withGracefulShutdownHandler {
                        await withTaskCancellationHandler {
                            await pump.result
                        } onCancel: {
                            client.end(.disconnected)
                            pump.cancel()
                        }
                    } onGracefulShutdown: {
                        client.end(.shutdown)
                    }
                    hub.unregister(client)
                    client.end(.disconnected)
                    writer = output.writer
                    // A client dropped for falling behind gets no clean end: its connection is closed, which tells
                    // it to reconnect (with Last-Event-ID). A write that failed means the client went away.
                    try outcome.get()
                    try await writer.finish(nil)
                }
            )
        }
    }

    /// `types=a,b` (or `types` repeated): the event types wanted; `nil` (every type) when absent.
    static func parseTypes(_ values: [String]) throws -> Set<String>? {
        let names = values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard !names.isEmpty else { return nil }
        let known = Set(FeedEventType.allCases.map(\.rawValue))
        if let unknown = names.first(where: { !known.contains($0) }) {
            throw Problem.badParameter(
                "types",
                "'\(unknown.prefix(64))' is not an event type; use \(FeedEventType.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        return Set(names)
    }

    /// The `Last-Event-ID` header: the sequence of the last event the client has.
    static func parseLastEventID(_ value: String?) throws -> Int64? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        guard let sequence = Int64(value), sequence >= 0 else {
            throw Problem(
                type: .malformedRequest,
                status: .badRequest,
                title: "Malformed request",
                detail: "Last-Event-ID must be the id of an event this stream sent (a whole number)."
            )
        }
        return sequence
    }
}
