import Foundation
import Testing

@testable import PactaCore

/// `Rules` and `Event` keep their fields in shared boxes (`SharedFields`), and a catalog loaded in bulk gives equal rules
/// one box.
@Suite struct SharedFieldsTests {
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

    @Test func theFieldsFewEventsCarryTakeNoRoomInTheOthers() throws {
        // 104 with two document texts of 17 bytes (a string, or a file and a place): the box's allocation stays in
        // glibc's 128-byte chunk, as at 96.
        #expect(MemoryLayout<Event.Fields>.size <= 104)
        let plain = Event(id: "n", type: .noticeOfWithdrawal, date: Fixtures.date("2020-01-01"), party: "AA", source: "https://example.org")
        #expect(plain.datePrecision == nil && plain.refersTo == nil && plain.period == nil)
        var suspended = Event(id: "s", type: .noticeSuspended, date: Fixtures.date("2020-02-01"), party: "AA", refersTo: "n")
        #expect(suspended.refersTo == "n")
        suspended.refersTo = nil
        #expect(suspended == Event(id: "s", type: .noticeSuspended, date: Fixtures.date("2020-02-01"), party: "AA"))
        #expect(suspended.hashValue == Event(id: "s", type: .noticeSuspended, date: Fixtures.date("2020-02-01"), party: "AA").hashValue)
    }

    @Test func everyEventFieldSurvivesARoundTripWithTheSameCanonicalBytes() throws {
        let full = Event(
            id: "x",
            type: .extensionAgreed,
            date: Fixtures.date("2020-01-01"),
            datePrecision: .month,
            party: "AA",
            received: Fixtures.date("2020-01-02"),
            refersTo: "a",
            supersedes: "b",
            statedEffectiveDate: Fixtures.date("2020-03-01"),
            period: .years(2),
            indefinite: false,
            summary: "s",
            source: "https://example.org/x"
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes = try encoder.encode(full)
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == #"{"date":"2020-01-01","datePrecision":"month","id":"x","indefinite":false,"party":"AA","period":"P2Y","received":"2020-01-02","refersTo":"a","source":"https://example.org/x","statedEffectiveDate":"2020-03-01","summary":"s","supersedes":"b","type":"extensionAgreed"}"#
        )
        #expect(try JSONDecoder().decode(Event.self, from: bytes) == full)
        // Absent fields stay absent, as the synthesized coding left them.
        let plain = Event(id: "y", type: .signature, date: Fixtures.date("2020-01-01"))
        #expect(String(decoding: try encoder.encode(plain), as: UTF8.self) == #"{"date":"2020-01-01","id":"y","type":"signature"}"#)
    }
}
