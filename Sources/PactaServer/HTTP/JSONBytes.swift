import PactaCore

/// JSON written straight to bytes, exactly as the server's `JSONEncoder` (`[.sortedKeys, .withoutEscapingSlashes]`)
/// writes the same values, for the answers that are computed on every request and where the generic encoder costs
/// several times the computation (issue #12: a status took about 20 µs to evaluate and 120 µs to encode).
///
/// The writer keeps no structure: each type writes its keys itself, in sorted order (checked in debug builds), and
/// `JSONBytesEquivalenceTests` holds every written answer byte for byte to `JSONEncoder`'s.
struct JSONBytes {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 4_096) { bytes.reserveCapacity(capacity) }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    mutating func null() { bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C]) }

    mutating func bool(_ value: Bool) {
        if value {
            bytes.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
        } else {
            bytes.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
        }
    }

    mutating func int(_ value: Int) { bytes.append(contentsOf: String(value).utf8) }

    mutating func date(_ value: CalendarDate) {
        bytes.append(0x22)
        bytes.append(contentsOf: value.description.utf8)
        bytes.append(0x22)
    }

    /// A string with the escapes Foundation's writer uses: `"` and `\`, the short forms of backspace, form feed,
    /// newline, carriage return and tab, `\u00XX` for the other control characters; `/` and everything from U+007F up
    /// as they are.
    mutating func string(_ value: String) {
        bytes.append(0x22)
        var value = value
        // Runs of bytes that need no escape are copied whole: most strings are one run.
        value.withUTF8 { utf8 in
            var run = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte < 0x20 || byte == 0x22 || byte == 0x5C else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run..<index]))
                escape(byte)
                run = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run...]))
        }
        bytes.append(0x22)
    }

    private mutating func escape(_ byte: UInt8) {
        switch byte {
        case 0x22: bytes.append(contentsOf: [0x5C, 0x22])
        case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
        case 0x08: bytes.append(contentsOf: [0x5C, 0x62])
        case 0x0C: bytes.append(contentsOf: [0x5C, 0x66])
        case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])
        case 0x0D: bytes.append(contentsOf: [0x5C, 0x72])
        case 0x09: bytes.append(contentsOf: [0x5C, 0x74])
        default:
            let hex = Self.hexDigits
            bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
        }
    }

    mutating func string(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    mutating func date(_ value: CalendarDate?) {
        if let value { date(value) } else { null() }
    }

    mutating func int(_ value: Int?) {
        if let value { int(value) } else { null() }
    }

    mutating func array<Element>(_ elements: [Element], _ write: (inout JSONBytes, Element) -> Void) {
        bytes.append(0x5B)
        for (index, element) in elements.enumerated() {
            if index > 0 { bytes.append(0x2C) }
            write(&self, element)
        }
        bytes.append(0x5D)
    }

    mutating func strings(_ values: [String]) { array(values) { $0.string($1) } }

    /// An object whose members `write` adds through ``Members``, keys in sorted order.
    mutating func object(_ write: (inout Members) -> Void) {
        // The bytes move into the members and back, never copied.
        var members = Members(json: JSONBytes(bytes: []))
        swap(&members.json.bytes, &bytes)
        members.json.bytes.append(0x7B)
        write(&members)
        members.json.bytes.append(0x7D)
        swap(&members.json.bytes, &bytes)
    }

    /// A `[String: String]` as an object, keys in the encoder's order (by their UTF-8 bytes).
    mutating func object(_ dictionary: [String: String]) {
        let keys = dictionary.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        object { members in
            for key in keys { members.string(key, dictionary[key]) }
        }
    }

    /// The members of one object. Optional values have two forms, as in the Codable conformances they mirror:
    /// `…IfPresent` leaves the key out when nil (synthesized `encodeIfPresent`), the others write `null`.
    struct Members {
        fileprivate var json: JSONBytes
        private var count = 0
        #if DEBUG
        private var previous: String?
        #endif

        fileprivate init(json: JSONBytes) { self.json = json }

        /// Writes `"key":` (after a comma unless first); the value is written next.
        mutating func key(_ key: String) {
            #if DEBUG
            if let previous {
                precondition(previous.utf8.lexicographicallyPrecedes(key.utf8), "JSON key \(key) after \(previous)")
            }
            previous = key
            #endif
            if count > 0 { json.bytes.append(0x2C) }
            count += 1
            json.string(key)
            json.bytes.append(0x3A)
        }

        mutating func member(_ key: String, _ write: (inout JSONBytes) -> Void) {
            self.key(key)
            write(&json)
        }

        mutating func string(_ key: String, _ value: String?) { member(key) { $0.string(value) } }
        mutating func date(_ key: String, _ value: CalendarDate?) { member(key) { $0.date(value) } }
        mutating func int(_ key: String, _ value: Int?) { member(key) { $0.int(value) } }
        mutating func bool(_ key: String, _ value: Bool) { member(key) { $0.bool(value) } }
        mutating func strings(_ key: String, _ value: [String]) { member(key) { $0.strings(value) } }

        mutating func stringIfPresent(_ key: String, _ value: String?) {
            if let value { string(key, value) }
        }

        mutating func dateIfPresent(_ key: String, _ value: CalendarDate?) {
            if let value { date(key, value) }
        }

        mutating func intIfPresent(_ key: String, _ value: Int?) {
            if let value { int(key, value) }
        }
    }
}
