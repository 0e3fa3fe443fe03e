import Foundation
import NIOSSL

/// The CA certificates that webhook deliveries trust besides the system's (`PACTA_WEBHOOKS_CA_FILE`): for receivers
/// whose certificates a private CA issued. They are added to the system's trust roots, never in place of them, and
/// certificate verification (chain and host name) is never turned off.
public struct WebhookTrust: Sendable {
    /// The file they were read from, for the startup log; `nil` when only the system's roots are trusted.
    public var file: String?
    public var extraRoots: [NIOSSLCertificate] = []

    public init() {}

    /// Reads every PEM certificate of `path`. Throws a reason in words (no such file, unreadable, no certificate in it).
    public init(file path: String) throws(WebhookTrustError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw WebhookTrustError(reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw WebhookTrustError(reason: "it is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WebhookTrustError(reason: "it cannot be read")
        }
        // BoringSSL reads the CERTIFICATE blocks and skips others; none, or a damaged one, is an error.
        guard let certificates = try? NIOSSLCertificate.fromPEMBytes(Array(data)), !certificates.isEmpty else {
            throw WebhookTrustError(reason: "no PEM certificate could be read from it")
        }
        file = path
        extraRoots = certificates
    }

    /// The HTTP client's TLS configuration: `nil` (async-http-client's default: the system's roots, full
    /// verification) when nothing extra is trusted; otherwise that default with the extra roots added.
    var tlsConfiguration: TLSConfiguration? {
        guard !extraRoots.isEmpty else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.additionalTrustRoots = [.certificates(extraRoots)]
        return tls
    }
}

/// Why a CA file cannot be used, in words for the one-line startup error.
public struct WebhookTrustError: Error, Equatable {
    public let reason: String
}
