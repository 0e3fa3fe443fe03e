import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PactaCore
import PactaStore
import Testing

@testable import PactaServer

/// Builds the real application around an in-memory store seeded with the bundled dataset, with a token for
/// writes and a fixed "today", and runs `body` against its router.
struct TestApp {
    static let today = try! CalendarDate(parsing: "2026-11-29")

    let store: SQLiteAgreementStore
    let token: String

    static func run(
        limits: Limits = Limits(),
        testing: TestingSetup = .router,
        configure: (inout AppConfiguration) -> Void = { _ in },
        _ body: @Sendable (TestApp, any TestClientProtocol) async throws -> Void
    ) async throws {
        let store = try SQLiteAgreementStore.inMemory()
        _ = try await store.seedIfNeeded(BundledData.agreements())
        let (token, hash) = Tokens.generate()
        try await store.createToken(name: "tester", hash: hash)
        var configuration = AppConfiguration()
        configuration.limits = limits
        configuration.today = { TestApp.today }
        configuration.port = 0
        // The deadline-alert scheduler scans the bundled agreements when the app runs: work that only its own tests
        // (FeedTests, which build it directly) need, kept out of the others' way on a busy machine.
        configuration.runsDeadlineAlerts = false
        configure(&configuration)
        let app = try await buildApplication(configuration: configuration, store: store, logger: Logger(label: "test"))
        let testApp = TestApp(store: store, token: token)
        try await app.test(testing) { client in try await body(testApp, client) }
    }

    var auth: HTTPFields { [.authorization: "Bearer \(token)", .contentType: "application/json"] }
}

extension TestResponse {
    func json() throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])
    }

    var text: String { String(buffer: body) }
}

/// A small valid agreement document for write tests.
func sampleDocument(id: String = "sample", term: String = "P1Y", renewal: String = "P1Y", extra: String = "") -> String {
    """
    {"id": "\(id)", "title": "Sample agreement", "kind": "bilateral", "parties": [{"code": "AA", "name": "A"}, {"code": "BB", "name": "B"}],
     "rules": {"entryIntoForce": {"kind": "onDate", "date": "2020-01-01"},
               "term": {"kind": "fixed", "length": "\(term)"},
               "renewal": {"kind": "automatic", "period": "\(renewal)"},
               "termination": {"notice": "P90D", "counting": "beforeLastDayInForce", "noticeDate": "receipt"}}
     \(extra)}
    """
}

extension AgreementCatalog {
    /// Waits until the lifecycle index exists and holds fewer than `limit` changes not yet built into it; records an
    /// issue after 60 s (alone it takes about a second, but the whole suite in parallel on two cores starves it).
    func waitForLifecycleIndex(withFewerChangesThan limit: Int) async throws {
        for _ in 0..<3_000 {
            if snapshot.derived.lifecycles.withLock({ $0.index != nil && $0.changes.count < limit }) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the lifecycle index did not catch up")
    }
}
