import Testing

@testable import PactaCore

@Suite struct RulesEngineTests {
    typealias F = Fixtures

    @Test func bothDeadlineConventionsAreExpressible() throws {
        let asOf = F.date("2019-08-22")
        let lastDayReading = RulesEngine.evaluate(try F.renewing(counting: .beforeLastDayInForce), asOf: asOf)
        let expiryReading = RulesEngine.evaluate(try F.renewing(counting: .beforeExpiryDate), asOf: asOf)
        #expect(lastDayReading.noticeDeadline == F.date("2019-08-24"))
        #expect(expiryReading.noticeDeadline == F.date("2019-08-25"))
    }

    @Test func aNoticeOnTheDeadlineIsInTimeAndOneDayLaterIsLate() throws {
        let inTime = try F.renewing(events: [F.notice(sent: "2019-08-24")])
        let late = try F.renewing(events: [F.notice(sent: "2019-08-25")])
        let onTime = RulesEngine.evaluate(inTime, asOf: F.date("2019-10-01"))
        #expect(onTime.state == .terminationPending)
        #expect(onTime.lastDayInForce == F.date("2019-11-22"))
        let tooLate = RulesEngine.evaluate(late, asOf: F.date("2019-10-01"))
        #expect(tooLate.state == .terminationPending)
        #expect(tooLate.lastDayInForce == F.date("2020-11-22"))
        #expect(tooLate.flags.contains { $0.code == .lateNotice })
        #expect(RulesEngine.evaluate(late, asOf: F.date("2020-11-23")).state == .terminated)
    }

    @Test func dispatchAndReceiptDatesAreDistinguished() throws {
        let events = [F.notice(sent: "2019-08-20", received: "2019-08-26")]
        let byReceipt = try F.renewing(noticeDate: .receipt, events: events)
        let byDispatch = try F.renewing(noticeDate: .dispatch, events: events)
        #expect(RulesEngine.evaluate(byReceipt, asOf: F.date("2019-12-01")).state == .terminationPending)
        #expect(RulesEngine.evaluate(byReceipt, asOf: F.date("2019-12-01")).lastDayInForce == F.date("2020-11-22"))
        #expect(RulesEngine.evaluate(byDispatch, asOf: F.date("2019-12-01")).state == .terminated)
    }

    @Test func aNoticeWithoutReceiptDateIsUndeterminedWhenReceiptCounts() throws {
        let notice = Event(id: "n1", type: .noticeOfTermination, date: F.date("2019-08-01"), party: "AA")
        let status = RulesEngine.evaluate(try F.renewing(noticeDate: .receipt, events: [notice]), asOf: F.date("2019-09-01"))
        #expect(status.state == .inForce)
        #expect(status.undetermined.map(\.field) == ["lastDayInForce"])
    }

    @Test func eventsAfterAsOfAreIgnored() throws {
        let agreement = try F.renewing(events: [F.notice(sent: "2019-08-01")])
        #expect(RulesEngine.evaluate(agreement, asOf: F.date("2019-07-31")).state == .inForce)
        #expect(RulesEngine.evaluate(agreement, asOf: F.date("2019-08-01")).state == .terminationPending)
    }

    @Test func aRevokedNoticeHasNoEffect() throws {
        let agreement = try F.renewing(events: [
            F.notice(sent: "2019-08-01"), F.action("r1", .noticeRevoked, on: "2019-10-01"),
        ])
        #expect(RulesEngine.evaluate(agreement, asOf: F.date("2019-09-01")).state == .terminationPending)
        let after = RulesEngine.evaluate(agreement, asOf: F.date("2019-12-01"))
        #expect(after.state == .inForce)
        #expect(after.currentTerm?.index == 4)
        #expect(after.flags.isEmpty)
    }

    @Test func aRevocationAfterTheEndComesTooLate() throws {
        let agreement = try F.renewing(events: [
            F.notice(sent: "2019-08-01"), F.action("r1", .noticeRevoked, on: "2019-12-01"),
        ])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2020-01-01"))
        #expect(status.state == .terminated)
        #expect(status.lastDayInForce == F.date("2019-11-22"))
    }

    @Test func aResumedNoticeCountsAsGivenAgainOnTheDayItResumes() throws {
        let agreement = try F.renewing(events: [
            F.notice(sent: "2019-08-01"), F.action("s1", .noticeSuspended, on: "2019-11-01"),
            F.action("u1", .noticeResumed, on: "2020-03-01"),
        ])
        let suspended = RulesEngine.evaluate(agreement, asOf: F.date("2020-01-01"))
        #expect(suspended.state == .inForce)
        #expect(suspended.flags.map(\.code) == [.noticeSuspended])
        let resumed = RulesEngine.evaluate(agreement, asOf: F.date("2020-03-01"))
        #expect(resumed.state == .terminationPending)
        #expect(resumed.lastDayInForce == F.date("2020-11-22"))
    }

    @Test func theEarliestEffectiveNoticeWins() throws {
        let agreement = try F.renewing(events: [
            F.notice("n1", by: "AA", sent: "2019-09-01"), F.notice("n2", by: "BB", sent: "2019-08-01"),
        ])
        #expect(RulesEngine.evaluate(agreement, asOf: F.date("2019-09-02")).lastDayInForce == F.date("2019-11-22"))
    }

    @Test func renewalsStopAfterTheMaximumAndTheAgreementExpires() throws {
        let agreement = try F.renewing(entry: "2000-01-01", term: "P5Y", renewal: "P5Y", maxRenewals: 2)
        let lastTerm = RulesEngine.evaluate(agreement, asOf: F.date("2012-06-01"))
        #expect(lastTerm.state == .inForce)
        #expect(lastTerm.currentTerm?.index == 3)
        #expect(lastTerm.nextRenewal == nil)
        #expect(lastTerm.noticeDeadline == nil)
        #expect(lastTerm.lastDayInForce == F.date("2014-12-31"))
        let after = RulesEngine.evaluate(agreement, asOf: F.date("2015-01-01"))
        #expect(after.state == .expired)
        #expect(after.currentTerm == nil)
    }

    @Test func termBoundariesAreAnchoredToEntryIntoForceSoClampingDoesNotDrift() throws {
        let agreement = try F.renewing(entry: "2019-01-31", term: "P1M", renewal: "P1M", notice: "P5D")
        let march = RulesEngine.evaluate(agreement, asOf: F.date("2019-03-15"))
        #expect(march.currentTerm?.start == F.date("2019-02-28"))
        #expect(march.currentTerm?.lastDay == F.date("2019-03-30"))
        #expect(march.nextRenewal == F.date("2019-03-31"))
    }

    @Test func farFutureAsOfIsAnsweredWithoutWalkingEveryTerm() throws {
        let status = RulesEngine.evaluate(try F.dataset("gsomia"), asOf: .maximum)
        #expect(status.state == .inForce)
        #expect(status.currentTerm?.index == 7984)
        #expect(status.currentTerm?.start == F.date("9999-11-23"))
        #expect(status.undetermined.map(\.field) == ["currentTerm.lastDay"])
        let daily = try F.renewing(entry: "0001-01-01", term: "P1D", renewal: "P1D", notice: "P0D")
        #expect(
            RulesEngine.evaluate(daily, asOf: F.date("9999-12-30")).currentTerm?.index == CalendarDate.maximum.dayNumber
                - CalendarDate.minimum.dayNumber
        )
    }

    @Test func anIndefiniteAgreementStaysInForce() throws {
        let agreement = Agreement(
            id: "x",
            title: "X",
            parties: [Party(code: "AA", name: "A")],
            rules: Rules(entryIntoForce: .init(kind: .onDate, date: F.date("1949-08-24")), term: .init(kind: .indefinite))
        )
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2024-01-01"))
        #expect(status.state == .inForce)
        #expect(status.currentTerm == Term(index: 1, start: F.date("1949-08-24"), lastDay: nil))
        #expect(status.nextRenewal == nil)
        #expect(status.undetermined.isEmpty)
    }

    @Test func aSupersededEventIsIgnored() throws {
        var corrected = F.notice("n2", sent: "2019-09-01")
        corrected.supersedes = "n1"
        let agreement = try F.renewing(events: [F.notice("n1", sent: "2019-08-01"), corrected])
        #expect(RulesEngine.evaluate(agreement, asOf: F.date("2019-10-01")).lastDayInForce == F.date("2020-11-22"))
    }
}
