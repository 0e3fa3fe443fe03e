import Testing

@testable import PactaCore

/// The founding case, from the bundled dataset file: every date the public record gives.
@Suite struct GSOMIATests {
    struct Expectation: Sendable, CustomTestStringConvertible {
        let asOf: String
        let state: AgreementStatus.State
        var term: (index: Int, start: String, lastDay: String)? = nil
        var noticeDeadline: String? = nil
        var nextRenewal: String? = nil
        var lastDayInForce: String? = nil
        var suspendedNotice = false
        var testDescription: String { "as of \(asOf)" }
    }

    static let expectations: [Expectation] = [
        .init(asOf: "2016-01-01", state: .notYetInForce),
        .init(asOf: "2016-11-22", state: .notYetInForce),
        .init(
            asOf: "2016-11-23",
            state: .inForce,
            term: (1, "2016-11-23", "2017-11-22"),
            noticeDeadline: "2017-08-24",
            nextRenewal: "2017-11-23"
        ),
        .init(
            asOf: "2017-06-01",
            state: .inForce,
            term: (1, "2016-11-23", "2017-11-22"),
            noticeDeadline: "2017-08-24",
            nextRenewal: "2017-11-23"
        ),
        // Past term 1's deadline, the next one that can stop a renewal is term 2's.
        .init(
            asOf: "2017-09-01",
            state: .inForce,
            term: (1, "2016-11-23", "2017-11-22"),
            noticeDeadline: "2018-08-24",
            nextRenewal: "2017-11-23"
        ),
        .init(
            asOf: "2019-08-22",
            state: .inForce,
            term: (3, "2018-11-23", "2019-11-22"),
            noticeDeadline: "2019-08-24",
            nextRenewal: "2019-11-23"
        ),
        .init(
            asOf: "2019-08-23",
            state: .terminationPending,
            term: (3, "2018-11-23", "2019-11-22"),
            lastDayInForce: "2019-11-22"
        ),
        .init(
            asOf: "2019-09-01",
            state: .terminationPending,
            term: (3, "2018-11-23", "2019-11-22"),
            lastDayInForce: "2019-11-22"
        ),
        .init(
            asOf: "2019-11-22",
            state: .inForce,
            term: (3, "2018-11-23", "2019-11-22"),
            noticeDeadline: "2020-08-24",
            nextRenewal: "2019-11-23",
            suspendedNotice: true
        ),
        .init(
            asOf: "2019-12-01",
            state: .inForce,
            term: (4, "2019-11-23", "2020-11-22"),
            noticeDeadline: "2020-08-24",
            nextRenewal: "2020-11-23",
            suspendedNotice: true
        ),
        .init(
            asOf: "2023-03-20",
            state: .inForce,
            term: (7, "2022-11-23", "2023-11-22"),
            noticeDeadline: "2023-08-24",
            nextRenewal: "2023-11-23",
            suspendedNotice: true
        ),
        .init(
            asOf: "2023-06-01",
            state: .inForce,
            term: (7, "2022-11-23", "2023-11-22"),
            noticeDeadline: "2023-08-24",
            nextRenewal: "2023-11-23"
        ),
        .init(
            asOf: "2026-11-29",
            state: .inForce,
            term: (11, "2026-11-23", "2027-11-22"),
            noticeDeadline: "2027-08-24",
            nextRenewal: "2027-11-23"
        ),
    ]

    @Test(arguments: expectations)
    func matchesThePublicRecord(_ expected: Expectation) throws {
        let gsomia = try Fixtures.dataset("gsomia")
        let status = RulesEngine.evaluate(gsomia, asOf: Fixtures.date(expected.asOf))
        #expect(status.state == expected.state)
        #expect(status.currentTerm?.index == expected.term?.index)
        #expect(status.currentTerm?.start.description == expected.term?.start)
        #expect(status.currentTerm?.lastDay?.description == expected.term?.lastDay)
        #expect(status.noticeDeadline?.description == expected.noticeDeadline)
        #expect(status.nextRenewal?.description == expected.nextRenewal)
        #expect(status.lastDayInForce?.description == expected.lastDayInForce)
        #expect(status.flags.contains { $0.code == .noticeSuspended && $0.party == "KR" } == expected.suspendedNotice)
        #expect(status.entryIntoForce?.description == (expected.state == .notYetInForce ? nil : "2016-11-23"))
    }

    @Test func traceShowsTheDeadlineArithmetic() throws {
        let status = RulesEngine.evaluate(try Fixtures.dataset("gsomia"), asOf: Fixtures.date("2019-08-22"))
        let deadline = try #require(status.trace.first { $0.subject == "noticeDeadline" })
        #expect(deadline.article == "Art. 21")
        #expect(deadline.inputs["lastDayInForce"] == "2019-11-22")
        #expect(deadline.inputs["notice"] == "P90D")
        #expect(deadline.result == "2019-08-24")
        #expect(deadline.convention?.hasPrefix("beforeLastDayInForce") == true)
        #expect(deadline.explanation.contains("Saturday"))
    }

    @Test func traceNamesTheNoticeAndItsSuspension() throws {
        let status = RulesEngine.evaluate(try Fixtures.dataset("gsomia"), asOf: Fixtures.date("2019-12-01"))
        let noticeSteps = status.trace.filter { $0.subject == "notice" }
        #expect(noticeSteps.map(\.eventId) == ["kr-notice-2019", "kr-notice-2019-suspended"])
        #expect(noticeSteps.first?.inputs["deadline"] == "2019-08-24")
        #expect(noticeSteps.first?.result == "2019-11-22")
    }

    @Test func everyEventHasASource() throws {
        let gsomia = try Fixtures.dataset("gsomia")
        #expect(gsomia.events.count == 5)
        for event in gsomia.events {
            #expect(event.source?.hasPrefix("https://") == true, "event \(event.id) lacks a source URL")
        }
        #expect(AgreementValidator.validate(gsomia).isEmpty)
    }
}
