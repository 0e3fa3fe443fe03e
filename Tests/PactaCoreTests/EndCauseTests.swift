import Foundation
import Testing

@testable import PactaCore

/// `endCause` says whether an end is an expiry or a termination, and names the event or rule behind it.
@Suite struct EndCauseTests {
    @Test func newStartRanOutAfterItsOneExtensionAndIsExpiredByTheTermRule() throws {
        let status = RulesEngine.evaluate(try Fixtures.dataset("new-start"), asOf: Fixtures.date("2026-11-29"))
        #expect(status.state == .expired)
        #expect(status.lastDayInForce == Fixtures.date("2026-02-04"))
        #expect(status.endCause?.kind == .expired)
        #expect(status.endCause?.reason == .lastTermEnded)
        #expect(status.endCause?.eventId == nil)
    }

    @Test func infTreatyWasTerminatedByTheUnitedStatesWithdrawal() throws {
        let status = RulesEngine.evaluate(try Fixtures.dataset("inf-treaty"), asOf: Fixtures.date("2026-11-29"))
        #expect(status.state == .terminated)
        #expect(
            status.endCause
                == EndCause(
                    kind: .terminated,
                    reason: .withdrawal,
                    party: "US",
                    rule: "withdrawal",
                    article: try Fixtures.dataset("inf-treaty").rules.withdrawal?.article
                )
        )
    }

    @Test func treatyOfAmityWasTerminatedByTheUnitedStatesWithdrawal() throws {
        let status = RulesEngine.evaluate(try Fixtures.dataset("us-iran-treaty-of-amity"), asOf: Fixtures.date("2026-11-29"))
        #expect(status.state == .terminated)
        #expect(status.endCause?.kind == .terminated)
        #expect(status.endCause?.party == "US")
    }

    @Test func aPendingNoticeNamesItsEventAndTerminationBeforeTheEnd() throws {
        let agreement = try Fixtures.renewing(events: [Fixtures.notice(sent: "2017-01-10")])
        let status = RulesEngine.evaluate(agreement, asOf: Fixtures.date("2017-06-01"))
        #expect(status.state == .terminationPending)
        #expect(status.endCause?.kind == .terminated)
        #expect(status.endCause?.reason == .notice)
        #expect(status.endCause?.eventId == "n1")
    }

    @Test func anAgreementRenewingWithoutLimitHasNoEndCause() throws {
        let status = RulesEngine.evaluate(try Fixtures.renewing(), asOf: Fixtures.date("2020-06-01"))
        #expect(status.state == .inForce)
        #expect(status.endCause == nil)
    }

    @Test func endCauseIsEncodedAsNullWhenAbsentAndAsAnObjectWhenKnown() throws {
        let none = RulesEngine.evaluate(try Fixtures.renewing(), asOf: Fixtures.date("2020-06-01"))
        let noneJSON = try JSONSerialization.jsonObject(with: JSONEncoder().encode(none)) as? [String: Any]
        #expect(noneJSON?["endCause"] is NSNull)
        let expired = RulesEngine.evaluate(try Fixtures.dataset("new-start"), asOf: Fixtures.date("2026-11-29"))
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(expired)) as? [String: Any]
        let cause = json?["endCause"] as? [String: Any]
        #expect(cause?["kind"] as? String == "expired")
        #expect(cause?["reason"] as? String == "lastTermEnded")
        #expect(try JSONDecoder().decode(AgreementStatus.self, from: JSONEncoder().encode(expired)) == expired)
    }
}
