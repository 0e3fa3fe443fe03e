/// The binary form of values in a catalog snapshot: one tag byte per value, then its payload.
///
/// - `null`, `false`, `true`: nothing more;
/// - `int`: a zigzag varint; `uint`: a varint; `double`: 8 bytes, the IEEE bit pattern, little-endian;
/// - `string`: a varint, the index of the string in the snapshot's string table;
/// - `text`: a varint byte length, then the UTF-8 bytes: a ``DocumentText`` (a summary, a source), written in place
///   rather than in the table so that a reader can leave it in the file and read it back when asked for;
/// - `keyed`, `unkeyed`: a varint byte length of the body, then the body: a varint count, then for each entry its
///   key (a string index; keyed only) and its value. The length lets a reader skip a value it was not asked for.
enum ArchiveFormat {
    enum Tag: UInt8 {
        case null = 0
        case `false` = 1
        case `true` = 2
        case int = 3
        case uint = 4
        case double = 5
        case string = 6
        case keyed = 7
        case unkeyed = 8
        case text = 9
    }

    static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }
}

/// A value in the snapshot did not have the shape its type expects: the file is not this build's, or damaged.
struct ArchiveMismatch: Error, CustomStringConvertible {
    let description: String
}
