import Foundation

@testable import PactaCore

/// Helpers shared by the core tests: the bundled dataset read from the repository, and terse constructors.
enum Fixtures {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The ids of every agreement in the bundled dataset, sorted.
    static let datasetIds = try! FileManager.default.contentsOfDirectory(
        atPath: repositoryRoot.appendingPathComponent("Data/agreements").path
    ).filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()

    static func allDatasetAgreements() throws -> [Agreement] { try datasetIds.map(dataset) }

    /// A bundled agreement as the catalog gives it to the engine: with the bundled agreements its rules name.
    static func dataset(_ id: String) throws -> Agreement {
        LinkedAgreements.resolve(try bundled(id)) { try? bundled($0) }
    }

    private static func bundled(_ id: String) throws -> Agreement {
        let url = repositoryRoot.appendingPathComponent("Data/agreements/\(id).json")
        return try JSONDecoder().decode(Agreement.self, from: Data(contentsOf: url))
    }

    static func date(_ text: String) -> CalendarDate {
        do { return try CalendarDate(parsing: text) } catch { fatalError("bad fixture date \(text)") }
    }

    /// A bilateral agreement renewing every `renewal` after an initial `term`, with GSOMIA-style notice.
    static func renewing(
        entry: String = "2016-11-23",
        term: String = "P1Y",
        renewal: String = "P1Y",
        maxRenewals: Int? = nil,
        notice: String = "P90D",
        counting: TerminationRule.DeadlineCounting = .beforeLastDayInForce,
        noticeDate: TerminationRule.NoticeDate = .receipt,
        events: [Event] = []
    ) throws -> Agreement {
        Agreement(
            id: "test",
            title: "Test agreement",
            kind: .bilateral,
            parties: [Party(code: "AA", name: "A"), Party(code: "BB", name: "B")],
            rules: Rules(
                entryIntoForce: EntryIntoForceRule(kind: .onDate, date: date(entry)),
                term: TermRule(kind: .fixed, length: try Period(parsing: term)),
                renewal: RenewalRule(period: try Period(parsing: renewal), maxRenewals: maxRenewals),
                termination: TerminationRule(
                    notice: try Period(parsing: notice),
                    counting: counting,
                    noticeDate: noticeDate
                )
            ),
            events: events
        )
    }

    /// A bilateral agreement (AA and BB) in force from 1 January 2000 for an indefinite term, with `withdrawal`.
    static func indefinite(id: String, withdrawal: WithdrawalRule, events: [Event] = []) -> Agreement {
        Agreement(
            id: id,
            title: id,
            parties: [Party(code: "AA", name: "A"), Party(code: "BB", name: "B")],
            rules: Rules(
                entryIntoForce: .init(kind: .onDate, date: date("2000-01-01")),
                term: .init(kind: .indefinite),
                withdrawal: withdrawal
            ),
            events: events
        )
    }

    static func notice(_ id: String = "n1", by party: String = "AA", sent: String, received: String? = nil) -> Event {
        Event(id: id, type: .noticeOfTermination, date: date(sent), party: party, received: date(received ?? sent))
    }

    static func action(_ id: String, _ type: EventType, on day: String, refersTo notice: String = "n1") -> Event {
        Event(id: id, type: type, date: date(day), party: "AA", refersTo: notice)
    }
}
