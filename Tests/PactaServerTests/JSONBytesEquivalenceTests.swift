import Foundation
import PactaAPI
import Testing

@testable import PactaCore
@testable import PactaServer

/// ``JSONBytes`` writes what the server's `JSONEncoder` writes, byte for byte: every status of the bundled dataset
/// on the days around each of its events and on dates from 1800 to 2400, and of 2,000 synthetic agreements (every
/// shape the generator draws) on random dates, and strings with every escape.
@Suite struct JSONBytesEquivalenceTests {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    func expectSameBytes(_ status: AgreementStatus) throws {
        let expected = try Self.encoder.encode(status)
        let written = status.jsonBytes
        guard Array(expected) != written else { return }
        Issue.record(
            """
            \(status.agreementId) as of \(status.asOf):
            encoder: \(String(decoding: expected, as: UTF8.self))
            written: \(String(decoding: written, as: UTF8.self))
            """
        )
    }

    @Test func theBundledDatasetAroundEveryEventAndOverSixCenturies() throws {
        let agreements = try BundledData.agreements()
        #expect(agreements.count >= 40)
        var generator = SplitMix64(seed: 12)
        let first = try CalendarDate(parsing: "1800-01-01").dayNumber
        for agreement in agreements {
            var days = Set<Int>()
            for event in agreement.events { days.formUnion([-1, 0, 1].map { event.date.dayNumber + $0 }) }
            for _ in 0..<40 { days.insert(first + Int(generator.next() % 219_000)) }
            for day in days.sorted() {
                try expectSameBytes(RulesEngine.evaluate(agreement, asOf: CalendarDate(dayNumber: day)))
            }
        }
    }

    @Test func syntheticAgreementsOfEveryShape() throws {
        var generator = SplitMix64(seed: 34)
        let first = try CalendarDate(parsing: "1900-01-01").dayNumber
        var fieldsSeen = Set<String>()
        for agreement in SyntheticAgreements.generate(count: 2_000, seed: 9) {
            for _ in 0..<4 {
                let status = RulesEngine.evaluate(agreement, asOf: try CalendarDate(dayNumber: first + Int(generator.next() % 73_000)))
                try expectSameBytes(status)
                if status.endCause != nil { fieldsSeen.insert("endCause") }
                if status.review != nil { fieldsSeen.insert("review") }
                if !status.notices.isEmpty { fieldsSeen.insert("notices") }
                if !status.ranges.isEmpty { fieldsSeen.insert("ranges") }
                if !status.undetermined.isEmpty { fieldsSeen.insert("undetermined") }
                if status.obligationsSurviveThrough != nil { fieldsSeen.insert("obligationsSurviveThrough") }
                for party in status.parties {
                    if party.nextWithdrawal != nil { fieldsSeen.insert("nextWithdrawal") }
                    if party.performanceSuspension != nil { fieldsSeen.insert("performanceSuspension") }
                    if party.withdrawalCondition != nil { fieldsSeen.insert("withdrawalCondition") }
                    if party.withdrawalExtensions != nil { fieldsSeen.insert("withdrawalExtensions") }
                }
            }
        }
        // The draws reach every optional part of a status, so each of their writers was compared.
        let expected: Set<String> = [
            "endCause", "review", "notices", "ranges", "undetermined", "obligationsSurviveThrough", "nextWithdrawal",
            "performanceSuspension", "withdrawalCondition", "withdrawalExtensions",
        ]
        #expect(expected.subtracting(fieldsSeen).isEmpty, "never drawn: \(expected.subtracting(fieldsSeen).sorted())")
    }

    @Test func everyEscape() throws {
        var texts = (0..<0x80).map { String(UnicodeScalar(UInt8($0))) }
        texts += ["a/b\\c\"d", "Étude – “quoted” ✓ 日本語 🇯🇵", "\u{2028}\u{2029}\u{7F}", ""]
        let inputs = Dictionary(uniqueKeysWithValues: texts.enumerated().map { ("k\($0.offset)", $0.element) })
        var status = RulesEngine.evaluate(try BundledData.agreements().first { $0.id == "gsomia" }!, asOf: try .init(parsing: "2020-01-01"))
        var step = try #require(status.trace.first)
        step.inputs = inputs
        step.explanation = texts.joined()
        step.convention = "a/b"
        status.trace.append(step)
        try expectSameBytes(status)
    }

    /// Deadline pages: every deadline of the bundled dataset and of 2,000 synthetic agreements over windows spread
    /// over four centuries (each optional field drawn both ways), with and without a next page.
    @Test func deadlinePages() throws {
        var agreements = try BundledData.agreements()
        agreements += SyntheticAgreements.generate(count: 2_000, seed: 21)
        var generator = SplitMix64(seed: 56)
        let first = try CalendarDate(parsing: "1800-01-01").dayNumber
        var fieldsSeen = Set<String>()
        var deadlines = 0
        for (offset, agreement) in agreements.enumerated() {
            let from = try CalendarDate(dayNumber: first + Int(generator.next() % 146_000))
            let items = DeadlineProjection.deadlines(for: agreement, from: from, through: try from.addingDays(3_650))
            deadlines += items.count
            for item in items {
                if item.article != nil { fieldsSeen.insert("article") }
                if item.convention != nil { fieldsSeen.insert("convention") }
                if item.eventId != nil { fieldsSeen.insert("eventId") }
                if item.latest != nil { fieldsSeen.insert("latest") }
                if item.party != nil { fieldsSeen.insert("party") }
                if item.rule != nil { fieldsSeen.insert("rule") }
                if item.term != nil { fieldsSeen.insert("term") }
            }
            let more = offset % 2 == 0
            let page = Components.Schemas.DeadlinePage(
                items: items,
                from: "\(from)",
                to: "\(try from.addingDays(3_650))",
                nextCursor: more ? "AbC-_9" : nil,
                next: more ? "/v1/deadlines?from=\(from)&cursor=AbC-_9&limit=100" : nil
            )
            let expected = try Self.encoder.encode(page)
            var json = JSONBytes()
            json.write(page)
            if Array(expected) != json.bytes {
                Issue.record(
                    """
                    \(agreement.id) from \(from):
                    encoder: \(String(decoding: expected, as: UTF8.self))
                    written: \(String(decoding: json.bytes, as: UTF8.self))
                    """
                )
                return
            }
        }
        #expect(deadlines > 5_000)
        #expect(fieldsSeen == ["article", "convention", "eventId", "party", "rule", "term"], "\(fieldsSeen)")
        // A date known within a range (a notice dated to a month): the only field the windows above did not draw.
        var ranged = try #require(
            DeadlineProjection.deadlines(for: agreements[0], from: .minimum, through: .maximum).first
        )
        ranged.latest = try ranged.date.addingDays(30)
        let page = Components.Schemas.DeadlinePage(items: [ranged], from: "0001-01-01", to: "9999-12-31")
        var json = JSONBytes()
        json.write(page)
        #expect(json.bytes == Array(try Self.encoder.encode(page)))
        #expect(String(decoding: json.bytes, as: UTF8.self).contains(#""latest":"\#(try ranged.date.addingDays(30))""#))
    }

    /// List pages: summaries of the bundled dataset and of 2,000 synthetic agreements in every state, with and without
    /// a short title, a link and a next page.
    @Test func agreementPages() throws {
        var agreements = try BundledData.agreements()
        agreements += SyntheticAgreements.generate(count: 2_000, seed: 22)
        var generator = SplitMix64(seed: 57)
        let states = Components.Schemas.State.allCases
        var withoutShortTitle = 0
        for start in stride(from: 0, to: agreements.count, by: 50) {
            let items = agreements[start..<min(start + 50, agreements.count)].map { agreement in
                Components.Schemas.AgreementSummary(
                    id: agreement.id,
                    title: agreement.title,
                    shortTitle: generator.next() % 3 == 0 ? nil : agreement.shortTitle,
                    parties: agreement.parties.map(\.code),
                    tags: agreement.tags,
                    state: states[Int(generator.next() % UInt64(states.count))],
                    href: generator.next() % 5 == 0 ? nil : "/v1/agreements/\(agreement.id)"
                )
            }
            withoutShortTitle += items.count { $0.shortTitle == nil }
            let more = start % 100 == 0
            let page = Components.Schemas.AgreementPage(
                items: items,
                asOf: "2019-08-22",
                nextCursor: more ? "Zm9v" : nil,
                next: more ? "/v1/agreements?limit=50&asOf=2019-08-22&cursor=Zm9v" : nil
            )
            var json = JSONBytes()
            json.write(page)
            let expected = try Self.encoder.encode(page)
            #expect(
                json.bytes == Array(expected),
                "encoder: \(String(decoding: expected, as: UTF8.self))\nwritten: \(String(decoding: json.bytes, as: UTF8.self))"
            )
        }
        #expect(withoutShortTitle > 100)
    }
}
