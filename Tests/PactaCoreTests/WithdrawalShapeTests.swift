import Testing

@testable import PactaCore

/// Shapes the dataset cannot show yet (no sourced case), checked on constructed agreements.
@Suite struct WithdrawalShapeTests {
    typealias F = Fixtures

    static func multilateral(withdrawal: WithdrawalRule?, events: [Event]) -> Agreement {
        Agreement(
            id: "m",
            title: "M",
            kind: .multilateral,
            parties: [Party(code: "AA", name: "A"), Party(code: "BB", name: "B"), Party(code: "CC", name: "C")],
            rules: Rules(
                entryIntoForce: .init(kind: .onDate, date: F.date("2000-01-01")),
                term: .init(kind: .indefinite),
                withdrawal: withdrawal
            ),
            events: events
        )
    }

    static func withdrawalNotice(_ party: String, _ date: String, id: String = "w1") -> Event {
        Event(id: id, type: .noticeOfWithdrawal, date: F.date(date), party: party, received: F.date(date))
    }

    @Test func armedConflictDefersTheWithdrawalUntilItEnds() {
        let rule = WithdrawalRule(notice: .months(6), deferredDuringArmedConflict: true)
        var events = [
            Event(id: "c1", type: .armedConflictBegan, date: F.date("2020-01-01"), party: "AA"),
            Self.withdrawalNotice("AA", "2021-01-10"),
        ]
        let pending = RulesEngine.evaluate(Self.multilateral(withdrawal: rule, events: events), asOf: F.date("2022-01-01"))
        #expect(pending.parties[0].status == .withdrawalPending)
        #expect(pending.parties[0].lastDayAsParty == nil)
        #expect(pending.undetermined.map(\.field) == ["parties.AA.lastDayAsParty"])
        #expect(pending.flags.map(\.code) == [.withdrawalDeferred])
        events.append(Event(id: "c2", type: .armedConflictEnded, date: F.date("2023-03-15"), party: "AA"))
        let ended = RulesEngine.evaluate(Self.multilateral(withdrawal: rule, events: events), asOf: F.date("2023-03-15"))
        #expect(ended.parties[0].status == .withdrawn)
        #expect(ended.parties[0].lastDayAsParty == F.date("2023-03-14"))
    }

    @Test func onlyTheHolderMayWithdraw() {
        let rule = WithdrawalRule(notice: .years(1), holders: ["AA"])
        let agreement = Self.multilateral(
            withdrawal: rule,
            events: [Self.withdrawalNotice("AA", "2020-01-10"), Self.withdrawalNotice("BB", "2020-01-10", id: "w2")]
        )
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2021-06-01"))
        #expect(status.parties.map(\.status) == [.withdrawn, .party, .party])
        #expect(status.flags.map(\.code) == [.noticeWithoutClause])
    }

    @Test func withoutAWithdrawalClauseANoticeHasNoEffect() {
        let status = RulesEngine.evaluate(
            Self.multilateral(withdrawal: nil, events: [Self.withdrawalNotice("CC", "1997-08-25")]),
            asOf: F.date("2000-01-01")
        )
        #expect(status.parties[2].status == .party)
        #expect(status.flags.map(\.code) == [.noticeWithoutClause])
    }

    @Test func aNoticeDuringTheLockInHasNoEffect() {
        let rule = WithdrawalRule(notice: .years(1), lockIn: .init(period: .years(3), from: .entryIntoForce))
        let early = RulesEngine.evaluate(
            Self.multilateral(withdrawal: rule, events: [Self.withdrawalNotice("AA", "2002-12-31")]),
            asOf: F.date("2005-01-01")
        )
        #expect(early.parties[0].status == .party)
        #expect(early.flags.map(\.code) == [.noticeBeforeLockIn])
        let onTime = RulesEngine.evaluate(
            Self.multilateral(withdrawal: rule, events: [Self.withdrawalNotice("AA", "2003-01-01")]),
            asOf: F.date("2005-01-01")
        )
        #expect(onTime.parties[0].lastDayAsParty == F.date("2003-12-31"))
    }

    @Test func aLaterDateNamedInTheNoticeApplies() {
        let rule = WithdrawalRule(notice: .years(1), laterDateMayBeSpecified: true)
        var notice = Self.withdrawalNotice("AA", "2020-01-10")
        notice.statedEffectiveDate = F.date("2021-07-01")
        let status = RulesEngine.evaluate(Self.multilateral(withdrawal: rule, events: [notice]), asOf: F.date("2021-03-01"))
        #expect(status.parties[0].lastDayAsParty == F.date("2021-06-30"))
        #expect(status.flags.isEmpty)
    }

    @Test func aCalendarAnchorCanNameTheLastDayBound() {
        let rule = WithdrawalRule(anchor: .init(month: 12, day: 31, yearsAfterNotice: 1), effectDate: .lastDayBound)
        let status = RulesEngine.evaluate(
            Self.multilateral(withdrawal: rule, events: [Self.withdrawalNotice("BB", "2020-12-31")]),
            asOf: F.date("2021-06-01")
        )
        #expect(status.parties[1].lastDayAsParty == F.date("2021-12-31"))
    }

    @Test func repeatedSuspensionsAndResumptionsAreFollowedToTheEnd() {
        let rule = WithdrawalRule(notice: .days(1))
        let events = [
            Self.withdrawalNotice("AA", "2020-01-10"),
            Event(id: "s1", type: .noticeSuspended, date: F.date("2020-01-10"), party: "AA", refersTo: "w1"),
            Event(id: "u1", type: .noticeResumed, date: F.date("2020-01-11"), party: "AA", refersTo: "w1"),
            Event(id: "s2", type: .noticeSuspended, date: F.date("2020-01-11"), party: "AA", refersTo: "w1"),
            Event(id: "u2", type: .noticeResumed, date: F.date("2020-01-12"), party: "AA", refersTo: "w1"),
        ]
        let status = RulesEngine.evaluate(Self.multilateral(withdrawal: rule, events: events), asOf: F.date("2020-02-01"))
        #expect(status.parties[0].status == .withdrawn)
        #expect(status.parties[0].lastDayAsParty == F.date("2020-01-12"))
    }

    @Test func supersessionEndsTheAgreement() throws {
        var agreement = try F.renewing()
        agreement.events = [Event(id: "s", type: .superseded, date: F.date("2020-07-01"))]
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2020-07-01"))
        #expect(status.state == .terminated)
        #expect(status.lastDayInForce == F.date("2020-06-30"))
    }

    @Test func aFixedTermCanContinueIndefinitely() {
        let agreement = Agreement(
            id: "x",
            title: "X",
            kind: .bilateral,
            parties: [Party(code: "AA", name: "A"), Party(code: "BB", name: "B")],
            rules: Rules(
                entryIntoForce: .init(kind: .onDate, date: F.date("1957-06-16")),
                term: .init(kind: .fixedThenIndefinite, length: .years(10))
            )
        )
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2000-01-01"))
        #expect(status.state == .inForce)
        #expect(status.currentTerm == Term(index: 2, start: F.date("1967-06-16"), lastDay: nil))
        #expect(status.lastDayInForce == nil)
        #expect(status.undetermined.isEmpty)
    }

    @Test func theNthConsentPlusADelaySnappedToTheMonth() {
        let consents = (1...3).map { Event(id: "c\($0)", type: .consent, date: F.date("2001-0\($0)-15"), party: ["AA", "BB", "CC"][$0 - 1]) }
        let agreement = Agreement(
            id: "x",
            title: "X",
            kind: .multilateral,
            parties: [Party(code: "AA", name: "A"), Party(code: "BB", name: "B"), Party(code: "CC", name: "C")],
            rules: Rules(
                entryIntoForce: .init(kind: .afterConsents, consentsRequired: 2, delay: .days(60), snap: .firstDayOfNextMonth),
                term: .init(kind: .indefinite)
            ),
            events: consents
        )
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2001-06-01"))
        // The 2nd consent (15 Feb) + 60 days = 16 April; the first day of the next month is 1 May.
        #expect(status.entryIntoForce == F.date("2001-05-01"))
        #expect(status.parties.map(\.status) == [.party, .party, .party])
    }

    @Test func timelineListsEventsAndProjectedDates() throws {
        let timeline = RulesEngine.timeline(
            try F.dataset("gsomia"),
            asOf: F.date("2019-08-22"),
            from: F.date("2019-01-01"),
            to: F.date("2020-12-31")
        )
        let kinds = timeline.items.map { "\($0.date) \($0.kind.rawValue)" }
        #expect(kinds.contains("2019-08-24 noticeDeadline"))
        #expect(kinds.contains("2019-11-23 termStart"))
        #expect(kinds.contains("2020-08-24 noticeDeadline"))
        #expect(timeline.items.allSatisfy { $0.projected == ($0.date > F.date("2019-08-22")) })
        #expect(!kinds.contains { $0.hasSuffix("event") && $0.hasPrefix("2019-08-23") })
        let wide = RulesEngine.timeline(
            try F.dataset("gsomia"),
            asOf: F.date("2019-08-22"),
            from: .minimum,
            to: .maximum,
            limit: 50
        )
        #expect(wide.truncated)
        #expect(wide.items.count == 50)
    }
}
