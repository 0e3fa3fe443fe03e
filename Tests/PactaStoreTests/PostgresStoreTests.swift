import Foundation
import PactaCore
import PactaStore
import PostgresNIO
import Testing

@testable import PactaPostgres

/// What only the PostgreSQL backend has: its URL, its migrations, an unreachable server.
@Suite struct PostgresStoreTests {
    @Test func theURLIsReadAndItsPasswordIsNeverShown() throws {
        let url = try PostgresURL("postgres://pacta:s3cr%40t@db.example.org:6543/agreements?sslmode=verify-full")
        #expect(url.host == "db.example.org")
        #expect(url.port == 6543)
        #expect(url.username == "pacta")
        #expect(url.database == "agreements")
        #expect(url.tlsMode == .verifyFull)
        #expect(url.redacted == "postgres://pacta:***@db.example.org:6543/agreements?sslmode=verify-full")
        #expect(!"\(url)".contains("s3cr"))
        let defaults = try PostgresURL("postgres://pacta@localhost/agreements")
        #expect(defaults.port == 5432)
        #expect(defaults.tlsMode == .prefer)
    }

    @Test(arguments: [
        "postgres://pacta:hunter2@db/agreements?sslmode=allow", "mysql://pacta:hunter2@db/agreements",
        "postgres://pacta:hunter2@db/agreements?schema=x", "postgres://:hunter2@db/agreements",
    ])
    func aURLThatCannotBeUsedIsAnErrorThatDoesNotQuoteThePassword(text: String) {
        #expect {
            try PostgresURL(text)
        } throws: { error in
            "\(error)".contains("db/agreements") && !"\(error)".contains("hunter2")
        }
    }

    /// A server that cannot be reached answers `unavailable` once the store's connection wait is over, not when
    /// the pool's circuit breaker trips after a minute of retries (whose error would name the pool, not the wait),
    /// and the reason names neither the password nor any request data. (Elapsed time is not asserted: the rest of
    /// the test run can keep the cooperative threads busy for tens of seconds.)
    @Test func anUnreachableServerIsUnavailable() async throws {
        let url = try PostgresURL("postgres://pacta:hunter2@127.0.0.1:9/pacta?sslmode=disable")
        await #expect {
            _ = try await PostgresAgreementStore.open(url: url, connectionWait: .seconds(1))
        } throws: { error in
            guard case .unavailable(let reason) = error as? StoreError else { return false }
            return reason == "PostgreSQL: no connection within 1.0 seconds" && !reason.contains("hunter2")
        }
    }

    /// Every session the store opens bounds statements and idle transactions and keeps its TCP connection probed, so
    /// that a vanished client cannot hold the revision row's lock for the operating system's hours.
    @Test(.enabled(if: StoreBackend.postgresURL != nil)) func everySessionHasTheTimeoutsAndKeepalives() async throws {
        let url = try PostgresURL(try #require(StoreBackend.postgresURL))
        let client = PostgresClient(configuration: url.clientConfiguration())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            var settings: [String: String] = [:]
            for name in [
                "statement_timeout", "idle_in_transaction_session_timeout", "tcp_keepalives_idle",
                "tcp_keepalives_interval", "tcp_keepalives_count",
            ] {
                for try await value in try await client.query(PostgresQuery(unsafeSQL: "SHOW \(name)")).decode(String.self) {
                    settings[name] = value
                }
            }
            #expect(
                settings == [
                    "statement_timeout": "30s", "idle_in_transaction_session_timeout": "30s", "tcp_keepalives_idle": "30",
                    "tcp_keepalives_interval": "10", "tcp_keepalives_count": "3",
                ]
            )
        }
    }

    /// Two servers starting together against a new database: both open it, each migration is applied once.
    @Test(arguments: StoreBackend.all.filter { $0 == .postgresql })
    func serversStartingTogetherApplyEachMigrationOnce(backend: StoreBackend) async throws {
        try await PostgresTestSchema.with { url, schema in
            let stores = try await withThrowingTaskGroup(of: PostgresAgreementStore.self) { group in
                for _ in 0..<4 { group.addTask { try await PostgresAgreementStore.open(url: url, searchPath: schema) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(stores.count == 4)
            #expect(try await stores[0].appliedMigrations() == PostgresAgreementStore.migrations.map(\.version))
            // All four share one database: seeding happens once, and a write through one is read through another.
            let seeded = try await withThrowingTaskGroup(of: Int.self) { group in
                for store in stores { group.addTask { try await store.seedIfNeeded([SQLiteAgreementStoreTests.sample()]) } }
                return try await group.reduce(0, +)
            }
            #expect(seeded == 1)
            _ = try await stores[1].appendEvents(
                [NewEvent(type: .signature, date: try CalendarDate(parsing: "2000-01-01"))],
                to: "sample"
            )
            #expect(try await stores[2].agreement(id: "sample")?.agreement.events.count == 1)
            for store in stores { try await store.close() }
        }
    }
}
