import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// Sends signed webhook requests with the outbound rules: the URL's host is resolved and checked
/// (``WebhookAddressPolicy``) and the connection goes to the checked address; redirects are not followed; connect
/// and total timeouts; at most ``maxResponseBytes`` of an answer are read, the rest ignored.
struct WebhookSender: Sendable {
    var policy: WebhookAddressPolicy
    var connectTimeout: Duration
    var totalTimeout: Duration
    /// CA certificates trusted besides the system's, for HTTPS receivers.
    var trust = WebhookTrust()
    var maxResponseBytes = 16 * 1_024
    var userAgent = "Pacta-Webhooks/1"

    /// What an attempt came to: the receiver's status, or the class of error that kept it from answering.
    struct Outcome: Sendable, Equatable {
        var statusCode: Int?
        var error: String?
        var durationMs: Int

        var isSuccess: Bool { statusCode.map { (200..<300).contains($0) } ?? false }
    }

    /// One receiver's connection state for a run of deliveries: the host is resolved and checked once, and one HTTP
    /// client (whose DNS override pins the checked address) carries every request of the run.
    final class Session: Sendable {
        let sender: WebhookSender
        let url: String
        private let client: Client

        private enum Client: Sendable {
            case ready(HTTPClient)
            case refused(String)
        }

        static func open(_ sender: WebhookSender, url: String) async -> Session {
            do {
                let target = try sender.policy.checkWithoutResolving(url)
                let address = try await sender.policy.resolve(target)
                var configuration = HTTPClient.Configuration(
                    redirectConfiguration: .disallow,
                    timeout: .init(connect: TimeAmount(sender.connectTimeout), read: TimeAmount(sender.totalTimeout)),
                    decompression: .disabled
                )
                // Connect to the address that was checked, not to whatever a second lookup answers (DNS rebinding);
                // TLS still verifies the certificate for the host name.
                if address != target.host { configuration.dnsOverride = [target.host: address] }
                configuration.connectionPool = .init(idleTimeout: .seconds(30))
                if let tls = sender.trust.tlsConfiguration { configuration.tlsConfiguration = tls }
                let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
                return Session(sender: sender, url: url, client: .ready(client))
            } catch {
                let reason: String
                switch error {
                case .invalidURL: reason = "invalidURL"
                case .refusedAddress: reason = "refusedAddress"
                case .unresolvable: reason = "unresolvable"
                }
                return Session(sender: sender, url: url, client: .refused(reason))
            }
        }

        private init(sender: WebhookSender, url: String, client: Client) {
            self.sender = sender
            self.url = url
            self.client = client
        }

        func close() async {
            if case .ready(let client) = client { try? await client.shutdown() }
        }

        /// POSTs one signed message.
        func post(id: String, timestamp: Int64, body: [UInt8], secret: String) async -> Outcome {
            let started = ContinuousClock.now
            func finish(_ statusCode: Int?, _ error: String?) -> Outcome {
                let elapsed = ContinuousClock.now - started
                return Outcome(statusCode: statusCode, error: error, durationMs: Int(WebhookRetrySchedule.milliseconds(elapsed)))
            }
            guard case .ready(let client) = client else {
                if case .refused(let reason) = client { return finish(nil, reason) }
                return finish(nil, "transport")
            }
            guard let signature = WebhookSignature.sign(secret: secret, id: id, timestamp: timestamp, body: body) else {
                // Never sent unsigned.
                return finish(nil, "badSecret")
            }
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/json")
            request.headers.add(name: "user-agent", value: sender.userAgent)
            request.headers.add(name: "webhook-id", value: id)
            request.headers.add(name: "webhook-timestamp", value: String(timestamp))
            request.headers.add(name: "webhook-signature", value: signature)
            request.body = .bytes(ByteBuffer(bytes: body))
            do {
                let response = try await client.execute(request, timeout: TimeAmount(sender.totalTimeout))
                // The answer's body means nothing to us: read a little so the receiver is not stuck writing, then stop.
                var read = 0
                for try await chunk in response.body {
                    read += chunk.readableBytes
                    if read >= sender.maxResponseBytes { break }
                }
                return finish(Int(response.status.code), nil)
            } catch {
                return finish(nil, Self.errorClass(error))
            }
        }

        /// A class of error, never its message (which could quote the receiver).
        static func errorClass(_ error: any Error) -> String {
            if let error = error as? HTTPClientError {
                switch error {
                case .connectTimeout: return "connectTimeout"
                case .deadlineExceeded, .readTimeout, .writeTimeout: return "timeout"
                case .remoteConnectionClosed: return "connectionClosed"
                case .cancelled: return "cancelled"
                default: return "http"
                }
            }
            if error is CancellationError { return "cancelled" }
            // An untrusted or mismatched certificate, or a failed handshake (recorded, and retried like any failure).
            if error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError { return "tls" }
            let name = String(describing: type(of: error))
            if name.contains("TLS") || name.contains("SSL") || name.contains("Certificate") { return "tls" }
            if name.contains("Connect") || error is IOError { return "connect" }
            return "transport"
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
