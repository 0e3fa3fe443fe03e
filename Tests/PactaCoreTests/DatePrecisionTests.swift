import Foundation
import Testing

@testable import PactaCore

/// Shape 12 of issue #14: an event known only to the month or the year is stored with its precision, and the dates
/// derived from it are reported as a range, or as undetermined with the reason, never as a made-up day.
@Suite struct DatePrecisionTests {
    typealias F = Fixtures

    /// A bilateral agreement in force from 2000, either party leaving one year after its notice (dispatch counts).
    static func bilateral(_ events: [Event]) -> Agreement {
        F.indefinite(id: "imprecise", withdrawal: WithdrawalRule(notice: .years(1), noticeDate: .dispatch), events: events)
    }

    static func octoberNotice(received: String? = nil) -> Event {
        Event(
            id: "notice",
            type: .noticeOfWithdrawal,
            date: F.date("2018-10-01"),
            datePrecision: .month,
            party: "AA",
            received: received.map(F.date)
        )
    }

    @Test func aNoticeDatedOnlyToAMonthGivesARangeNotADay() throws {
        let status = RulesEngine.evaluate(Self.bilateral([Self.octoberNotice()]), asOf: F.date("2019-03-01"))
        #expect(status.state == .terminationPending)
        #expect(status.lastDayInForce == nil)
        let range = try #require(status.ranges.first { $0.field == "lastDayInForce" })
        #expect(range.earliest == F.date("2019-09-30"))
        #expect(range.latest == F.date("2019-10-30"))
        #expect(range.eventIds == ["notice"])
        #expect(range.reason.contains("dated only to 2018-10"))
        #expect(status.parties.first { $0.party == "AA" }?.lastDayAsParty == nil)
        #expect(status.ranges.contains { $0.field == "parties.AA.lastDayAsParty" })
        // The trace says how the range came about, and gives it.
        #expect(status.trace.first?.subject == "datePrecision")
        #expect(status.trace.contains { $0.subject == "lastDayInForce" && $0.result == "2019-09-30…2019-10-30" })
    }

    @Test func insideTheRangeTheStateIsUndeterminedWithTheReason() throws {
        let agreement = Self.bilateral([Self.octoberNotice()])
        #expect(RulesEngine.evaluate(agreement, asOf: F.date("2019-09-30")).state == .terminationPending)
        for day in ["2019-10-01", "2019-10-15", "2019-10-30"] {
            let status = RulesEngine.evaluate(agreement, asOf: F.date(day))
            #expect(status.state == .undetermined, "\(day)")
            let reason = try #require(status.undetermined.first { $0.field == "state" })
            #expect(reason.reason.contains("terminated"))
            #expect(reason.reason.contains("terminationPending"))
        }
        #expect(RulesEngine.evaluate(agreement, asOf: F.date("2019-10-31")).state == .terminated)
        // While the month itself runs, the notice may not have been given yet.
        let during = RulesEngine.evaluate(agreement, asOf: F.date("2018-10-10"))
        #expect(during.state == .undetermined)
        #expect(during.undetermined.contains { $0.field == "state" && $0.reason.contains("inForce") })
    }

    @Test func aYearGivesAWiderRangeAndAReceiptOrAnActOnTheNoticeNarrowsIt() throws {
        var yearly = Self.octoberNotice()
        yearly.date = F.date("2018-01-01")
        yearly.datePrecision = .year
        let wide = RulesEngine.evaluate(Self.bilateral([yearly]), asOf: F.date("2019-03-01"))
        #expect(wide.state == .undetermined)
        let range = try #require(wide.ranges.first { $0.field == "lastDayInForce" })
        #expect(range.earliest == F.date("2018-12-31"))
        #expect(range.latest == F.date("2019-12-30"))
        // Not dispatched after it was received: the latest day is the receipt.
        let received = RulesEngine.evaluate(Self.bilateral([Self.octoberNotice(received: "2018-10-12")]), asOf: F.date("2019-03-01"))
        let narrowed = try #require(received.ranges.first { $0.field == "lastDayInForce" })
        #expect(narrowed.earliest == F.date("2019-09-30"))
        #expect(narrowed.latest == F.date("2019-10-11"))
        // Nor after it was revoked.
        let revoked = RulesEngine.evaluate(
            Self.bilateral([
                Self.octoberNotice(),
                Event(id: "revocation", type: .noticeRevoked, date: F.date("2018-10-20"), party: "AA", refersTo: "notice"),
            ]),
            asOf: F.date("2018-10-25")
        )
        #expect(revoked.state == .inForce)
        #expect(revoked.ranges.isEmpty)
    }

    @Test func undeterminedAndRangesReachTheTimelineAndTheDeadlines() throws {
        let agreement = Self.bilateral([Self.octoberNotice()])
        let timeline = RulesEngine.timeline(agreement, asOf: F.date("2019-01-01"), from: F.date("2018-01-01"), to: F.date("2020-12-31"))
        let event = try #require(timeline.items.first { $0.kind == .event })
        #expect(event.date == F.date("2018-10-01"))
        #expect(event.latest == F.date("2018-10-31"))
        #expect(event.description.contains("dated only to 2018-10"))
        let end = try #require(timeline.items.first { $0.kind == .lastDayInForce })
        #expect(end.date == F.date("2019-09-30"))
        #expect(end.latest == F.date("2019-10-30"))
        let deadlines = DeadlineProjection.deadlines(for: agreement, from: F.date("2019-01-01"), through: F.date("2020-12-31"))
        let scheduled = try #require(deadlines.first { $0.kind == .scheduledEnd })
        #expect(scheduled.date == F.date("2019-09-30"))
        #expect(scheduled.latest == F.date("2019-10-30"))
        #expect(scheduled.explanation.contains("between 2019-09-30 and 2019-10-30"))
        // The lifecycle answers every day of the range as the engine does.
        let lifecycle = LifecycleBuilder.build(agreement)
        var day = F.date("2018-09-25")
        while day <= F.date("2019-11-05") {
            #expect(lifecycle.state(on: day) == RulesEngine.state(of: agreement, asOf: day), "\(day)")
            day = try day.addingDays(1)
        }
        TracelessEvaluationTests.check(agreement)
    }

    @Test func singaporesNoticeOfDecember1984TookEffectOn31December1985() throws {
        let unesco = try F.dataset("unesco-constitution")
        func singapore(_ day: String) -> (PartyStatus, AgreementStatus) {
            let status = RulesEngine.evaluate(unesco, asOf: F.date(day))
            return (status.parties.first { $0.party == "SG" }!, status)
        }
        // Member from a day of 1965 the sources do not give.
        let (joining, joiningStatus) = singapore("1965-06-01")
        #expect(joining.status == .undetermined)
        #expect(joiningStatus.undetermined.contains { $0.field == "parties.SG.status" })
        let (member, memberStatus) = singapore("1970-01-01")
        #expect(member.status == .party)
        #expect(member.since == nil)
        let joined = try #require(memberStatus.ranges.first { $0.field == "parties.SG.since" })
        #expect(joined.earliest == F.date("1965-01-01"))
        #expect(joined.latest == F.date("1965-12-31"))
        // The notice is known only to December 1984: Singapore's status that month depends on its day.
        #expect(singapore("1984-12-15").0.status == .undetermined)
        // Art. II(6): every notice of 1984 takes effect on 31 December 1985, so that date is exact.
        let (pending, pendingStatus) = singapore("1985-06-01")
        #expect(pending.status == .withdrawalPending)
        #expect(pending.lastDayAsParty == F.date("1985-12-30"))
        #expect(!pendingStatus.ranges.contains { $0.field == "parties.SG.lastDayAsParty" })
        let (out, _) = singapore("1986-01-01")
        #expect(out.status == .withdrawn)
        #expect(out.since == F.date("1985-12-31"))
        let (back, _) = singapore("2008-01-01")
        #expect(back.status == .party)
        #expect(back.since == F.date("2007-10-08"))
        // The United States' dates are untouched by Singapore's imprecise ones.
        #expect(RulesEngine.evaluate(unesco, asOf: F.date("2019-01-01")).parties.first { $0.party == "US" }?.since == F.date("2018-12-31"))
    }

    /// An entry into force known only to its month (the Statute of the Council of Europe's is known only to its
    /// year): the terms and deadlines counted from it are ranges, and inside the month the state is undetermined.
    @Test func anEntryIntoForceDatedOnlyToAMonthGivesRangesForWhatCountsFromIt() throws {
        var agreement = try F.renewing()
        agreement.rules.entryIntoForce = EntryIntoForceRule(kind: .onEvent)
        agreement.events = [Event(id: "eif", type: .entryIntoForce, date: F.date("2016-11-01"), datePrecision: .month)]
        #expect(AgreementValidator.validate(agreement).isEmpty)
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2017-06-01"))
        #expect(status.state == .inForce)
        #expect(status.entryIntoForce == nil)
        let entry = try #require(status.ranges.first { $0.field == "entryIntoForce" })
        #expect((entry.earliest, entry.latest) == (F.date("2016-11-01"), F.date("2016-11-30")))
        // GSOMIA-style: 90 days before the term's last day (2017-10-31 or 2017-11-29).
        let deadline = try #require(status.ranges.first { $0.field == "noticeDeadline" })
        #expect((deadline.earliest, deadline.latest) == (F.date("2017-08-02"), F.date("2017-08-31")))
        #expect(status.currentTerm == nil)
        #expect(status.undetermined.contains { $0.field == "currentTerm" })
        #expect(RulesEngine.evaluate(agreement, asOf: F.date("2016-11-15")).state == .undetermined)
        #expect(RulesEngine.evaluate(agreement, asOf: F.date("2016-12-01")).state == .inForce)
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func theStoredFormIsTheFirstDayWithItsPrecisionAndAbsentMeansDay() throws {
        let json = #"{"id":"n","type":"noticeOfWithdrawal","date":"2018-10-01","datePrecision":"month","party":"AA"}"#
        let event = try JSONDecoder().decode(Event.self, from: Data(json.utf8))
        #expect(event.datePrecision == .month)
        #expect(event.latestDate == F.date("2018-10-31"))
        let plain = try JSONDecoder().decode(Event.self, from: Data(#"{"id":"n","type":"signature","date":"2018-10-05"}"#.utf8))
        #expect(plain.datePrecision == nil)
        // A document without the field encodes without it: existing documents are unchanged.
        #expect(!String(decoding: try JSONEncoder().encode(plain), as: UTF8.self).contains("datePrecision"))
    }

    @Test func anImpreciseDateMustBeTheFirstDayOfItsPeriodAndOnANoticeConsentOrEntryIntoForce() {
        func pointers(_ event: Event) -> [String] {
            AgreementValidator.validate(Self.bilateral([event])).map(\.pointer)
        }
        var midMonth = Self.octoberNotice()
        midMonth.date = F.date("2018-10-15")
        #expect(pointers(midMonth) == ["/events/0/date"])
        var midYear = Self.octoberNotice()
        midYear.datePrecision = .year
        #expect(pointers(midYear) == ["/events/0/date"])
        let signature = Event(id: "s", type: .signature, date: F.date("2018-10-01"), datePrecision: .month)
        #expect(pointers(signature) == ["/events/0/datePrecision"])
        #expect(pointers(Self.octoberNotice()).isEmpty)
        #expect(pointers(Event(id: "c", type: .consent, date: F.date("1965-01-01"), datePrecision: .year, party: "AA")).isEmpty)
        #expect(pointers(Event(id: "e", type: .entryIntoForce, date: F.date("1949-01-01"), datePrecision: .year)).isEmpty)
    }

    @Test func theSyntheticAgreementsCarryImpreciseEventsForThePropertyTests() {
        let agreements = SyntheticAgreements.generate(count: 300, seed: 11)
        let imprecise = agreements.filter { $0.events.contains { $0.isImprecise } }
        // A fifth of those with a notice or a consent, drawn after the other shapes' draws: 20 of these 300 since the
        // generator also draws sunsets and conditions; enough that the property tests meet both readings often.
        #expect(imprecise.count >= 15)
        #expect(imprecise.contains { $0.events.contains { $0.datePrecision == .year } })
        #expect(imprecise.contains { $0.events.contains { $0.isImprecise && $0.type == .consent } })
        #expect(agreements.allSatisfy { AgreementValidator.validate($0).isEmpty })
    }
}
