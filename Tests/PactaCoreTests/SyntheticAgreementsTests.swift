import Foundation
import Testing

@testable import PactaCore

@Suite struct SyntheticAgreementsTests {
    @Test func theSameSeedGivesTheSameAgreements() throws {
        let first = SyntheticAgreements.generate(count: 300, seed: 7)
        let second = SyntheticAgreements.generate(count: 300, seed: 7)
        #expect(first == second)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        #expect(try encoder.encode(first) == encoder.encode(second))
        #expect(SyntheticAgreements.generate(count: 300, seed: 8) != first)
    }

    @Test func anAgreementDependsOnlyOnSeedAndIndex() {
        let whole = SyntheticAgreements.generate(count: 50, seed: 3)
        #expect(SyntheticAgreements.agreement(index: 42, seed: 3, count: 50) == whole[42])
    }

    @Test func everyGeneratedAgreementValidates() {
        for agreement in SyntheticAgreements.generate(count: 2_000, seed: 1) {
            let issues = AgreementValidator.validate(agreement)
            #expect(issues.isEmpty, "\(agreement.id): \(issues)")
        }
    }

    @Test func idsAreUniqueSortedAndApartFromTheDataset() {
        let ids = SyntheticAgreements.generate(count: 1_200, seed: 1).map(\.id)
        #expect(Set(ids).count == ids.count)
        #expect(ids == ids.sorted())
        #expect(ids.allSatisfy { $0.hasPrefix(SyntheticAgreements.idPrefix) && AgreementValidator.isValidIdentifier($0) })
        #expect(SyntheticAgreements.id(index: 7, count: 100_000) == "synthetic-000007")
        #expect(SyntheticAgreements.states.count == 193)
        #expect(Set(SyntheticAgreements.states).count == 193)
    }

    @Test func theMixCoversEveryStateAndBothKinds() throws {
        let agreements = SyntheticAgreements.generate(count: 2_000, seed: 1)
        let asOf = try CalendarDate(parsing: "2025-06-01")
        let states = Set(agreements.map { RulesEngine.evaluate($0, asOf: asOf).state })
        #expect(states == Set(AgreementStatus.State.allCases))
        #expect(agreements.contains { $0.kind == .multilateral && $0.parties.count >= 150 })
        #expect(agreements.contains { $0.kind == .bilateral })
    }

    /// The property tests see the withdrawal shapes of #14's second wave: calendar-anchored with a cutoff, and a
    /// negotiation period extended (in time, and too late) or ended by a withdrawal agreement.
    @Test func theMixCoversTheSecondWaveWithdrawalShapes() throws {
        let agreements = SyntheticAgreements.generate(count: 2_000, seed: 1)
        #expect(agreements.contains { $0.rules.withdrawal?.anchor?.cutoff != nil && $0.events.contains { $0.type == .noticeOfWithdrawal } })
        let negotiated = agreements.filter { $0.rules.withdrawal?.negotiation != nil }
        let asOf = try CalendarDate(parsing: "9999-01-01")
        let statuses = negotiated.map { RulesEngine.evaluate($0, asOf: asOf, trace: false) }
        #expect(statuses.contains { $0.parties.contains { ($0.withdrawalExtensions ?? 0) >= 2 } })
        #expect(statuses.contains { $0.flags.contains { $0.code == .extensionWithoutEffect } })
        #expect(negotiated.contains { $0.events.contains { $0.type == .withdrawalAgreementInForce } })
    }

    /// The property tests see the shapes 3, 4, 6 and 7 of #14's second wave: review clauses under both extension
    /// counts (with confirmations that extend the term, and not), extensions by agreement from the decision, resumed
    /// notices under both clocks, and suspensions of performance by notification.
    @Test func theMixCoversReviewsNoticeClocksAndNotifiedSuspensions() throws {
        let agreements = SyntheticAgreements.generate(count: 2_000, seed: 1)
        let reviewed = agreements.filter { $0.rules.renewal?.kind == .byReview }
        for counting in [RenewalRule.ExtensionCounting.fromDecision, .fromTermEnd] {
            #expect(reviewed.contains { $0.rules.renewal?.extensionCounting == counting })
        }
        let asOf = try CalendarDate(parsing: "9999-01-01")
        let statuses = reviewed.map { RulesEngine.evaluate($0, asOf: asOf) }
        #expect(statuses.contains { $0.trace.contains { $0.subject == "extension" } })
        #expect(statuses.contains { $0.flags.contains { $0.code == .confirmationWithoutEffect } })
        #expect(agreements.contains { $0.rules.renewal?.kind == .byAgreement && $0.rules.renewal?.extensionCounting == .fromDecision })
        for clock in [SuspendedNoticeClock.pauses, .restarts] {
            #expect(
                agreements.contains { agreement in
                    agreement.rules.termination?.suspendedNotice == clock && agreement.events.contains { $0.type == .noticeResumed }
                }
            )
        }
        let notified = agreements.filter { $0.events.contains { $0.type == .performanceSuspensionNotified } }
        #expect(notified.contains { $0.events.contains { $0.type == .performanceResumed } })
        #expect(notified.contains { !$0.events.contains { $0.type == .performanceResumed } })
    }
}
