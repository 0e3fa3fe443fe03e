import Testing

@testable import PactaCore

/// Shape 8 of issue #14: "notice may be given only after N years" (a lock-in: an earlier notice has no effect) and
/// "notice may be given at any time but takes effect no earlier than X" (an earliest effect: an earlier notice stands,
/// its effect waits) are both expressible and reported differently.
@Suite struct EarliestEffectTests {
    typealias F = Fixtures

    static func amity(adding events: [Event] = []) throws -> Agreement {
        var agreement = try F.dataset("us-iran-treaty-of-amity")
        agreement.events += events
        return agreement
    }

    static func usNotice(_ date: String) -> Event {
        Event(id: "hypothetical-notice", type: .noticeOfWithdrawal, date: F.date(date), party: "US")
    }

    @Test func theAmityTreatysWindowBeforeTheEndOfItsFirstTenYearsIsDeferredNotLockedIn() throws {
        // Art. XXIII(3): terminable by one year's notice "at the end of the initial ten-year period or at any time
        // thereafter"; in force from 16 June 1957, so the earliest termination takes effect on 16 June 1967.
        let status = RulesEngine.evaluate(try Self.amity(), asOf: F.date("1960-01-01"))
        let window = try #require(status.parties.first { $0.party == "US" }?.nextWithdrawal)
        #expect(window.limit == .earliestEffect)
        #expect(window.noticeFrom == nil)
        #expect(window.effectiveFrom == F.date("1967-06-16"))
        #expect(window.lastDayAsParty == F.date("1967-06-15"))
        // Dispatched 1966-06-16 + P1Y = 1967-06-16; a day later reaches 1967-06-17.
        #expect(window.noticeBy == F.date("1966-06-16"))
        let step = try #require(status.trace.first { $0.subject == "withdrawalWindow" })
        #expect(step.explanation.contains("admissible now"))
        #expect(step.explanation.contains("deferred"))
    }

    @Test func aNoticeBeforeTheEarliestEffectStandsAndTakesEffectThen() throws {
        let status = RulesEngine.evaluate(try Self.amity(adding: [Self.usNotice("1960-03-01")]), asOf: F.date("1961-06-01"))
        #expect(status.state == .terminationPending)
        // Not 1961-03-01 (the notice period alone): the effect is deferred to the end of the first ten years.
        #expect(status.lastDayInForce == F.date("1967-06-15"))
        #expect(!status.flags.contains { $0.code == .noticeBeforeLockIn })
        let deferral = try #require(status.trace.first { $0.subject == "withdrawal" && $0.inputs["earliestEffect"] != nil })
        #expect(deferral.inputs["computed"] == "1961-03-01")
        #expect(deferral.result == "1967-06-15")
        #expect(deferral.convention?.hasPrefix("earliestEffect") == true)
        #expect(RulesEngine.evaluate(try Self.amity(adding: [Self.usNotice("1960-03-01")]), asOf: F.date("1967-06-16")).state == .terminated)
    }

    @Test func theUnitedStatesNoticeOf2018EndedTheTreatyOn3October2019() throws {
        let amity = try Self.amity()
        let pending = RulesEngine.evaluate(amity, asOf: F.date("2019-01-01"))
        #expect(pending.state == .terminationPending)
        #expect(pending.lastDayInForce == F.date("2019-10-02"))
        #expect(!pending.trace.contains { $0.inputs["earliestEffect"] != nil })
        let ended = RulesEngine.evaluate(amity, asOf: F.date("2019-10-03"))
        #expect(ended.state == .terminated)
        #expect(!ended.flags.contains { $0.code == .recordedDateDiffers })
        // After the first ten years the window is the notice period's own: no limit.
        let free = RulesEngine.evaluate(amity, asOf: F.date("2000-01-01")).parties.first { $0.party == "IR" }?.nextWithdrawal
        #expect(free == WithdrawalWindow(noticeBy: F.date("2000-01-01"), lastDayAsParty: F.date("2000-12-31"), effectiveFrom: F.date("2001-01-01")))
    }

    @Test func theSecurityTreatysLockInSaysNoticeIsNotYetAdmissible() throws {
        // US–Japan Security Treaty Art. X: after ten years in force (from 23 June 1960) either party may give one
        // year's notice.
        let treaty = try F.dataset("us-japan-security-treaty")
        let status = RulesEngine.evaluate(treaty, asOf: F.date("1965-01-01"))
        let window = try #require(status.parties.first { $0.party == "JP" }?.nextWithdrawal)
        #expect(window.limit == .lockIn)
        #expect(window.noticeFrom == F.date("1970-06-23"))
        #expect(window.noticeBy == F.date("1970-06-23"))
        #expect(window.effectiveFrom == F.date("1971-06-23"))
        let step = try #require(status.trace.first { $0.subject == "withdrawalWindow" })
        #expect(step.explanation.contains("not yet admissible"))
        // A notice during the lock-in has no effect at all (where an earliest effect would only defer it).
        var early = treaty
        early.events.append(Event(id: "hypothetical-notice", type: .noticeOfWithdrawal, date: F.date("1965-02-01"), party: "JP"))
        let flagged = RulesEngine.evaluate(early, asOf: F.date("1972-01-01"))
        #expect(flagged.state == .inForce)
        #expect(flagged.flags.map(\.code) == [.noticeBeforeLockIn])
        // Past the lock-in the window carries no limit.
        #expect(RulesEngine.evaluate(treaty, asOf: F.date("1980-01-01")).parties.allSatisfy { $0.nextWithdrawal?.limit == nil })
    }

    @Test func aFixedEarliestDateDefersEveryEarlierEffect() throws {
        let rule = WithdrawalRule(notice: .months(6), earliestEffect: .init(date: F.date("2010-01-01")))
        let agreement = WithdrawalShapeTests.multilateral(withdrawal: rule, events: [WithdrawalShapeTests.withdrawalNotice("AA", "2005-05-05")])
        let status = RulesEngine.evaluate(agreement, asOf: F.date("2006-01-01"))
        #expect(status.parties[0].status == .withdrawalPending)
        #expect(status.parties[0].lastDayAsParty == F.date("2009-12-31"))
        // Received 2009-07-01 + P6M = 2010-01-01, the earliest date itself; a day later is later.
        #expect(status.parties[1].nextWithdrawal?.noticeBy == F.date("2009-07-01"))
        #expect(status.parties[1].nextWithdrawal?.limit == .earliestEffect)
        TracelessEvaluationTests.check(agreement)
    }

    @Test func theDeadlinesListTheLastDayOfNoticeForTheEarliestEffect() throws {
        let amity = try Self.amity()
        let deadlines = DeadlineProjection.deadlines(for: amity, from: F.date("1957-06-16"), through: F.date("1967-12-31"))
        let windows = deadlines.filter { $0.kind == .withdrawalNoticeDeadline }
        #expect(windows.map(\.date) == [F.date("1966-06-16")])
        #expect(windows.first?.explanation.contains("taking effect on 1967-06-16") == true)
        #expect(windows.first?.explanation.contains("admissible now") == true)
        #expect(windows.first?.parties == ["US", "IR"])
        // The lifecycle answers the same.
        let lifecycle = LifecycleBuilder.build(amity)
        #expect(lifecycle.deadlines(of: amity, from: F.date("1957-06-16"), through: F.date("1967-12-31")) == deadlines)
        // A lock-in lists no such day: until it ends, no notice counts.
        let security = try F.dataset("us-japan-security-treaty")
        #expect(
            !DeadlineProjection.deadlines(for: security, from: F.date("1960-06-23"), through: F.date("1972-12-31"))
                .contains { $0.kind == .withdrawalNoticeDeadline }
        )
    }

    @Test func anEarliestEffectNeedsADateOrAPeriodNotBoth() {
        func pointers(_ earliest: WithdrawalRule.EarliestEffect) -> [String] {
            let agreement = WithdrawalShapeTests.multilateral(withdrawal: WithdrawalRule(notice: .years(1), earliestEffect: earliest), events: [])
            return AgreementValidator.validate(agreement).map(\.pointer)
        }
        #expect(pointers(.init()) == ["/rules/withdrawal/earliestEffect"])
        #expect(pointers(.init(date: F.date("2010-01-01"), period: .years(1))) == ["/rules/withdrawal/earliestEffect/period"])
        #expect(pointers(.init(date: F.date("2010-01-01"), from: .entryIntoForce)) == ["/rules/withdrawal/earliestEffect/from"])
        #expect(pointers(.init(period: Period(), from: .entryIntoForce)) == ["/rules/withdrawal/earliestEffect/period"])
        #expect(pointers(.init(period: .years(10), from: .entryIntoForce)).isEmpty)
        let anchored = WithdrawalRule(anchor: .init(month: 12, day: 31, yearsAfterNotice: 1), earliestEffect: .init(date: F.date("2010-01-01")))
        #expect(
            AgreementValidator.validate(WithdrawalShapeTests.multilateral(withdrawal: anchored, events: [])).map(\.pointer)
                == ["/rules/withdrawal/earliestEffect"]
        )
    }
}
