import Testing

@testable import PactaCore

/// Shape 5: "withdraw on 30 June of any year by giving notice on or before 1 January of the same year" (ICRW Art.
/// XI), and the next withdrawal window every party free to withdraw is told about, under every withdrawal rule.
@Suite struct CalendarCutoffWithdrawalTests {
    typealias F = Fixtures

    static let whaling = WithdrawalRule(
        noticeDate: .dispatch,
        anchor: .init(month: 6, day: 30, yearsAfterNotice: 0, cutoff: .init(month: 1, day: 1)),
        article: "Art. XI"
    )

    static func agreement(_ rule: WithdrawalRule, notices: [String] = []) -> Agreement {
        WithdrawalShapeTests.multilateral(
            withdrawal: rule,
            events: notices.enumerated().map { WithdrawalShapeTests.withdrawalNotice("AA", $0.element, id: "w\($0.offset)") }
        )
    }

    static func party(_ agreement: Agreement, _ code: String = "AA", on day: String) -> PartyStatus {
        RulesEngine.evaluate(agreement, asOf: F.date(day)).parties.first { $0.party == code }!
    }

    @Test func japansNoticeOf26December2018TookEffectOn30June2019() throws {
        let icrw = try F.dataset("icrw")
        let before = Self.party(icrw, "JP", on: "2019-06-29")
        #expect(before.status == .withdrawalPending)
        #expect(before.lastDayAsParty == F.date("2019-06-29"))
        let after = Self.party(icrw, "JP", on: "2019-06-30")
        #expect(after.status == .withdrawn)
        #expect(after.since == F.date("2019-06-30"))
        // Given after 1 January 2018, the notice could not reach 30 June 2018; the trace must say why.
        let step = try #require(
            RulesEngine.evaluate(icrw, asOf: F.date("2019-07-01")).trace.first {
                $0.subject == "withdrawal" && $0.eventId == "notice-withdrawal-jp-2018"
            }
        )
        #expect(step.explanation.contains("after 1 January of 2018"))
        #expect(step.convention?.contains("on or before 1 January of its year") == true)
        #expect(step.convention?.contains("from the start of that day") == true)
    }

    @Test func aNoticeOnTheCutoffReachesTheSameYearAndOneADayLaterTheNext() {
        let onCutoff = Self.party(Self.agreement(Self.whaling, notices: ["2020-01-01"]), on: "2020-03-01")
        #expect(onCutoff.lastDayAsParty == F.date("2020-06-29"))
        let dayLater = Self.party(Self.agreement(Self.whaling, notices: ["2020-01-02"]), on: "2020-03-01")
        #expect(dayLater.lastDayAsParty == F.date("2021-06-29"))
        // Between the anchor and the end of the year, still the next year's 30 June.
        let autumn = Self.party(Self.agreement(Self.whaling, notices: ["2020-09-15"]), on: "2020-10-01")
        #expect(autumn.lastDayAsParty == F.date("2021-06-29"))
    }

    @Test func theEndOfTheAnchorDayIsAnotherConvention() {
        var rule = Self.whaling
        rule.effectDate = .lastDayBound
        let status = Self.party(Self.agreement(rule, notices: ["2020-01-01"]), on: "2020-07-01")
        #expect(status.status == .withdrawn)
        #expect(status.lastDayAsParty == F.date("2020-06-30"))
        #expect(status.since == F.date("2020-07-01"))
    }

    @Test func aCutoffOn29FebruaryIs28FebruaryInACommonYear() throws {
        let rule = WithdrawalRule(anchor: .init(month: 12, day: 31, yearsAfterNotice: 0, cutoff: .init(month: 2, day: 29)))
        let common = try #require(Self.party(Self.agreement(rule), on: "2021-01-10").nextWithdrawal)
        #expect(common.noticeBy == F.date("2021-02-28"))
        let leap = try #require(Self.party(Self.agreement(rule), on: "2024-02-29").nextWithdrawal)
        #expect(leap.noticeBy == F.date("2024-02-29"))
        #expect(leap.effectiveFrom == F.date("2024-12-31"))
        let past = try #require(Self.party(Self.agreement(rule), on: "2021-03-01").nextWithdrawal)
        #expect(past.noticeBy == F.date("2022-02-28"))
        #expect(past.effectiveFrom == F.date("2022-12-31"))
    }

    @Test func theWindowClosesOnTheCutoffThenMovesAYear() throws {
        let agreement = Self.agreement(Self.whaling)
        let open = try #require(Self.party(agreement, on: "2019-01-01").nextWithdrawal)
        #expect(open == WithdrawalWindow(noticeBy: F.date("2019-01-01"), lastDayAsParty: F.date("2019-06-29"), effectiveFrom: F.date("2019-06-30")))
        let missed = try #require(Self.party(agreement, on: "2019-01-02").nextWithdrawal)
        #expect(missed == WithdrawalWindow(noticeBy: F.date("2020-01-01"), lastDayAsParty: F.date("2020-06-29"), effectiveFrom: F.date("2020-06-30")))
        let trace = RulesEngine.evaluate(agreement, asOf: F.date("2019-01-02")).trace.filter { $0.subject == "withdrawalWindow" }
        #expect(trace.count == 1, "the three parties share one window, said once")
        #expect(trace.first?.inputs["parties"] == "AA,BB,CC")
        #expect(trace.first?.result == "2020-01-01")
    }

    /// The expected windows of rules already in the dataset, by hand.
    @Test func everyWithdrawalRuleReportsItsWindow() throws {
        let cases: [(WithdrawalRule, String, String, String)] = [
            // One year, same calendar date: every day is its own window.
            (WithdrawalRule(notice: .years(1)), "2020-03-10", "2020-03-10", "2021-03-10"),
            // The day after the anniversary (Energy Charter Treaty).
            (WithdrawalRule(notice: .years(1), counting: .dayAfter), "2024-04-26", "2024-04-26", "2025-04-27"),
            // Three months, then the first of the next month (Istanbul): all of March reaches 1 July.
            (WithdrawalRule(notice: .months(3), snap: .firstDayOfNextMonth), "2021-03-05", "2021-03-31", "2021-07-01"),
            // Six months from 29, 30 or 31 August all clamp to the end of February.
            (WithdrawalRule(notice: .months(6)), "2019-08-29", "2019-08-31", "2020-02-29"),
            // 31 December of the year after the notice (UNESCO): the whole year is one window.
            (WithdrawalRule(anchor: .init(month: 12, day: 31, yearsAfterNotice: 1)), "2025-03-01", "2025-12-31", "2026-12-31"),
        ]
        for (rule, asOf, noticeBy, effective) in cases {
            let window = try #require(Self.party(Self.agreement(rule), on: asOf).nextWithdrawal)
            #expect(window.noticeBy == F.date(noticeBy), "\(rule)")
            #expect(window.effectiveFrom == F.date(effective), "\(rule)")
        }
    }

    /// What the window promises, the engine keeps: a notice on its last day takes effect on its date, and one a day
    /// later takes effect later.
    @Test func aNoticeOnTheLastDayOfTheWindowTakesEffectOnItsDate() throws {
        let rules = [
            Self.whaling, WithdrawalRule(notice: .years(1)), WithdrawalRule(notice: .months(3), snap: .firstDayOfNextMonth),
            WithdrawalRule(notice: .months(6), counting: .dayAfter), WithdrawalRule(anchor: .init(month: 12, day: 31, yearsAfterNotice: 1)),
            WithdrawalRule(anchor: .init(month: 3, day: 1, yearsAfterNotice: 1, cutoff: .init(month: 9, day: 30)), effectDate: .lastDayBound),
        ]
        var random = SplitMix64(seed: 14)
        var checked = 0
        for rule in rules {
            for _ in 0..<60 {
                let day = try F.date("2001-01-01").addingDays(random.next(below: 9000))
                let window = try #require(Self.party(Self.agreement(rule), on: "\(day)").nextWithdrawal)
                #expect(window.noticeBy >= day)
                let onTime = Self.party(Self.agreement(rule, notices: ["\(window.noticeBy)"]), on: "\(window.noticeBy)")
                #expect(onTime.lastDayAsParty == window.lastDayAsParty, "\(rule) \(day)")
                let late = Self.party(
                    Self.agreement(rule, notices: ["\(try window.noticeBy.addingDays(1))"]),
                    on: "\(try window.noticeBy.addingDays(1))"
                )
                #expect(late.lastDayAsParty.map { $0 > window.lastDayAsParty } == true, "\(rule) \(day)")
                checked += 1
            }
        }
        #expect(checked == 360)
    }

    @Test func onlyAPartyFreeToWithdrawHasAWindow() throws {
        let pending = RulesEngine.evaluate(Self.agreement(Self.whaling, notices: ["2020-03-01"]), asOf: F.date("2020-04-01"))
        #expect(pending.parties[0].status == .withdrawalPending)
        #expect(pending.parties[0].nextWithdrawal == nil)
        #expect(pending.parties[1].nextWithdrawal != nil)
        var holders = Self.whaling
        holders.holders = ["BB"]
        let held = RulesEngine.evaluate(Self.agreement(holders), asOf: F.date("2020-04-01"))
        #expect(held.parties.map { $0.nextWithdrawal != nil } == [false, true, false])
        // Before the entry into force nobody is bound, so nobody can withdraw.
        #expect(RulesEngine.evaluate(Self.agreement(Self.whaling), asOf: F.date("1999-12-31")).parties.allSatisfy { $0.nextWithdrawal == nil })
    }

    @Test func aLockInOpensTheWindowWhenItEnds() throws {
        var rule = Self.whaling
        rule.lockIn = .init(period: .years(5), from: .entryIntoForce)
        let window = try #require(Self.party(Self.agreement(rule), on: "2001-03-01").nextWithdrawal)
        // Notice may first be given on 2005-01-01, the cutoff itself.
        #expect(window.noticeBy == F.date("2005-01-01"))
        #expect(window.effectiveFrom == F.date("2005-06-30"))
    }

    @Test func theTimelineListsTheWindowsLastDay() {
        let timeline = RulesEngine.timeline(
            Self.agreement(Self.whaling),
            asOf: F.date("2019-01-02"),
            from: F.date("2019-01-01"),
            to: F.date("2020-12-31")
        )
        let items = timeline.items.filter { $0.kind == .withdrawalNoticeDeadline }
        #expect(items.map(\.date) == [F.date("2020-01-01")])
        #expect(items.first?.description.contains("2020-06-30") == true)
    }

    @Test func aCutoffThatWouldPutTheEffectBeforeTheNoticeIsRefused() {
        var agreement = Self.agreement(
            WithdrawalRule(anchor: .init(month: 6, day: 30, yearsAfterNotice: 0, cutoff: .init(month: 9, day: 1)))
        )
        #expect(AgreementValidator.validate(agreement).map(\.pointer) == ["/rules/withdrawal/anchor/cutoff"])
        agreement.rules.withdrawal?.anchor?.cutoff = .init(month: 2, day: 30)
        #expect(AgreementValidator.validate(agreement).map(\.pointer) == ["/rules/withdrawal/anchor/cutoff"])
        agreement.rules.withdrawal?.anchor?.cutoff = .init(month: 1, day: 1)
        #expect(AgreementValidator.validate(agreement).isEmpty)
    }

    @Test func deadlinesListEveryCutoffWhileInForce() throws {
        let icrw = try F.dataset("icrw")
        let found = DeadlineProjection.deadlines(for: icrw, from: F.date("2017-01-01"), through: F.date("2020-12-31"))
            .filter { $0.kind == .withdrawalNoticeDeadline }
        #expect(found.map(\.date) == ["2017-01-01", "2018-01-01", "2019-01-01", "2020-01-01"].map(F.date))
        #expect(found.first?.explanation.contains("takes effect on 2017-06-30") == true)
        #expect(found.first?.article == "Art. XI")
        // Before the entry into force (10 November 1948) there is nothing to withdraw from.
        let early = DeadlineProjection.deadlines(for: icrw, from: F.date("1947-01-01"), through: F.date("1949-12-31"))
        #expect(early.filter { $0.kind == .withdrawalNoticeDeadline }.map(\.date) == [F.date("1949-01-01")])
    }

    @Test func aSnappedNoticePeriodClosesAWindowAtEachMonthsEnd() throws {
        let istanbul = try F.dataset("istanbul-convention")
        let found = DeadlineProjection.deadlines(for: istanbul, from: F.date("2022-01-01"), through: F.date("2022-12-31"))
            .filter { $0.kind == .withdrawalNoticeDeadline }
        #expect(found.count == 12)
        #expect(found.first?.date == F.date("2022-01-31"))
        #expect(found.first?.explanation.contains("takes effect on 2022-05-01") == true)
        // A notice period alone closes a window every day: nothing is listed.
        let paris = try F.dataset("paris-agreement")
        #expect(
            !DeadlineProjection.deadlines(for: paris, from: F.date("2022-01-01"), through: F.date("2022-12-31"))
                .contains { $0.kind == .withdrawalNoticeDeadline }
        )
    }

    /// The listed windows are the ones the engine reports: on any day in force, a party's window closes on a
    /// listed day.
    @Test func theListedWindowsAreTheOnesPartiesAreTold() throws {
        var random = SplitMix64(seed: 5)
        var checked = 0
        for id in ["icrw", "istanbul-convention", "unesco-constitution"] {
            let agreement = try F.dataset(id)
            for _ in 0..<40 {
                let day = try F.date("1950-01-01").addingDays(random.next(below: 28_000))
                let status = RulesEngine.evaluate(agreement, asOf: day, trace: false)
                guard let window = status.parties.compactMap(\.nextWithdrawal).first else { continue }
                let listed = DeadlineProjection.deadlines(for: agreement, from: day, through: window.noticeBy)
                    .filter { $0.kind == .withdrawalNoticeDeadline }
                #expect(listed.map(\.date) == [window.noticeBy], "\(id) \(day)")
                #expect(listed.first?.explanation.contains("takes effect on \(window.effectiveFrom)") == true, "\(id) \(day)")
                checked += 1
            }
        }
        #expect(checked > 40)
    }
}
