import Testing

@testable import PactaCore

@Suite struct ValidationTests {
    @Test func zeroOrNegativePeriodsAreRejectedWithTheirPointers() throws {
        let agreement = try Fixtures.renewing(term: "P0D", renewal: "-P1Y", notice: "-P1D")
        let pointers = Set(AgreementValidator.validate(agreement).map(\.pointer))
        #expect(pointers == ["/rules/term/length", "/rules/renewal/period", "/rules/termination/notice"])
    }

    @Test func everyProblemIsListed() throws {
        var agreement = try Fixtures.renewing()
        agreement.id = "Bad Id"
        agreement.title = " "
        agreement.parties.append(Party(code: "AA", name: "dup"))
        agreement.events = [
            Event(id: "e1", type: .noticeOfTermination, date: Fixtures.date("2019-01-01")),
            Event(id: "e1", type: .noticeRevoked, date: Fixtures.date("2019-01-02"), party: "ZZ", refersTo: "nope"),
            Event(id: "e3", type: .entryIntoForce, date: Fixtures.date("2019-01-02"), source: "ftp://x"),
        ]
        let pointers = AgreementValidator.validate(agreement).map(\.pointer)
        #expect(
            pointers == [
                "/id", "/title", "/parties", "/parties/2/code", "/events/0/party", "/events/1/id", "/events/1/party",
                "/events/1/refersTo", "/events/2/source",
            ]
        )
    }

    @Test func onlyTheNotifyingPartyMaySuspendResumeOrRevokeItsNotice() throws {
        var agreement = try Fixtures.renewing()
        agreement.events = [
            Fixtures.notice(by: "AA", sent: "2019-08-01"),
            Event(id: "s1", type: .noticeSuspended, date: Fixtures.date("2019-09-01"), party: "BB", refersTo: "n1"),
            Event(id: "r1", type: .noticeResumed, date: Fixtures.date("2019-10-01"), party: "BB", refersTo: "n1"),
            Event(id: "v1", type: .noticeRevoked, date: Fixtures.date("2019-10-02"), party: "BB", refersTo: "n1"),
            Event(id: "s2", type: .noticeSuspended, date: Fixtures.date("2019-10-03"), party: "AA", refersTo: "n1"),
            // No party named: the notifying party's act, as the engine reads it.
            Event(id: "r2", type: .noticeResumed, date: Fixtures.date("2019-10-04"), refersTo: "n1"),
        ]
        let issues = AgreementValidator.validate(agreement)
        #expect(issues.map(\.pointer) == ["/events/1/party", "/events/2/party", "/events/3/party"])
        #expect(issues.first?.message.contains("only the notifying party") == true)
    }

    @Test func aNoticeOfNonRenewalNamesItsPartyAndCanBeSuspended() throws {
        var agreement = try Fixtures.renewing()
        agreement.events = [
            Event(id: "nr1", type: .noticeOfNonRenewal, date: Fixtures.date("2019-08-01"), received: Fixtures.date("2019-08-02")),
            Event(id: "nr2", type: .noticeOfNonRenewal, date: Fixtures.date("2019-08-01"), party: "AA", received: Fixtures.date("2019-08-02")),
            Event(id: "s1", type: .noticeSuspended, date: Fixtures.date("2019-09-01"), party: "AA", refersTo: "nr2"),
        ]
        #expect(AgreementValidator.validate(agreement).map(\.pointer) == ["/events/0/party"])
    }

    @Test func incompleteRulesAreRejected() {
        let rules = Rules(
            entryIntoForce: .init(kind: .onDate),
            term: .init(kind: .fixed),
            renewal: nil,
            termination: .init(notice: .days(90), counting: .beforeLastDayInForce, noticeDate: .receipt)
        )
        let pointers = AgreementValidator.validate(rules).map(\.pointer)
        #expect(pointers == ["/rules/entryIntoForce/date", "/rules/term/length", "/rules/termination"])
    }

    @Test func identifiers() {
        #expect(AgreementValidator.isValidIdentifier("gsomia"))
        #expect(AgreementValidator.isValidIdentifier("new-start-2010"))
        for bad in ["", "-x", "A", "a_b", "a b", String(repeating: "a", count: 65), "é"] {
            #expect(!AgreementValidator.isValidIdentifier(bad))
        }
    }
}
