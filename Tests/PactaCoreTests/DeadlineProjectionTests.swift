import Testing

@testable import PactaCore

@Suite struct DeadlineProjectionTests {
    private func d(_ text: String) -> CalendarDate { Fixtures.date(text) }

    @Test func gsomiaNextYearHasOneNoticeDeadlineAndOneRenewal() throws {
        let gsomia = try Fixtures.dataset("gsomia")
        let items = DeadlineProjection.deadlines(for: gsomia, from: d("2026-11-29"), through: d("2027-11-29"))
        #expect(items.map(\.kind) == [.noticeDeadline, .renewal])
        #expect(items.map(\.date) == [d("2027-08-24"), d("2027-11-23")])
        let notice = items[0]
        #expect(notice.parties == ["JP", "KR"])
        #expect(notice.party == nil)
        #expect(notice.term == 11)
        #expect(notice.article == "Art. 21")
        #expect(notice.convention?.hasPrefix("beforeLastDayInForce") == true)
        #expect(notice.explanation.contains("JP or KR"))
        #expect(items[1].term == 12)
    }

    @Test func eachDateAgreesWithTheEngineOnThatDay() throws {
        let gsomia = try Fixtures.dataset("gsomia")
        for deadline in DeadlineProjection.deadlines(for: gsomia, from: d("2020-01-01"), through: d("2040-12-31")) {
            switch deadline.kind {
            case .noticeDeadline:
                #expect(RulesEngine.evaluate(gsomia, asOf: deadline.date).noticeDeadline == deadline.date)
            case .renewal:
                let dayBefore = try deadline.date.addingDays(-1)
                #expect(RulesEngine.evaluate(gsomia, asOf: dayBefore).nextRenewal == deadline.date)
                #expect(RulesEngine.evaluate(gsomia, asOf: deadline.date).currentTerm?.start == deadline.date)
            case .scheduledEnd, .withdrawalEffective:
                Issue.record("GSOMIA has no scheduled end after 2020")
            case .withdrawalNoticeDeadline:
                Issue.record("GSOMIA has no withdrawal clause")
            case .review, .performanceSuspensionEffective:
                Issue.record("GSOMIA has no review or suspension clause")
            }
        }
    }

    @Test func in2019TheDeadlineWasMetAndTheCalledOffEndIsNotListed() throws {
        let gsomia = try Fixtures.dataset("gsomia")
        let items = DeadlineProjection.deadlines(for: gsomia, from: d("2019-01-01"), through: d("2019-12-31"))
        #expect(items.map(\.kind) == [.noticeDeadline, .renewal])
        #expect(items.map(\.date) == [d("2019-08-24"), d("2019-11-23")])
        #expect(items[0].explanation.contains("in time"))
    }

    @Test func stateSegmentsFollowTheRecord() throws {
        let gsomia = try Fixtures.dataset("gsomia")
        let segments = DeadlineProjection.project(gsomia, from: d("2019-08-01"), through: d("2019-12-31")).segments
        #expect(segments.map(\.state) == [.inForce, .terminationPending, .inForce, .inForce])
        #expect(segments.map(\.term) == [3, 3, 3, 4])
        #expect(segments[0].start == d("2019-08-01"))
        #expect(segments[1].start == d("2019-08-23"))
        #expect(segments[1].lastDay == d("2019-11-21"))
        #expect(segments[2].start == d("2019-11-22"))
        #expect(segments[3].start == d("2019-11-23"))
        #expect(segments.last?.lastDay == d("2019-12-31"))
    }

    @Test func aNoticeSchedulesAnEndWithTheNotifyingParty() throws {
        let agreement = try Fixtures.renewing(
            entry: "2020-01-01",
            events: [Fixtures.notice(by: "BB", sent: "2022-03-01")]
        )
        let items = DeadlineProjection.deadlines(for: agreement, from: d("2022-01-01"), through: d("2023-12-31"))
        let end = try #require(items.first { $0.kind == .scheduledEnd })
        #expect(end.date == d("2022-12-31"))
        #expect(end.party == "BB")
        #expect(end.eventId == "n1")
        #expect(items.filter { $0.kind == .renewal }.map(\.date) == [d("2022-01-01")])
    }

    @Test func aMetDeadlineIsListedWhereverTheWindowOpens() throws {
        // Notice on 2022-03-01 meets the deadline of 2022-10-02 (2022-12-31 − P90D); a window opening after the
        // notice must still list that deadline, as the window opening before it does.
        let agreement = try Fixtures.renewing(
            entry: "2020-01-01",
            events: [Fixtures.notice(by: "BB", sent: "2022-03-01")]
        )
        let wide = DeadlineProjection.deadlines(for: agreement, from: d("2022-01-01"), through: d("2022-12-31"))
        let deadline = try #require(wide.first { $0.kind == .noticeDeadline })
        for opening in [d("2022-03-02"), deadline.date] {
            let narrow = DeadlineProjection.deadlines(for: agreement, from: opening, through: d("2022-12-31"))
            #expect(narrow == wide.filter { $0.date >= opening })
        }
    }

    @Test func aLimitedRenewalExpires() throws {
        let agreement = try Fixtures.renewing(entry: "2020-01-01", maxRenewals: 1)
        let items = DeadlineProjection.deadlines(for: agreement, from: d("2020-01-01"), through: d("2030-01-01"))
        #expect(items.filter { $0.kind == .renewal }.map(\.date) == [d("2021-01-01")])
        #expect(items.filter { $0.kind == .scheduledEnd }.map(\.date) == [d("2021-12-31")])
    }

    @Test func aRenewalOnTheFirstDayOfTheWindowIsListed() throws {
        let gsomia = try Fixtures.dataset("gsomia")
        let items = DeadlineProjection.deadlines(for: gsomia, from: d("2027-11-23"), through: d("2027-11-23"))
        #expect(items.map(\.kind) == [.renewal])
    }

    @Test func theWalkIsBoundedAndProportionalToTerms() throws {
        let daily = try Fixtures.renewing(entry: "2000-01-01", term: "P1D", renewal: "P1D", notice: "P0D")
        let projection = DeadlineProjection.project(daily, from: d("2000-01-01"), through: d("2100-01-01"), stepLimit: 500)
        #expect(!projection.complete)
        let gsomia = try Fixtures.dataset("gsomia")
        let century = DeadlineProjection.project(gsomia, from: d("2026-01-01"), through: d("2125-12-31"))
        #expect(century.complete)
        #expect(century.deadlines.filter { $0.kind == .renewal }.count == 100)
    }

    @Test func anEmptyWindowHasNothing() throws {
        let gsomia = try Fixtures.dataset("gsomia")
        #expect(DeadlineProjection.deadlines(for: gsomia, from: d("2027-01-02"), through: d("2027-01-01")).isEmpty)
    }

    @Test func civilDatesBecomeMidnightUTC() {
        #expect(d("1970-01-01").unixMidnightUTC == 0)
        #expect(d("2027-08-24").unixMidnightUTC == 1_819_065_600)
    }
}
