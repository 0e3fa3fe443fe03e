/// One continuous period of a party's membership, from its consent to the day it stops being bound.
struct Membership {
    /// `nil` for a listed party with no recorded consent: treated as bound from the entry into force.
    var consent: Event?
    /// The day the agreement entered into force for the party; `nil` while it cannot be fixed.
    var entry: CalendarDate?
    /// The last day the party is bound, once a withdrawal has fixed it.
    var lastDayBound: CalendarDate?
    /// A withdrawal will take effect, but its date cannot be fixed yet.
    var withdrawalUndetermined = false
    /// The last day obligations survive under a sunset clause.
    var survivesThrough: CalendarDate?
    /// The notice of withdrawal this membership's end is computed from, whatever its effect.
    var notice: Event?
    /// Under an extensible negotiation period, how many extensions of it were agreed.
    var extensions: Int?
    /// The linked agreement whose withdrawal ends this membership (`rules.linkedWithdrawal`).
    var linkedFrom: String?
    /// The decision that excluded the party, ending this membership (`exclusion`).
    var exclusion: Event?
    /// A recorded withdrawal (`withdrawalEffective`) that ends this membership with no notice to compute it from;
    /// a linked agreement's withdrawal may still explain it (`rules.linkedWithdrawal`).
    var recordedEnd: Event?
}

extension Evaluation {
    /// Each party's memberships, from its consents and withdrawals recorded up to `asOf`.
    mutating func partyMemberships(generalEntry: CalendarDate?) -> [String: [Membership]] {
        var result: [String: [Membership]] = [:]
        result.reserveCapacity(agreement.parties.count)
        // One pass over the events instead of one per party: a 190-party convention has hundreds of events.
        var eventsByParty: [String: [Int]] = [:]
        for index in events.indices { if let party = events[index].party { eventsByParty[party, default: []].append(index) } }
        var joinedOnRecord: Set<String> = []
        for event in agreement.events
        where event.type == .consent || event.type == .signature || event.type == .signatureWithdrawn {
            if let party = event.party { joinedOnRecord.insert(party) }
        }
        for party in agreement.parties {
            let own = (eventsByParty[party.code] ?? []).map { events[$0] }
            // A listed party with no recorded signature or consent is taken as bound since the entry into force
            // (an original party whose consent is not in the record); so is one whose record starts with a
            // notice of withdrawal.
            let assumedOriginal = !joinedOnRecord.contains(party.code)
            var spans: [Membership] = assumedOriginal ? [Membership(consent: nil, entry: generalEntry)] : []
            // Whether the record shows the party's standing before the event at hand (a signature, consent or
            // revoked consent): then an act of withdrawal with no membership open is by a state not bound.
            var standingOnRecord = false
            for event in own {
                defer {
                    if event.type == .signature || event.type == .consent || event.type == .consentRevoked
                        || event.type == .signatureWithdrawn
                    {
                        standingOnRecord = true
                    }
                }
                switch event.type {
                case .consent:
                    if let last = spans.last, last.lastDayBound == nil, !last.withdrawalUndetermined { continue }
                    spans.append(Membership(consent: event, entry: partyEntry(consent: event, generalEntry: generalEntry)))
                case .consentRevoked:
                    if let last = spans.last, last.consent != nil, last.entry.map({ $0 > event.date }) ?? true {
                        spans.removeLast()
                        step(
                            "party",
                            eventId: event.id,
                            result: nil,
                            inputs: ["party": party.code],
                            explanation: "\(party.code) revoked its consent on \(event.date), before the agreement entered into force for it."
                        )
                    }
                case .signatureWithdrawn:
                    // A consent that stands (deposited, not revoked, not yet ended by a withdrawal) is not undone
                    // by taking back the signature that preceded it.
                    if let last = spans.last, last.consent != nil, last.lastDayBound.map({ $0 >= event.date }) ?? true {
                        flags.append(
                            StatusFlag(
                                code: .signatureWithdrawalWithoutEffect,
                                party: party.code,
                                since: event.date,
                                eventId: event.id,
                                message:
                                    "\(party.code) withdrew its signature on \(event.date), but its consent to be bound of \(last.consent?.date.description ?? "") stands; only a revocation or a withdrawal ends it, so the act has no effect."
                            )
                        )
                        step(
                            "party",
                            eventId: event.id,
                            result: nil,
                            inputs: ["party": party.code],
                            explanation:
                                "\(party.code) withdrew its signature on \(event.date) while its consent of \(last.consent?.date.description ?? "") stands: no effect."
                        )
                    } else {
                        step(
                            "party",
                            eventId: event.id,
                            result: "notParty",
                            inputs: ["party": party.code],
                            explanation:
                                "\(party.code) informed the depositary on \(event.date) that it does not intend to become a party: its signature carries no obligation, and it is not a signatory."
                        )
                    }
                case .noticeOfWithdrawal:
                    // A record that starts with the notice: an original party whose consent is not recorded.
                    if spans.isEmpty, !standingOnRecord { spans.append(Membership(consent: nil, entry: generalEntry)) }
                    guard var last = spans.last, last.lastDayBound.map({ $0 >= event.date }) ?? true else {
                        flagNotAParty(party.code, event, left: spans.last?.lastDayBound)
                        continue
                    }
                    guard last.lastDayBound == nil, !last.withdrawalUndetermined else {
                        let pending = last.lastDayBound.map { "bound through \($0)" } ?? "its date not yet determined"
                        flags.append(
                            StatusFlag(
                                code: .noticeAlreadyPending,
                                party: party.code,
                                since: event.date,
                                eventId: event.id,
                                message:
                                    "\(party.code) gave notice of withdrawal on \(event.date) while its notice \(last.notice?.id ?? "") is pending (\(pending)); the later notice has no effect."
                            )
                        )
                        step(
                            "withdrawal",
                            eventId: event.id,
                            result: nil,
                            inputs: ["party": party.code],
                            explanation:
                                "\(party.code)'s notice of \(event.date) has no effect: its earlier notice \(last.notice?.id ?? "") is already pending (\(pending))."
                        )
                        continue
                    }
                    last.notice = event
                    withdraw(&last, notice: event, generalEntry: generalEntry)
                    spans[spans.count - 1] = last
                case .withdrawalEffective, .exclusion:
                    // A record that starts with the withdrawal: an original party whose consent is not recorded.
                    if spans.isEmpty, !standingOnRecord { spans.append(Membership(consent: nil, entry: generalEntry)) }
                    guard var last = spans.last else {
                        flagNotAParty(party.code, event, left: nil)
                        continue
                    }
                    if event.type == .exclusion {
                        exclude(&last, by: event)
                    } else {
                        // A recorded outcome with no recorded cause is the record: the party leaves on that date
                        // (flagged by `recordedEndsWithoutCause`, unless a linked agreement's withdrawal explains it).
                        guard last.notice == nil, last.lastDayBound == nil, !last.withdrawalUndetermined,
                            let lastDay = try? event.date.addingDays(-1)
                        else { continue }
                        last.lastDayBound = lastDay
                        last.recordedEnd = event
                    }
                    spans[spans.count - 1] = last
                default:
                    break
                }
            }
            compareRecordedPartyDates(party.code, spans, own)
            result[party.code] = spans
        }
        return result
    }

    /// Flags each membership that a recorded withdrawal ends with nothing in the record to explain it: no notice, and
    /// no withdrawal from a linked agreement. Run after `linkedWithdrawals`, which may supply the cause.
    mutating func recordedEndsWithoutCause(_ memberships: [String: [Membership]]) {
        for party in agreement.parties {
            for membership in memberships[party.code] ?? [] where membership.linkedFrom == nil {
                guard let event = membership.recordedEnd, let lastDay = membership.lastDayBound else { continue }
                flags.append(
                    StatusFlag(
                        code: .withdrawalWithoutNotice,
                        party: party.code,
                        since: event.date,
                        eventId: event.id,
                        message:
                            "The record gives \(event.date) for \(party.code)'s withdrawal taking effect, with no notice of withdrawal recorded to compute it from; \(party.code) is taken to have left on that date."
                    )
                )
                step(
                    "withdrawal",
                    eventId: event.id,
                    result: "\(lastDay)",
                    inputs: ["party": party.code],
                    explanation:
                        "No notice of withdrawal by \(party.code) is recorded; the record says its withdrawal took effect on \(event.date), so it is bound through \(lastDay)."
                )
            }
        }
    }

    /// An act of withdrawal (a notice, a recorded withdrawal) by a state that is not bound on its date: it never
    /// became a party (it only signed, or revoked its consent), or it had already left (`left`: its last day bound).
    mutating func flagNotAParty(_ party: String, _ event: Event, left: CalendarDate?) {
        let why =
            left.map { "it has not been bound since \((try? $0.addingDays(1)) ?? $0)" }
            ?? "no consent to be bound is in force for it on that date"
        let act =
            switch event.type {
            case .noticeOfWithdrawal: "gave notice of withdrawal"
            case .exclusion: "is recorded as excluded"
            default: "is recorded as withdrawing"
            }
        flags.append(
            StatusFlag(
                code: .notAParty,
                party: party,
                since: event.date,
                eventId: event.id,
                message: "\(party) \(act) on \(event.date), but \(why): it is not a party, so the act has no effect."
            )
        )
        step(
            "withdrawal",
            eventId: event.id,
            result: nil,
            inputs: ["party": party],
            explanation: "\(party) \(act) on \(event.date) while not a party (\(why)): no effect."
        )
    }

    private mutating func partyEntry(consent: Event, generalEntry: CalendarDate?) -> CalendarDate? {
        guard let generalEntry else { return nil }
        let party = consent.party ?? ""
        if consent.date <= generalEntry {
            return generalEntry
        }
        let rule = rules.entryIntoForce.laterParties
        guard let date = shifted(consent.date, by: rule?.delay, snap: rule?.snap) else { return nil }
        step(
            "partyEntryIntoForce",
            rule: "entryIntoForce",
            article: rule?.article ?? rules.entryIntoForce.article,
            eventId: consent.id,
            convention: rule.map { conventionText(delay: $0.delay, snap: $0.snap) },
            result: "\(date)",
            inputs: ["party": party, "consent": "\(consent.date)"],
            explanation: rule == nil
                ? "\(party) consented on \(consent.date), after the entry into force: bound from that day."
                : "\(party) consented on \(consent.date), after the entry into force: the agreement enters into force for it on \(date)."
        )
        return date
    }

    private mutating func withdraw(_ membership: inout Membership, notice: Event, generalEntry: CalendarDate?) {
        let party = notice.party ?? ""
        guard let rule = rules.withdrawal else {
            flags.append(
                StatusFlag(
                    code: .noticeWithoutClause,
                    party: party,
                    since: notice.date,
                    eventId: notice.id,
                    message:
                        "\(party) gave notice of withdrawal on \(notice.date), but the agreement has no withdrawal clause; the rules give it no effect."
                )
            )
            step(
                "withdrawal",
                eventId: notice.id,
                result: nil,
                inputs: ["party": party],
                explanation: "The agreement has no withdrawal clause: \(party)'s notice of \(notice.date) has no effect under its rules."
            )
            return
        }
        if let holders = rule.holders, !holders.contains(party) {
            flags.append(
                StatusFlag(
                    code: .noticeWithoutClause,
                    party: party,
                    since: notice.date,
                    eventId: notice.id,
                    message:
                        "\(party) gave notice of withdrawal on \(notice.date), but only \(holders.joined(separator: ", ")) hold a right to withdraw under \(rule.article ?? "the rules")."
                )
            )
            step(
                "withdrawal",
                rule: "withdrawal",
                article: rule.article,
                eventId: notice.id,
                result: nil,
                inputs: ["party": party, "holders": holders.joined(separator: ",")],
                explanation: "Only \(holders.joined(separator: ", ")) may withdraw: \(party)'s notice has no effect under the rules."
            )
            return
        }
        guard let counted = countedDate(of: notice, noticeDate: rule.noticeDate, article: rule.article) else {
            membership.withdrawalUndetermined = true
            return
        }
        if let lockIn = rule.lockIn {
            let base = lockIn.from == .partyEntryIntoForce ? membership.entry : generalEntry
            if let base, let earliest = try? base.plus(lockIn.period), counted < earliest {
                flags.append(
                    StatusFlag(
                        code: .noticeBeforeLockIn,
                        party: party,
                        since: counted,
                        eventId: notice.id,
                        message: "\(party)'s notice counted on \(counted) precedes \(earliest), the first day notice may be given; it has no effect."
                    )
                )
                step(
                    "withdrawal",
                    rule: "withdrawal",
                    article: rule.article,
                    eventId: notice.id,
                    result: nil,
                    inputs: ["counted": "\(counted)", "earliest": "\(earliest)", "lockIn": "\(lockIn.period)"],
                    explanation: "No notice may be given before \(earliest) (\(lockIn.period) from \(base)): the notice has no effect."
                )
                return
            }
        }
        let earliest = rule.earliestEffect?.firstDay(partyEntry: membership.entry, generalEntry: generalEntry)
        let outcome = follow(
            notice,
            countedOn: counted,
            rule: "withdrawal",
            article: rule.article,
            clock: rule.suspendedNotice ?? .restarts
        ) { evaluation, counted, how in
            evaluation.withdrawalEffect(of: notice, countedOn: counted, how: how, rule: rule, earliest: earliest)
        }
        switch outcome {
        case .lastDay(let lastDay):
            membership.lastDayBound = lastDay
            if rule.negotiation?.extensible == true { membership.extensions = extensionsByNotice[notice.id] ?? 0 }
            if let survival = rule.survival, let firstOut = try? lastDay.addingDays(1),
                let end = try? firstOut.plus(survival).addingDays(-1)
            {
                membership.survivesThrough = end
                step(
                    "survival",
                    rule: "withdrawal",
                    article: rule.article,
                    eventId: notice.id,
                    result: "\(end)",
                    inputs: ["party": party, "survival": "\(survival)", "from": "\(firstOut)"],
                    explanation: "Obligations continue for \(survival) after the withdrawal takes effect on \(firstOut): through \(end)."
                )
            }
        case .undetermined:
            membership.withdrawalUndetermined = true
        case .noEffect:
            break
        }
    }

    /// The last day `notice`'s party is bound when the notice counts from `counted`.
    private mutating func withdrawalEffect(
        of notice: Event,
        countedOn counted: CalendarDate,
        how: NoticeCount,
        rule: WithdrawalRule,
        earliest: CalendarDate? = nil
    ) -> NoticeOutcome {
        let party = notice.party ?? ""
        // The arithmetic is the rule's own (`computedDate`), shared with the withdrawal window a status reports.
        guard let computed = try? rule.computedDate(countedOn: counted) else {
            undetermined.append(Undetermined(field: "parties.\(party)", reason: "The withdrawal would take effect after 9999-12-31."))
            return .undetermined
        }
        var convention: String
        if let anchor = rule.anchor {
            convention = rule.anchorConvention(anchor)
        } else {
            let period = rule.notice ?? Period()
            convention =
                rule.counting == .dayAfter
                ? "\(rule.noticeDate.rawValue) + \(period), counted from the day after: the day after the anniversary"
                : "\(rule.noticeDate.rawValue) + \(period) on the same calendar date"
        }
        if rule.snap != nil { convention += ", then the first day of the following month" }
        var effect = computed
        if rule.laterDateMayBeSpecified == true, let stated = notice.statedEffectiveDate, stated > computed {
            effect = stated
            convention += "; the notice names a later date, which applies"
        }
        effect = extendedPeriod(of: notice, from: effect, rule: rule)
        if (extensionsByNotice[notice.id] ?? 0) > 0 { convention += "; extended by agreement to the last extension's date" }
        guard var lastDay = rule.effectDate == .firstDayNotBound ? try? effect.addingDays(-1) : effect,
            var firstOut = try? lastDay.addingDays(1)
        else { return .undetermined }
        step(
            "withdrawal",
            rule: "withdrawal",
            article: rule.article,
            eventId: notice.id,
            convention: convention
                + (rule.effectDate == .firstDayNotBound
                    ? "; the withdrawal takes effect from the start of that day, so the party's last day bound is the day before"
                    : "; the withdrawal takes effect at the end of that day, the party's last day bound"),
            result: "\(lastDay)",
            inputs: ["party": party, "counted": "\(counted)"],
            explanation: (how == .given ? "\(party)'s notice, counted from \(counted), " : how.explanation(counted) ?? "")
                + (rule.anchor?.cutoff.map { cutoff in
                    let late = (counted.month, counted.day) > (cutoff.month, cutoff.day)
                    return "\(late ? "after" : "on or before") \(cutoff.spelled) of \(counted.year), "
                } ?? "")
                + "takes effect on \(firstOut): \(party) is bound through \(lastDay)."
        )
        if let earliest, firstOut < earliest, let deferredLast = try? earliest.addingDays(-1) {
            deferEffect(of: notice, from: firstOut, to: earliest, rule: rule)
            firstOut = earliest
            lastDay = deferredLast
        }

        if rule.negotiation?.endsOnWithdrawalAgreement == true,
            let concluded = events.first(where: {
                $0.type == .withdrawalAgreementInForce && $0.party == party && $0.date >= counted
            })
        {
            if concluded.date <= firstOut {
                negotiationApplied.insert(concluded.id)
                let earlier = concluded.date < firstOut
                if earlier {
                    firstOut = concluded.date
                    lastDay = (try? firstOut.addingDays(-1)) ?? firstOut
                }
                step(
                    "withdrawal",
                    rule: "withdrawal",
                    article: rule.negotiation?.article ?? rule.article,
                    eventId: concluded.id,
                    convention:
                        "the withdrawal takes effect from the day the withdrawal agreement enters into force, if that comes before the end of the period",
                    result: "\(lastDay)",
                    inputs: ["party": party, "agreementInForce": "\(concluded.date)"],
                    explanation: earlier
                        ? "The withdrawal agreement entered into force on \(concluded.date), before the end of the period: \(party) is bound through \(lastDay)."
                        : "The withdrawal agreement entered into force on \(concluded.date), the day the end of the period already gave: \(party) is bound through \(lastDay)."
                )
            } else {
                negotiationNoEffect[concluded.id] = "the withdrawal had already taken effect on \(firstOut)"
            }
        }

        if rule.deferredDuringArmedConflict == true {
            let conflicts = events.filter {
                $0.party == party && ($0.type == .armedConflictBegan || $0.type == .armedConflictEnded)
            }
            if let began = conflicts.last(where: { $0.date < firstOut }), began.type == .armedConflictBegan {
                guard let ended = conflicts.first(where: { $0.type == .armedConflictEnded && $0.date >= firstOut }) else {
                    flags.append(
                        StatusFlag(
                            code: .withdrawalDeferred,
                            party: party,
                            since: firstOut,
                            eventId: began.id,
                            message:
                                "\(party) is engaged in an armed conflict (since \(began.date)); its withdrawal takes effect only when the conflict ends."
                        )
                    )
                    undetermined.append(
                        Undetermined(
                            field: "parties.\(party).lastDayAsParty",
                            reason:
                                "\(rule.article ?? "The withdrawal clause") defers the withdrawal while \(party) is engaged in an armed conflict, which has no recorded end."
                        )
                    )
                    step(
                        "withdrawal",
                        rule: "withdrawal",
                        article: rule.article,
                        eventId: began.id,
                        result: nil,
                        inputs: ["party": party, "conflictSince": "\(began.date)"],
                        explanation:
                            "On \(firstOut) \(party) is engaged in an armed conflict: the withdrawal is deferred until it ends, a date not yet known."
                    )
                    return .undetermined
                }
                firstOut = ended.date
                lastDay = (try? firstOut.addingDays(-1)) ?? firstOut
                step(
                    "withdrawal",
                    rule: "withdrawal",
                    article: rule.article,
                    eventId: ended.id,
                    result: "\(lastDay)",
                    inputs: ["party": party, "conflictEnded": "\(ended.date)"],
                    explanation: "The armed conflict ended on \(ended.date): the withdrawal takes effect that day."
                )
            }
        }
        if let condition = rule.conditionPrecedent {
            switch holdForCondition(condition, notice: notice, firstOut: firstOut, article: rule.article) {
            case .some(let held):
                firstOut = held
                lastDay = (try? firstOut.addingDays(-1)) ?? firstOut
            case .none:
                return .undetermined
            }
        }
        if let stated = notice.statedEffectiveDate, stated != firstOut {
            flags.append(
                StatusFlag(
                    code: .recordedDateDiffers,
                    party: party,
                    since: stated,
                    eventId: notice.id,
                    message: "The record states the withdrawal takes effect on \(stated); the rules give \(firstOut)."
                )
            )
        }
        return .lastDay(lastDay)
    }

    /// `own`: the party's events up to `asOf`, in date order.
    private mutating func compareRecordedPartyDates(_ party: String, _ spans: [Membership], _ own: [Event]) {
        for event in own {
            switch event.type {
            case .entryIntoForceForParty:
                let computed = spans.compactMap(\.entry)
                if !computed.isEmpty, !computed.contains(event.date) {
                    flags.append(
                        StatusFlag(
                            code: .recordedDateDiffers,
                            party: party,
                            since: event.date,
                            eventId: event.id,
                            message:
                                "The record gives entry into force for \(party) on \(event.date); the rules give \(computed.map(\.description).joined(separator: ", "))."
                        )
                    )
                }
            case .withdrawalEffective:
                let computed = spans.compactMap { $0.lastDayBound.flatMap { try? $0.addingDays(1) } }
                if !computed.contains(event.date), !flags.contains(where: { $0.eventId == event.id && $0.code == .notAParty }) {
                    flags.append(
                        StatusFlag(
                            code: .recordedDateDiffers,
                            party: party,
                            since: event.date,
                            eventId: event.id,
                            message:
                                "The record gives \(event.date) for \(party)'s withdrawal taking effect; the rules give \(computed.isEmpty ? "no withdrawal" : computed.map(\.description).joined(separator: ", "))."
                        )
                    )
                }
            default:
                break
            }
        }
    }

    /// Each listed party's standing on `asOf`.
    func partyStatuses(
        _ memberships: [String: [Membership]],
        agreementState: AgreementStatus.State,
        lastDayInForce: CalendarDate?
    ) -> [PartyStatus] {
        // Each party's last act on its signature: a signature (a signatory) or its withdrawal (the event).
        var signatures: [String: Event] = [:]
        for event in events where event.type == .signature || event.type == .signatureWithdrawn {
            if let party = event.party { signatures[party] = event }
        }
        return agreement.parties.map { party in
            let signature = signatures[party.code]
            let signed = signature?.type == .signature
            /// Not bound and no consent pending: a signatory, or not a party (naming a withdrawn signature).
            func unbound() -> PartyStatus {
                if signed { return PartyStatus(party: party.code, status: .signatory) }
                guard let withdrawn = signature else { return PartyStatus(party: party.code, status: .notParty) }
                return PartyStatus(party: party.code, status: .notParty, since: withdrawn.date, eventId: withdrawn.id)
            }
            /// Deposited its consent, not yet bound: from its entry into force, when the rules can fix it.
            func consented(_ consent: Event, boundFrom: CalendarDate?) -> PartyStatus {
                PartyStatus(party: party.code, status: .consented, since: consent.date, boundFrom: boundFrom, eventId: consent.id)
            }
            guard let current = memberships[party.code]?.last else { return unbound() }
            switch agreementState {
            case .notYetInForce:
                guard let consent = current.consent else { return unbound() }
                return consented(consent, boundFrom: current.entry)
            case .terminated, .expired:
                return PartyStatus(party: party.code, status: .notParty, lastDayAsParty: lastDayInForce)
            // `undetermined` is only ever the merge of two readings (RulesEngine+DatePrecision), each evaluated here
            // with a determined state.
            case .inForce, .terminationPending, .undetermined:
                break
            }
            guard let entry = current.entry, entry <= asOf else {
                if let consent = current.consent { return consented(consent, boundFrom: current.entry) }
                return PartyStatus(party: party.code, status: .signatory)
            }
            // The day an original party joined is not in the record: say nothing rather than guess.
            let joined = current.consent == nil ? nil : entry
            if current.withdrawalUndetermined {
                return PartyStatus(party: party.code, status: .withdrawalPending, since: joined)
            }
            if let lastDay = current.lastDayBound {
                if asOf <= lastDay {
                    var pending = PartyStatus(
                        party: party.code,
                        status: .withdrawalPending,
                        since: joined,
                        lastDayAsParty: lastDay,
                        obligationsSurviveThrough: current.survivesThrough
                    )
                    pending.withdrawalExtensions = current.extensions
                    return pending
                }
                var withdrawn = PartyStatus(
                    party: party.code,
                    status: .withdrawn,
                    since: try? lastDay.addingDays(1),
                    lastDayAsParty: lastDay,
                    obligationsSurviveThrough: current.survivesThrough
                )
                withdrawn.withdrawalExtensions = current.extensions
                withdrawn.excludedBy = current.exclusion?.id
                return withdrawn
            }
            return PartyStatus(
                party: party.code,
                status: .party,
                since: joined,
                lastDayAsParty: agreementState == .terminationPending ? lastDayInForce : nil
            )
        }
    }
}
