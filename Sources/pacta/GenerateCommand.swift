import ArgumentParser
import Foundation
import Logging
import PactaCore
import PactaPostgres
import PactaServer
import PactaStore

/// `pacta generate`: deterministic synthetic agreements for load tests and benchmarks.
struct Generate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write N deterministic synthetic agreements to a directory or into a database.",
        discussion: """
            The same --count and --seed always produce the same agreements (ids synthetic-000000, ...). With \
            --database, a new database is first seeded with the bundled agreements, as `pacta serve` would, and the \
            synthetic ones whose ids are not there yet are added; --database-url does the same in PostgreSQL.
            """
    )

    @Option(help: "How many agreements.") var count: Int
    @Option(help: "Seed of the generator.") var seed: UInt64 = 1
    @Option(help: "Directory to write one JSON file per agreement into (created if missing).") var output: String?
    @Option(help: "SQLite file to add the agreements to (created and seeded if missing).") var database: String?
    @Option(help: "PostgreSQL database to add the agreements to (migrated and seeded if new).") var databaseURL: String?
    @Flag(name: .customLong("validate"), help: "Validate every agreement and fail on the first invalid one.")
    var check = false

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--count must not be negative") }
        guard [output, database, databaseURL].compactMap({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --output, --database and --database-url")
        }
    }

    func run() async throws {
        let chunkSize = 5_000
        let started = ContinuousClock.now
        var store: (any AgreementStore)?
        if database != nil || databaseURL != nil {
            // Read as `pacta serve` reads it, so a bad URL is the same one-line error with its password redacted.
            var configuration = try await readConfiguration([.database: database, .databaseURL: databaseURL])
            if database != nil { configuration.databaseURL = nil }
            store = try await openStore(configuration, logger: Logger(label: "pacta"))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if let output {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        }
        var written = 0
        for chunkStart in stride(from: 0, to: count, by: chunkSize) {
            let chunk = (chunkStart..<min(chunkStart + chunkSize, count)).map {
                SyntheticAgreements.agreement(index: $0, seed: seed, count: count)
            }
            if check {
                for agreement in chunk {
                    let issues = AgreementValidator.validate(agreement)
                    if let issue = issues.first {
                        throw ValidationError("\(agreement.id) is invalid: \(issue.pointer) \(issue.message)")
                    }
                }
            }
            if let store = store as? SQLiteAgreementStore {
                written += try await store.insertMissing(chunk)
            } else if let store = store as? PostgresAgreementStore {
                written += try await store.insertMissing(chunk)
            } else if let output {
                for agreement in chunk {
                    let url = URL(fileURLWithPath: output).appendingPathComponent("\(agreement.id).json")
                    try encoder.encode(agreement).write(to: url)
                    written += 1
                }
            }
        }
        try await store?.close()
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        FileHandle.standardError.write(
            Data(
                "wrote \(written) agreements to \(output ?? database ?? databaseURL.flatMap { try? PostgresURL($0).redacted } ?? "") in \((seconds * 100).rounded() / 100) s\n"
                    .utf8
            )
        )
    }
}
