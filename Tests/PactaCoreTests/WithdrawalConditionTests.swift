import Foundation
import Testing

@testable import PactaCore

/// Issue #14, shape 10 (second half): a condition precedent to a withdrawal (ILO Constitution Art. 1(5): two years'
/// notice "subject to its having at that time fulfilled all financial obligations"). Until the record says the
/// condition is met the withdrawal's date is undetermined with the reason, or contested when the record holds a
/// position that it is not met.
@Suite struct WithdrawalConditionTests {
    typealias F = Fixtures

    static let condition = WithdrawalCondition(description: "all financial obligations fulfilled", article: "Art. 1(5)")

    /// The no-op convention (AA and BB original parties since 2000) with a two-year notice held back by the condition.
    static func convention(_ events: [Event], condition: WithdrawalCondition? = condition) -> Agreement {
        var agreement = NoSilentNoOpTests.convention(events: events)
        agreement.rules.withdrawal = WithdrawalRule(
            notice: .years(2),
            noticeDate: .receipt,
            conditionPrecedent: condition,
            article: "Art. 1(5)"
        )
        return agreement
    }

    static let notice = Event(
        id: "notice-aa",
        type: .noticeOfWithdrawal,
        date: F.date("2010-03-01"),
        party: "AA",
        received: F.date("2010-03-02")
    )

    static func met(_ date: String, id: String = "met-aa") -> Event {
        Event(id: id, type: .withdrawalConditionMet, date: F.date(date), party: "AA", refersTo: "notice-aa")
    }

    static func disputed(_ date: String, by party: String? = "BB", id: String = "disputed") -> Event {
        Event(id: id, type: .withdrawalConditionDisputed, date: F.date(date), party: party, refersTo: "notice-aa")
    }

    static func aa(_ status: AgreementStatus) -> PartyStatus? { status.parties.first { $0.party == "AA" } }

    @Test func untilTheConditionIsRecordedAsMetTheDateIsUndeterminedWithTheReason() {
        let agreement = Self.convention([Self.notice])
        // Received 2010-03-02 + P2Y on the same calendar date: no earlier than 2012-03-02, and only once met.
        for asOf in ["2010-06-01", "2012-03-02", "2015-01-01"] {
            let status = RulesEngine.evaluate(agreement, asOf: F.date(asOf))
            #expect(Self.aa(status)?.status == .withdrawalPending, "\(asOf)")
            #expect(Self.aa(status)?.lastDayAsParty == nil, "\(asOf)")
            #expect(
                Self.aa(status)?.withdrawalCondition
                    == WithdrawalConditionStatus(state: .pending, noticeId: "notice-aa", earliestEffect: F.date("2012-03-02")),
                "\(asOf)"
            )
            let reason = status.undetermined.first { $0.field == "parties.AA.lastDayAsParty" }?.reason ?? ""
            #expect(reason.contains("2012-03-02") && reason.contains("all financial obligations fulfilled"), "\(asOf)")
            #expect(status.trace.contains { $0.subject == "withdrawalCondition" && $0.eventId == "notice-aa" })
        }
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func metBeforeThePeriodEndsTheWithdrawalTakesEffectAtItsEnd() {
        let agreement = Self.convention([Self.notice, Self.met("2011-12-15")])
        let before = RulesEngine.evaluate(agreement, asOf: F.date("2011-12-14"))
        #expect(Self.aa(before)?.lastDayAsParty == nil)
        let pending = RulesEngine.evaluate(agreement, asOf: F.date("2011-12-15"))
        #expect(Self.aa(pending)?.status == .withdrawalPending)
        #expect(Self.aa(pending)?.lastDayAsParty == F.date("2012-03-01"))
        #expect(Self.aa(pending)?.withdrawalCondition?.state == .met)
        #expect(Self.aa(pending)?.withdrawalCondition?.metOn == F.date("2011-12-15"))
        #expect(pending.undetermined.isEmpty)
        let out = RulesEngine.evaluate(agreement, asOf: F.date("2012-03-02"))
        #expect(Self.aa(out)?.status == .withdrawn)
        #expect(Self.aa(out)?.since == F.date("2012-03-02"))
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func metAfterThePeriodEndedTheWithdrawalTakesEffectOnThatDay() {
        let agreement = Self.convention([Self.notice, Self.met("2013-05-20")])
        let waiting = RulesEngine.evaluate(agreement, asOf: F.date("2013-05-19"))
        #expect(Self.aa(waiting)?.status == .withdrawalPending)
        #expect(Self.aa(waiting)?.withdrawalCondition?.state == .pending)
        let out = RulesEngine.evaluate(agreement, asOf: F.date("2013-05-20"))
        #expect(Self.aa(out)?.status == .withdrawn)
        #expect(Self.aa(out)?.since == F.date("2013-05-20"))
        #expect(Self.aa(out)?.lastDayAsParty == F.date("2013-05-19"))
        let step = out.trace.first { $0.subject == "withdrawalCondition" && $0.eventId == "met-aa" }
        #expect(step?.result == "2013-05-19")
        #expect(step?.explanation.contains("after the period ended on 2012-03-02") == true)
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func aDisputeMakesTheDateContestedUntilALaterRecordSaysTheConditionIsMet() {
        let agreement = Self.convention([Self.notice, Self.disputed("2011-06-01"), Self.met("2012-09-01")])
        let contested = RulesEngine.evaluate(agreement, asOf: F.date("2012-08-31"))
        #expect(Self.aa(contested)?.status == .withdrawalPending)
        #expect(Self.aa(contested)?.lastDayAsParty == nil)
        #expect(Self.aa(contested)?.withdrawalCondition?.state == .contested)
        #expect(Self.aa(contested)?.withdrawalCondition?.disputedBy == ["BB"])
        #expect(contested.flags.map(\.code) == [.withdrawalConditionContested])
        #expect(contested.flags.first?.eventId == "disputed")
        #expect(contested.undetermined.first?.reason.hasPrefix("Contested:") == true)
        let settled = RulesEngine.evaluate(agreement, asOf: F.date("2012-09-01"))
        #expect(Self.aa(settled)?.status == .withdrawn)
        #expect(Self.aa(settled)?.since == F.date("2012-09-01"))
        #expect(settled.flags.isEmpty)
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func aDisputeAfterTheConditionWasRecordedAsMetContestsItAgain() {
        // The depositary (no party named) disputes it after AA's payment was recorded, before the period ends.
        let agreement = Self.convention([Self.notice, Self.met("2011-01-10"), Self.disputed("2011-02-01", by: nil)])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2012-06-01"))
        #expect(Self.aa(status)?.withdrawalCondition?.state == .contested)
        #expect(Self.aa(status)?.withdrawalCondition?.disputedBy == ["depositary"])
        #expect(Self.aa(status)?.status == .withdrawalPending)
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func theRecordOfTheWithdrawalTakingEffectSaysTheConditionWasMet() {
        let effective = Event(id: "effective-aa", type: .withdrawalEffective, date: F.date("2012-03-02"), party: "AA")
        let agreement = Self.convention([Self.notice, effective])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2012-03-02"))
        #expect(Self.aa(status)?.status == .withdrawn)
        #expect(Self.aa(status)?.withdrawalCondition?.eventIds == ["effective-aa"])
        #expect(status.flags.isEmpty)
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func conditionEventsThatChangeNothingAreFlagged() {
        // No condition in the rule: the event is flagged, and the withdrawal takes effect at the end of its period.
        let unconditioned = Self.convention([Self.notice, Self.met("2011-01-10")], condition: nil)
        let status = RulesEngine.evaluate(unconditioned, asOf: F.date("2012-03-02"))
        #expect(Self.aa(status)?.status == .withdrawn)
        #expect(status.flags.map(\.code) == [.withdrawalConditionWithoutEffect])
        #expect(status.flags.first?.eventId == "met-aa")
        NoSilentNoOpTests.checkEquivalence(unconditioned)
    }

    @Test func validationRequiresTheNoticeTheConditionHoldsBack() {
        var agreement = Self.convention([
            Event(id: "stray", type: .withdrawalConditionMet, date: F.date("2011-01-10"), party: "AA"),
            Self.notice,
            Event(id: "wrong", type: .withdrawalConditionDisputed, date: F.date("2011-01-11"), refersTo: "consent-dd"),
        ])
        agreement.rules.withdrawal?.conditionPrecedent = WithdrawalCondition(description: "  ")
        let pointers = AgreementValidator.validate(agreement).map(\.pointer)
        #expect(pointers.contains("/events/2/refersTo"))
        #expect(pointers.contains("/events/4/refersTo"))
        #expect(pointers.contains("/rules/withdrawal/conditionPrecedent/description"))
    }

    /// The synthetic agreements the property tests draw from hold every case of the new shapes, and those agree with
    /// the fast paths.
    @Test func theSyntheticAgreementsCoverConditionsAndSunsets() {
        let agreements = SyntheticAgreements.generate(count: 600, seed: 3)
        let conditioned = agreements.filter { $0.rules.withdrawal?.conditionPrecedent != nil }
        #expect(conditioned.contains { $0.events.contains { $0.type == .withdrawalConditionMet } })
        #expect(conditioned.contains { $0.events.contains { $0.type == .withdrawalConditionDisputed } })
        let sunsets = agreements.filter { $0.rules.survival != nil }
        #expect(sunsets.contains { $0.events.contains { $0.type == .noticeOfWithdrawal } })
        for agreement in (conditioned + sunsets).filter({ $0.events.contains { $0.type == .noticeOfWithdrawal } }).prefix(12) {
            NoSilentNoOpTests.checkEquivalence(agreement)
        }
    }

    // MARK: The real case

    /// The United States' withdrawal from the ILO: letter of 5 November 1975, received 6 November 1975; effective
    /// 6 November 1977 (two years after receipt, same calendar date), once recorded as taken effect; back on
    /// 18 February 1980.
    @Test func theUnitedStatesWithdrawalFromTheILO() throws {
        let ilo = try F.dataset("ilo-constitution")
        func us(_ asOf: String) -> (PartyStatus?, AgreementStatus) {
            let status = RulesEngine.evaluate(ilo, asOf: F.date(asOf))
            return (status.parties.first { $0.party == "US" }, status)
        }
        #expect(us("1934-08-20").0?.status == .party)
        #expect(us("1934-08-20").0?.since == F.date("1934-08-20"))
        let (pending, status) = us("1976-06-01")
        #expect(pending?.status == .withdrawalPending)
        #expect(pending?.lastDayAsParty == nil)
        #expect(pending?.withdrawalCondition?.state == .pending)
        #expect(pending?.withdrawalCondition?.earliestEffect == F.date("1977-11-06"))
        #expect(status.undetermined.contains { $0.field == "parties.US.lastDayAsParty" && $0.reason.contains("Art. 1(5)") })
        let (out, after) = us("1977-11-06")
        #expect(out?.status == .withdrawn)
        #expect(out?.since == F.date("1977-11-06"))
        #expect(out?.lastDayAsParty == F.date("1977-11-05"))
        #expect(out?.withdrawalCondition?.state == .met)
        #expect(after.flags.isEmpty)
        #expect(us("1977-11-05").0?.status == .withdrawalPending)
        #expect(us("1980-02-17").0?.status == .withdrawn)
        #expect(us("1980-02-18").0?.status == .party)
        #expect(us("1980-02-18").0?.since == F.date("1980-02-18"))
        NoSilentNoOpTests.checkEquivalence(ilo)
    }
}
