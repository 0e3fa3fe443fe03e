import PactaCore

/// Decodes values written by ``ArchiveEncoder`` from bytes in memory, reading each string from the snapshot's table
/// (so equal strings share one buffer across every agreement decoded).
///
/// Made for speed at start: no coding paths are kept (a mismatch says where in the bytes, which is all a rebuild
/// needs), containers read the bytes in place, and a keyed container looks first where the last key it found
/// ended, which is where synthesized `Decodable` code asks next. Every read is bounds-checked, so damaged bytes
/// throw ``ArchiveMismatch``, never read out of bounds.
struct ArchiveDecoder {
    let strings: [String]

    /// Decodes a `Value` from `bytes`, which must hold exactly one value. With `filing` (the file the bytes were read
    /// from, and where), document text is left in the file.
    func decode<Value: Decodable>(
        _ type: Value.Type,
        from bytes: UnsafeRawBufferPointer,
        filing: ArchiveInput.TextFiling? = nil
    ) throws -> Value {
        let input = ArchiveInput(bytes: bytes, strings: strings, filing: filing)
        let value = try input.decode(Value.self, at: 0)
        guard try input.skip(0) == bytes.count else { throw ArchiveMismatch(description: "bytes after the value") }
        return value
    }
}

/// The bytes being decoded. Unowned memory: it lives only for one ``ArchiveDecoder/decode(_:from:filing:)`` call, inside
/// the caller's `withUnsafeBytes`.
final class ArchiveInput {
    let bytes: UnsafeRawBufferPointer
    let strings: [String]
    let filing: TextFiling?

    /// Where document text is left: the file the bytes were read from, and where they lie in it.
    struct TextFiling {
        let file: DocumentTextFile
        let fileOffset: Int
    }

    init(bytes: UnsafeRawBufferPointer, strings: [String], filing: TextFiling? = nil) {
        self.bytes = bytes
        self.strings = strings
        self.filing = filing
    }

    /// The string table's `index`th string, for the entry at `position`.
    func tableString(_ index: UInt64, at position: Int) throws -> String {
        guard index < UInt64(strings.count) else { throw mismatch("no such string", at: position) }
        return strings[Int(index)]
    }

    /// The document text at `position` left in its file, when this decode leaves it there; `nil` otherwise.
    func documentText(at position: Int) throws -> DocumentText? {
        guard let filing, try tag(at: position) == .text else { return nil }
        let text = try textBytes(at: position)
        return DocumentText(filedAt: filing.fileOffset + text.lowerBound, length: text.count, in: filing.file)
    }

    /// The document text at `position` left in its file, or else the string.
    private func documentTextOrString(at position: Int) throws -> (DocumentText?, String?) {
        if let text = try documentText(at: position) { return (text, nil) }
        return (nil, try string(at: position))
    }

    /// Where the bytes of the `text` value at `position` are.
    private func textBytes(at position: Int) throws -> Range<Int> {
        let (length, start) = try varint(at: position + 1)
        guard length <= UInt64(bytes.count - start) else { throw mismatch("a cut text", at: position) }
        return start..<(start + Int(length))
    }

    func mismatch(_ what: String, at position: Int) -> ArchiveMismatch {
        ArchiveMismatch(description: "\(what) at byte \(position)")
    }

    func tag(at position: Int) throws -> ArchiveFormat.Tag {
        guard position >= 0, position < bytes.count, let tag = ArchiveFormat.Tag(rawValue: bytes[position]) else {
            throw mismatch("no value", at: position)
        }
        return tag
    }

    /// The varint at `position` and the position after it.
    func varint(at position: Int) throws -> (UInt64, Int) {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var position = position
        while true {
            guard position < bytes.count, shift < 64 else { throw mismatch("a cut number", at: position) }
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return (value, position) }
            shift += 7
        }
    }

    /// The position after the value at `position`.
    func skip(_ position: Int) throws -> Int {
        switch try tag(at: position) {
        case .null, .false, .true: return position + 1
        case .int, .uint, .string: return try varint(at: position + 1).1
        case .double:
            guard position + 9 <= bytes.count else { throw mismatch("a cut number", at: position) }
            return position + 9
        case .keyed, .unkeyed, .text:
            let (length, body) = try varint(at: position + 1)
            guard length <= UInt64(bytes.count - body) else { throw mismatch("a cut container", at: position) }
            return body + Int(length)
        }
    }

    /// For a container at `position`: its entry count, where its first entry starts and where it ends.
    func container(_ expected: ArchiveFormat.Tag, at position: Int) throws -> (count: Int, first: Int, end: Int) {
        guard try tag(at: position) == expected else { throw mismatch("not a \(expected) container", at: position) }
        let end = try skip(position)
        let (count, first) = try varint(at: try varint(at: position + 1).1)
        guard first <= end, count <= UInt64(end - first) else {
            throw mismatch("a container longer than its bytes", at: position)
        }
        return (Int(count), first, end)
    }

    func isNull(at position: Int) throws -> Bool { try tag(at: position) == .null }

    func string(at position: Int) throws -> String {
        switch try tag(at: position) {
        case .string: return try tableString(try varint(at: position + 1).0, at: position)
        case .text: return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[try textBytes(at: position)]), as: UTF8.self)
        default: throw mismatch("not a string", at: position)
        }
    }

    func bool(at position: Int) throws -> Bool {
        switch try tag(at: position) {
        case .true: return true
        case .false: return false
        default: throw mismatch("not a Boolean", at: position)
        }
    }

    func integer<T: FixedWidthInteger>(_ type: T.Type, at position: Int) throws -> T {
        let value: T?
        switch try tag(at: position) {
        case .int:
            let raw = try varint(at: position + 1).0
            value = T(exactly: Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1))))
        case .uint:
            value = T(exactly: try varint(at: position + 1).0)
        default: throw mismatch("not an integer", at: position)
        }
        guard let value else { throw mismatch("an integer out of \(T.self)'s range", at: position) }
        return value
    }

    func double(at position: Int) throws -> Double {
        guard try tag(at: position) == .double, position + 9 <= bytes.count else {
            throw mismatch("not a number", at: position)
        }
        var pattern: UInt64 = 0
        for index in 0..<8 { pattern |= UInt64(bytes[position + 1 + index]) << (8 * UInt64(index)) }
        return Double(bitPattern: pattern)
    }

    /// The value at `position`: primitives read directly, anything else through its `init(from:)`.
    func decode<T: Decodable>(_ type: T.Type, at position: Int) throws -> T {
        if T.self == String.self { return try string(at: position) as! T }
        if T.self == Int.self { return try integer(Int.self, at: position) as! T }
        if T.self == Bool.self { return try bool(at: position) as! T }
        if T.self == Double.self { return try double(at: position) as! T }
        // The catalog's most numerous values, read without `Decodable`'s containers: events are five per agreement
        // and most of a start (perf on the JSON decoding they replace: their optional fields alone 45%).
        if T.self == CalendarDate.self { return try date(at: position) as! T }
        if T.self == Event.self { return try event(at: position) as! T }
        return try T(from: ArchiveValueDecoder(input: self, position: position))
    }

    func date(at position: Int) throws -> CalendarDate {
        do {
            return try CalendarDate(parsing: try string(at: position))
        } catch {
            throw mismatch("not a date", at: position)
        }
    }

    /// An ``Event``, as its `Codable` conformance wrote it (a keyed container of its fields); a key it does not know
    /// is a mismatch, so a field added to `Event` fails the round-trip tests rather than being dropped.
    func event(at position: Int) throws -> Event {
        let (count, first, end) = try container(.keyed, at: position)
        var id: String?
        var type: EventType?
        var date: CalendarDate?
        var datePrecision: DatePrecision?
        var party: String?
        var received: CalendarDate?
        var refersTo: String?
        var supersedes: String?
        var statedEffectiveDate: CalendarDate?
        var period: Period?
        var indefinite: Bool?
        var summary: String?
        var source: String?
        var summaryText: DocumentText?
        var sourceText: DocumentText?
        var entry = first
        for _ in 0..<count {
            let (keyIndex, value) = try varint(at: entry)
            entry = try skip(value)
            guard entry <= end else { throw mismatch("a cut event", at: value) }
            let key = try tableString(keyIndex, at: value)
            if try isNull(at: value) { continue }
            switch key {
            case "id": id = try string(at: value)
            case "type":
                guard let known = EventType(rawValue: try string(at: value)) else {
                    throw mismatch("an unknown event type", at: value)
                }
                type = known
            case "date": date = try self.date(at: value)
            case "datePrecision":
                guard let known = DatePrecision(rawValue: try string(at: value)) else {
                    throw mismatch("an unknown date precision", at: value)
                }
                datePrecision = known
            case "party": party = try string(at: value)
            case "received": received = try self.date(at: value)
            case "refersTo": refersTo = try string(at: value)
            case "supersedes": supersedes = try string(at: value)
            case "statedEffectiveDate": statedEffectiveDate = try self.date(at: value)
            case "period":
                guard let parsed = try? Period(parsing: try string(at: value)) else { throw mismatch("not a period", at: value) }
                period = parsed
            case "indefinite": indefinite = try bool(at: value)
            case "summary": (summaryText, summary) = try documentTextOrString(at: value)
            case "source": (sourceText, source) = try documentTextOrString(at: value)
            default: throw mismatch("an unknown event field", at: value)
            }
        }
        guard let id, let type, let date else { throw mismatch("an event without its id, type or date", at: position) }
        let event = Event(
            id: id,
            type: type,
            date: date,
            datePrecision: datePrecision,
            party: party,
            received: received,
            refersTo: refersTo,
            supersedes: supersedes,
            statedEffectiveDate: statedEffectiveDate,
            period: period,
            indefinite: indefinite,
            summary: summary,
            source: source
        )
        guard summaryText != nil || sourceText != nil else { return event }
        return event.keepingText(summary: summaryText, source: sourceText)
    }
}

private struct ArchiveValueDecoder: DocumentTextDecoding {
    let input: ArchiveInput
    let position: Int
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(try ArchiveKeyedDecoding<Key>(input: input, position: position))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try ArchiveUnkeyedDecoding(input: input, position: position)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        ArchiveSingleValueDecoding(input: input, position: position)
    }

    func documentText() throws -> DocumentText? { try input.documentText(at: position) }
}

private final class ArchiveKeyedDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let input: ArchiveInput
    let count: Int
    let first: Int
    let end: Int
    /// Where the entry after the last one found starts: synthesized code asks for keys in the order they were
    /// encoded, so the next key is usually there.
    private var hint: Int
    private var hintIndex = 0
    var codingPath: [any CodingKey] { [] }

    init(input: ArchiveInput, position: Int) throws {
        self.input = input
        let container = try input.container(.keyed, at: position)
        count = container.count
        first = container.first
        end = container.end
        hint = container.first
    }

    var allKeys: [Key] {
        var keys: [Key] = []
        var position = first
        for _ in 0..<count {
            guard let (index, value) = try? input.varint(at: position), let next = try? input.skip(value) else { break }
            if let name = try? input.tableString(index, at: position), let key = Key(stringValue: name) {
                keys.append(key)
            }
            position = next
        }
        return keys
    }

    /// The position of `key`'s value, if present.
    private func find(_ key: Key) throws -> Int? {
        let name = key.stringValue
        var position = hint
        var index = hintIndex
        for _ in 0..<count {
            if index == count {
                index = 0
                position = first
            }
            let (keyIndex, value) = try input.varint(at: position)
            let next = try input.skip(value)
            guard next <= end else { throw input.mismatch("an entry past its container", at: position) }
            index += 1
            if try input.tableString(keyIndex, at: position) == name {
                (hint, hintIndex) = (next, index)
                return value
            }
            position = next
        }
        return nil
    }

    private func require(_ key: Key) throws -> Int {
        guard let position = try find(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: [], debugDescription: "not in the snapshot"))
        }
        return position
    }

    func contains(_ key: Key) -> Bool { (try? find(key)) != nil }

    func decodeNil(forKey key: Key) throws -> Bool { try input.isNull(at: try require(key)) }

    func decode(_ type: String.Type, forKey key: Key) throws -> String { try input.string(at: try require(key)) }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try input.bool(at: try require(key)) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try input.integer(Int.self, at: try require(key)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try input.integer(Int8.self, at: try require(key)) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try input.integer(Int16.self, at: try require(key)) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try input.integer(Int32.self, at: try require(key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try input.integer(Int64.self, at: try require(key)) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try input.integer(UInt.self, at: try require(key)) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try input.integer(UInt8.self, at: try require(key)) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try input.integer(UInt16.self, at: try require(key)) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try input.integer(UInt32.self, at: try require(key)) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try input.integer(UInt64.self, at: try require(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try input.double(at: try require(key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { Float(try input.double(at: try require(key))) }

    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
        guard let position = try find(key), try !input.isNull(at: position) else { return nil }
        return try input.string(at: position)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let position = try find(key), try !input.isNull(at: position) else { return nil }
        return try input.decode(T.self, at: position)
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try input.decode(T.self, at: try require(key))
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type,
        forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try ArchiveValueDecoder(input: input, position: try require(key)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try ArchiveValueDecoder(input: input, position: try require(key)).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        guard let key = Key(stringValue: "super") else { throw input.mismatch("no super key", at: first) }
        return ArchiveValueDecoder(input: input, position: try require(key))
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        ArchiveValueDecoder(input: input, position: try require(key))
    }
}

private struct ArchiveUnkeyedDecoding: UnkeyedDecodingContainer {
    let input: ArchiveInput
    let count: Int?
    let end: Int
    private(set) var currentIndex = 0
    private var position: Int
    var codingPath: [any CodingKey] { [] }
    var isAtEnd: Bool { currentIndex >= (count ?? 0) }

    init(input: ArchiveInput, position: Int) throws {
        self.input = input
        let container = try input.container(.unkeyed, at: position)
        count = container.count
        self.position = container.first
        end = container.end
    }

    /// The position of the next value, moving past it.
    private mutating func next() throws -> Int {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: [], debugDescription: "past the end"))
        }
        let value = position
        position = try input.skip(value)
        guard position <= end else { throw input.mismatch("a value past its container", at: value) }
        currentIndex += 1
        return value
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, try input.isNull(at: position) else { return false }
        _ = try next()
        return true
    }

    mutating func decode(_ type: String.Type) throws -> String { try input.string(at: try next()) }
    mutating func decode(_ type: Int.Type) throws -> Int { try input.integer(Int.self, at: try next()) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try input.integer(Int8.self, at: try next()) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try input.integer(Int16.self, at: try next()) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try input.integer(Int32.self, at: try next()) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try input.integer(Int64.self, at: try next()) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try input.integer(UInt.self, at: try next()) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try input.integer(UInt8.self, at: try next()) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try input.integer(UInt16.self, at: try next()) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try input.integer(UInt32.self, at: try next()) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try input.integer(UInt64.self, at: try next()) }
    mutating func decode(_ type: Bool.Type) throws -> Bool { try input.bool(at: try next()) }
    mutating func decode(_ type: Double.Type) throws -> Double { try input.double(at: try next()) }
    mutating func decode(_ type: Float.Type) throws -> Float { Float(try input.double(at: try next())) }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try input.decode(T.self, at: try next()) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try ArchiveValueDecoder(input: input, position: try next()).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try ArchiveValueDecoder(input: input, position: try next()).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder { ArchiveValueDecoder(input: input, position: try next()) }
}

private struct ArchiveSingleValueDecoding: SingleValueDecodingContainer {
    let input: ArchiveInput
    let position: Int
    var codingPath: [any CodingKey] { [] }

    func decodeNil() -> Bool { (try? input.isNull(at: position)) ?? false }
    func decode(_ type: String.Type) throws -> String { try input.string(at: position) }
    func decode(_ type: Bool.Type) throws -> Bool { try input.bool(at: position) }
    func decode(_ type: Int.Type) throws -> Int { try input.integer(Int.self, at: position) }
    func decode(_ type: Int8.Type) throws -> Int8 { try input.integer(Int8.self, at: position) }
    func decode(_ type: Int16.Type) throws -> Int16 { try input.integer(Int16.self, at: position) }
    func decode(_ type: Int32.Type) throws -> Int32 { try input.integer(Int32.self, at: position) }
    func decode(_ type: Int64.Type) throws -> Int64 { try input.integer(Int64.self, at: position) }
    func decode(_ type: UInt.Type) throws -> UInt { try input.integer(UInt.self, at: position) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try input.integer(UInt8.self, at: position) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try input.integer(UInt16.self, at: position) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try input.integer(UInt32.self, at: position) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try input.integer(UInt64.self, at: position) }
    func decode(_ type: Double.Type) throws -> Double { try input.double(at: position) }
    func decode(_ type: Float.Type) throws -> Float { Float(try input.double(at: position)) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try input.decode(T.self, at: position) }
}
