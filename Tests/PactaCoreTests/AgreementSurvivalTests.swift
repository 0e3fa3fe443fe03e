import Foundation
import Testing

@testable import PactaCore

/// Issue #14, shape 10 (first half): obligations that survive the end of the whole agreement, not only a party's
/// withdrawal (a bilateral investment treaty's sunset clause). Synthetic rules: see the report for the real case.
@Suite struct AgreementSurvivalTests {
    typealias F = Fixtures

    static let sunset = AgreementSurvival(period: .years(15), scope: "investments made before the date of termination", article: "Art. 14(3)")

    /// A treaty in force since 1993-11-01 for fifteen years, then renewing for ten at a time unless notice is given six
    /// months before a term ends (the shape of the Netherlands–Venezuela investment treaty's Art. 14).
    static func treaty(_ events: [Event], survival: AgreementSurvival? = sunset) throws -> Agreement {
        var agreement = try F.renewing(entry: "1993-11-01", term: "P15Y", renewal: "P10Y", notice: "P6M", events: events)
        agreement.rules.survival = survival
        return agreement
    }

    static let notice = Event(id: "notice-bb", type: .noticeOfTermination, date: F.date("2008-04-30"), party: "BB", received: F.date("2008-04-30"))

    @Test func aTerminationByNoticeKeepsTheObligationsForTheSunsetPeriod() throws {
        let agreement = try Self.treaty([Self.notice])
        // The first term runs 1993-11-01 through 2008-10-31; from 2008-11-01, P15Y: through 2023-10-31.
        let pending = RulesEngine.evaluate(agreement, asOf: F.date("2008-05-01"))
        #expect(pending.state == .terminationPending)
        #expect(pending.lastDayInForce == F.date("2008-10-31"))
        #expect(pending.obligationsSurviveThrough == F.date("2023-10-31"))
        let ended = RulesEngine.evaluate(agreement, asOf: F.date("2015-01-01"))
        #expect(ended.state == .terminated)
        #expect(ended.obligationsSurviveThrough == F.date("2023-10-31"))
        let step = ended.trace.first { $0.subject == "survival" }
        #expect(step?.article == "Art. 14(3)")
        #expect(step?.inputs["firstDayNotInForce"] == "2008-11-01")
        // Before any notice, nothing survives because nothing ends.
        #expect(RulesEngine.evaluate(agreement, asOf: F.date("2008-04-29")).obligationsSurviveThrough == nil)
        let timeline = RulesEngine.timeline(agreement, asOf: F.date("2015-01-01"), from: .minimum, to: .maximum)
        #expect(timeline.items.contains { $0.kind == .obligationsEnd && $0.date == F.date("2023-10-31") && $0.party == nil })
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func anEndByConsentOrByTheLastTermRunningOutKeepsNothing() throws {
        let consent = Event(id: "consent-end", type: .terminatedByConsent, date: F.date("2005-01-01"))
        let ended = RulesEngine.evaluate(try Self.treaty([consent]), asOf: F.date("2006-01-01"))
        #expect(ended.state == .terminated)
        #expect(ended.obligationsSurviveThrough == nil)
        var fixed = try Self.treaty([])
        fixed.rules.renewal = nil
        let expired = RulesEngine.evaluate(fixed, asOf: F.date("2009-01-01"))
        #expect(expired.state == .expired)
        #expect(expired.obligationsSurviveThrough == nil)
    }

    @Test func aWithdrawalThatEndsABilateralAgreementStartsTheSunset() throws {
        let agreement = Agreement(
            id: "bit",
            title: "An investment treaty",
            kind: .bilateral,
            parties: [Party(code: "AA", name: "A"), Party(code: "BB", name: "B")],
            rules: Rules(
                entryIntoForce: EntryIntoForceRule(kind: .onDate, date: F.date("2000-01-01")),
                term: TermRule(kind: .indefinite),
                withdrawal: WithdrawalRule(notice: .years(1), noticeDate: .receipt),
                survival: AgreementSurvival(period: .years(10))
            ),
            events: [Event(id: "w", type: .noticeOfWithdrawal, date: F.date("2017-05-16"), party: "AA", received: F.date("2017-05-18"))]
        )
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2020-01-01"))
        #expect(status.state == .terminated)
        #expect(status.lastDayInForce == F.date("2018-05-17"))
        #expect(status.obligationsSurviveThrough == F.date("2028-05-17"))
        NoSilentNoOpTests.checkEquivalence(agreement)
        // The status as clients read it carries the date (its encoding once left the field out), and null before.
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(status)) as? [String: Any])
        #expect(json["obligationsSurviveThrough"] as? String == "2028-05-17")
        let before = RulesEngine.evaluate(agreement, asOf: F.date("2017-01-01"))
        let earlier = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(before)) as? [String: Any])
        #expect(earlier["obligationsSurviveThrough"] is NSNull)
    }

    @Test func validationRejectsANonPositiveSunset() throws {
        let agreement = try Self.treaty([], survival: AgreementSurvival(period: Period()))
        #expect(AgreementValidator.validate(agreement).map(\.pointer).contains("/rules/survival/period"))
    }
}
