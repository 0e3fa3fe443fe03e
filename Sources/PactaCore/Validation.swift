/// One problem with an agreement document, located by a JSON Pointer (RFC 6901) into it.
public struct ValidationIssue: Hashable, Sendable, Codable {
    public var pointer: String
    public var message: String

    public init(pointer: String, message: String) {
        self.pointer = pointer
        self.message = message
    }
}

/// Checks an agreement for everything the engine needs: identifiers, references between events, and
/// rules that are complete, consistent and finite. Every problem is reported, not just the first.
public enum AgreementValidator {
    public static let maxIdLength = 64

    public static func validate(_ agreement: Agreement) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        if !isValidIdentifier(agreement.id) {
            issues.append(
                .init(pointer: "/id", message: "must be 1–\(maxIdLength) characters of a–z, 0–9 and '-', starting with a letter or digit"))
        }
        if agreement.title.trimmingWhitespace.isEmpty {
            issues.append(.init(pointer: "/title", message: "must not be empty"))
        }
        if agreement.parties.isEmpty {
            issues.append(.init(pointer: "/parties", message: "must list at least one party"))
        }
        var partyCodes: Set<String> = []
        for (index, party) in agreement.parties.enumerated() {
            if party.code.isEmpty || party.code.count > 16 || !party.code.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "-") }) {
                issues.append(.init(pointer: "/parties/\(index)/code", message: "must be 1–16 characters of A–Z, 0–9 and '-'"))
            }
            if !partyCodes.insert(party.code).inserted {
                issues.append(.init(pointer: "/parties/\(index)/code", message: "'\(party.code)' is listed twice"))
            }
        }
        issues += validate(agreement.rules)
        issues += validate(agreement.events, parties: partyCodes)
        return issues
    }

    public static func validate(_ rules: Rules) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        let entry = rules.entryIntoForce
        if entry.kind == .onDate, entry.date == nil {
            issues.append(.init(pointer: "/rules/entryIntoForce/date", message: "is required when kind is onDate"))
        }
        if entry.kind != .onDate, entry.date != nil {
            issues.append(.init(pointer: "/rules/entryIntoForce/date", message: "is only allowed when kind is onDate"))
        }
        switch rules.term.kind {
        case .fixed:
            if let length = rules.term.length {
                if !length.isPositive {
                    issues.append(.init(pointer: "/rules/term/length", message: "must be a positive period, not \(length)"))
                }
            } else {
                issues.append(.init(pointer: "/rules/term/length", message: "is required when kind is fixed"))
            }
        case .indefinite:
            if rules.term.length != nil {
                issues.append(.init(pointer: "/rules/term/length", message: "is not allowed when kind is indefinite"))
            }
            if rules.renewal != nil {
                issues.append(.init(pointer: "/rules/renewal", message: "an indefinite term cannot renew"))
            }
            if rules.termination != nil {
                issues.append(
                    .init(pointer: "/rules/termination", message: "notice before the end of a term needs a fixed term"))
            }
        }
        if let renewal = rules.renewal {
            if !renewal.period.isPositive {
                issues.append(
                    .init(pointer: "/rules/renewal/period", message: "must be a positive period, not \(renewal.period)"))
            }
            if let max = renewal.maxRenewals, max < 1 {
                issues.append(.init(pointer: "/rules/renewal/maxRenewals", message: "must be at least 1 (omit renewal for none)"))
            }
        }
        if let termination = rules.termination {
            if termination.notice.isNegative {
                issues.append(
                    .init(pointer: "/rules/termination/notice", message: "must not be negative, not \(termination.notice)"))
            }
            if rules.renewal == nil, rules.term.kind == .fixed {
                issues.append(
                    .init(pointer: "/rules/termination", message: "notice against renewal needs a renewal rule"))
            }
        }
        return issues
    }

    static func validate(_ events: [Event], parties: Set<String>) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        var seen: [String: EventType] = [:]
        for (index, event) in events.enumerated() {
            let pointer = "/events/\(index)"
            if !isValidIdentifier(event.id) {
                issues.append(.init(pointer: "\(pointer)/id", message: "must be 1–\(maxIdLength) characters of a–z, 0–9 and '-'"))
            } else if seen[event.id] != nil {
                issues.append(.init(pointer: "\(pointer)/id", message: "'\(event.id)' is used by an earlier event"))
            }
            if let party = event.party, !parties.contains(party) {
                issues.append(.init(pointer: "\(pointer)/party", message: "'\(party)' is not one of the agreement's parties"))
            }
            if let received = event.received, received < event.date {
                issues.append(.init(pointer: "\(pointer)/received", message: "must not be before the event's date \(event.date)"))
            }
            switch event.type {
            case .noticeOfTermination:
                if event.party == nil {
                    issues.append(.init(pointer: "\(pointer)/party", message: "a notice must name the party that gives it"))
                }
            case .noticeSuspended, .noticeResumed, .noticeRevoked:
                if let target = event.refersTo {
                    if seen[target] != .noticeOfTermination {
                        issues.append(
                            .init(pointer: "\(pointer)/refersTo", message: "must name an earlier noticeOfTermination event"))
                    }
                } else {
                    issues.append(.init(pointer: "\(pointer)/refersTo", message: "must name the notice it acts on"))
                }
            case .signature, .entryIntoForce:
                break
            }
            if event.type != .noticeOfTermination, event.received != nil {
                issues.append(.init(pointer: "\(pointer)/received", message: "only a notice has a date of receipt"))
            }
            if let superseded = event.supersedes, seen[superseded] == nil {
                issues.append(.init(pointer: "\(pointer)/supersedes", message: "must name an earlier event"))
            }
            if let source = event.source, !(source.hasPrefix("https://") || source.hasPrefix("http://")) {
                issues.append(.init(pointer: "\(pointer)/source", message: "must be an http(s) URL"))
            }
            if isValidIdentifier(event.id) { seen[event.id] = seen[event.id] ?? event.type }
        }
        return issues
    }

    public static func isValidIdentifier(_ id: String) -> Bool {
        guard !id.isEmpty, id.utf8.count <= maxIdLength, id.first != "-" else { return false }
        return id.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-")
        }
    }
}

extension String {
    var trimmingWhitespace: Substring {
        var text = self[...]
        while text.first?.isWhitespace == true { text = text.dropFirst() }
        while text.last?.isWhitespace == true { text = text.dropLast() }
        return text
    }
}
