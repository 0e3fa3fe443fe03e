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
