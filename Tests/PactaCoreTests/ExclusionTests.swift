import Foundation
import Testing

@testable import PactaCore

/// A decision that a party has ceased to be one (Statute of the Council of Europe, Art. 8): the real case from the
/// dataset, and the same rule on a convention built for the test (`NoSilentNoOpTests.convention`).
@Suite struct ExclusionTests {
    typealias F = Fixtures

    static func statute(_ asOf: String) throws -> AgreementStatus {
        RulesEngine.evaluate(try F.dataset("statute-of-the-council-of-europe"), asOf: F.date(asOf))
    }

    @Test func russiaCeasesToBeAMemberAsFromTheSixteenthOfMarch2022() throws {
        let status = try Self.statute("2022-03-16")
        let russia = try #require(status.parties.first { $0.party == "RU" })
        #expect(russia.status == .withdrawn)
        #expect(russia.since == F.date("2022-03-16"))
        #expect(russia.lastDayAsParty == F.date("2022-03-15"))
        #expect(russia.excludedBy == "exclusion-ru-2022")
        // Art. 8 is the clause: no flag. The Art. 7 notification of the day before never takes effect, and the
        // trace says so; it is no longer a running notice.
        #expect(status.flags.isEmpty)
        #expect(status.notices.isEmpty)
        #expect(
            status.trace.contains {
                $0.subject == "exclusion" && $0.eventId == "notice-withdrawal-ru-2022" && $0.explanation.contains("has no effect")
            }
        )
        let step = try #require(status.trace.first { $0.subject == "exclusion" && $0.eventId == "exclusion-ru-2022" })
        #expect(step.article == "Art. 8")
        #expect(step.result == "2022-03-15")
    }

    @Test func theDayBeforeTheArticle7NotificationRunsToTheEndOfTheYear() throws {
        let russia = try #require(try Self.statute("2022-03-15").parties.first { $0.party == "RU" })
        #expect(russia.status == .withdrawalPending)
        #expect(russia.lastDayAsParty == F.date("2022-12-31"))
        #expect(russia.excludedBy == nil)
    }

    @Test func theExclusionIsTheDeadlineAndTheArticle7DateIsNot() throws {
        let statute = try F.dataset("statute-of-the-council-of-europe")
        let deadlines = DeadlineProjection.deadlines(for: statute, from: F.date("2022-01-01"), through: F.date("2023-12-31"))
        let effective = deadlines.filter { $0.kind == .withdrawalEffective && $0.party == "RU" }
        #expect(effective.map(\.date) == [F.date("2022-03-16")])
        #expect(effective.first?.rule == "exclusion")
        #expect(effective.first?.article == "Art. 8")
        #expect(effective.first?.eventId == "exclusion-ru-2022")
        NoSilentNoOpTests.checkEquivalence(statute)
    }

    @Test func theStatutesEntryIntoForceIsKnownOnlyToTheYear() throws {
        let status = try Self.statute("2026-11-29")
        #expect(status.state == .inForce)
        #expect(status.entryIntoForce == nil)
        let range = status.ranges.first { $0.field == "entryIntoForce" }
        #expect(range?.earliest == F.date("1949-01-01"))
        #expect(range?.latest == F.date("1949-12-31"))
    }

    // MARK: The same rule on a test convention

    static func exclusion(_ party: String, _ date: String, clause: Bool) -> Agreement {
        var agreement = NoSilentNoOpTests.convention(events: [
            Event(id: "notice-aa", type: .noticeOfWithdrawal, date: F.date("2010-05-01"), party: "AA", received: F.date("2010-05-01")),
            Event(id: "exclusion-\(party.lowercased())", type: .exclusion, date: F.date(date), party: party),
        ])
        if clause { agreement.rules.exclusion = ExclusionRule(article: "Art. 9") }
        return agreement
    }

    @Test func anExclusionWithoutAClauseStandsAndIsFlagged() {
        let agreement = Self.exclusion("BB", "2012-01-01", clause: false)
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2012-01-01"))
        let bb = NoSilentNoOpTests.party(status, "BB")
        #expect(bb?.status == .withdrawn)
        #expect(bb?.excludedBy == "exclusion-bb")
        #expect(NoSilentNoOpTests.flags(status, .exclusionWithoutClause).map(\.eventId) == ["exclusion-bb"])
        #expect(NoSilentNoOpTests.flags(Self.exclusion("BB", "2012-01-01", clause: true).evaluated("2012-01-01"), .exclusionWithoutClause).isEmpty)
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func anExclusionOfAPartyAlreadyOutIsFlaggedAndChangesNothing() {
        // AA's notice of 1 May 2010 took effect on 1 May 2011.
        let agreement = Self.exclusion("AA", "2011-06-01", clause: true)
        let status = agreement.evaluated("2011-06-01")
        #expect(NoSilentNoOpTests.party(status, "AA")?.since == F.date("2011-05-01"))
        #expect(NoSilentNoOpTests.party(status, "AA")?.excludedBy == nil)
        #expect(NoSilentNoOpTests.flags(status, .notAParty).map(\.eventId) == ["exclusion-aa"])
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func anExclusionOvertakesAPendingNotice() {
        let agreement = Self.exclusion("AA", "2010-09-01", clause: true)
        #expect(NoSilentNoOpTests.party(agreement.evaluated("2010-08-31"), "AA")?.lastDayAsParty == F.date("2011-04-30"))
        let status = agreement.evaluated("2010-09-01")
        let aa = NoSilentNoOpTests.party(status, "AA")
        #expect(aa?.status == .withdrawn)
        #expect(aa?.since == F.date("2010-09-01"))
        #expect(aa?.excludedBy == "exclusion-aa")
        #expect(status.flags.isEmpty)
        #expect(NoSilentNoOpTests.party(agreement.evaluated("2011-06-01"), "AA")?.since == F.date("2010-09-01"))
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func anExclusionMustNameItsParty() {
        let agreement = NoSilentNoOpTests.convention(events: [Event(id: "exclusion", type: .exclusion, date: F.date("2012-01-01"))])
        #expect(AgreementValidator.validate(agreement).contains { $0.pointer == "/events/2/party" })
    }
}

extension Agreement {
    fileprivate func evaluated(_ asOf: String) -> AgreementStatus {
        RulesEngine.evaluate(self, asOf: Fixtures.date(asOf))
    }
}
