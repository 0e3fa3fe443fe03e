import Foundation
import Testing

@testable import PactaCore
@testable import PactaStore

@Suite struct SQLiteAgreementStoreTests {
    static func sample(_ id: String = "sample") throws -> Agreement {
        Agreement(
            id: id,
            title: "Sample",
            parties: [Party(code: "AA", name: "A")],
            rules: Rules(
                entryIntoForce: .init(kind: .onDate, date: try CalendarDate(parsing: "2000-01-01")),
                term: .init(kind: .indefinite)
            )
        )
    }

    /// A fresh database file in a temporary directory, removed afterwards.
    static func withTemporaryFile(_ body: (String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pacta-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await body(directory.appendingPathComponent("pacta.sqlite").path)
    }

    @Test func writesSurviveReopeningTheFile() async throws {
        try await Self.withTemporaryFile { path in
            let event = NewEvent(id: "e1", type: .signature, date: try CalendarDate(parsing: "1999-12-01"))
            do {
                let store = try SQLiteAgreementStore(path: path)
                _ = try await store.create(Self.sample())
                _ = try await store.appendEvents([event], to: "sample")
                try await store.createToken(name: "ops", hash: Tokens.hash("secret"))
            }
            let reopened = try SQLiteAgreementStore(path: path)
            let stored = try #require(try await reopened.agreement(id: "sample"))
            #expect(stored.agreement.events == [event.event(id: "e1")])
            #expect(try await reopened.tokenName(hash: Tokens.hash("secret")) == "ops")
            #expect(try await reopened.integrityCheck() == "ok")
        }
    }

    @Test(arguments: StoreBackend.all) func createRefusesAnExistingId(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            _ = try await store.create(Self.sample())
            await #expect(throws: StoreError.alreadyExists(id: "sample")) { try await store.create(Self.sample()) }
        }
    }

    @Test(arguments: StoreBackend.all) func expectedVersionGuardsEveryWrite(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let first = try await store.create(Self.sample())
            var changed = try Self.sample()
            changed.title = "Changed"
            let second = try await store.replace(changed, expected: .exactly(first.version))
            #expect(second.version != first.version)
            await #expect(throws: StoreError.self) { try await store.replace(changed, expected: .exactly(first.version)) }
            await #expect(throws: StoreError.self) { try await store.delete(id: "sample", expected: .exactly(first.version)) }
            let event = NewEvent(id: "e1", type: .signature, date: .minimum)
            await #expect(throws: StoreError.self) { try await store.appendEvents([event], to: "sample", expected: .exactly("x")) }
            #expect(try await store.agreement(id: "sample")?.agreement.events.isEmpty == true)
            try await store.delete(id: "sample", expected: .any)
            #expect(try await store.agreement(id: "sample") == nil)
            await #expect(throws: StoreError.notFound(id: "sample")) { try await store.delete(id: "sample") }
        }
    }

    /// The same document has the same version in every store and every backend (the version is its content's hash).
    @Test(arguments: StoreBackend.all) func versionsDependOnContentOnly(backend: StoreBackend) async throws {
        let reference = try await SQLiteAgreementStore.inMemory().create(Self.sample()).version
        try await backend.withStore { store in
            let version = try await store.create(Self.sample()).version
            #expect(version == reference)
        }
    }

    @Test(arguments: StoreBackend.all) func seedingHappensOncePerDatabase(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            #expect(try await store.seedIfNeeded([Self.sample("a"), Self.sample("b")]) == 2)
            try await store.delete(id: "a")
            #expect(try await store.seedIfNeeded([Self.sample("a"), Self.sample("b")]) == 0)
            #expect(try await store.allAgreements().map(\.agreement.id) == ["b"])
        }
    }

    @Test(arguments: StoreBackend.all) func tokensAreStoredAsHashesAndCanBeRevoked(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let (token, hash) = Tokens.generate()
            #expect(token.hasPrefix("pacta_"))
            #expect(token.count == "pacta_".count + 43)
            #expect(hash != Array(token.utf8))
            try await store.createToken(name: "ci", hash: hash)
            await #expect(throws: TokenError.nameTaken("ci")) { try await store.createToken(name: "ci", hash: [1]) }
            #expect(try await store.tokenName(hash: Tokens.hash(token)) == "ci")
            #expect(try await store.tokenName(hash: Tokens.hash(token + "x")) == nil)
            #expect(try await store.revokeToken(name: "ci"))
            #expect(try await store.revokeToken(name: "ci") == false)
            #expect(try await store.tokenName(hash: hash) == nil)
            #expect(try await store.tokens().map(\.name) == ["ci"])
        }
    }

    /// A catalog read in batches gives equal rules one box across the batches and lanes (``RulesInterner``).
    @Test func contentsShareEqualRules() async throws {
        let store = try SQLiteAgreementStore.inMemory()
        let agreements = SyntheticAgreements.generate(count: 9_000, seed: 5)
        _ = try await store.seedIfNeeded(agreements)
        let contents = try await store.contents().agreements.map(\.agreement)
        #expect(contents.count == agreements.count)
        var boxes: [Rules] = []
        for agreement in contents where !boxes.contains(where: { $0.sharesStorage(with: agreement.rules) }) {
            boxes.append(agreement.rules)
        }
        // At most one box per distinct rules and lane (three batches of up to 4,096, decoded on every core).
        let distinct = Set(contents.map(\.rules)).count
        #expect(boxes.count <= distinct * ProcessInfo.processInfo.activeProcessorCount)
        #expect(boxes.count < contents.count / 3)
    }
}
