import PactaCore

/// Encodes `Encodable` values in the snapshot's binary form (``ArchiveFormat``): every string, keys included, is
/// written once in a table shared by all the values encoded with one encoder, and referred to by its index, so that
/// the decoder makes each distinct string once and shares it (repeated summaries, party codes, rule wording).
///
/// Not a general-purpose format: it is read back only by ``ArchiveDecoder`` from the same build's types, keyed by a
/// format version (``CatalogSnapshot``); a file that does not match throws and is rebuilt from the rows.
struct ArchiveEncoder {
    private(set) var strings: [String] = []
    private var stringIndex: [String: UInt32] = [:]

    /// The encoding of `value`, its strings added to ``strings``.
    mutating func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        let root = ArchiveNodeSlot()
        try value.encode(to: ArchiveNodeEncoder(slot: root, codingPath: []))
        var bytes: [UInt8] = []
        write(root.node ?? .null, into: &bytes)
        return bytes
    }

    private mutating func intern(_ string: String) -> UInt32 {
        if let index = stringIndex[string] { return index }
        let index = UInt32(strings.count)
        strings.append(string)
        stringIndex[string] = index
        return index
    }

    private mutating func write(_ node: ArchiveNode, into bytes: inout [UInt8]) {
        switch node {
        case .null: bytes.append(ArchiveFormat.Tag.null.rawValue)
        case .bool(let value): bytes.append((value ? ArchiveFormat.Tag.true : .false).rawValue)
        case .int(let value):
            bytes.append(ArchiveFormat.Tag.int.rawValue)
            ArchiveFormat.appendVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)), to: &bytes)
        case .uint(let value):
            bytes.append(ArchiveFormat.Tag.uint.rawValue)
            ArchiveFormat.appendVarint(value, to: &bytes)
        case .double(let value):
            bytes.append(ArchiveFormat.Tag.double.rawValue)
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        case .string(let value):
            bytes.append(ArchiveFormat.Tag.string.rawValue)
            ArchiveFormat.appendVarint(UInt64(intern(value)), to: &bytes)
        case .text(let value):
            bytes.append(ArchiveFormat.Tag.text.rawValue)
            ArchiveFormat.appendVarint(UInt64(value.utf8.count), to: &bytes)
            bytes += value.utf8
        case .keyed(let box):
            var body: [UInt8] = []
            ArchiveFormat.appendVarint(UInt64(box.entries.count), to: &body)
            for (key, value) in box.entries {
                ArchiveFormat.appendVarint(UInt64(intern(key)), to: &body)
                write(value.node ?? .null, into: &body)
            }
            bytes.append(ArchiveFormat.Tag.keyed.rawValue)
            ArchiveFormat.appendVarint(UInt64(body.count), to: &bytes)
            bytes += body
        case .unkeyed(let box):
            var body: [UInt8] = []
            ArchiveFormat.appendVarint(UInt64(box.items.count), to: &body)
            for item in box.items { write(item.node ?? .null, into: &body) }
            bytes.append(ArchiveFormat.Tag.unkeyed.rawValue)
            ArchiveFormat.appendVarint(UInt64(body.count), to: &bytes)
            bytes += body
        }
    }
}

/// What an encoded value is, before its strings are numbered. Containers are boxes because `Encodable` fills a
/// container after creating it.
enum ArchiveNode {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    /// A ``DocumentText``, written in place.
    case text(String)
    case keyed(ArchiveKeyedBox)
    case unkeyed(ArchiveUnkeyedBox)
}

final class ArchiveNodeSlot {
    var node: ArchiveNode?
}

final class ArchiveKeyedBox {
    var entries: [(String, ArchiveNodeSlot)] = []

    func slot(for key: String) -> ArchiveNodeSlot {
        // A key encoded twice keeps its last value, as JSONEncoder does.
        if let existing = entries.first(where: { $0.0 == key }) { return existing.1 }
        let slot = ArchiveNodeSlot()
        entries.append((key, slot))
        return slot
    }
}

final class ArchiveUnkeyedBox {
    var items: [ArchiveNodeSlot] = []

    func append() -> ArchiveNodeSlot {
        let slot = ArchiveNodeSlot()
        items.append(slot)
        return slot
    }
}

private struct ArchiveNodeEncoder: Encoder {
    let slot: ArchiveNodeSlot
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let box: ArchiveKeyedBox
        if case .keyed(let existing) = slot.node {
            box = existing
        } else {
            box = ArchiveKeyedBox()
            slot.node = .keyed(box)
        }
        return KeyedEncodingContainer(ArchiveKeyedEncoding<Key>(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let box: ArchiveUnkeyedBox
        if case .unkeyed(let existing) = slot.node {
            box = existing
        } else {
            box = ArchiveUnkeyedBox()
            slot.node = .unkeyed(box)
        }
        return ArchiveUnkeyedEncoding(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        ArchiveSingleValueEncoding(slot: slot, codingPath: codingPath)
    }
}

/// The node of a primitive value, or `nil` for a value that encodes itself.
private func primitiveNode<T: Encodable>(_ value: T) -> ArchiveNode? {
    switch value {
    case let value as String: return .string(value)
    case let value as DocumentText: return .text(value.string)
    case let value as Bool: return .bool(value)
    case let value as Int: return .int(Int64(value))
    case let value as Int8: return .int(Int64(value))
    case let value as Int16: return .int(Int64(value))
    case let value as Int32: return .int(Int64(value))
    case let value as Int64: return .int(value)
    case let value as UInt: return .uint(UInt64(value))
    case let value as UInt8: return .uint(UInt64(value))
    case let value as UInt16: return .uint(UInt64(value))
    case let value as UInt32: return .uint(UInt64(value))
    case let value as UInt64: return .uint(value)
    case let value as Double: return .double(value)
    case let value as Float: return .double(Double(value))
    default: return nil
    }
}

private func encodeValue<T: Encodable>(_ value: T, into slot: ArchiveNodeSlot, codingPath: [any CodingKey]) throws {
    if let node = primitiveNode(value) {
        slot.node = node
    } else {
        try value.encode(to: ArchiveNodeEncoder(slot: slot, codingPath: codingPath))
        if slot.node == nil { slot.node = .keyed(ArchiveKeyedBox()) }
    }
}

private struct ArchiveKeyedEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: ArchiveKeyedBox
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { box.slot(for: key.stringValue).node = .null }
    mutating func encode(_ value: Bool, forKey key: Key) throws { box.slot(for: key.stringValue).node = .bool(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { box.slot(for: key.stringValue).node = .string(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { box.slot(for: key.stringValue).node = .double(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { box.slot(for: key.stringValue).node = .double(Double(value)) }
    mutating func encode(_ value: Int, forKey key: Key) throws { box.slot(for: key.stringValue).node = .int(Int64(value)) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { box.slot(for: key.stringValue).node = .int(Int64(value)) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { box.slot(for: key.stringValue).node = .int(Int64(value)) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { box.slot(for: key.stringValue).node = .int(Int64(value)) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { box.slot(for: key.stringValue).node = .int(Int64(value)) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { box.slot(for: key.stringValue).node = .uint(UInt64(value)) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { box.slot(for: key.stringValue).node = .uint(UInt64(value)) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { box.slot(for: key.stringValue).node = .uint(UInt64(value)) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { box.slot(for: key.stringValue).node = .uint(UInt64(value)) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { box.slot(for: key.stringValue).node = .uint(UInt64(value)) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try encodeValue(value, into: box.slot(for: key.stringValue), codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type,
        forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        ArchiveNodeEncoder(slot: box.slot(for: key.stringValue), codingPath: codingPath + [key])
            .container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        ArchiveNodeEncoder(slot: box.slot(for: key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        ArchiveNodeEncoder(slot: box.slot(for: "super"), codingPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        ArchiveNodeEncoder(slot: box.slot(for: key.stringValue), codingPath: codingPath + [key])
    }
}

private struct ArchiveUnkeyedEncoding: UnkeyedEncodingContainer {
    let box: ArchiveUnkeyedBox
    let codingPath: [any CodingKey]
    var count: Int { box.items.count }

    mutating func encodeNil() throws { box.append().node = .null }
    mutating func encode(_ value: Bool) throws { box.append().node = .bool(value) }
    mutating func encode(_ value: String) throws { box.append().node = .string(value) }
    mutating func encode(_ value: Double) throws { box.append().node = .double(value) }
    mutating func encode(_ value: Float) throws { box.append().node = .double(Double(value)) }
    mutating func encode(_ value: Int) throws { box.append().node = .int(Int64(value)) }
    mutating func encode(_ value: Int8) throws { box.append().node = .int(Int64(value)) }
    mutating func encode(_ value: Int16) throws { box.append().node = .int(Int64(value)) }
    mutating func encode(_ value: Int32) throws { box.append().node = .int(Int64(value)) }
    mutating func encode(_ value: Int64) throws { box.append().node = .int(Int64(value)) }
    mutating func encode(_ value: UInt) throws { box.append().node = .uint(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { box.append().node = .uint(UInt64(value)) }
    mutating func encode(_ value: UInt16) throws { box.append().node = .uint(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { box.append().node = .uint(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { box.append().node = .uint(UInt64(value)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try encodeValue(value, into: box.append(), codingPath: codingPath)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        ArchiveNodeEncoder(slot: box.append(), codingPath: codingPath).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        ArchiveNodeEncoder(slot: box.append(), codingPath: codingPath).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { ArchiveNodeEncoder(slot: box.append(), codingPath: codingPath) }
}

private struct ArchiveSingleValueEncoding: SingleValueEncodingContainer {
    let slot: ArchiveNodeSlot
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { slot.node = .null }
    mutating func encode(_ value: Bool) throws { slot.node = .bool(value) }
    mutating func encode(_ value: String) throws { slot.node = .string(value) }
    mutating func encode(_ value: Double) throws { slot.node = .double(value) }
    mutating func encode(_ value: Float) throws { slot.node = .double(Double(value)) }
    mutating func encode(_ value: Int) throws { slot.node = .int(Int64(value)) }
    mutating func encode(_ value: Int8) throws { slot.node = .int(Int64(value)) }
    mutating func encode(_ value: Int16) throws { slot.node = .int(Int64(value)) }
    mutating func encode(_ value: Int32) throws { slot.node = .int(Int64(value)) }
    mutating func encode(_ value: Int64) throws { slot.node = .int(Int64(value)) }
    mutating func encode(_ value: UInt) throws { slot.node = .uint(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { slot.node = .uint(UInt64(value)) }
    mutating func encode(_ value: UInt16) throws { slot.node = .uint(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { slot.node = .uint(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { slot.node = .uint(UInt64(value)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try encodeValue(value, into: slot, codingPath: codingPath)
    }
}
