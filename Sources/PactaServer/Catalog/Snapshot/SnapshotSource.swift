import Foundation

/// Where a snapshot file's bytes are read from, a range at a time: a start reads one section of the file, decodes it
/// and lets it go, and the lifecycle records stay where they are until the first index build reads each one.
protocol SnapshotSource: Sendable {
    /// The number of bytes.
    var count: Int { get }
    /// The bytes in `range`; throws ``CatalogSnapshotFile/Unusable`` for a range outside `0..<count` or when they cannot
    /// be read.
    func read(_ range: Range<Int>) throws -> [UInt8]
}

extension SnapshotSource {
    /// Whether `range` lies inside the bytes.
    func holds(_ range: Range<Int>) -> Bool { range.lowerBound >= 0 && range.upperBound <= count }
}

/// A snapshot file, open: every read is from the file as it was opened (its inode), whatever replaces it by name.
///
/// The file's checksum is verified once, when it is opened for a start (``CatalogSnapshotFile/read(_:expecting:)``);
/// reads after that trust it because a snapshot file is only ever replaced whole, by a rename
/// (``CatalogSnapshotFile/write(_:lifecycles:key:revision:mark:to:)``), never written in place.
final class SnapshotFileSource: SnapshotSource {
    private let descriptor: Int32
    let count: Int

    init(path: String) throws {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            throw CatalogSnapshotFile.Unusable(description: code == ENOENT ? "no file" : "cannot open it: errno \(code)")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let code = errno
            close(descriptor)
            throw CatalogSnapshotFile.Unusable(description: "cannot stat it: errno \(code)")
        }
        count = Int(status.st_size)
    }

    deinit { close(descriptor) }

    func read(_ range: Range<Int>) throws -> [UInt8] {
        guard holds(range) else { throw CatalogSnapshotFile.Unusable(description: "a read past the end of the file") }
        guard !range.isEmpty else { return [] }
        return try [UInt8](unsafeUninitializedCapacity: range.count) { buffer, initialized in
            while initialized < range.count {
                let read = pread(
                    descriptor,
                    buffer.baseAddress! + initialized,
                    range.count - initialized,
                    off_t(range.lowerBound + initialized)
                )
                if read < 0, errno == EINTR { continue }
                guard read > 0 else {
                    throw CatalogSnapshotFile.Unusable(
                        description: read == 0 ? "the file is shorter than it was" : "cannot read it: errno \(errno)"
                    )
                }
                initialized += read
            }
        }
    }
}

/// A snapshot file's bytes in memory (tests).
struct SnapshotBytes: SnapshotSource {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var count: Int { bytes.count }

    func read(_ range: Range<Int>) throws -> [UInt8] {
        guard holds(range) else { throw CatalogSnapshotFile.Unusable(description: "a read past the end of the file") }
        return Array(bytes[range])
    }
}
