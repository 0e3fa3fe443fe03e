import Foundation
import Testing

@testable import PactaCore

/// Issue #14, "No silent no-ops": every recorded event has a visible effect or a flag saying why it has none;
/// what cannot be recorded meaningfully is refused by validation (with a pointer).
@Suite struct NoSilentNoOpTests {
    typealias F = Fixtures

    /// A multilateral agreement in force since 2000 with a one-year withdrawal clause; AA and BB are original
    /// parties (nothing about them on record), CC only signed, DD consented in 2005.
    static func convention(events: [Event], withdrawal: Bool = true) -> Agreement {
        Agreement(
            id: "convention",
            title: "A convention",
            kind: .multilateral,
            parties: ["AA", "BB", "CC", "DD"].map { Party(code: $0, name: $0) },
            rules: Rules(
                entryIntoForce: EntryIntoForceRule(kind: .onDate, date: F.date("2000-01-01")),
                term: TermRule(kind: .indefinite),
                withdrawal: withdrawal ? WithdrawalRule(notice: .years(1), noticeDate: .receipt) : nil
            ),
            events: [
                Event(id: "signature-cc", type: .signature, date: F.date("1999-06-01"), party: "CC"),
                Event(id: "consent-dd", type: .consent, date: F.date("2005-03-01"), party: "DD"),
            ] + events
        )
    }

    static func flags(_ status: AgreementStatus, _ code: StatusFlag.Code) -> [StatusFlag] {
        status.flags.filter { $0.code == code }
    }

    static func party(_ status: AgreementStatus, _ code: String) -> PartyStatus? {
        status.parties.first { $0.party == code }
    }

    /// The fast paths and the lifecycle must keep agreeing with the engine on the new behaviour.
    static func checkEquivalence(_ agreement: Agreement) {
        TracelessEvaluationTests.check(agreement)
        var random = SplitMix64(seed: 5)
        var tally = LifecycleEquivalenceTests.Tally()
        LifecycleEquivalenceTests.check(agreement, random: &random, dates: 40, windows: 8, tally: &tally)
        #expect(tally.states > 0)
    }

    // MARK: Withdrawal by a state that is not a party

    @Test func aSignatorysNoticeOfWithdrawalIsFlaggedAndLeavesItASignatory() {
        let agreement = Self.convention(events: [
            Event(id: "notice-cc", type: .noticeOfWithdrawal, date: F.date("2010-05-01"), party: "CC", received: F.date("2010-05-01"))
        ])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2010-06-01"))
        #expect(Self.party(status, "CC")?.status == .signatory)
        let flag = Self.flags(status, .notAParty).first
        #expect(flag?.party == "CC")
        #expect(flag?.eventId == "notice-cc")
        #expect(status.trace.contains { $0.eventId == "notice-cc" })
        // Later too: it never becomes withdrawn.
        #expect(Self.party(RulesEngine.evaluate(agreement, asOf: F.date("2012-01-01")), "CC")?.status == .signatory)
        Self.checkEquivalence(agreement)
    }

    @Test func aNoticeByAStateThatHadAlreadyLeftIsFlagged() {
        let agreement = Self.convention(events: [
            Event(id: "notice-aa", type: .noticeOfWithdrawal, date: F.date("2010-05-01"), party: "AA", received: F.date("2010-05-01")),
            Event(id: "notice-aa-again", type: .noticeOfWithdrawal, date: F.date("2012-01-01"), party: "AA", received: F.date("2012-01-01")),
        ])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2012-02-01"))
        #expect(Self.party(status, "AA")?.status == .withdrawn)
        #expect(Self.party(status, "AA")?.since == F.date("2011-05-01"))
        #expect(Self.flags(status, .notAParty).map(\.eventId) == ["notice-aa-again"])
    }

    @Test func aRecordThatStartsWithANoticeIsStillAnOriginalPartysWithdrawal() {
        let agreement = Self.convention(events: [
            Event(id: "notice-bb", type: .noticeOfWithdrawal, date: F.date("2010-05-01"), party: "BB", received: F.date("2010-05-01"))
        ])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2010-06-01"))
        #expect(Self.party(status, "BB")?.status == .withdrawalPending)
        #expect(Self.flags(status, .notAParty).isEmpty)
    }

    @Test func aSecondNoticeWhileTheFirstIsPendingIsFlagged() {
        let agreement = Self.convention(events: [
            Event(id: "notice-aa", type: .noticeOfWithdrawal, date: F.date("2010-05-01"), party: "AA", received: F.date("2010-05-01")),
            Event(id: "notice-aa-again", type: .noticeOfWithdrawal, date: F.date("2010-09-01"), party: "AA", received: F.date("2010-09-01")),
        ])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2010-10-01"))
        #expect(Self.party(status, "AA")?.lastDayAsParty == F.date("2011-04-30"))
        let flag = Self.flags(status, .noticeAlreadyPending).first
        #expect(flag?.eventId == "notice-aa-again")
        #expect(flag?.message.contains("notice-aa ") == true)
        Self.checkEquivalence(agreement)
    }

    @Test func aRevocationOrSuspensionAfterTheNoticeTookEffectIsFlagged() throws {
        let agreement = try F.renewing(events: [
            F.notice(sent: "2019-08-01"), F.action("v1", .noticeRevoked, on: "2019-12-01"),
        ])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2020-01-01"))
        #expect(status.state == .terminated)
        #expect(Self.flags(status, .actAfterEffect).map(\.eventId) == ["v1"])
        let withdrawal = Self.convention(events: [
            Event(id: "notice-aa", type: .noticeOfWithdrawal, date: F.date("2010-05-01"), party: "AA", received: F.date("2010-05-01")),
            Event(id: "late-suspension", type: .noticeSuspended, date: F.date("2011-06-01"), party: "AA", refersTo: "notice-aa"),
        ])
        let after = RulesEngine.evaluate(withdrawal, asOf: F.date("2011-07-01"))
        #expect(Self.party(after, "AA")?.status == .withdrawn)
        #expect(Self.flags(after, .actAfterEffect).map(\.eventId) == ["late-suspension"])
        Self.checkEquivalence(withdrawal)
    }

    // MARK: A recorded withdrawal with no notice

    @Test func aWithdrawalEffectiveWithNoNoticeIsTheRecordAndFlagged() {
        let agreement = Self.convention(events: [
            Event(id: "withdrawn-aa", type: .withdrawalEffective, date: F.date("2015-07-01"), party: "AA")
        ])
        let before = RulesEngine.evaluate(agreement, asOf: F.date("2015-06-30"))
        #expect(Self.party(before, "AA")?.status == .party)
        let after = RulesEngine.evaluate(agreement, asOf: F.date("2015-07-01"))
        #expect(Self.party(after, "AA")?.status == .withdrawn)
        #expect(Self.party(after, "AA")?.since == F.date("2015-07-01"))
        #expect(Self.party(after, "AA")?.lastDayAsParty == F.date("2015-06-30"))
        #expect(Self.flags(after, .withdrawalWithoutNotice).map(\.eventId) == ["withdrawn-aa"])
        #expect(Self.flags(after, .recordedDateDiffers).isEmpty)
        #expect(after.state == .inForce)
        // The deadline feed lists the day the party left.
        let items = DeadlineProjection.deadlines(for: agreement, from: F.date("2015-01-01"), through: F.date("2015-12-31"))
        #expect(items.contains { $0.kind == .withdrawalEffective && $0.party == "AA" && $0.date == F.date("2015-07-01") })
        Self.checkEquivalence(agreement)
    }

    @Test func aWithdrawalEffectiveWithNoNoticeEndsABilateralAgreement() throws {
        let agreement = try F.renewing(events: [
            Event(id: "withdrawn-bb", type: .withdrawalEffective, date: F.date("2018-03-01"), party: "BB")
        ])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2018-03-01"))
        #expect(status.state == .terminated)
        #expect(status.lastDayInForce == F.date("2018-02-28"))
        #expect(status.endCause?.reason == .withdrawal)
        #expect(status.endCause?.party == "BB")
        #expect(Self.flags(status, .withdrawalWithoutNotice).count == 1)
        Self.checkEquivalence(agreement)
    }

    @Test func aWithdrawalEffectiveAfterANoticeKeepsTheComputedDate() {
        let agreement = Self.convention(events: [
            Event(id: "notice-aa", type: .noticeOfWithdrawal, date: F.date("2010-05-01"), party: "AA", received: F.date("2010-05-01")),
            Event(id: "withdrawn-aa", type: .withdrawalEffective, date: F.date("2011-06-01"), party: "AA"),
        ])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2012-01-01"))
        #expect(Self.party(status, "AA")?.since == F.date("2011-05-01"))
        #expect(Self.flags(status, .recordedDateDiffers).map(\.eventId) == ["withdrawn-aa"])
        #expect(Self.flags(status, .withdrawalWithoutNotice).isEmpty)
    }

    @Test func aWithdrawalEffectiveForAStateThatOnlySignedIsFlaggedNotAParty() {
        let agreement = Self.convention(events: [
            Event(id: "withdrawn-cc", type: .withdrawalEffective, date: F.date("2015-07-01"), party: "CC")
        ])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2016-01-01"))
        #expect(Self.party(status, "CC")?.status == .signatory)
        #expect(Self.flags(status, .notAParty).map(\.eventId) == ["withdrawn-cc"])
        #expect(Self.flags(status, .recordedDateDiffers).isEmpty)
    }

    // MARK: Notices and extensions the rules do not provide for

    @Test func aNoticeOfTerminationWithoutATerminationClauseIsFlagged() {
        let agreement = Self.convention(events: [
            Event(id: "notice-aa", type: .noticeOfTermination, date: F.date("2010-05-01"), party: "AA"),
            Event(id: "nonrenewal-bb", type: .noticeOfNonRenewal, date: F.date("2010-06-01"), party: "BB"),
        ])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2012-01-01"))
        #expect(status.state == .inForce)
        #expect(Self.flags(status, .noticeWithoutClause).map(\.eventId) == ["notice-aa", "nonrenewal-bb"])
        #expect(status.trace.contains { $0.eventId == "notice-aa" && $0.subject == "notice" })
        Self.checkEquivalence(agreement)
    }

    @Test func anExtensionWhenRenewalIsAutomaticIsFlagged() throws {
        let agreement = try F.renewing(events: [
            Event(id: "extension", type: .extensionAgreed, date: F.date("2018-05-01"), period: .years(5))
        ])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2018-06-01"))
        let flag = try #require(Self.flags(status, .extensionWithoutEffect).first)
        #expect(flag.eventId == "extension")
        #expect(flag.message.contains("automatic"))
        #expect(status.currentTerm?.lastDay == F.date("2018-11-22"))
        Self.checkEquivalence(agreement)
    }

    @Test func anExtensionAgreedAfterTheTermEndedOrOverTheLimitIsFlagged() throws {
        var agreement = try F.dataset("new-start")
        let before = RulesEngine.evaluate(agreement, asOf: F.date("2026-11-29"))
        #expect(Self.flags(before, .extensionWithoutEffect).isEmpty)
        agreement.events.append(
            Event(id: "late-extension", type: .extensionAgreed, date: F.date("2026-06-01"), period: .years(1))
        )
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2026-11-29"))
        #expect(status.state == .expired)
        #expect(Self.flags(status, .extensionWithoutEffect).map(\.eventId) == ["late-extension"])
    }

    // MARK: Resumptions

    @Test func aResumptionOfANoticeNeverSuspendedIsFlagged() throws {
        let agreement = try F.renewing(events: [
            F.notice(sent: "2019-08-01"), F.action("r1", .noticeResumed, on: "2019-09-01"),
        ])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2019-10-01"))
        #expect(status.state == .terminationPending)
        #expect(status.lastDayInForce == F.date("2019-11-22"))
        let flag = try #require(Self.flags(status, .resumptionWithoutSuspension).first)
        #expect(flag.eventId == "r1")
        #expect(flag.message.contains("never suspended"))
        Self.checkEquivalence(agreement)
    }

    @Test func aResumptionAfterASuspensionIsNotFlaggedButASecondOneIs() throws {
        let agreement = try F.renewing(events: [
            F.notice(sent: "2019-08-01"), F.action("s1", .noticeSuspended, on: "2019-11-01"),
            F.action("r1", .noticeResumed, on: "2020-03-01"), F.action("r2", .noticeResumed, on: "2020-04-01"),
        ])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2020-05-01"))
        #expect(Self.flags(status, .resumptionWithoutSuspension).map(\.eventId) == ["r2"])
        #expect(status.state == .terminationPending)
    }

    @Test func gsomiaHasNoNewFlags() throws {
        let status = RulesEngine.evaluate(try F.dataset("gsomia"), asOf: F.date("2026-11-29"))
        #expect(status.flags.isEmpty)
    }

    @Test func theBundledDatasetRaisesNoNoOpFlags() throws {
        let noOps: Set<StatusFlag.Code> = [
            .notAParty, .withdrawalWithoutNotice, .extensionWithoutEffect, .resumptionWithoutSuspension,
            .noticeAlreadyPending, .actAfterEffect,
        ]
        for id in DatasetTests.ids {
            let status = RulesEngine.evaluate(try F.dataset(id), asOf: F.date("2026-11-29"))
            #expect(status.flags.filter { noOps.contains($0.code) }.isEmpty, "\(id): \(status.flags.map(\.message))")
        }
    }
}

/// Shape 2 of issue #14: a notice of non-renewal ends the agreement as `expired`, a notice of termination as
/// `terminated`, with the same dates.
@Suite struct NonRenewalTests {
    typealias F = Fixtures

    static func nonRenewal(_ id: String = "nr1", sent: String) -> Event {
        Event(id: id, type: .noticeOfNonRenewal, date: F.date(sent), party: "AA", received: F.date(sent))
    }

    @Test func aNoticeOfNonRenewalEndsTheAgreementExpiredWithTheNoticeAsCause() throws {
        let agreement = try F.renewing(events: [Self.nonRenewal(sent: "2019-08-01")])
        let pending = RulesEngine.evaluate(agreement, asOf: F.date("2019-09-01"))
        #expect(pending.state == .terminationPending)
        #expect(pending.lastDayInForce == F.date("2019-11-22"))
        #expect(pending.endCause == EndCause(kind: .expired, reason: .nonRenewal, eventId: "nr1", rule: "termination"))
        let ended = RulesEngine.evaluate(agreement, asOf: F.date("2019-11-23"))
        #expect(ended.state == .expired)
        #expect(ended.lastDayInForce == F.date("2019-11-22"))
        #expect(ended.endCause?.reason == .nonRenewal)
        #expect(ended.trace.contains { $0.subject == "notice" && $0.explanation.contains("non-renewal") })
        NoSilentNoOpTests.checkEquivalence(agreement)
    }

    @Test func theSameDatesAsANoticeOfTerminationWhichEndsItTerminated() throws {
        for (sent, lastDay) in [("2019-08-01", "2019-11-22"), ("2019-09-01", "2020-11-22")] {
            let nonRenewal = RulesEngine.evaluate(try F.renewing(events: [Self.nonRenewal(sent: sent)]), asOf: F.date("2021-01-01"))
            let termination = RulesEngine.evaluate(try F.renewing(events: [F.notice(sent: sent)]), asOf: F.date("2021-01-01"))
            #expect(nonRenewal.lastDayInForce == F.date(lastDay))
            #expect(termination.lastDayInForce == nonRenewal.lastDayInForce)
            #expect(nonRenewal.state == .expired)
            #expect(termination.state == .terminated)
            #expect(termination.endCause?.reason == .notice)
        }
    }

    @Test func aLateNoticeOfNonRenewalIsFlaggedAndEndsTheNextTerm() throws {
        let status = RulesEngine.evaluate(try F.renewing(events: [Self.nonRenewal(sent: "2019-09-01")]), asOf: F.date("2020-01-01"))
        #expect(status.flags.map(\.code) == [.lateNotice])
        #expect(status.lastDayInForce == F.date("2020-11-22"))
    }

    @Test func aSuspendedNoticeOfNonRenewalHasNoEffect() throws {
        let agreement = try F.renewing(events: [
            Self.nonRenewal(sent: "2019-08-01"), F.action("s1", .noticeSuspended, on: "2019-11-20", refersTo: "nr1"),
        ])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2019-12-01"))
        #expect(status.state == .inForce)
        #expect(status.flags.map(\.code) == [.noticeSuspended])
    }

    @Test func russiaUkraineFriendshipTreatyExpiredAfterUkrainesNoticeOfNonExtension() throws {
        let treaty = try F.dataset("russia-ukraine-friendship-treaty")
        let status = RulesEngine.evaluate(treaty, asOf: F.date("2019-04-01"))
        #expect(status.state == .expired)
        #expect(status.lastDayInForce == F.date("2019-03-31"))
        #expect(status.endCause?.kind == .expired)
        #expect(status.endCause?.reason == .nonRenewal)
        #expect(status.endCause?.eventId == "notice-termination-ua-2018")
        #expect(status.flags.isEmpty)
        let pending = RulesEngine.evaluate(treaty, asOf: F.date("2018-12-01"))
        #expect(pending.state == .terminationPending)
    }

    @Test func gsomiaKeepsItsNoticeOfTermination() throws {
        let gsomia = try F.dataset("gsomia")
        #expect(gsomia.events.contains { $0.id == "kr-notice-2019" && $0.type == .noticeOfTermination })
        let status = RulesEngine.evaluate(gsomia, asOf: F.date("2019-09-01"))
        #expect(status.endCause?.kind == .terminated)
        #expect(status.endCause?.reason == .notice)
    }
}
