import Foundation
import Testing

@testable import PactaCore

/// A deadline keeps its sentence in parts (`Deadline.Sentence`) and says it only when read: the items of a catalog's
/// lifecycles hold no written-out sentence, and the JSON says the same words it always did.
@Suite struct DeadlineSentenceTests {
    @Test func theSentenceOfANoticeDeadlineMetInTimeIsSaidFromItsParts() throws {
        let gsomia = try Fixtures.dataset("gsomia")
        let deadlines = DeadlineProjection.deadlines(
            for: gsomia,
            from: Fixtures.date("2018-11-23"),
            through: Fixtures.date("2019-11-23")
        )
        let said = deadlines.map { "\($0.date) \($0.explanation)" }
        #expect(
            said == [
                "2018-11-23 The agreement renews automatically for P1Y: term 3 starts on 2018-11-23, as no notice stopped it.",
                "2019-08-24 Last day for JP or KR to give written notice (received by the other side) to stop the renewal after"
                    + " term 3 (Art. 21). Without it, the agreement renews on 2019-11-23. KR gave notice in time (event kr-notice-2019).",
                "2019-11-23 The agreement renews automatically for P1Y: term 4 starts on 2019-11-23, as no notice stopped it.",
            ]
        )
        let met = try #require(deadlines.first { $0.kind == .noticeDeadline })
        guard case .met(.noticeDeadline(clauseArticle: "Art. 21", nextRenewal: _, counted: .receipt), "KR", "kr-notice-2019") = met.sentence
        else {
            Issue.record("the met deadline's sentence in parts: \(met.sentence)")
            return
        }
    }

    @Test func noLifecycleItemHoldsAWrittenOutSentence() throws {
        var agreements = try Fixtures.allDatasetAgreements()
        agreements += SyntheticAgreements.generate(count: 300, seed: 5)
        var items = 0
        for agreement in agreements {
            for item in LifecycleBuilder.build(agreement).items {
                items += 1
                if case .text = item.sentence { Issue.record("\(agreement.id) \(item.date) \(item.kind): a sentence given whole") }
                #expect(!item.explanation.isEmpty)
            }
        }
        #expect(items > agreements.count)
        // The parts sit inline beside the other fields; only the rare cases are boxed.
        #expect(MemoryLayout<Deadline.Sentence>.size <= 24)
    }

    @Test func theJSONSaysTheSentenceAndReadsItBackWhole() throws {
        let gsomia = try Fixtures.dataset("gsomia")
        let deadline = try #require(
            DeadlineProjection.deadlines(for: gsomia, from: Fixtures.date("2019-08-24"), through: Fixtures.date("2019-08-24")).first
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(deadline)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["explanation"] as? String == deadline.explanation)
        #expect(object["sentence"] == nil)
        let read = try JSONDecoder().decode(Deadline.self, from: json)
        #expect(read.sentence == .text(deadline.explanation))
        #expect(try encoder.encode(read) == json)
    }

    @Test func everyCaseComesBackFromItsParts() throws {
        let day = Fixtures.date("2020-02-29")
        let sentences: [Deadline.Sentence] = [
            .noticeDeadline(clauseArticle: "Art. 21", nextRenewal: day, counted: .receipt),
            .noticeDeadline(clauseArticle: nil, nextRenewal: nil, counted: nil),
            .met(.noticeDeadline(clauseArticle: nil, nextRenewal: day, counted: .dispatch), notifier: "KR", noticeEventId: nil),
            .renewal(automatic: true, period: .years(1)),
            .renewal(automatic: false, period: nil),
            .endOfLastTerm,
            .endByNotice(nonRenewal: true),
            .review(period: .years(5), extensions: 2, lastDayInForce: day),
            .performanceSuspension(notifiedOn: day),
            .partyLeaves(excluded: true),
            .deferredWithdrawalNotice(counted: .dispatch, effectiveFrom: day),
            .withdrawalWindow(counted: .receipt, firstOut: day),
            .withdrawalWindow(counted: .receipt, firstOut: nil),
            .rangedEnd(reason: "dated to a month"),
            .rangedWithdrawal(reason: "dated to a year"),
            .text("given whole"),
        ]
        for sentence in sentences {
            let read = try JSONDecoder().decode(Deadline.Sentence.self, from: JSONEncoder().encode(sentence))
            #expect(read == sentence)
        }
    }
}

/// Lifecycles held in bulk give each distinct provenance (rule, article, convention, event, range) one box, and each
/// renewal sentence one copy.
@Suite struct DeadlineInternerTests {
    @Test func equalProvenancesShareOneBox() {
        var interner = DeadlineInterner()
        let lifecycles = SyntheticAgreements.generate(count: 400, seed: 6).map { interner.intern(LifecycleBuilder.build($0)) }
        var boxes: [Deadline.Provenance: Set<ObjectIdentifier>] = [:]
        var conventionBuffers: [String: Set<UInt>] = [:]
        for item in lifecycles.flatMap(\.items) {
            guard let box = item.provenance else { continue }
            boxes[box.fields, default: []].insert(ObjectIdentifier(box))
            if let address = item.convention?.utf8.withContiguousStorageIfAvailable({ UInt(bitPattern: $0.baseAddress) }) {
                conventionBuffers[item.convention!, default: []].insert(address)
            }
        }
        #expect(boxes.count > 10)
        for (provenance, identities) in boxes { #expect(identities.count == 1, "\(provenance): \(identities.count) boxes") }
        for (convention, addresses) in conventionBuffers { #expect(addresses.count == 1, "\(convention): \(addresses.count) copies") }
        // The items are the builder's, but for the sharing.
        let again = SyntheticAgreements.generate(count: 400, seed: 6).map { LifecycleBuilder.build($0) }
        #expect(lifecycles.map(\.items) == again.map(\.items))
    }

    /// An item is 88 bytes: the budget of a lifecycle index that holds half a million of them at 100,000 agreements.
    @Test func anItemTakes88Bytes() {
        #expect(MemoryLayout<Deadline>.stride <= 88)
    }

    /// The fields kept in the box read and write as stored fields do.
    @Test func provenanceFieldsReadAndWriteAsFields() throws {
        let date = try CalendarDate(parsing: "2019-08-24")
        var item = Deadline(agreementId: "a", date: date, kind: .noticeDeadline, parties: ["JP"], term: 3, sentence: .text("t"))
        #expect(item.provenance == nil)
        item.convention = "clear days"
        item.latest = date
        #expect(item.rule == nil && item.convention == "clear days" && item.latest == date && item.term == 3)
        let twin = Deadline(
            agreementId: "a",
            date: date,
            kind: .noticeDeadline,
            parties: ["JP"],
            term: 3,
            convention: "clear days",
            sentence: .text("t"),
            latest: date
        )
        #expect(item == twin)
        item.convention = nil
        item.latest = nil
        #expect(item.provenance == nil)
        item.term = nil
        #expect(item.term == nil)
    }
}
