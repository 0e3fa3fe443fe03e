import Foundation
import PactaCore

/// Files compiled into the server: the agreements that seed a new database, and the OpenAPI document.
public enum BundledData {
    public enum LoadError: Error, CustomStringConvertible {
        case unreadable(file: String, reason: String)
        case invalid(file: String, issues: [ValidationIssue])

        public var description: String {
            switch self {
            case .unreadable(let file, let reason): return "\(file): \(reason)"
            case .invalid(let file, let issues):
                return "\(file): " + issues.map { "\($0.pointer) \($0.message)" }.joined(separator: "; ")
            }
        }
    }

    /// The OpenAPI document, compiled into the binary.
    public static func openAPIDocument() -> [UInt8] {
        Array(Data(base64Encoded: EmbeddedResources.openAPIDocument) ?? Data())
    }

    /// The bundled dataset, compiled into the binary and validated.
    public static func agreements() throws -> [Agreement] {
        try EmbeddedResources.agreements.map { file in
            try decode(Data(base64Encoded: file.base64) ?? Data(), name: file.name)
        }
    }

    /// Reads and validates every `*.json` agreement in `directory`, in file name order.
    public static func agreements(in directory: URL) throws -> [Agreement] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        return try names.map { name in
            let data: Data
            do {
                data = try Data(contentsOf: directory.appendingPathComponent(name))
            } catch {
                throw LoadError.unreadable(file: name, reason: "\(error)")
            }
            return try decode(data, name: name)
        }
    }

    private static func decode(_ data: Data, name: String) throws -> Agreement {
        let agreement: Agreement
        do {
            agreement = try JSONDecoder().decode(Agreement.self, from: data)
        } catch {
            throw LoadError.unreadable(file: name, reason: "\(error)")
        }
        let issues = AgreementValidator.validate(agreement)
        guard issues.isEmpty else { throw LoadError.invalid(file: name, issues: issues) }
        return agreement
    }
}
