/// Limits on the shape of a JSON document, checked over its raw bytes before any decoder sees it.
public struct JSONShapeLimits: Sendable, Hashable {
    /// Deepest nesting of objects and arrays (the document itself is depth 1).
    public var maxDepth: Int
    /// Longest string value or member name, in UTF-8 bytes after unescaping.
    public var maxStringBytes: Int

    public init(maxDepth: Int = 16, maxStringBytes: Int = 16 * 1024) {
        self.maxDepth = maxDepth
        self.maxStringBytes = maxStringBytes
    }
}

/// A structural check of a JSON text: nesting depth, string lengths and duplicate member names.
///
/// Foundation's `JSONDecoder` accepts a member that appears twice and keeps the first; other parsers keep
/// the last. For a system of record that ambiguity is unacceptable (two readers of one request could
/// disagree about what was written), so Pacta rejects duplicates. The scanner never fails on malformed
/// JSON: it reports what it saw and leaves syntax errors to the decoder.
public enum JSONShape {
    public struct Violation: Sendable, Hashable, CustomStringConvertible {
        public enum Kind: String, Sendable, Hashable {
            case tooDeep, stringTooLong, duplicateMember
        }

        public let kind: Kind
        /// A JSON Pointer (RFC 6901) to the offending value or member.
        public let pointer: String
        public let message: String

        public var description: String { "\(pointer.isEmpty ? "/" : pointer): \(message)" }
    }

    /// At most this many violations are reported; a document with more is rejected all the same.
    public static let maxReported = 20

    public static func check(_ bytes: [UInt8], limits: JSONShapeLimits = .init()) -> [Violation] {
        bytes.withUnsafeBufferPointer { check($0, limits: limits) }
    }

    public static func check(_ bytes: UnsafeBufferPointer<UInt8>, limits: JSONShapeLimits) -> [Violation] {
        var scanner = Scanner(bytes: bytes, limits: limits)
        scanner.run()
        return scanner.violations
    }

    private enum Frame {
        case object(names: Set<[UInt8]>, current: [UInt8]?, expectingName: Bool)
        case array(index: Int)
    }

    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        let limits: JSONShapeLimits
        var position = 0
        var stack: [Frame] = []
        var violations: [Violation] = []

        init(bytes: UnsafeBufferPointer<UInt8>, limits: JSONShapeLimits) {
            self.bytes = bytes
            self.limits = limits
        }

        mutating func run() {
            while position < bytes.count, violations.count < JSONShape.maxReported {
                let byte = bytes[position]
                switch byte {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    if stack.count + 1 > limits.maxDepth {
                        report(.tooDeep, pointer: pointer(), "nests deeper than \(limits.maxDepth) levels")
                        return  // everything below is deeper still
                    }
                    stack.append(byte == UInt8(ascii: "{") ? .object(names: [], current: nil, expectingName: true) : .array(index: 0))
                    position += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if !stack.isEmpty { stack.removeLast() }
                    position += 1
                case UInt8(ascii: ","):
                    switch stack.last {
                    case .object(let names, _, _)?:
                        stack[stack.count - 1] = .object(names: names, current: nil, expectingName: true)
                    case .array(let index)?:
                        stack[stack.count - 1] = .array(index: index + 1)
                    case nil:
                        break
                    }
                    position += 1
                case UInt8(ascii: "\""):
                    position += 1
                    guard let string = readString() else { return }  // unterminated or bad escape: the decoder reports it
                    if case .object(var names, _, true)? = stack.last {
                        let name = string.decoded
                        if string.length > limits.maxStringBytes {
                            report(.stringTooLong, pointer: pointer(appending: name), "member name is longer than \(limits.maxStringBytes) bytes")
                        }
                        if !names.insert(name).inserted {
                            report(.duplicateMember, pointer: pointer(appending: name), "appears more than once in its object")
                        }
                        stack[stack.count - 1] = .object(names: names, current: name, expectingName: false)
                    } else if string.length > limits.maxStringBytes {
                        report(.stringTooLong, pointer: pointer(), "is longer than \(limits.maxStringBytes) bytes")
                    }
                default:
                    position += 1  // whitespace, ':', numbers, literals
                }
            }
        }

        /// Reads a string whose opening quote has been consumed. Member names are kept (decoded), values only
        /// measured.
        mutating func readString() -> (decoded: [UInt8], length: Int)? {
            let keep: Bool
            if case .object(_, _, true)? = stack.last { keep = true } else { keep = false }
            var decoded: [UInt8] = []
            var length = 0
            var pendingHighSurrogate: UInt32?
            while position < bytes.count {
                let byte = bytes[position]
                position += 1
                if byte == UInt8(ascii: "\"") {
                    if let high = pendingHighSurrogate { append(high, to: &decoded, &length, keep) }
                    return (decoded, length)
                }
                guard byte == UInt8(ascii: "\\") else {
                    if let high = pendingHighSurrogate {
                        append(high, to: &decoded, &length, keep)
                        pendingHighSurrogate = nil
                    }
                    length += 1
                    if keep { decoded.append(byte) }
                    continue
                }
                guard position < bytes.count else { return nil }
                let escape = bytes[position]
                position += 1
                var scalar: UInt32
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalar = UInt32(escape)
                case UInt8(ascii: "b"): scalar = 0x08
                case UInt8(ascii: "f"): scalar = 0x0C
                case UInt8(ascii: "n"): scalar = 0x0A
                case UInt8(ascii: "r"): scalar = 0x0D
                case UInt8(ascii: "t"): scalar = 0x09
                case UInt8(ascii: "u"):
                    guard position + 4 <= bytes.count else { return nil }
                    var value: UInt32 = 0
                    for offset in 0..<4 {
                        guard let digit = hexValue(bytes[position + offset]) else { return nil }
                        value = value << 4 | digit
                    }
                    position += 4
                    scalar = value
                default:
                    return nil
                }
                if let high = pendingHighSurrogate {
                    pendingHighSurrogate = nil
                    if (0xDC00...0xDFFF).contains(scalar) {
                        scalar = 0x10000 + ((high - 0xD800) << 10) + (scalar - 0xDC00)
                    } else {
                        append(high, to: &decoded, &length, keep)
                    }
                } else if (0xD800...0xDBFF).contains(scalar) {
                    pendingHighSurrogate = scalar
                    continue
                }
                append(scalar, to: &decoded, &length, keep)
            }
            return nil
        }

        /// Appends a scalar as UTF-8; a lone surrogate becomes U+FFFD, as Foundation decodes it.
        private func append(_ scalar: UInt32, to decoded: inout [UInt8], _ length: inout Int, _ keep: Bool) {
            let value = Unicode.Scalar(scalar) ?? "\u{FFFD}"
            let utf8 = Array(String(Character(value)).utf8)
            length += utf8.count
            if keep { decoded += utf8 }
        }

        private func hexValue(_ byte: UInt8) -> UInt32? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
        }

        private mutating func report(_ kind: Violation.Kind, pointer: String, _ message: String) {
            violations.append(Violation(kind: kind, pointer: pointer, message: message))
        }

        /// The pointer to the value being read: every enclosing member name or index.
        private func pointer(appending name: [UInt8]? = nil) -> String {
            var parts: [String] = []
            for frame in stack {
                switch frame {
                case .object(_, let current, _):
                    if let current { parts.append(escape(current)) }
                case .array(let index):
                    parts.append(String(index))
                }
            }
            if let name, case .object(_, _, true)? = stack.last { parts.append(escape(name)) }
            return parts.map { "/" + $0 }.joined()
        }

        private func escape(_ name: [UInt8]) -> String {
            String(decoding: name, as: UTF8.self).replacingAll("~", with: "~0")
                .replacingAll("/", with: "~1")
        }
    }
}

extension String {
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        guard contains(target) else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
