import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import PactaAPI

/// Guards each HTTP/1 connection below the router, where middleware cannot reach:
///
/// - **Request deadline.** A request's head and whole body must arrive within `timeout`. Hummingbird's idle
///   timeout cuts a client that trickles header bytes (no HTTP part is decoded meanwhile), but every body
///   chunk counts as activity, so a client sending one byte a second would hold the connection for ever.
///   When the deadline passes, the client gets `408` (unless a response has begun) and the connection closes.
/// - **Unparseable requests.** NIO's decoder rejects oversized headers and malformed requests; Hummingbird
///   then answers an empty `400`. This handler answers first with a problem document instead: `431` for
///   headers over the limit, `400` for anything else, and closes the connection.
///
/// One instance per connection, confined to its event loop.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?
    /// A response head has been written and its end not yet: nothing else may be written now.
    private var responding = false
    private var closing = false

    init(requestTimeout: TimeAmount) {
        self.timeout = requestTimeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            startDeadline(context)
        case .end:
            cancelDeadline()
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head: responding = true
        case .end: responding = false
        case .body: break
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        switch error {
        case .headerOverflow:
            respondAndClose(
                context,
                status: .init(code: 431, reasonPhrase: "Request Header Fields Too Large"),
                type: .headersTooLarge,
                title: "Request header fields too large",
                detail: "The request's header fields are over the server's limit."
            )
        default:
            respondAndClose(
                context,
                status: .badRequest,
                type: .malformedRequest,
                title: "Malformed request",
                detail: "The request is not valid HTTP/1.1."
            )
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelDeadline()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelDeadline()
    }

    private func startDeadline(_ context: ChannelHandlerContext) {
        cancelDeadline()
        let seconds = timeout.nanoseconds / 1_000_000_000
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            self.deadline = nil
            self.respondAndClose(
                context,
                status: .requestTimeout,
                type: .requestTimeout,
                title: "Request timeout",
                detail: "The request was not received completely within \(seconds) seconds."
            )
        }
    }

    private func cancelDeadline() {
        deadline?.cancel()
        deadline = nil
    }

    private func respondAndClose(
        _ context: ChannelHandlerContext,
        status: HTTPResponse.Status,
        type: ProblemType,
        title: String,
        detail: String
    ) {
        guard !closing else { return }
        closing = true
        cancelDeadline()
        if !responding {
            let body = Problem(type: type, status: status, title: title, detail: detail).body()
            let head = HTTPResponse(
                status: status,
                headerFields: [
                    .contentType: Problem.contentType, .contentLength: String(body.count), .connection: "close",
                ]
            )
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        context.close(promise: nil)
    }
}
