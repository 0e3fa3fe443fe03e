import Foundation
import Testing

@testable import PactaCore

/// Issue #14, shape 6: suspension of performance by notification, taking effect a period after it is notified, beside
/// the immediate, declared suspensions. Synthetic rules here; the real clause the dataset holds (the EU–Belarus
/// readmission agreement, Art. 23(6)) has no dated notification on record, and is tested in `DatasetGrowthTests`.
@Suite struct PerformanceSuspensionTests {
    typealias F = Fixtures

    /// A convention in force since 2000 whose parties may suspend their performance 150 days after notifying it.
    static func convention(_ events: [Event], rule: PerformanceSuspensionRule? = .init(notice: .days(150), article: "Art. 9")) -> Agreement {
        var agreement = NoSilentNoOpTests.convention(events: events)
        agreement.rules.performanceSuspension = rule
        return agreement
    }

    static func notified(_ party: String, sent: String, received: String? = nil, id: String = "suspension") -> Event {
        Event(id: id, type: .performanceSuspensionNotified, date: F.date(sent), party: party, received: received.map(F.date))
    }

    static func aa(_ status: AgreementStatus) -> PartyStatus? { status.parties.first { $0.party == "AA" } }

    @Test func aNotifiedSuspensionIsPendingThenInEffectOnTheDateTheRuleGives() {
        // Received 2007-07-14 + P150D on the same calendar date: in effect from 2007-12-11.
        let agreement = Self.convention([Self.notified("AA", sent: "2007-07-13", received: "2007-07-14")])
        let pending = RulesEngine.evaluate(agreement, asOf: F.date("2007-08-01"))
        #expect(Self.aa(pending)?.status == .party)
        #expect(
            Self.aa(pending)?.performanceSuspension
                == PerformanceSuspension(from: F.date("2007-12-11"), notifiedOn: F.date("2007-07-14"), eventId: "suspension", inEffect: false)
        )
        #expect(pending.flags.map(\.code) == [.performanceSuspensionPending])
        #expect(pending.flags.first?.message.contains("2007-12-11") == true)
        let effective = RulesEngine.evaluate(agreement, asOf: F.date("2007-12-11"))
        #expect(Self.aa(effective)?.performanceSuspension?.inEffect == true)
        #expect(effective.flags.map(\.code) == [.performanceSuspended])
        #expect(effective.flags.first?.since == F.date("2007-12-11"))
        #expect(Self.aa(effective)?.status == .party)
        #expect(effective.state == .inForce)
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func theDayAfterConventionAndDispatchAreTheRulesChoice() {
        let rule = PerformanceSuspensionRule(notice: .days(150), noticeDate: .dispatch, counting: .dayAfter)
        let agreement = Self.convention([Self.notified("AA", sent: "2007-07-13", received: "2007-07-14")], rule: rule)
        // Dispatched 2007-07-13 + P150D = 2007-12-10, the day after: 2007-12-11.
        #expect(Self.aa(RulesEngine.evaluate(agreement, asOf: F.date("2008-01-01")))?.performanceSuspension?.from == F.date("2007-12-11"))
    }

    @Test func theEffectIsADeadlineAndATimelineItem() {
        let agreement = Self.convention([Self.notified("AA", sent: "2007-07-14", received: "2007-07-14")])
        let found = DeadlineProjection.deadlines(for: agreement, from: F.date("2007-01-01"), through: F.date("2008-12-31"))
        #expect(found.map(\.kind) == [.performanceSuspensionEffective])
        #expect(found.first?.date == F.date("2007-12-11"))
        #expect(found.first?.party == "AA")
        #expect(found.first?.article == "Art. 9")
        let timeline = RulesEngine.timeline(agreement, asOf: F.date("2007-08-01"), from: F.date("2007-01-01"), to: F.date("2008-12-31"))
        let item = timeline.items.first { $0.kind == .performanceSuspension }
        #expect(item?.date == F.date("2007-12-11"))
        #expect(item?.projected == true)
    }

    @Test func aResumptionEndsItOrCancelsItBeforeItTakesEffect() {
        let resumedAfter = Self.convention([
            Self.notified("AA", sent: "2007-07-14", received: "2007-07-14"),
            Event(id: "resumed", type: .performanceResumed, date: F.date("2009-03-01"), party: "AA"),
        ])
        #expect(Self.aa(RulesEngine.evaluate(resumedAfter, asOf: F.date("2008-01-01")))?.performanceSuspension?.inEffect == true)
        let after = RulesEngine.evaluate(resumedAfter, asOf: F.date("2009-03-01"))
        #expect(Self.aa(after)?.performanceSuspension == nil)
        #expect(after.flags.isEmpty)
        let resumedBefore = Self.convention([
            Self.notified("AA", sent: "2007-07-14", received: "2007-07-14"),
            Event(id: "resumed", type: .performanceResumed, date: F.date("2007-10-01"), party: "AA"),
        ])
        let status = RulesEngine.evaluate(resumedBefore, asOf: F.date("2008-01-01"))
        #expect(Self.aa(status)?.performanceSuspension == nil)
        #expect(status.trace.contains { $0.eventId == "resumed" && $0.explanation.contains("never takes effect") })
        #expect(DeadlineProjection.deadlines(for: resumedBefore, from: F.date("2007-01-01"), through: F.date("2008-12-31")).isEmpty)
        NoSilentNoOpTests.checkEquivalence(resumedBefore)
    }

    @Test func aDeclaredSuspensionStaysImmediate() {
        let agreement = Self.convention([Event(id: "declared", type: .performanceSuspended, date: F.date("2007-07-14"), party: "AA")])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2007-07-14"))
        #expect(Self.aa(status)?.performanceSuspension?.from == F.date("2007-07-14"))
        #expect(Self.aa(status)?.performanceSuspension?.notifiedOn == nil)
        #expect(status.flags.map(\.message) == ["AA has suspended its performance since 2007-07-14; its legal status is unchanged."])
    }

    @Test func withoutAClauseANotificationIsFlaggedAndHasNoEffect() {
        let agreement = Self.convention([Self.notified("AA", sent: "2007-07-14", received: "2007-07-14")], rule: nil)
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2008-01-01"))
        #expect(Self.aa(status)?.performanceSuspension == nil)
        #expect(status.flags.map(\.code) == [.noticeWithoutClause])
    }

    @Test func receiptCountsAndIsNotRecorded() {
        let agreement = Self.convention([Self.notified("AA", sent: "2007-07-14")])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2008-01-01"))
        #expect(status.undetermined.map(\.field) == ["parties.AA.performanceSuspension"])
    }

    @Test func validationNeedsAPartyAndAPositivePeriod() {
        var agreement = Self.convention(
            [Event(id: "n", type: .performanceSuspensionNotified, date: F.date("2007-07-14"), received: F.date("2007-07-15"))],
            rule: .init(notice: .days(0))
        )
        #expect(Set(AgreementValidator.validate(agreement).map(\.pointer)) == ["/events/2/party", "/rules/performanceSuspension/notice"])
        agreement.events[2].party = "AA"
        agreement.rules.performanceSuspension?.notice = .days(150)
        #expect(AgreementValidator.validate(agreement).isEmpty)
    }
}
