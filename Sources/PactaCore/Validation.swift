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
                .init(pointer: "/id", message: "must be 1–\(maxIdLength) characters of a–z, 0–9 and '-', starting with a letter or digit")
            )
        }
        if agreement.title.trimmingWhitespace.isEmpty {
            issues.append(.init(pointer: "/title", message: "must not be empty"))
        }
        if agreement.parties.isEmpty {
            issues.append(.init(pointer: "/parties", message: "must list at least one party"))
        }
        if agreement.kind == .bilateral, agreement.parties.count != 2 {
            issues.append(.init(pointer: "/parties", message: "a bilateral agreement has exactly two parties"))
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
        func positive(_ period: Period?, _ pointer: String, required: Bool = false) {
            guard let period else {
                if required { issues.append(.init(pointer: pointer, message: "is required")) }
                return
            }
            if !period.isPositive { issues.append(.init(pointer: pointer, message: "must be a positive period, not \(period)")) }
        }
        func notNegative(_ period: Period?, _ pointer: String) {
            if let period, period.isNegative || (!period.isZero && !period.isPositive) {
                issues.append(.init(pointer: pointer, message: "must not be negative, not \(period)"))
            }
        }
        let entry = rules.entryIntoForce
        if entry.kind == .onDate, entry.date == nil {
            issues.append(.init(pointer: "/rules/entryIntoForce/date", message: "is required when kind is onDate"))
        }
        if entry.kind != .onDate, entry.date != nil {
            issues.append(.init(pointer: "/rules/entryIntoForce/date", message: "is only allowed when kind is onDate"))
        }
        if entry.kind != .afterConsents, entry.consentsRequired != nil || entry.delay != nil || entry.snap != nil {
            issues.append(
                .init(pointer: "/rules/entryIntoForce/kind", message: "consentsRequired, delay and snap need kind afterConsents")
            )
        }
        if let required = entry.consentsRequired, required < 1 {
            issues.append(.init(pointer: "/rules/entryIntoForce/consentsRequired", message: "must be at least 1"))
        }
        notNegative(entry.delay, "/rules/entryIntoForce/delay")
        notNegative(entry.laterParties?.delay, "/rules/entryIntoForce/laterParties/delay")
        switch rules.term.kind {
        case .fixed, .fixedThenIndefinite:
            positive(rules.term.length, "/rules/term/length", required: true)
            if rules.term.kind == .fixedThenIndefinite, rules.renewal != nil {
                issues.append(.init(pointer: "/rules/renewal", message: "a term that continues indefinitely cannot renew"))
            }
        case .indefinite:
            if rules.term.length != nil {
                issues.append(.init(pointer: "/rules/term/length", message: "is not allowed when kind is indefinite"))
            }
            if rules.renewal != nil {
                issues.append(.init(pointer: "/rules/renewal", message: "an indefinite term cannot renew"))
            }
        }
        if let renewal = rules.renewal {
            switch renewal.kind {
            case .automatic:
                positive(renewal.period, "/rules/renewal/period", required: true)
            case .byAgreement:
                if renewal.period != nil {
                    issues.append(
                        .init(pointer: "/rules/renewal/period", message: "extensions by agreement take their period from each extensionAgreed event")
                    )
                }
                positive(renewal.maxPeriod, "/rules/renewal/maxPeriod")
            case .byReview:
                positive(renewal.period, "/rules/renewal/period", required: true)
                if renewal.extensionCounting == nil {
                    issues.append(
                        .init(pointer: "/rules/renewal/extensionCounting", message: "is required for byReview: fromTermEnd or fromDecision")
                    )
                }
                if renewal.review == nil {
                    issues.append(.init(pointer: "/rules/renewal/review", message: "is required for byReview"))
                }
                if renewal.maxPeriod != nil {
                    issues.append(.init(pointer: "/rules/renewal/maxPeriod", message: "an extension after review lasts period"))
                }
            }
            if let review = renewal.review {
                if renewal.kind != .byReview {
                    issues.append(.init(pointer: "/rules/renewal/review", message: "is only allowed when kind is byReview"))
                }
                positive(review.first, "/rules/renewal/review/first")
                positive(review.interval, "/rules/renewal/review/interval")
                positive(review.afterExtension, "/rules/renewal/review/afterExtension")
            }
            if renewal.kind == .automatic, renewal.extensionCounting != nil {
                issues.append(
                    .init(pointer: "/rules/renewal/extensionCounting", message: "automatic renewal starts each term when the last ends")
                )
            }
            if let max = renewal.maxRenewals, max < 1 {
                issues.append(.init(pointer: "/rules/renewal/maxRenewals", message: "must be at least 1 (omit renewal for none)"))
            }
        }
        if let termination = rules.termination {
            notNegative(termination.notice, "/rules/termination/notice")
            if rules.term.kind != .fixed || rules.renewal?.kind != .automatic {
                issues.append(
                    .init(pointer: "/rules/termination", message: "notice against renewal needs a fixed term with automatic renewal")
                )
            }
        }
        positive(rules.survival?.period, "/rules/survival/period")
        if let linked = rules.linkedWithdrawal, !isValidIdentifier(linked.agreement) {
            issues.append(.init(pointer: "/rules/linkedWithdrawal/agreement", message: "must be an agreement id"))
        }
        if rules.linkedWithdrawal?.effect == .ownNoticePeriod, rules.withdrawal == nil {
            issues.append(
                .init(pointer: "/rules/linkedWithdrawal/effect", message: "ownNoticePeriod counts under the withdrawal clause: give rules.withdrawal")
            )
        }
        if let suspension = rules.performanceSuspension {
            positive(suspension.notice, "/rules/performanceSuspension/notice", required: true)
        }
        if let withdrawal = rules.withdrawal {
            switch (withdrawal.notice, withdrawal.anchor) {
            case (nil, nil):
                issues.append(.init(pointer: "/rules/withdrawal/notice", message: "give a notice period or a calendar anchor"))
            case (.some, .some):
                issues.append(.init(pointer: "/rules/withdrawal/anchor", message: "give a notice period or a calendar anchor, not both"))
            case (let notice?, nil):
                notNegative(notice, "/rules/withdrawal/notice")
            case (nil, let anchor?):
                if (try? CalendarDate(year: 2000, month: anchor.month, day: anchor.day)) == nil {
                    issues.append(.init(pointer: "/rules/withdrawal/anchor", message: "month \(anchor.month) has no day \(anchor.day)"))
                }
                if anchor.yearsAfterNotice < 0 || anchor.yearsAfterNotice > 100 {
                    issues.append(.init(pointer: "/rules/withdrawal/anchor/yearsAfterNotice", message: "must be 0...100"))
                }
                if let cutoff = anchor.cutoff, (try? CalendarDate(year: 2000, month: cutoff.month, day: cutoff.day)) == nil {
                    issues.append(
                        .init(pointer: "/rules/withdrawal/anchor/cutoff", message: "month \(cutoff.month) has no day \(cutoff.day)")
                    )
                }
                // Otherwise a notice between the anchor and the cutoff would take effect before it was given.
                if let cutoff = anchor.cutoff, anchor.yearsAfterNotice == 0,
                    (cutoff.month, cutoff.day) >= (anchor.month, anchor.day)
                {
                    issues.append(
                        .init(pointer: "/rules/withdrawal/anchor/cutoff", message: "must come before the anchor's day when yearsAfterNotice is 0")
                    )
                }
            }
            positive(withdrawal.lockIn?.period, "/rules/withdrawal/lockIn/period")
            if let earliest = withdrawal.earliestEffect {
                // The calendar windows of an anchor or a snap are placed by arithmetic that knows nothing of a deferral.
                if withdrawal.anchor != nil || withdrawal.snap != nil {
                    issues.append(
                        .init(pointer: "/rules/withdrawal/earliestEffect", message: "is supported with a notice period, not with an anchor or a snap")
                    )
                }
                switch (earliest.date, earliest.period) {
                case (nil, nil):
                    issues.append(.init(pointer: "/rules/withdrawal/earliestEffect", message: "give a date or a period"))
                case (_?, _?):
                    issues.append(.init(pointer: "/rules/withdrawal/earliestEffect/period", message: "give a date or a period, not both"))
                case (_?, nil):
                    if earliest.from != nil {
                        issues.append(.init(pointer: "/rules/withdrawal/earliestEffect/from", message: "only with a period"))
                    }
                case (nil, let period?):
                    positive(period, "/rules/withdrawal/earliestEffect/period")
                }
            }
            positive(withdrawal.survival, "/rules/withdrawal/survival")
            if let condition = withdrawal.conditionPrecedent, condition.description.trimmingWhitespace.isEmpty {
                issues.append(.init(pointer: "/rules/withdrawal/conditionPrecedent/description", message: "must say what the condition is"))
            }
            if withdrawal.holders?.isEmpty == true {
                issues.append(.init(pointer: "/rules/withdrawal/holders", message: "omit it when every party may withdraw"))
            }
        }
        return issues
    }

    static func validate(_ events: [Event], parties: Set<String>) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        // Each earlier event's type and party, by id (the first event recorded with that id).
        var seen: [String: (type: EventType, party: String?)] = [:]
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
            case .noticeOfTermination, .noticeOfNonRenewal, .noticeOfWithdrawal, .consent, .consentRevoked, .signatureWithdrawn,
                .entryIntoForceForParty,
                .withdrawalEffective, .exclusion, .performanceSuspended, .performanceResumed, .armedConflictBegan, .armedConflictEnded:
                if event.party == nil {
                    issues.append(.init(pointer: "\(pointer)/party", message: "a \(event.type.rawValue) event must name its party"))
                }
            case .withdrawalAgreementInForce, .extensionConfirmed, .extensionNotConfirmed, .performanceSuspensionNotified:
                if event.party == nil {
                    issues.append(.init(pointer: "\(pointer)/party", message: "a \(event.type.rawValue) event must name its party"))
                }
            case .withdrawalPeriodExtended:
                if event.statedEffectiveDate == nil {
                    issues.append(.init(pointer: "\(pointer)/statedEffectiveDate", message: "an extension must give its new date"))
                }
                if let target = event.refersTo {
                    if let notice = seen[target], notice.type == .noticeOfWithdrawal {
                        if let party = event.party, let notifier = notice.party, party != notifier {
                            issues.append(
                                .init(pointer: "\(pointer)/party", message: "'\(party)' did not give notice '\(target)' (given by '\(notifier)')")
                            )
                        }
                    } else {
                        issues.append(.init(pointer: "\(pointer)/refersTo", message: "must name an earlier notice of withdrawal"))
                    }
                } else {
                    issues.append(.init(pointer: "\(pointer)/refersTo", message: "must name the notice of withdrawal whose period it extends"))
                }
            case .withdrawalConditionMet, .withdrawalConditionDisputed:
                if let target = event.refersTo {
                    if seen[target]?.type != .noticeOfWithdrawal {
                        issues.append(.init(pointer: "\(pointer)/refersTo", message: "must name an earlier notice of withdrawal"))
                    }
                } else {
                    issues.append(.init(pointer: "\(pointer)/refersTo", message: "must name the notice of withdrawal the condition holds back"))
                }
            case .noticeSuspended, .noticeResumed, .noticeRevoked:
                if let target = event.refersTo {
                    if let notice = seen[target], notice.type.isNotice {
                        // Only the notifying party can suspend, resume or revoke its notice; another party's act
                        // would have no effect, so it is refused rather than recorded silently.
                        if let party = event.party, let notifier = notice.party, party != notifier {
                            issues.append(
                                .init(
                                    pointer: "\(pointer)/party",
                                    message:
                                        "'\(party)' cannot act on notice '\(target)', given by '\(notifier)': only the notifying party suspends, resumes or revokes its notice"
                                )
                            )
                        }
                    } else {
                        issues.append(
                            .init(pointer: "\(pointer)/refersTo", message: "must name an earlier notice of termination, non-renewal or withdrawal")
                        )
                    }
                } else {
                    issues.append(.init(pointer: "\(pointer)/refersTo", message: "must name the notice it acts on"))
                }
            case .extensionAgreed:
                if (event.period == nil) == (event.indefinite != true) {
                    issues.append(.init(pointer: "\(pointer)/period", message: "an extension needs either a positive period or indefinite: true"))
                } else if let period = event.period, !period.isPositive {
                    issues.append(.init(pointer: "\(pointer)/period", message: "must be a positive period, not \(period)"))
                }
            case .signature, .entryIntoForce, .conditionsMet, .terminatedByConsent, .superseded, .terminated, .expired:
                break
            }
            // Shape 12: a month or a year is stored as its first day, so the stored form has one spelling. Only the
            // events whose derived dates the engine and its tests carry as ranges may be imprecise: notices, consents
            // to be bound and the entry into force (every date counted from them moves with them).
            if event.isImprecise, !event.type.isNotice, event.type != .consent, event.type != .entryIntoForce {
                issues.append(
                    .init(
                        pointer: "\(pointer)/datePrecision",
                        message:
                            "only a notice of termination, non-renewal or withdrawal, a consent or the entry into force may be dated to a month or a year"
                    )
                )
            } else if event.datePrecision == .month, event.date.day != 1 {
                issues.append(.init(pointer: "\(pointer)/date", message: "with datePrecision month, give the month's first day (YYYY-MM-01)"))
            } else if event.datePrecision == .year, event.date.day != 1 || event.date.month != 1 {
                issues.append(.init(pointer: "\(pointer)/date", message: "with datePrecision year, give the year's first day (YYYY-01-01)"))
            }
            if !event.type.isNotice, event.type != .performanceSuspensionNotified, event.received != nil {
                issues.append(.init(pointer: "\(pointer)/received", message: "only a notice has a date of receipt"))
            }
            if let superseded = event.supersedes, seen[superseded] == nil {
                issues.append(.init(pointer: "\(pointer)/supersedes", message: "must name an earlier event"))
            }
            if let source = event.source, !(source.hasPrefix("https://") || source.hasPrefix("http://")) {
                issues.append(.init(pointer: "\(pointer)/source", message: "must be an http(s) URL"))
            }
            if isValidIdentifier(event.id), seen[event.id] == nil { seen[event.id] = (event.type, event.party) }
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

extension EventType {
    /// A notice a party gives: of termination, non-renewal or withdrawal (it has a date of receipt, and may be
    /// suspended, resumed or revoked).
    public var isNotice: Bool { self == .noticeOfTermination || self == .noticeOfNonRenewal || self == .noticeOfWithdrawal }
}

extension String {
    var trimmingWhitespace: Substring {
        var text = self[...]
        while text.first?.isWhitespace == true { text = text.dropFirst() }
        while text.last?.isWhitespace == true { text = text.dropLast() }
        return text
    }
}
