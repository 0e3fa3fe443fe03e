import Foundation
import PactaCore

/// Who is writing and on behalf of which request: recorded with every write, in the same transaction.
public struct AuditContext: Sendable, Hashable {
    /// The name of the token that authorised the write; `nil` for the server itself (seeding, tests).
    public var actor: String?
    /// The request id (`X-Request-Id`) of the write.
    public var requestId: String?

    public init(actor: String?, requestId: String?) {
        self.actor = actor
        self.requestId = requestId
    }

    /// A write made by the server itself, not on behalf of a request.
    public static let system = AuditContext(actor: nil, requestId: nil)
}

/// What a write did to an agreement.
public enum AuditAction: String, Sendable, Hashable, Codable {
    case create, replace, appendEvents, delete, seed
}

/// One change, in the vocabulary of JSON Patch (RFC 6902) but without the values: what was added,
/// replaced or removed, as a JSON Pointer into the agreement document (`""` is the whole document).
public struct AuditChange: Sendable, Hashable, Codable {
    public enum Operation: String, Sendable, Hashable, Codable { case add, replace, remove }
    public let op: Operation
    public let path: String

    public init(op: Operation, path: String) {
        self.op = op
        self.path = path
    }
}

/// One entry of an agreement's history.
public struct AuditRecord: Sendable, Hashable {
    /// Increases with every write to any agreement: the global order of writes.
    public let sequence: Int
    public let agreementId: String
    /// When the write committed, RFC 3339 in UTC.
    public let at: String
    public let actor: String?
    public let requestId: String?
    public let action: AuditAction
    /// The agreement's version before the write (`nil` when it did not exist) and after (`nil` once deleted).
    public let versionBefore: String?
    public let versionAfter: String?
    public let changes: [AuditChange]

    public init(
        sequence: Int,
        agreementId: String,
        at: String,
        actor: String?,
        requestId: String?,
        action: AuditAction,
        versionBefore: String?,
        versionAfter: String?,
        changes: [AuditChange]
    ) {
        self.sequence = sequence
        self.agreementId = agreementId
        self.at = at
        self.actor = actor
        self.requestId = requestId
        self.action = action
        self.versionBefore = versionBefore
        self.versionAfter = versionAfter
        self.changes = changes
    }
}

/// Computes the changes between two revisions of an agreement document.
package enum AuditDiff {
    /// Members compared one level deeper, so that a change of one rule does not read as "rules replaced".
    static let nested: Set<String> = ["rules"]

    package static func changes(from old: String?, to new: String?) -> [AuditChange] {
        switch (old.flatMap(object), new.flatMap(object)) {
        case (nil, nil): return []
        case (nil, _?): return [AuditChange(op: .add, path: "")]
        case (_?, nil): return [AuditChange(op: .remove, path: "")]
        case (let old?, let new?): return changes(old, new, prefix: "", depth: 0)
        }
    }

    private static func changes(_ old: [String: Any], _ new: [String: Any], prefix: String, depth: Int) -> [AuditChange] {
        var result: [AuditChange] = []
        for key in Set(old.keys).union(new.keys).sorted() {
            let path = prefix + "/" + key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
            switch (old[key], new[key]) {
            case (nil, _?):
                result.append(.init(op: .add, path: path))
            case (_?, nil):
                result.append(.init(op: .remove, path: path))
            case (let before?, let after?):
                if key == "events", depth == 0, let before = before as? [Any], let after = after as? [Any] {
                    result += eventChanges(before, after, path: path)
                } else if depth == 0, nested.contains(key), let before = before as? [String: Any],
                    let after = after as? [String: Any]
                {
                    result += changes(before, after, prefix: path, depth: depth + 1)
                } else if !equal(before, after) {
                    result.append(.init(op: .replace, path: path))
                }
            case (nil, nil):
                break
            }
        }
        return result
    }

    /// Events are append-only, so the usual change is "added at index n".
    private static func eventChanges(_ old: [Any], _ new: [Any], path: String) -> [AuditChange] {
        var result: [AuditChange] = []
        for index in 0..<max(old.count, new.count) {
            if index >= old.count {
                result.append(.init(op: .add, path: "\(path)/\(index)"))
            } else if index >= new.count {
                result.append(.init(op: .remove, path: "\(path)/\(index)"))
            } else if !equal(old[index], new[index]) {
                result.append(.init(op: .replace, path: "\(path)/\(index)"))
            }
        }
        return result
    }

    private static func object(_ document: String) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: Any]
    }

    private static func equal(_ lhs: Any, _ rhs: Any) -> Bool {
        canonical(lhs) == canonical(rhs)
    }

    private static func canonical(_ value: Any) -> Data? {
        try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
    }
}
