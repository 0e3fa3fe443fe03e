import Foundation
import Testing

@testable import PactaCore

/// The fast paths (`evaluate(_:asOf:trace: false)` and `state(of:asOf:)`, used by list filters) must give
/// exactly what the full evaluation gives, minus the trace.
@Suite struct TracelessEvaluationTests {
    static let dates = stride(from: 1950, through: 2040, by: 3).flatMap { year in
        [Fixtures.date("\(year)-01-15"), Fixtures.date("\(year)-08-24"), Fixtures.date("\(year)-11-23")]
    }

    static func check(_ agreement: Agreement) {
        for asOf in dates {
            var full = RulesEngine.evaluate(agreement, asOf: asOf)
            let fast = RulesEngine.evaluate(agreement, asOf: asOf, trace: false)
            #expect(fast.trace.isEmpty)
            #expect(!full.trace.isEmpty, "\(agreement.id) \(asOf)")
            full.trace = []
            #expect(fast == full, "\(agreement.id) \(asOf)")
            #expect(RulesEngine.state(of: agreement, asOf: asOf) == full.state, "\(agreement.id) \(asOf)")
        }
    }

    @Test(arguments: DatasetTests.ids)
    func agreesWithTheFullEvaluationOnTheDataset(_ id: String) throws {
        Self.check(try Fixtures.dataset(id))
    }

    @Test func agreesWithTheFullEvaluationOnSyntheticAgreements() {
        for agreement in SyntheticAgreements.generate(count: 300, seed: 11) { Self.check(agreement) }
        Self.check(SyntheticAgreements.multilateral(partyCount: 190))
    }
}
