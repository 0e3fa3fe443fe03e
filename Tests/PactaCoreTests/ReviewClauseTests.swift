import Foundation
import Testing

@testable import PactaCore

/// Issue #14, shapes 3 and 4: extensions counted from the end of the term or from the decision, and review clauses
/// (USMCA Art. 34.7: a joint review on the sixth anniversary; if every party confirms, a new 16-year term; if not,
/// yearly reviews for the rest of the term).
@Suite struct ReviewClauseTests {
    typealias F = Fixtures

    static func usmca(_ events: [Event] = [], counting: RenewalRule.ExtensionCounting? = nil) throws -> Agreement {
        var agreement = try F.dataset("usmca")
        agreement.events += events
        if let counting { agreement.rules.renewal?.extensionCounting = counting }
        return agreement
    }

    static func word(_ party: String, _ type: EventType, on day: String) -> Event {
        Event(
            id: "\(type == .extensionConfirmed ? "confirmed" : "not-confirmed")-\(party.lowercased())-\(day)",
            type: type,
            date: F.date(day),
            party: party
        )
    }

    static func allConfirm(on day: String) -> [Event] {
        ["US", "MX", "CA"].map { word($0, .extensionConfirmed, on: day) }
    }

    // MARK: USMCA as recorded (no review outcome known)

    @Test func beforeTheSixthAnniversaryTheNextReviewIsItAndTheTermEndsIn2036() throws {
        let status = RulesEngine.evaluate(try Self.usmca(), asOf: F.date("2026-06-30"))
        #expect(status.state == .inForce)
        #expect(status.review?.next == F.date("2026-07-01"))
        #expect(status.review?.last == nil)
        #expect(status.lastDayInForce == F.date("2036-06-30"))
        #expect(status.endCause?.reason == .lastTermEnded)
        #expect(!status.undetermined.contains { $0.field == "review.outcome" })
        let step = status.trace.last { $0.subject == "review" }
        #expect(step?.result == "2026-07-01")
        #expect(step?.article == "Art. 34.7")
    }

    @Test func afterTheReviewWithNoOutcomeRecordedTheStatusSaysSoAndReviewsRepeatYearly() throws {
        let status = RulesEngine.evaluate(try Self.usmca(), asOf: F.date("2026-11-29"))
        #expect(status.state == .inForce)
        #expect(status.review?.last == F.date("2026-07-01"))
        #expect(status.review?.next == F.date("2027-07-01"))
        #expect(status.review?.notRecorded == ["US", "MX", "CA"])
        #expect(status.review?.extensions == 0)
        let outcome = status.undetermined.first { $0.field == "review.outcome" }
        #expect(outcome?.reason.contains("2026-07-01") == true)
        #expect(outcome?.reason.contains("not recorded") == true)
        // The term is not guessed longer.
        #expect(status.lastDayInForce == F.date("2036-06-30"))
    }

    @Test func theLastYearlyReviewFallsInTheTermsLastYear() throws {
        let agreement = try Self.usmca()
        #expect(RulesEngine.evaluate(agreement, asOf: F.date("2035-07-02")).review?.next == nil)
        #expect(RulesEngine.evaluate(agreement, asOf: F.date("2035-07-01")).review?.next == F.date("2035-07-01"))
        let ended = RulesEngine.evaluate(agreement, asOf: F.date("2036-07-01"))
        #expect(ended.state == .expired)
        #expect(ended.review == nil)
    }

    @Test func deadlinesListEveryReviewOfTheTermAndItsEnd() throws {
        let agreement = try Self.usmca()
        let found = DeadlineProjection.deadlines(for: agreement, from: F.date("2026-01-01"), through: F.date("2036-12-31"))
        let reviews = found.filter { $0.kind == .review }.map(\.date)
        #expect(reviews == (2026...2035).map { F.date("\($0)-07-01") })
        #expect(found.filter { $0.kind == .scheduledEnd }.map(\.date) == [F.date("2036-06-30")])
        let first = found.first { $0.kind == .review }
        #expect(first?.article == "Art. 34.7")
        #expect(first?.parties == ["US", "MX", "CA"])
        #expect(first?.explanation.contains("P16Y") == true)
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func theTimelineShowsThePassedReviewAndThoseAhead() throws {
        let timeline = RulesEngine.timeline(
            try Self.usmca(),
            asOf: F.date("2026-11-29"),
            from: F.date("2026-01-01"),
            to: F.date("2028-12-31")
        )
        let reviews = timeline.items.filter { $0.kind == .review }
        #expect(reviews.map(\.date) == [F.date("2026-07-01"), F.date("2027-07-01"), F.date("2028-07-01")])
        #expect(reviews.map(\.projected) == [false, true, true])
        #expect(reviews.first?.description.contains("not recorded") == true)
    }

    // MARK: Confirmation (synthetic outcomes on USMCA's rules)

    @Test func everyPartyConfirmingAtTheReviewStartsANewSixteenYearTermFromIt() throws {
        let agreement = try Self.usmca(Self.allConfirm(on: "2026-07-01"))
        let onTheDay = RulesEngine.evaluate(agreement, asOf: F.date("2026-07-01"))
        #expect(onTheDay.currentTerm == Term(index: 2, start: F.date("2026-07-01"), lastDay: F.date("2042-06-30")))
        #expect(onTheDay.lastDayInForce == F.date("2042-06-30"))
        // The review the decision was taken at is still today's.
        #expect(onTheDay.review?.next == F.date("2026-07-01"))
        #expect(onTheDay.review?.extensions == 1)
        let after = RulesEngine.evaluate(agreement, asOf: F.date("2026-07-02"))
        #expect(after.review?.next == F.date("2032-07-01"))
        #expect(after.review?.notRecorded == ["US", "MX", "CA"])
        #expect(!after.undetermined.contains { $0.field == "review.outcome" })
        let extensionStep = after.trace.first { $0.subject == "extension" }
        #expect(extensionStep?.convention?.hasPrefix("fromDecision") == true)
        #expect(extensionStep?.result == "2042-06-30")
        let found = DeadlineProjection.deadlines(for: agreement, from: F.date("2026-01-01"), through: F.date("2043-12-31"))
        #expect(found.filter { $0.kind == .review }.map(\.date) == [F.date("2026-07-01")] + (2032...2041).map { F.date("\($0)-07-01") })
        #expect(found.filter { $0.kind == .renewal }.map(\.date) == [F.date("2026-07-01")])
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func countedFromTheEndOfTheTermTheSameConfirmationReaches2052() throws {
        let agreement = try Self.usmca(Self.allConfirm(on: "2026-07-01"), counting: .fromTermEnd)
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2030-01-01"))
        #expect(status.currentTerm == Term(index: 1, start: F.date("2020-07-01"), lastDay: F.date("2036-06-30")))
        #expect(status.lastDayInForce == F.date("2052-06-30"))
        #expect(status.review?.next == F.date("2032-07-01"))
        let later = RulesEngine.evaluate(agreement, asOf: F.date("2036-07-01"))
        #expect(later.currentTerm == Term(index: 2, start: F.date("2036-07-01"), lastDay: F.date("2052-06-30")))
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func aPartyThatDoesNotConfirmLeavesYearlyReviewsUntilEveryPartyHasConfirmed() throws {
        let agreement = try Self.usmca(
            [
                Self.word("US", .extensionConfirmed, on: "2026-07-01"),
                Self.word("MX", .extensionConfirmed, on: "2026-07-01"),
                Self.word("CA", .extensionNotConfirmed, on: "2026-07-01"),
                Self.word("CA", .extensionConfirmed, on: "2028-07-01"),
            ]
        )
        let meanwhile = RulesEngine.evaluate(agreement, asOf: F.date("2027-03-01"))
        #expect(meanwhile.review?.next == F.date("2027-07-01"))
        #expect(meanwhile.review?.confirmed == ["US", "MX"])
        #expect(meanwhile.review?.notConfirmed == ["CA"])
        #expect(meanwhile.review?.notRecorded == [])
        #expect(!meanwhile.undetermined.contains { $0.field == "review.outcome" })
        #expect(meanwhile.lastDayInForce == F.date("2036-06-30"))
        let extended = RulesEngine.evaluate(agreement, asOf: F.date("2028-07-02"))
        #expect(extended.currentTerm == Term(index: 2, start: F.date("2028-07-01"), lastDay: F.date("2044-06-30")))
        #expect(extended.review?.next == F.date("2034-07-01"))
        let found = DeadlineProjection.deadlines(for: agreement, from: F.date("2026-01-01"), through: F.date("2035-12-31"))
        #expect(
            found.filter { $0.kind == .review }.map(\.date)
                == ["2026-07-01", "2027-07-01", "2028-07-01", "2034-07-01", "2035-07-01"].map(F.date)
        )
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func confirmationsOutsideTheCycleAreFlaggedNotCounted() throws {
        let agreement = try Self.usmca(
            [Self.word("US", .extensionConfirmed, on: "2025-01-15")] + Self.allConfirm(on: "2036-07-01")
        )
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2036-08-01"))
        #expect(status.state == .expired)
        let flagged = status.flags.filter { $0.code == .confirmationWithoutEffect }
        #expect(flagged.count == 4)
        #expect(flagged.first?.eventId == "confirmed-us-2025-01-15")
        #expect(flagged.first?.message.contains("before the cycle's first review (2026-07-01)") == true)
        #expect(flagged.last?.message.contains("already ended on 2036-06-30") == true)
        // The early confirmation does not complete the later cycle either: nothing is extended.
        let early = try Self.usmca(
            [Self.word("US", .extensionConfirmed, on: "2025-01-15")]
                + [Self.word("MX", .extensionConfirmed, on: "2026-07-01"), Self.word("CA", .extensionConfirmed, on: "2026-07-01")]
        )
        #expect(RulesEngine.evaluate(early, asOf: F.date("2027-01-01")).lastDayInForce == F.date("2036-06-30"))
        #expect(RulesEngine.evaluate(early, asOf: F.date("2027-01-01")).review?.notRecorded == ["US"])
    }

    @Test func aLaterNonConfirmationWithdrawsAnEarlierConfirmationInTheCycle() throws {
        let agreement = try Self.usmca([
            Self.word("US", .extensionConfirmed, on: "2026-07-01"),
            Self.word("US", .extensionNotConfirmed, on: "2027-07-01"),
            Self.word("MX", .extensionConfirmed, on: "2027-07-01"),
            Self.word("CA", .extensionConfirmed, on: "2027-07-01"),
        ])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2027-08-01"))
        #expect(status.lastDayInForce == F.date("2036-06-30"))
        #expect(status.review?.notConfirmed == ["US"])
        #expect(status.review?.next == F.date("2028-07-01"))
    }

    // MARK: Shape 3 under extension by agreement

    static func byAgreement(_ counting: RenewalRule.ExtensionCounting?, agreed: String) -> Agreement {
        Agreement(
            id: "extended",
            title: "Extended",
            parties: [Party(code: "AA", name: "A"), Party(code: "BB", name: "B")],
            rules: Rules(
                entryIntoForce: EntryIntoForceRule(kind: .onDate, date: F.date("2000-01-01")),
                term: TermRule(kind: .fixed, length: .years(10)),
                renewal: RenewalRule(kind: .byAgreement, extensionCounting: counting, article: "Art. 9")
            ),
            events: [Event(id: "extension", type: .extensionAgreed, date: F.date(agreed), period: .years(5))]
        )
    }

    @Test func anAgreedExtensionCountsFromTheTermsEndUnlessTheRuleSaysFromTheDecision() {
        for counting in [nil, RenewalRule.ExtensionCounting.fromTermEnd] {
            let status = RulesEngine.evaluate(Self.byAgreement(counting, agreed: "2008-03-15"), asOf: F.date("2012-01-01"))
            #expect(status.currentTerm == Term(index: 2, start: F.date("2010-01-01"), lastDay: F.date("2014-12-31")))
        }
        let agreement = Self.byAgreement(.fromDecision, agreed: "2008-03-15")
        let before = RulesEngine.evaluate(agreement, asOf: F.date("2008-03-14"))
        #expect(before.currentTerm == Term(index: 1, start: F.date("2000-01-01"), lastDay: F.date("2009-12-31")))
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2008-03-15"))
        #expect(status.currentTerm == Term(index: 2, start: F.date("2008-03-15"), lastDay: F.date("2013-03-14")))
        #expect(status.lastDayInForce == F.date("2013-03-14"))
        #expect(status.trace.contains { $0.subject == "extension" && $0.convention?.hasPrefix("fromDecision") == true })
        #expect(RulesEngine.evaluate(agreement, asOf: F.date("2013-03-15")).state == .expired)
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func aNewTermFromADecisionOnTheTermsFirstDayIsFlagged() {
        let agreement = Self.byAgreement(.fromDecision, agreed: "2000-01-01")
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2001-01-01"))
        #expect(status.currentTerm?.index == 1)
        #expect(status.flags.contains { $0.code == .extensionWithoutEffect && $0.eventId == "extension" })
    }

    // MARK: Validation

    @Test func validationRequiresAReviewAndACountingForByReviewAndRefusesThemElsewhere() throws {
        var rules = Rules(
            entryIntoForce: EntryIntoForceRule(kind: .onDate, date: F.date("2000-01-01")),
            term: TermRule(kind: .fixed, length: .years(16)),
            renewal: RenewalRule(kind: .byReview)
        )
        let pointers = Set(AgreementValidator.validate(rules).map(\.pointer))
        #expect(pointers == ["/rules/renewal/period", "/rules/renewal/extensionCounting", "/rules/renewal/review"])
        rules.renewal = RenewalRule(
            kind: .automatic,
            period: .years(1),
            extensionCounting: .fromDecision,
            review: ReviewRule(first: .years(6), interval: .days(0), afterExtension: .years(6))
        )
        #expect(
            Set(AgreementValidator.validate(rules).map(\.pointer))
                == ["/rules/renewal/review", "/rules/renewal/review/interval", "/rules/renewal/extensionCounting"]
        )
        var agreement = try Self.usmca()
        #expect(AgreementValidator.validate(agreement).isEmpty)
        agreement.events.append(Event(id: "confirmed", type: .extensionConfirmed, date: F.date("2026-07-01")))
        #expect(AgreementValidator.validate(agreement).map(\.pointer) == ["/events/3/party"])
    }

    @Test func theRulesAndEventsRoundTripThroughJSON() throws {
        let agreement = try Self.usmca(Self.allConfirm(on: "2026-07-01"))
        let decoded = try JSONDecoder().decode(Agreement.self, from: try JSONEncoder().encode(agreement))
        #expect(decoded == agreement)
        #expect(decoded.rules.renewal?.review?.interval == .years(1))
    }
}
