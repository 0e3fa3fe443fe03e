import Foundation
import Testing

@testable import PactaCore

/// Issue #14, shape 7: whether a suspended notice's period pauses and continues or restarts is a convention on the
/// rule, and the status reports the elapsed and remaining days of every running notice period.
@Suite struct NoticeClockTests {
    typealias F = Fixtures

    /// AA's notice of withdrawal received 2020-01-10 under a one-year clause (same calendar date), then `acts`.
    static func withdrawal(_ clock: SuspendedNoticeClock?, _ acts: [(String, EventType, String)]) -> Agreement {
        var agreement = NoSilentNoOpTests.convention(
            events: [Event(id: "w1", type: .noticeOfWithdrawal, date: F.date("2020-01-10"), party: "AA", received: F.date("2020-01-10"))]
                + acts.map { Event(id: $0.0, type: $0.1, date: F.date($0.2), party: "AA", refersTo: "w1") }
        )
        agreement.rules.withdrawal?.suspendedNotice = clock
        return agreement
    }

    static func aa(_ status: AgreementStatus) -> PartyStatus? { status.parties.first { $0.party == "AA" } }

    @Test func underPausesTheDaysSuspendedMoveTheEffectLater() {
        let agreement = Self.withdrawal(.pauses, [("s1", .noticeSuspended, "2020-03-01"), ("u1", .noticeResumed, "2020-05-01")])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2020-06-01"))
        // 61 days suspended (1 March to 1 May): counted as from 2020-03-11, so out from 2021-03-11.
        #expect(Self.aa(status)?.status == .withdrawalPending)
        #expect(Self.aa(status)?.lastDayAsParty == F.date("2021-03-10"))
        #expect(
            status.notices == [
                NoticePeriod(
                    eventId: "w1",
                    party: "AA",
                    rule: "withdrawal",
                    clock: .pauses,
                    countedFrom: F.date("2020-03-11"),
                    takesEffect: F.date("2021-03-11"),
                    elapsedDays: 82,
                    remainingDays: 283,
                    pausedDays: 61,
                    suspended: false
                )
            ]
        )
        #expect(status.trace.contains { $0.eventId == "u1" && $0.inputs["pausedDays"] == "61" })
        #expect(Self.aa(RulesEngine.evaluate(agreement, asOf: F.date("2021-03-11")))?.status == .withdrawn)
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func whileSuspendedThePausedPeriodReportsTheDaysThatCarryOver() {
        let agreement = Self.withdrawal(.pauses, [("s1", .noticeSuspended, "2020-03-01")])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2020-04-01"))
        #expect(Self.aa(status)?.status == .party)
        #expect(status.flags.contains { $0.code == .noticeSuspended && $0.eventId == "w1" })
        let period = status.notices.first
        #expect(period?.suspended == true)
        #expect(period?.takesEffect == nil)
        #expect(period?.elapsedDays == 51)
        #expect(period?.remainingDays == 315)
    }

    @Test func restartsAndPausesDifferForAResumptionAfterTheDateTheNoticeWouldHaveTakenEffect() {
        let acts: [(String, EventType, String)] = [("s1", .noticeSuspended, "2020-03-01"), ("u1", .noticeResumed, "2021-02-01")]
        let restarting = Self.withdrawal(nil, acts)
        let status = RulesEngine.evaluate(restarting, asOf: F.date("2021-03-01"))
        #expect(Self.aa(status)?.lastDayAsParty == F.date("2022-01-31"))
        #expect(status.notices.map(\.clock) == [.restarts])
        #expect(status.notices.first?.countedFrom == F.date("2021-02-01"))
        #expect(status.notices.first?.elapsedDays == 28)
        #expect(status.notices.first?.remainingDays == 337)
        let pausing = Self.withdrawal(.pauses, acts)
        // 337 days suspended: counted as from 2020-12-12, so out from 2021-12-12.
        #expect(Self.aa(RulesEngine.evaluate(pausing, asOf: F.date("2021-03-01")))?.lastDayAsParty == F.date("2021-12-11"))
        NoSilentNoOpTests.checkEquivalence(restarting)
        NoSilentNoOpTests.checkEquivalence(pausing)
    }

    @Test func aNoticeSuspendedUnderRestartsHasNoDaysToCarryOver() {
        let status = RulesEngine.evaluate(Self.withdrawal(.restarts, [("s1", .noticeSuspended, "2020-03-01")]), asOf: F.date("2020-04-01"))
        #expect(status.notices.count == 1)
        #expect(status.notices.first?.suspended == true)
        #expect(status.notices.first?.elapsedDays == 0)
        #expect(status.notices.first?.remainingDays == nil)
    }

    @Test func aRunningNoticesElapsedAndRemainingDaysMakeItsWholePeriod() {
        let agreement = Self.withdrawal(nil, [])
        for day in ["2020-01-10", "2020-07-01", "2021-01-09"] {
            let status = RulesEngine.evaluate(agreement, asOf: F.date(day))
            let period = status.notices.first
            #expect(period.map { $0.elapsedDays + ($0.remainingDays ?? 0) } == 366, "\(day)")
            #expect(period?.takesEffect == F.date("2021-01-10"))
        }
        // Once it has taken effect, no period runs.
        #expect(RulesEngine.evaluate(agreement, asOf: F.date("2021-01-10")).notices.isEmpty)
    }

    @Test func aPausedNoticeOfTerminationCanMissTheDeadlineItMetWhenGiven() throws {
        let events = [
            F.notice(sent: "2019-08-01"), F.action("s1", .noticeSuspended, on: "2019-08-10"),
            F.action("u1", .noticeResumed, on: "2019-09-10"),
        ]
        var pausing = try F.renewing(events: events)
        pausing.rules.termination?.suspendedNotice = .pauses
        // 31 days suspended: counted as from 2019-09-01, after the 2019-08-24 deadline: it ends the next term.
        let status = RulesEngine.evaluate(pausing, asOf: F.date("2019-10-01"))
        #expect(status.lastDayInForce == F.date("2020-11-22"))
        #expect(status.flags.contains { $0.code == .lateNotice })
        #expect(status.notices.first?.countedFrom == F.date("2019-09-01"))
        #expect(status.notices.first?.takesEffect == F.date("2020-11-23"))
        // Under the default convention the suspension resumed before the effect leaves the date as it was.
        let restarting = try F.renewing(events: events)
        #expect(RulesEngine.evaluate(restarting, asOf: F.date("2019-10-01")).lastDayInForce == F.date("2019-11-22"))
        NoSilentNoOpTests.checkEquivalence(pausing)
    }

    @Test func theConventionRoundTripsThroughJSON() throws {
        var agreement = try F.renewing()
        agreement.rules.termination?.suspendedNotice = .pauses
        agreement.rules.withdrawal = WithdrawalRule(notice: .years(1), suspendedNotice: .restarts)
        let data = try JSONEncoder().encode(agreement)
        #expect(String(decoding: data, as: UTF8.self).contains("\"suspendedNotice\":\"pauses\""))
        #expect(try JSONDecoder().decode(Agreement.self, from: data) == agreement)
    }
}
