/// Builds strong ETags (FNV-1a, 64-bit: stable across runs and processes, so every replica gives the same tag for
/// the same representation). The one hasher behind every tag the server sends.
struct ETagHasher {
    private(set) var state: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func combine(_ text: String) {
        combine(bytes: text.utf8)
        // A separator, so ("ab", "c") and ("a", "bc") give different tags.
        mix(0xff)
    }

    mutating func combine(bytes: some Sequence<UInt8>) {
        for byte in bytes { mix(byte) }
    }

    private mutating func mix(_ byte: UInt8) {
        state ^= UInt64(byte)
        state = state &* 0x0000_0100_0000_01b3
    }

    var etag: String { "\"" + String(state, radix: 16) + "\"" }

    /// The tag of a representation that depends on `parts` alone (for one derived from a stored agreement, its
    /// ETag is one of the parts).
    static func tag(_ parts: String...) -> String { tag(parts) }

    static func tag(_ parts: [String]) -> String {
        var hasher = ETagHasher()
        for part in parts { hasher.combine(part) }
        return hasher.etag
    }

    /// The tag of a body whose parts are unknown to the server (`/metrics`, `/openapi.yaml`, …): its bytes and
    /// its length.
    static func tag(ofBody bytes: some Collection<UInt8>) -> String {
        var hasher = ETagHasher()
        hasher.combine(bytes: bytes)
        return "\"" + String(hasher.state, radix: 16) + "-" + String(bytes.count, radix: 16) + "\""
    }
}
