/// Text of an agreement's document that no answer computes with (an agreement's summary, an event's summary and
/// source): only the document itself, the timeline and validation read it. It is held as a string, or, for an
/// agreement loaded from a file that can give it back (the server's snapshot file), as the place to read it from:
/// at 100,000 synthetic agreements the events' sources alone were 50 MiB of strings.
///
/// Equal when the texts are equal, wherever each is kept.
public struct DocumentText: Hashable, Sendable, CustomStringConvertible {
    private enum Storage: Sendable {
        case held(String)
        /// The file, and the text's place in it: its offset times 2^24 plus its length.
        case filed(DocumentTextFile, UInt64)
    }

    private let storage: Storage

    public init(_ string: String) { storage = .held(string) }

    /// The `length` bytes at `offset` in `file`; `nil` past 2^40 bytes into a file or for a text of 16 MiB or more.
    public init?(filedAt offset: Int, length: Int, in file: DocumentTextFile) {
        guard offset >= 0, offset < 1 << 40, length >= 0, length < 1 << 24 else { return nil }
        storage = .filed(file, UInt64(offset) << 24 | UInt64(length))
    }

    /// The text, read back from its file if it is kept there.
    public var string: String {
        switch storage {
        case .held(let string): return string
        case .filed(let file, let place): return file.text(at: Int(place >> 24), length: Int(place & 0xFF_FFFF))
        }
    }

    public var description: String { string }

    public static func == (lhs: DocumentText, rhs: DocumentText) -> Bool {
        if case .filed(let left, let leftPlace) = lhs.storage, case .filed(let right, let rightPlace) = rhs.storage,
            left === right, leftPlace == rightPlace
        {
            return true
        }
        return lhs.string == rhs.string
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(string) }
}

extension DocumentText: Codable {
    /// A string; or, from a decoder that reads a file able to give the text back (``DocumentTextDecoding``), the
    /// place of the string in that file.
    public init(from decoder: any Decoder) throws {
        if let filing = decoder as? any DocumentTextDecoding, let filed = try filing.documentText() {
            self = filed
        } else {
            self.init(try decoder.singleValueContainer().decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(string)
    }
}

/// A decoder reading a file that can give a text back later by its place (``DocumentTextFile``).
public protocol DocumentTextDecoding: Decoder {
    /// The text being decoded as a ``DocumentText`` left in its file; `nil` to decode it as a string.
    func documentText() throws -> DocumentText?
}

/// Where filed ``DocumentText`` is read back from. The reader it is given must not fail: a file it reads is one the
/// process opened, checked whole and holds open (the server's snapshot file, replaced only by a rename), and it
/// stops the process rather than say a wrong text.
public final class DocumentTextFile: Sendable {
    private let read: @Sendable (_ offset: Int, _ length: Int) -> String

    /// `read` gives the text of `length` UTF-8 bytes at `offset`.
    public init(read: @escaping @Sendable (_ offset: Int, _ length: Int) -> String) { self.read = read }

    func text(at offset: Int, length: Int) -> String { read(offset, length) }
}
