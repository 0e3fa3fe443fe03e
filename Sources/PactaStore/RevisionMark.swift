import Crypto

extension AuditRecord {
    /// A fingerprint of this write, so that a copy of the store's contents as of its revision (the catalog's snapshot
    /// file) can tell the write it was taken after from another write that got the same revision in another history
    /// of the database (restored from an older backup, then written again). Revision numbers repeat across such
    /// histories; this does not in practice: it covers the agreement written, the versions (content hashes) before and
    /// after the write, the second it committed, what the write was, and who asked in which request.
    ///
    /// SHA-256 of each field in turn, each with its length (or absent), as lowercase hex: nothing of the record (token
    /// names, request ids) can be read back from it.
    public var revisionMark: String {
        var bytes: [UInt8] = []
        func field(_ text: String?) {
            guard let text else {
                bytes += Array("-;".utf8)
                return
            }
            bytes += Array("\(text.utf8.count):".utf8) + Array(text.utf8) + [UInt8(ascii: ";")]
        }
        field(String(sequence))
        field(agreementId)
        field(at)
        field(action.rawValue)
        field(versionBefore)
        field(versionAfter)
        field(actor)
        field(requestId)
        return SHA256.hash(data: bytes).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
