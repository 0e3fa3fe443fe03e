import Foundation
import PactaCore
import PactaPostgres
import PactaStore

// Write throughput of each store backend: creates and appends, one writer and eight, each for a fixed time.
// Usage: pacta-store-throughput [SECONDS per case (default 3)] — PostgreSQL too when PACTA_BENCH_DATABASE_URL
// names a database it may fill (use a throwaway one). SQLite runs on a temporary file (WAL, synchronous=FULL).

let seconds = Double(CommandLine.arguments.dropFirst().first ?? "3") ?? 3
let day = try CalendarDate(parsing: "2020-01-01")

func agreement(_ id: String) -> Agreement {
    Agreement(
        id: id,
        title: "Benchmark",
        parties: [Party(code: "AA", name: "A")],
        rules: Rules(entryIntoForce: .init(kind: .onDate, date: day), term: .init(kind: .indefinite))
    )
}

/// Runs `writers` tasks that each call `write(writer, n)` with n = 0, 1, … until the time is up; returns writes/s.
func measure(writers: Int, _ write: @escaping @Sendable (Int, Int) async throws -> Void) async throws -> Double {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    let started = ContinuousClock.now
    let total = try await withThrowingTaskGroup(of: Int.self) { group in
        for writer in 0..<writers {
            group.addTask {
                var done = 0
                while ContinuousClock.now < deadline {
                    try await write(writer, done)
                    done += 1
                }
                return done
            }
        }
        return try await group.reduce(0, +)
    }
    let elapsed = ContinuousClock.now - started
    return Double(total) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}

func run(_ name: String, _ store: any AgreementStore) async throws {
    for writers in [1, 8] {
        let prefix = "\(name)-\(writers)-\(UUID().uuidString.prefix(8))"
        let creates = try await measure(writers: writers) { writer, n in
            _ = try await store.create(agreement("\(prefix)-c\(writer)-\(n)"))
        }
        // Appends spread over 20 agreements per writer, so documents stay small (at most a few hundred events).
        for writer in 0..<writers {
            for k in 0..<20 { _ = try await store.create(agreement("\(prefix)-a\(writer)-\(k)")) }
        }
        let appends = try await measure(writers: writers) { writer, n in
            _ = try await store.appendEvents([NewEvent(type: .signature, date: day)], to: "\(prefix)-a\(writer)-\(n % 20)")
        }
        print("\(name)\twriters=\(writers)\tcreates/s=\(Int(creates))\tappends/s=\(Int(appends))")
    }
}

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pacta-throughput-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }
let sqlite = try SQLiteAgreementStore(path: directory.appendingPathComponent("bench.sqlite").path)
try await run("sqlite", sqlite)
try await sqlite.close()

if let text = ProcessInfo.processInfo.environment["PACTA_BENCH_DATABASE_URL"], !text.isEmpty {
    let postgres = try await PostgresAgreementStore.open(url: try PostgresURL(text))
    try await run("postgresql", postgres)
    try await postgres.close()
}
