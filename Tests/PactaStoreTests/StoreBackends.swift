import Foundation
import PactaPostgres
import PactaStore
import PostgresNIO
import Testing

/// The backends the contract tests run against: SQLite always, PostgreSQL when `PACTA_TEST_DATABASE_URL` names a
/// database the tests may create schemas in (`.ci/run` starts one). Without it the PostgreSQL cases are absent
/// from the run, not skipped in silence, and under `CI=true` ``StoreBackendListTests`` fails.
enum StoreBackend: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case sqlite
    case postgresql

    static let databaseURLVariable = "PACTA_TEST_DATABASE_URL"

    static var postgresURL: String? {
        guard let text = ProcessInfo.processInfo.environment[databaseURLVariable], !text.isEmpty else { return nil }
        return text
    }

    static let all: [StoreBackend] = postgresURL == nil ? [.sqlite] : [.sqlite, .postgresql]

    var testDescription: String { rawValue }

    /// Runs `body` with a new, empty store, closed afterwards: an in-memory SQLite database, or a PostgreSQL
    /// store in a schema of its own, dropped afterwards.
    func withStore(_ body: (any AgreementStore) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            let store = try SQLiteAgreementStore.inMemory()
            try await body(store)
            try await store.close()
        case .postgresql:
            try await PostgresTestSchema.with { url, schema in
                // The suite runs its tests in parallel on as few as two cores, where a connection can take more than
                // the production wait of 5 s to come free; that bound has its own test (PostgresStoreTests, 1 s).
                let store = try await PostgresAgreementStore.open(url: url, searchPath: schema, connectionWait: .seconds(30))
                do {
                    try await body(store)
                } catch {
                    try? await store.close()
                    throw error
                }
                try await store.close()
            }
        }
    }
}

/// A uniquely named schema in the test database, dropped when `body` returns.
enum PostgresTestSchema {
    static func with(_ body: (PostgresURL, String) async throws -> Void) async throws {
        let url = try PostgresURL(try #require(StoreBackend.postgresURL))
        let schema = "pacta_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let client = PostgresClient(configuration: url.clientConfiguration())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await client.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"))
            do {
                try await body(url, schema)
            } catch {
                _ = try? await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(schema) CASCADE"))
                throw error
            }
            try await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(schema) CASCADE"))
        }
    }
}

@Suite struct StoreBackendListTests {
    /// CI must run the PostgreSQL cases; a missing database there would otherwise pass as a shorter test run.
    @Test func continuousIntegrationRunsThePostgreSQLCases() {
        guard ProcessInfo.processInfo.environment["CI"] == "true" else { return }
        #expect(
            StoreBackend.all.contains(.postgresql),
            "CI=true but \(StoreBackend.databaseURLVariable) is unset: the PostgreSQL store would go untested"
        )
    }
}
