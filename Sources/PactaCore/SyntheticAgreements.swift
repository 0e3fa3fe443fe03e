/// A deterministic generator of realistic synthetic agreements, for load tests and benchmarks.
///
/// The shapes follow the bundled dataset: bilateral agreements renewing every year or few years with
/// notice against renewal (GSOMIA), bilateral treaties of indefinite duration with withdrawal on notice
/// (friendship treaties), fixed terms extended by agreement (New START), and multilateral conventions that
/// enter into force after a number of consents, with later accessions and withdrawals (Paris, Rome).
/// Some carry notices, suspensions, revocations and performance suspensions, so every state occurs.
///
/// Agreement `index` depends only on `(seed, index)` (SplitMix64, never the process's randomised hasher),
/// so the same command always writes the same documents, and a large set can be produced in chunks.
public enum SyntheticAgreements {
    /// Every generated id starts with this prefix, so generated agreements never collide with real ones.
    public static let idPrefix = "synthetic-"

    /// Agreements `0..<count` for `seed`.
    public static func generate(count: Int, seed: UInt64 = 1) -> [Agreement] {
        (0..<count).map { agreement(index: $0, seed: seed, count: count) }
    }

    /// The id of agreement `index`, zero-padded so that id order is index order.
    public static func id(index: Int, count: Int) -> String {
        let width = max(6, String(max(count - 1, 0)).count)
        let digits = String(index)
        return idPrefix + String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Agreement `index` of a set of `count` for `seed`.
    public static func agreement(index: Int, seed: UInt64, count: Int) -> Agreement {
        var random = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index))
        let id = id(index: index, count: count)
        let shape = random.next(below: 100)
        var agreement: Agreement
        switch shape {
        case 0..<45: agreement = renewingBilateral(id: id, &random)
        case 45..<65: agreement = indefiniteBilateral(id: id, &random)
        case 65..<75: agreement = extendedByAgreement(id: id, &random)
        default: agreement = multilateral(id: id, &random)
        }
        impreciseNotice(&agreement, &random)
        return agreement
    }

    /// Drawn after everything else, so every other date is what it was before (issue #14, shape 12): one agreement in
    /// five records its first notice (or its last consent) only to the month (a quarter of those only to the year). Under a rule that
    /// counts dispatch the notice keeps no date of receipt, so its effect is a range; under one that counts receipt the
    /// recorded receipt still fixes the effect, and only the days before it are uncertain.
    private static func impreciseNotice(_ agreement: inout Agreement, _ random: inout SplitMix64) {
        // A convention without a notice gets a consent of a later joiner instead (its entry into force for the party
        // becomes a range).
        guard random.next(below: 5) == 0,
            let index = agreement.events.firstIndex(where: { $0.type.isNotice })
                ?? agreement.events.lastIndex(where: { $0.type == .consent })
        else { return }
        let yearly = random.next(below: 4) == 0
        var notice = agreement.events[index]
        let rule =
            notice.type == .noticeOfWithdrawal ? agreement.rules.withdrawal?.noticeDate : agreement.rules.termination?.noticeDate
        guard let first = try? CalendarDate(year: notice.date.year, month: yearly ? 1 : notice.date.month, day: 1) else { return }
        notice.date = first
        notice.datePrecision = yearly ? .year : .month
        if rule == .dispatch { notice.received = nil }
        agreement.events[index] = notice
    }

    // MARK: Shapes

    private static func renewingBilateral(id: String, _ random: inout SplitMix64) -> Agreement {
        let (a, b) = twoParties(&random)
        let topic = topics[random.next(below: topics.count)]
        let signed = date(&random, from: 1960, to: 2026)
        let entry = (try? signed.addingDays(random.next(below: 3) == 0 ? 0 : random.next(below: 400))) ?? signed
        let term = Period(years: [1, 1, 1, 2, 3, 5, 10][random.next(below: 7)])
        let renewal = Period(years: [1, 1, 1, 2, 5][random.next(below: 5)])
        let notice: Period = [.days(90), .days(90), .months(6), .years(1), .days(30)][random.next(below: 5)]
        var events = [
            Event(
                id: "signature",
                type: .signature,
                date: signed,
                summary: "Signed in the capital of \(a.name).",
                source: source(id, "signature")
            ),
            Event(
                id: "entry-into-force",
                type: .entryIntoForce,
                date: entry,
                summary: "Entered into force after the exchange of notes.",
                source: source(id, "entry-into-force")
            ),
        ]
        let roll = random.next(below: 100)
        if roll < 25 {
            let notifier = random.next(below: 2) == 0 ? a : b
            let sent = date(&random, from: max(entry.year + 1, 1990), to: 2026)
            let received = (try? sent.addingDays(random.next(below: 5))) ?? sent
            // Some notices are of non-renewal (the same dates, an `expired` end); decided from `roll`, so the
            // generator draws the same numbers as before and earlier seeds keep their agreements' dates.
            let nonRenewal = roll >= 8 && roll % 2 == 1
            events.append(
                Event(
                    id: "notice-\(notifier.code.lowercased())",
                    type: nonRenewal ? .noticeOfNonRenewal : .noticeOfTermination,
                    date: sent,
                    party: notifier.code,
                    received: received,
                    summary: nonRenewal
                        ? "\(notifier.name) notified that it does not want the agreement renewed."
                        : "\(notifier.name) notified its intention to terminate the agreement.",
                    source: source(id, "notice")
                )
            )
            if roll < 8, let suspended = try? sent.addingDays(30 + random.next(below: 60)) {
                events.append(
                    Event(
                        id: "notice-suspended",
                        type: .noticeSuspended,
                        date: suspended,
                        party: notifier.code,
                        refersTo: events[2].id,
                        summary: "The notice's effect was suspended.",
                        source: source(id, "notice-suspended")
                    )
                )
                if roll < 4, let revoked = try? suspended.addingDays(200 + random.next(below: 900)) {
                    events.append(
                        Event(
                            id: "notice-revoked",
                            type: .noticeRevoked,
                            date: revoked,
                            party: notifier.code,
                            refersTo: events[2].id,
                            summary: "The notice was withdrawn.",
                            source: source(id, "notice-revoked")
                        )
                    )
                }
            }
        } else if roll < 30, let suspended = try? entry.addingDays(365 + random.next(below: 3000)) {
            events.append(
                Event(
                    id: "performance-suspended",
                    type: .performanceSuspended,
                    date: suspended,
                    party: b.code,
                    summary: "\(b.name) suspended its performance.",
                    source: source(id, "performance-suspended")
                )
            )
        }
        let counting: TerminationRule.DeadlineCounting = random.next(below: 2) == 0 ? .beforeLastDayInForce : .beforeExpiryDate
        let noticeDate: TerminationRule.NoticeDate = random.next(below: 3) == 0 ? .dispatch : .receipt
        // Drawn last, so the agreements drawn before this shape existed keep every other date: some suspended notices
        // are resumed, under either convention for a suspended notice's clock.
        let clock: SuspendedNoticeClock? = [nil, .restarts, .pauses][random.next(below: 3)]
        if clock != nil, random.next(below: 2) == 0, !events.contains(where: { $0.type == .noticeRevoked }),
            let suspension = events.first(where: { $0.type == .noticeSuspended }),
            let resumed = try? suspension.date.addingDays(20 + random.next(below: 500))
        {
            events.append(
                Event(
                    id: "notice-resumed",
                    type: .noticeResumed,
                    date: resumed,
                    party: suspension.party,
                    refersTo: suspension.refersTo,
                    summary: "The suspended notice was resumed.",
                    source: source(id, "notice-resumed")
                )
            )
        }
        return Agreement(
            id: id,
            title: "Agreement between \(a.name) and \(b.name) on \(topic.title)",
            shortTitle: "\(a.code)–\(b.code) \(topic.short)",
            kind: .bilateral,
            parties: [a, b],
            tags: ["synthetic", "bilateral", topic.tag],
            summary: "Synthetic. In force for \(term), renewed automatically for \(renewal) unless a party gives \(notice) notice.",
            rules: Rules(
                entryIntoForce: EntryIntoForceRule(kind: .onEvent, article: "Art. 20"),
                term: TermRule(kind: .fixed, length: term, article: "Art. 21"),
                renewal: RenewalRule(kind: .automatic, period: renewal, article: "Art. 21"),
                termination: TerminationRule(
                    notice: notice,
                    counting: counting,
                    noticeDate: noticeDate,
                    suspendedNotice: clock,
                    article: "Art. 21"
                )
            ),
            events: events
        )
    }

    private static func indefiniteBilateral(id: String, _ random: inout SplitMix64) -> Agreement {
        let (a, b) = twoParties(&random)
        let topic = topics[random.next(below: topics.count)]
        let signed = date(&random, from: 1950, to: 2022)
        let entry = (try? signed.addingDays(30 + random.next(below: 700))) ?? signed
        var events = [
            Event(id: "signature", type: .signature, date: signed, summary: "Signed.", source: source(id, "signature")),
            Event(
                id: "entry-into-force",
                type: .entryIntoForce,
                date: entry,
                summary: "Entered into force on the exchange of instruments of ratification.",
                source: source(id, "entry-into-force")
            ),
        ]
        if random.next(below: 100) < 12 {
            let notifier = random.next(below: 2) == 0 ? a : b
            let sent = date(&random, from: max(entry.year + 2, 1995), to: 2026)
            events.append(
                Event(
                    id: "withdrawal-\(notifier.code.lowercased())",
                    type: .noticeOfWithdrawal,
                    date: sent,
                    party: notifier.code,
                    received: sent,
                    summary: "\(notifier.name) gave notice of withdrawal.",
                    source: source(id, "withdrawal")
                )
            )
        }
        let counting: WithdrawalRule.Counting = random.next(below: 2) == 0 ? .sameCalendarDate : .dayAfter
        // Drawn last, so the agreements drawn before this shape existed keep every other date: a quarter allow a party
        // to suspend its performance 150 days after notifying it, and some record such a notification (and a
        // resumption, before or after the suspension took effect).
        let suspension: PerformanceSuspensionRule? =
            random.next(below: 4) == 0 ? PerformanceSuspensionRule(notice: .days(150), article: "Art. 32") : nil
        if suspension != nil, random.next(below: 2) == 0, let notified = try? entry.addingDays(200 + random.next(below: 4000)) {
            events.append(
                Event(
                    id: "suspension-\(b.code.lowercased())",
                    type: .performanceSuspensionNotified,
                    date: notified,
                    party: b.code,
                    received: notified,
                    summary: "\(b.name) notified the suspension of its performance.",
                    source: source(id, "suspension")
                )
            )
            if random.next(below: 2) == 0, let resumed = try? notified.addingDays(30 + random.next(below: 400)) {
                events.append(
                    Event(
                        id: "resumption-\(b.code.lowercased())",
                        type: .performanceResumed,
                        date: resumed,
                        party: b.code,
                        summary: "\(b.name) resumed its performance.",
                        source: source(id, "resumption")
                    )
                )
            }
        }
        // Drawn after that: a fifth keep their provisions for ten years after a party ends them (a sunset clause).
        let survival: AgreementSurvival? =
            random.next(below: 5) == 0 ? AgreementSurvival(period: .years(10), scope: "investments made before the end", article: "Art. 33") : nil
        // Drawn after that (issue #14, shape 8): a third may be terminated at any time but with no effect before the end
        // of an initial ten years (the US–Iran Treaty of Amity's clause), which defers some of the notices above.
        let earliestEffect: WithdrawalRule.EarliestEffect? =
            random.next(below: 3) == 0 ? .init(period: .years(10), from: .entryIntoForce, article: "Art. 31(2)") : nil
        return Agreement(
            id: id,
            title: "Treaty of \(topic.title) between \(a.name) and \(b.name)",
            shortTitle: "\(a.code)–\(b.code) treaty",
            kind: .bilateral,
            parties: [a, b],
            tags: ["synthetic", "bilateral", topic.tag],
            summary: "Synthetic. In force indefinitely; either party may withdraw on one year's notice"
                + (suspension == nil ? "." : ", and suspend its performance 150 days after notifying it."),
            rules: Rules(
                entryIntoForce: EntryIntoForceRule(kind: .onEvent, article: "Art. 30"),
                term: TermRule(kind: .indefinite, article: "Art. 31"),
                withdrawal: WithdrawalRule(
                    notice: .years(1),
                    noticeDate: .receipt,
                    counting: counting,
                    earliestEffect: earliestEffect,
                    article: "Art. 31"
                ),
                performanceSuspension: suspension,
                survival: survival
            ),
            events: events
        )
    }

    private static func extendedByAgreement(id: String, _ random: inout SplitMix64) -> Agreement {
        let (a, b) = twoParties(&random)
        let topic = topics[random.next(below: topics.count)]
        let signed = date(&random, from: 1970, to: 2020)
        let entry = (try? signed.addingDays(60 + random.next(below: 300))) ?? signed
        let term = Period(years: [5, 10, 10, 15][random.next(below: 4)])
        var events = [
            Event(id: "signature", type: .signature, date: signed, summary: "Signed.", source: source(id, "signature")),
            Event(
                id: "entry-into-force",
                type: .entryIntoForce,
                date: entry,
                summary: "Entered into force.",
                source: source(id, "entry-into-force")
            ),
        ]
        if random.next(below: 2) == 0, let agreed = try? entry.plus(term).addingDays(-(10 + random.next(below: 300))) {
            events.append(
                Event(
                    id: "extension-1",
                    type: .extensionAgreed,
                    date: agreed,
                    period: .years(5),
                    summary: "The parties agreed to extend the agreement by five years.",
                    source: source(id, "extension")
                )
            )
        }
        // Drawn last, so the agreements drawn before these shapes existed keep every other date.
        let variant = random.next(below: 4)
        let counting: RenewalRule.ExtensionCounting = random.next(below: 2) == 0 ? .fromDecision : .fromTermEnd
        if variant == 0 {
            return reviewed(id: id, a: a, b: b, topic: topic, term: term, counting: counting, events: Array(events.prefix(2)), &random)
        }
        return Agreement(
            id: id,
            title: "Agreement between \(a.name) and \(b.name) on \(topic.title)",
            shortTitle: "\(a.code)–\(b.code) \(topic.short)",
            kind: .bilateral,
            parties: [a, b],
            tags: ["synthetic", "bilateral", topic.tag],
            summary: "Synthetic. In force for \(term); the parties may agree to extend it once for at most five years"
                + (variant == 1 ? ", a new term counted from the decision." : "."),
            rules: Rules(
                entryIntoForce: EntryIntoForceRule(kind: .onEvent, article: "Art. XIV(1)"),
                term: TermRule(kind: .fixed, length: term, article: "Art. XIV(2)"),
                renewal: RenewalRule(
                    kind: .byAgreement,
                    maxRenewals: 1,
                    maxPeriod: .years(5),
                    extensionCounting: variant == 1 ? .fromDecision : nil,
                    article: "Art. XIV(2)"
                ),
                withdrawal: WithdrawalRule(notice: .months(3), noticeDate: .receipt, article: "Art. XIV(3)")
            ),
            events: events
        )
    }

    /// A fixed term with joint reviews (USMCA Art. 34.7's shape): the first review `P3Y` after entry into force,
    /// yearly while the extension is not confirmed, each extension of the term's length.
    private static func reviewed(
        id: String,
        a: Party,
        b: Party,
        topic: Topic,
        term: Period,
        counting: RenewalRule.ExtensionCounting,
        events: [Event],
        _ random: inout SplitMix64
    ) -> Agreement {
        var events = events
        let entry = events[1].date
        func add(_ name: String, _ type: EventType, _ party: Party, yearsAfterEntry years: Int) {
            guard let date = try? entry.plus(.years(years)).addingDays(random.next(below: 3) == 0 ? 0 : random.next(below: 200))
            else { return }
            events.append(
                Event(
                    id: name,
                    type: type,
                    date: date,
                    party: party.code,
                    summary: type == .extensionConfirmed ? "\(party.name) confirmed the extension." : "\(party.name) did not confirm the extension.",
                    source: source(id, name)
                )
            )
        }
        switch random.next(below: 4) {
        case 0:
            add("confirmed-\(a.code.lowercased())", .extensionConfirmed, a, yearsAfterEntry: 3)
            add("confirmed-\(b.code.lowercased())", .extensionConfirmed, b, yearsAfterEntry: 3)
        case 1:
            add("not-confirmed-\(b.code.lowercased())", .extensionNotConfirmed, b, yearsAfterEntry: 3)
            add("confirmed-\(a.code.lowercased())", .extensionConfirmed, a, yearsAfterEntry: 4)
            add("confirmed-\(b.code.lowercased())", .extensionConfirmed, b, yearsAfterEntry: 5)
        case 2:
            add("not-confirmed-\(a.code.lowercased())", .extensionNotConfirmed, a, yearsAfterEntry: 3)
        default:
            break
        }
        events.sort { $0.date < $1.date }
        return Agreement(
            id: id,
            title: "Agreement between \(a.name) and \(b.name) on \(topic.title)",
            shortTitle: "\(a.code)–\(b.code) \(topic.short)",
            kind: .bilateral,
            parties: [a, b],
            tags: ["synthetic", "bilateral", topic.tag],
            summary: "Synthetic. In force for \(term), with joint reviews from the third year that may extend it by \(term).",
            rules: Rules(
                entryIntoForce: EntryIntoForceRule(kind: .onEvent, article: "Art. XIV(1)"),
                term: TermRule(kind: .fixed, length: term, article: "Art. XIV(2)"),
                renewal: RenewalRule(
                    kind: .byReview,
                    period: term,
                    extensionCounting: counting,
                    review: ReviewRule(first: .years(3), interval: .years(1), afterExtension: .years(3), article: "Art. XIV(3)"),
                    article: "Art. XIV(2)"
                ),
                withdrawal: WithdrawalRule(notice: .months(3), noticeDate: .receipt, article: "Art. XIV(4)")
            ),
            events: events
        )
    }

    /// A multilateral convention recording `partyCount` parties (at most 193), for benchmarks.
    public static func multilateral(partyCount: Int, seed: UInt64 = 1) -> Agreement {
        var random = SplitMix64(seed: seed)
        return multilateral(id: "synthetic-multilateral-\(partyCount)", &random, partyCount: min(partyCount, states.count))
    }

    private static func multilateral(id: String, _ random: inout SplitMix64, partyCount fixedCount: Int? = nil) -> Agreement {
        let topic = topics[random.next(below: topics.count)]
        // Most conventions record a handful of parties; a few record almost every state.
        let drawn = random.next(below: 40) == 0 ? 150 + random.next(below: 41) : 3 + random.next(below: 13)
        let partyCount = fixedCount ?? drawn
        var codes = Array(0..<states.count)
        for index in 0..<partyCount {
            codes.swapAt(index, index + random.next(below: codes.count - index))
        }
        let parties = codes.prefix(partyCount).map { party(states[$0]) }
        let required = max(1, partyCount * (40 + random.next(below: 50)) / 100)
        let opened = date(&random, from: 1950, to: 2024)
        var events = [
            Event(
                id: "adoption",
                type: .signature,
                date: opened,
                summary: "Adopted and opened for signature.",
                source: source(id, "adoption")
            )
        ]
        var consentDates: [CalendarDate] = []
        for (index, party) in parties.enumerated() {
            let offset = index < required ? random.next(below: 1500) : 1000 + random.next(below: 6000)
            guard let consent = try? opened.addingDays(offset) else { continue }
            consentDates.append(consent)
            events.append(
                Event(
                    id: "consent-\(party.code.lowercased())",
                    type: .consent,
                    date: consent,
                    party: party.code,
                    summary: "\(party.name) deposited its instrument of ratification.",
                    source: source(id, "consent-\(party.code.lowercased())")
                )
            )
        }
        let withdrawals = random.next(below: 4) == 0 ? 1 + random.next(below: 3) : 0
        for offset in 0..<min(withdrawals, parties.count) {
            let party = parties[parties.count - 1 - offset]
            let base = consentDates.max() ?? opened
            guard let sent = try? base.addingDays(800 + random.next(below: 4000)) else { continue }
            events.append(
                Event(
                    id: "withdrawal-\(party.code.lowercased())",
                    type: .noticeOfWithdrawal,
                    date: sent,
                    party: party.code,
                    received: sent,
                    summary: "\(party.name) notified the depositary of its withdrawal.",
                    source: source(id, "withdrawal-\(party.code.lowercased())")
                )
            )
        }
        let delay: Period = [.days(30), .days(90), .months(3), .days(60)][random.next(below: 4)]
        let snap: DateSnap? = random.next(below: 3) == 0 ? .firstDayOfNextMonth : nil
        let lockIn: WithdrawalRule.LockIn? = random.next(below: 2) == 0 ? .init(period: .years(3), from: .partyEntryIntoForce) : nil
        // Drawn last, so the agreements drawn before this shape existed keep every other date.
        let calendarAnchored = random.next(below: 3) == 0
        var withdrawal =
            calendarAnchored
            ? WithdrawalRule(
                noticeDate: .receipt,
                anchor: .init(month: 6, day: 30, yearsAfterNotice: 0, cutoff: .init(month: 1, day: 1)),
                lockIn: lockIn,
                article: "Art. 45"
            )
            : WithdrawalRule(notice: .years(1), noticeDate: .receipt, counting: .sameCalendarDate, lockIn: lockIn, article: "Art. 45")
        // Drawn after that: a quarter of the others negotiate their way out (TEU Art. 50(3)), extending the period
        // once or more, sometimes too late (flagged), sometimes ended early by a withdrawal agreement.
        let negotiated = !calendarAnchored && random.next(below: 4) == 0
        if negotiated {
            withdrawal = WithdrawalRule(
                notice: .years(2),
                noticeDate: .receipt,
                effectDate: .lastDayBound,
                lockIn: lockIn,
                negotiation: .init(extensible: true, endsOnWithdrawalAgreement: true, article: "Art. 45(3)"),
                article: "Art. 45"
            )
            for notice in events where notice.type == .noticeOfWithdrawal {
                guard let party = notice.party, var until = try? notice.date.plus(.years(2)) else { continue }
                let code = party.lowercased()
                var agreedFrom = notice.date
                for round in 1...(1 + random.next(below: 3)) {
                    let late = random.next(below: 8) == 0
                    guard
                        let agreed = late ? try? until.addingDays(1) : try? agreedFrom.addingDays(random.next(below: agreedFrom.days(to: until) + 1)),
                        let extended = try? until.addingDays(30 + random.next(below: 400))
                    else { break }
                    events.append(
                        Event(
                            id: "extension-\(code)-\(round)",
                            type: .withdrawalPeriodExtended,
                            date: agreed,
                            party: party,
                            refersTo: notice.id,
                            statedEffectiveDate: extended,
                            summary: "The period of \(party)'s withdrawal was extended by agreement.",
                            source: source(id, "extension-\(code)-\(round)")
                        )
                    )
                    if late { break }
                    agreedFrom = agreed
                    until = extended
                }
                if random.next(below: 3) == 0, let concluded = try? agreedFrom.addingDays(1 + random.next(below: agreedFrom.days(to: until) + 30)) {
                    events.append(
                        Event(
                            id: "withdrawal-agreement-\(code)",
                            type: .withdrawalAgreementInForce,
                            date: concluded,
                            party: party,
                            summary: "The withdrawal agreement with \(party) entered into force.",
                            source: source(id, "withdrawal-agreement-\(code)")
                        )
                    )
                }
            }
        }
        // Drawn after that: a third of the plain ones hold a withdrawal back until a condition is met (ILO Constitution
        // Art. 1(5)): recorded as met (before or after the period ends), disputed (and sometimes met later), or neither.
        if !calendarAnchored, !negotiated, random.next(below: 3) == 0 {
            withdrawal.conditionPrecedent = WithdrawalCondition(description: "all its financial obligations fulfilled", article: "Art. 45(2)")
            for notice in events where notice.type == .noticeOfWithdrawal {
                guard let party = notice.party else { continue }
                let code = party.lowercased()
                let roll = random.next(below: 4)
                if roll == 2, let disputed = try? notice.date.addingDays(30 + random.next(below: 300)) {
                    events.append(
                        Event(
                            id: "condition-disputed-\(code)",
                            type: .withdrawalConditionDisputed,
                            date: disputed,
                            refersTo: notice.id,
                            summary: "The depositary holds that \(party) has not fulfilled its financial obligations.",
                            source: source(id, "condition-disputed-\(code)")
                        )
                    )
                }
                if roll < 2 || (roll == 2 && random.next(below: 2) == 0), let met = try? notice.date.addingDays(300 + random.next(below: 500)) {
                    events.append(
                        Event(
                            id: "condition-met-\(code)",
                            type: .withdrawalConditionMet,
                            date: met,
                            party: party,
                            refersTo: notice.id,
                            summary: "\(party)'s financial obligations are recorded as fulfilled.",
                            source: source(id, "condition-met-\(code)")
                        )
                    )
                }
            }
        }
        // Drawn last (issue #14, shape 8): a fifth have no withdrawal taking effect before eight years after the
        // party's own entry into force, whenever the notice is given (beside or instead of the lock-in).
        if random.next(below: 5) == 0, !calendarAnchored {
            withdrawal.earliestEffect = .init(period: .years(8), from: .partyEntryIntoForce, article: "Art. 45(2)")
        }
        return Agreement(
            id: id,
            title: "Convention on \(topic.title)",
            shortTitle: "\(topic.short.capitalizedFirst) Convention",
            kind: .multilateral,
            parties: parties,
            tags: ["synthetic", "multilateral", topic.tag],
            summary: "Synthetic. Enters into force \(delay) after the \(required)th consent; "
                + (calendarAnchored
                    ? "a party may withdraw on 30 June of a year by notice received on or before 1 January of that year."
                    : negotiated
                        ? "a party leaves two years after its notice, or later as extended by agreement, or earlier on a withdrawal agreement."
                        : "a party may withdraw on one year's notice after a lock-in."),
            rules: Rules(
                entryIntoForce: EntryIntoForceRule(
                    kind: .afterConsents,
                    consentsRequired: required,
                    delay: delay,
                    snap: snap,
                    laterParties: LaterPartiesRule(delay: delay, snap: snap, article: "Art. 40(2)"),
                    article: "Art. 40(1)"
                ),
                term: TermRule(kind: .indefinite),
                withdrawal: withdrawal
            ),
            events: events
        )
    }

    // MARK: Parts

    private static func twoParties(_ random: inout SplitMix64) -> (Party, Party) {
        let first = random.next(below: states.count)
        var second = random.next(below: states.count - 1)
        if second >= first { second += 1 }
        return (party(states[first]), party(states[second]))
    }

    private static func party(_ code: String) -> Party { Party(code: code, name: "State \(code)") }

    private static func date(_ random: inout SplitMix64, from: Int, to: Int) -> CalendarDate {
        let low = CalendarDate(uncheckedYear: from, month: 1, day: 1).dayNumber
        let high = CalendarDate(uncheckedYear: max(from, to), month: 12, day: 31).dayNumber
        return (try? CalendarDate(dayNumber: low + random.next(below: high - low + 1))) ?? .minimum
    }

    private static func source(_ id: String, _ event: String) -> String {
        "https://treaties.example.org/\(id)/\(event)"
    }

    private struct Topic {
        let title: String
        let short: String
        let tag: String
    }

    private static let topics: [Topic] = [
        .init(title: "the Protection of Classified Military Information", short: "GSOMIA", tag: "security"),
        .init(title: "Cooperation in the Peaceful Uses of Nuclear Energy", short: "nuclear cooperation", tag: "nuclear"),
        .init(title: "the Avoidance of Double Taxation", short: "tax treaty", tag: "tax"),
        .init(title: "Air Services", short: "air services", tag: "transport"),
        .init(title: "Fisheries Cooperation", short: "fisheries", tag: "fisheries"),
        .init(title: "Scientific and Technological Cooperation", short: "science", tag: "science"),
        .init(title: "the Reciprocal Promotion and Protection of Investments", short: "investment", tag: "investment"),
        .init(title: "Mutual Legal Assistance in Criminal Matters", short: "legal assistance", tag: "justice"),
        .init(title: "Social Security", short: "social security", tag: "social"),
        .init(title: "Defence Cooperation", short: "defence", tag: "security"),
        .init(title: "Cultural Cooperation", short: "culture", tag: "culture"),
        .init(title: "Trade and Economic Cooperation", short: "trade", tag: "trade"),
    ]

    /// ISO 3166-1 alpha-2 codes of the 193 UN member states.
    static let states: [String] = """
        AF AL DZ AD AO AG AR AM AU AT AZ BS BH BD BB BY BE BZ BJ BT BO BA BW BR BN BG BF BI CV KH CM CA CF TD CL \
        CN CO KM CG CR CI HR CU CY CZ KP CD DK DJ DM DO EC EG SV GQ ER EE SZ ET FJ FI FR GA GM GE DE GH GR GD GT \
        GN GW GY HT HN HU IS IN ID IR IQ IE IL IT JM JP JO KZ KE KI KW KG LA LV LB LS LR LY LI LT LU MG MW MY MV \
        ML MT MH MR MU MX FM MD MC MN ME MA MZ MM NA NR NP NL NZ NI NE NG MK NO OM PK PW PA PG PY PE PH PL PT QA \
        KR RO RU RW KN LC VC WS SM ST SA SN RS SC SL SG SK SI SB SO ZA SS ES LK SD SR SE CH SY TJ TH TL TG TO TT \
        TN TR TM TV UG UA AE GB TZ US UY UZ VU VE VN YE ZM ZW
        """.split(separator: " ").map(String.init)
}

/// SplitMix64 (Steele, Lea and Flood): tiny, fast and fully determined by its seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (`bound` > 0); the modulo bias is irrelevant for test data.
    mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

extension String {
    fileprivate var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
