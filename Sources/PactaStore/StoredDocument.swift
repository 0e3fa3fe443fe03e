import Crypto
import Foundation
import PactaCore

/// How every backend stores an agreement: canonical JSON (sorted keys) whose hash is its version, so the same
/// document has the same version in SQLite and in PostgreSQL.
package enum StoredDocument {
    package static func encode(_ agreement: Agreement) throws -> (document: String, version: String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(agreement)
        let digest = SHA256.hash(data: data)
        let version = digest.prefix(12).map { String(format: "%02x", $0) }.joined()
        return (String(decoding: data, as: UTF8.self), version)
    }

    package static func decode(_ document: String) throws -> Agreement {
        try JSONDecoder().decode(Agreement.self, from: Data(document.utf8))
    }

    /// When a write committed, RFC 3339 in UTC (the audit records' `at`).
    package static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}
