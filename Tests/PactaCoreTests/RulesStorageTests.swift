import Foundation
import Testing

@testable import PactaCore

/// `Rules` keeps its fields in a shared box, and a catalog loaded in bulk gives equal rules one box.
@Suite struct RulesStorageTests {
    @Test func anAgreementCarriesItsRulesByReference() {
        // The clauses laid out inline took about 1,000 bytes in every agreement and every copy of it.
        #expect(MemoryLayout<Rules>.size == MemoryLayout<Int>.size)
        #expect(MemoryLayout<Agreement>.size < 200)
    }

    @Test func settingAFieldCopiesTheRulesSoTheyStayValues() throws {
        let original = try Fixtures.renewing().rules
        var changed = original
        changed.termination = nil
        #expect(original.termination != nil)
        #expect(changed != original)
        #expect(!changed.sharesStorage(with: original))
        changed.termination = original.termination
        #expect(changed == original)
    }

    @Test func equalRulesShareOneBoxOnceInterned() throws {
        let agreements = SyntheticAgreements.generate(count: 2_000, seed: 3)
        // Decoded separately, as the store and the snapshot file give them: equal, but each in its own box.
        let decoded = try agreements.map { try JSONDecoder().decode(Agreement.self, from: JSONEncoder().encode($0)) }
        var interner = RulesInterner()
        let interned = decoded.map { interner.intern($0) }
        #expect(interned == decoded)
        var boxes: [Rules] = []
        for agreement in interned where !boxes.contains(where: { $0.sharesStorage(with: agreement.rules) }) {
            boxes.append(agreement.rules)
        }
        let distinct = Set(decoded.map(\.rules)).count
        #expect(boxes.count == distinct)
        #expect(distinct < decoded.count / 2)
    }
}
