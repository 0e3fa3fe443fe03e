import Testing

@testable import PactaCore

/// Shape 1 (TEU Art. 50(3)): a withdrawal after a negotiation period the parties may extend, repeatedly, and that
/// a withdrawal agreement may end earlier.
@Suite struct NegotiationPeriodWithdrawalTests {
    typealias F = Fixtures

    static let article50 = WithdrawalRule(
        notice: .years(2),
        noticeDate: .dispatch,
        counting: .sameCalendarDate,
        effectDate: .lastDayBound,
        negotiation: .init(extensible: true, endsOnWithdrawalAgreement: true, article: "Art. 50(3)"),
        article: "Art. 50"
    )

    static func agreement(_ rule: WithdrawalRule = article50, events: [Event]) -> Agreement {
        WithdrawalShapeTests.multilateral(withdrawal: rule, events: [WithdrawalShapeTests.withdrawalNotice("AA", "2017-03-29", id: "n")] + events)
    }

    static func extended(_ id: String, on day: String, until: String, notice: String = "n") -> Event {
        Event(id: id, type: .withdrawalPeriodExtended, date: F.date(day), party: "AA", refersTo: notice, statedEffectiveDate: F.date(until))
    }

    static func party(_ agreement: Agreement, on day: String, _ code: String = "GB") -> PartyStatus {
        RulesEngine.evaluate(agreement, asOf: F.date(day)).parties.first { $0.party == code }!
    }

    @Test func theUnitedKingdomLeftAtTheEndOf31January2020AfterThreeExtensions() throws {
        let teu = try F.dataset("teu-article-50")
        // Without the extensions the period would have ended with 29 March 2019.
        let first = Self.party(teu, on: "2019-03-21")
        #expect(first.lastDayAsParty == F.date("2019-03-29"))
        #expect(first.withdrawalExtensions == 0)
        let cases: [(String, String, Int)] = [
            ("2019-03-22", "2019-04-12", 1), ("2019-04-11", "2019-10-31", 2), ("2019-10-29", "2020-01-31", 3),
        ]
        for (day, lastDay, count) in cases {
            let standing = Self.party(teu, on: day)
            #expect(standing.status == .withdrawalPending, "\(day)")
            #expect(standing.lastDayAsParty == F.date(lastDay), "\(day)")
            #expect(standing.withdrawalExtensions == count, "\(day)")
        }
        let bound = Self.party(teu, on: "2020-01-31")
        #expect(bound.status == .withdrawalPending)
        let out = Self.party(teu, on: "2020-02-01")
        #expect(out.status == .withdrawn)
        #expect(out.since == F.date("2020-02-01"))
        #expect(out.lastDayAsParty == F.date("2020-01-31"))
        #expect(out.withdrawalExtensions == 3)
        let status = RulesEngine.evaluate(teu, asOf: F.date("2020-02-01"))
        #expect(status.flags == [])
        let steps = status.trace.filter { $0.subject == "withdrawalExtension" }
        #expect(steps.map(\.result) == ["2019-04-12", "2019-10-31", "2020-01-31"])
        #expect(steps.allSatisfy { $0.convention?.contains("at the end of that day") == true })
    }

    @Test func theDeadlinesListTheWithdrawalOnTheDayItTookEffect() throws {
        let teu = try F.dataset("teu-article-50")
        let found = DeadlineProjection.deadlines(for: teu, from: F.date("2019-01-01"), through: F.date("2020-12-31"))
        #expect(found.map(\.kind) == [.withdrawalEffective])
        #expect(found.map(\.date) == [F.date("2020-02-01")])
        let timeline = RulesEngine.timeline(teu, asOf: F.date("2019-11-01"), from: F.date("2019-01-01"), to: F.date("2020-12-31"))
        #expect(timeline.items.contains { $0.kind == .lastDayAsParty && $0.date == F.date("2020-01-31") })
    }

    @Test func aWithdrawalAgreementInForceBeforeTheEndOfThePeriodEndsItEarlier() {
        let agreement = Self.agreement(events: [
            Self.extended("e1", on: "2019-03-20", until: "2019-10-31"),
            Event(id: "wa", type: .withdrawalAgreementInForce, date: F.date("2019-08-01"), party: "AA"),
        ])
        let standing = RulesEngine.evaluate(agreement, asOf: F.date("2019-08-01")).parties[0]
        #expect(standing.status == .withdrawn)
        #expect(standing.since == F.date("2019-08-01"))
        #expect(standing.withdrawalExtensions == 1)
    }

    @Test func anExtensionAfterThePeriodEndedIsFlaggedAndChangesNothing() {
        let agreement = Self.agreement(events: [Self.extended("late", on: "2019-03-30", until: "2019-10-31")])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2019-04-01"))
        #expect(status.parties[0].status == .withdrawn)
        #expect(status.parties[0].lastDayAsParty == F.date("2019-03-29"))
        #expect(status.parties[0].withdrawalExtensions == 0)
        #expect(status.flags.map(\.code) == [.extensionWithoutEffect])
        #expect(status.flags.first?.message.contains("already ended") == true)
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func anExtensionThatMovesNothingOrUnderARuleWithoutOneIsFlagged() {
        let shorter = Self.agreement(events: [Self.extended("short", on: "2018-01-01", until: "2019-01-31")])
        let status = RulesEngine.evaluate(shorter, asOf: F.date("2018-06-01"))
        #expect(status.parties[0].lastDayAsParty == F.date("2019-03-29"))
        #expect(status.flags.map(\.code) == [.extensionWithoutEffect])
        var plain = Self.article50
        plain.negotiation = nil
        let unclaused = RulesEngine.evaluate(
            Self.agreement(plain, events: [Self.extended("e", on: "2018-01-01", until: "2019-10-31")]),
            asOf: F.date("2018-06-01")
        )
        #expect(unclaused.parties[0].lastDayAsParty == F.date("2019-03-29"))
        #expect(unclaused.parties[0].withdrawalExtensions == nil)
        #expect(unclaused.flags.map(\.code) == [.extensionWithoutEffect])
    }

    @Test func aWithdrawalAgreementAfterTheWithdrawalOrWithoutANoticeIsFlagged() {
        let after = Self.agreement(events: [Event(id: "wa", type: .withdrawalAgreementInForce, date: F.date("2019-06-01"), party: "AA")])
        let status = RulesEngine.evaluate(after, asOf: F.date("2019-07-01"))
        #expect(status.parties[0].since == F.date("2019-03-30"))
        #expect(status.flags.map(\.code) == [.withdrawalAgreementWithoutEffect])
        let stray = WithdrawalShapeTests.multilateral(
            withdrawal: Self.article50,
            events: [Event(id: "wa", type: .withdrawalAgreementInForce, date: F.date("2019-06-01"), party: "BB")]
        )
        let strayStatus = RulesEngine.evaluate(stray, asOf: F.date("2019-07-01"))
        #expect(strayStatus.parties[1].status == .party)
        #expect(strayStatus.flags.map(\.code) == [.withdrawalAgreementWithoutEffect])
        #expect(strayStatus.trace.contains { $0.eventId == "wa" })
        NoSilentNoOpTests.checkEquivalence(stray)
    }

    @Test func anExtensionMustNameANoticeOfWithdrawalAndItsDate() {
        var agreement = Self.agreement(events: [
            Event(id: "e", type: .withdrawalPeriodExtended, date: F.date("2018-01-01"), party: "AA")
        ])
        #expect(AgreementValidator.validate(agreement).map(\.pointer).sorted() == ["/events/1/refersTo", "/events/1/statedEffectiveDate"])
        agreement.events[1] = Self.extended("e", on: "2018-01-01", until: "2019-10-31", notice: "nowhere")
        #expect(AgreementValidator.validate(agreement).map(\.pointer) == ["/events/1/refersTo"])
    }

    @Test func extensionsKeepTheFastPathsAndTheLifecycleEqualToTheEngine() throws {
        NoSilentNoOpTests.checkEquivalence(try F.dataset("teu-article-50"))
        NoSilentNoOpTests.checkEquivalence(
            Self.agreement(events: [
                Self.extended("e1", on: "2019-03-20", until: "2019-06-30"), Self.extended("e2", on: "2019-06-30", until: "2019-12-31"),
            ])
        )
    }
}
