import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a webhook may be sent: http(s) URLs whose host resolves only to public addresses, unless private ones are
/// allowed (`PACTA_WEBHOOKS_ALLOW_PRIVATE`, for tests and private networks). Without it, a token holder could make
/// the server probe its own network (SSRF): loopback, link-local (cloud metadata at 169.254.169.254), private,
/// shared, unspecified, multicast and reserved ranges are refused.
public struct WebhookAddressPolicy: Sendable {
    public var allowPrivate: Bool

    public init(allowPrivate: Bool) {
        self.allowPrivate = allowPrivate
    }

    /// A webhook URL taken apart.
    public struct Target: Sendable, Hashable {
        public let url: String
        public let scheme: String
        /// Without brackets for an IPv6 literal.
        public let host: String
        public let port: Int
    }

    public enum Refusal: Error, Equatable, Sendable {
        /// Not an absolute http(s) URL with a host (or it carries credentials, or is over 2,048 bytes).
        case invalidURL(String)
        /// The host is or resolves to an address of a refused kind.
        case refusedAddress(String)
        /// The host does not resolve.
        case unresolvable
    }

    /// Checks the URL's form: http or https, a host, no user or password (it would be stored and shown).
    public static func target(of url: String) throws(Refusal) -> Target {
        guard url.utf8.count <= 2_048 else { throw .invalidURL("is longer than 2,048 bytes") }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw .invalidURL("is not an absolute URL")
        }
        guard scheme == "http" || scheme == "https" else { throw .invalidURL("must use http or https") }
        guard var host = components.host, !host.isEmpty else { throw .invalidURL("has no host") }
        guard components.user == nil, components.password == nil else {
            throw .invalidURL("must not hold a user name or password")
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        guard (1...65_535).contains(port) else { throw .invalidURL("has an invalid port") }
        return Target(url: url, scheme: scheme, host: host, port: port)
    }

    /// What can be said without resolving: the form, and the address when the host is a literal one.
    public func checkWithoutResolving(_ url: String) throws(Refusal) -> Target {
        let target = try Self.target(of: url)
        if let address = Self.literal(target.host) { try check(address) }
        return target
    }

    /// Resolves the host and checks every address it has; returns the one to connect to, so that the address
    /// checked is the address used (a second lookup could answer differently: DNS rebinding).
    public func resolve(_ target: Target) async throws(Refusal) -> String {
        if let address = Self.literal(target.host) {
            try check(address)
            return target.host
        }
        let addresses = await Self.lookUp(target.host)
        guard let first = addresses.first else { throw .unresolvable }
        for address in addresses { try check(address) }
        return Self.text(first)
    }

    /// Throws unless the address may be connected to.
    public func check(_ address: [UInt8]) throws(Refusal) {
        guard !allowPrivate, let kind = Self.nonPublicKind(address) else { return }
        throw .refusedAddress(kind)
    }

    /// The kind of a non-public address (4 or 16 bytes), nil for a public one.
    public static func nonPublicKind(_ address: [UInt8]) -> String? {
        if address.count == 4 { return nonPublicKind4(address) }
        guard address.count == 16 else { return "unspecified" }
        // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses reach the IPv4 address inside.
        if address[0..<10].allSatisfy({ $0 == 0 }), address[10] == 0xff, address[11] == 0xff {
            return nonPublicKind4(Array(address[12...]))
        }
        if address[0..<12] == [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0] {
            return nonPublicKind4(Array(address[12...]))
        }
        if address[0..<15].allSatisfy({ $0 == 0 }) {
            return address[15] == 1 ? "loopback" : "unspecified"
        }
        if address[0] == 0xff { return "multicast" }
        if address[0] == 0xfe, address[1] & 0xc0 == 0x80 { return "link-local" }
        // fec0::/10 (deprecated site-local) and fc00::/7 (unique local).
        if address[0] == 0xfe, address[1] & 0xc0 == 0xc0 { return "private" }
        if address[0] & 0xfe == 0xfc { return "private" }
        // 2001:db8::/32 is for documentation only.
        if address[0..<4] == [0x20, 0x01, 0x0d, 0xb8] { return "reserved" }
        return nil
    }

    private static func nonPublicKind4(_ a: [UInt8]) -> String? {
        switch (a[0], a[1]) {
        case (0, _): return "unspecified"
        case (127, _): return "loopback"
        case (10, _), (172, 16...31), (192, 168): return "private"
        case (100, 64...127): return "shared"  // carrier-grade NAT, RFC 6598
        case (169, 254): return "link-local"
        case (192, 0) where a[2] == 0 || a[2] == 2: return "reserved"  // IETF protocol assignments, TEST-NET-1
        case (198, 18...19): return "reserved"  // benchmarking
        case (198, 51) where a[2] == 100, (203, 0) where a[2] == 113: return "reserved"  // TEST-NET-2 and -3
        case (224...239, _): return "multicast"
        case (240...255, _): return "reserved"  // including 255.255.255.255, broadcast
        default: return nil
        }
    }

    /// The address bytes of an IPv4 or IPv6 literal; nil for a name.
    public static func literal(_ host: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    static func text(_ address: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = address.count == 4 ? AF_INET : AF_INET6
        _ = address.withUnsafeBytes { bytes in inet_ntop(family, bytes.baseAddress, &buffer, socklen_t(buffer.count)) }
        return String(cString: buffer)
    }

    /// getaddrinfo blocks, so it runs on a Dispatch thread, never on one of Swift's few cooperative threads.
    static func lookUp(_ host: String) async -> [[UInt8]] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var hints = addrinfo()
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
                var result: UnsafeMutablePointer<addrinfo>?
                guard getaddrinfo(host, nil, &hints, &result) == 0 else {
                    continuation.resume(returning: [])
                    return
                }
                defer { freeaddrinfo(result) }
                var addresses: [[UInt8]] = []
                var next = result
                while let info = next {
                    if let address = info.pointee.ai_addr {
                        switch Int32(info.pointee.ai_family) {
                        case AF_INET:
                            var v4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                            addresses.append(withUnsafeBytes(of: &v4) { Array($0) })
                        case AF_INET6:
                            var v6 = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                            addresses.append(withUnsafeBytes(of: &v6) { Array($0) })
                        default:
                            break
                        }
                    }
                    next = info.pointee.ai_next
                }
                continuation.resume(returning: addresses)
            }
        }
    }
}
