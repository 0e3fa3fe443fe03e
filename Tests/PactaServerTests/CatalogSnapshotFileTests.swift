import Foundation
import PactaStore
import Testing

@testable import PactaCore
@testable import PactaServer

/// The catalog's snapshot file: it gives back exactly what was stored, it is used only for its own database and
/// engine, whole, not newer than the rows and of the rows' own history, and writes after it are read from the rows at
/// the next start.
@Suite struct CatalogSnapshotFileTests {
    /// A directory with a SQLite database in it, removed afterwards.
    final class Scratch {
        let directory: URL
        var database: String { directory.appendingPathComponent("pacta.sqlite").path }
        var snapshot: String { directory.appendingPathComponent("pacta.sqlite.snapshot").path }

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("pacta-snapshot-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        /// The database's files (the main file, and the write-ahead log and its index when there are any).
        var databaseFiles: [String] { ["", "-wal", "-shm"].map { database + $0 } }

        /// Copies the database's files aside, as an operator's backup of a stopped server does; returns where.
        func backUpDatabase() throws -> URL {
            let backup = directory.appendingPathComponent("backup-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: backup, withIntermediateDirectories: true)
            for file in databaseFiles where FileManager.default.fileExists(atPath: file) {
                let name = URL(fileURLWithPath: file).lastPathComponent
                try FileManager.default.copyItem(atPath: file, toPath: backup.appendingPathComponent(name).path)
            }
            return backup
        }

        /// Puts `backup` back in place of the database's files (the snapshot file stays: it is not the database).
        func restoreDatabase(from backup: URL) throws {
            for file in databaseFiles where FileManager.default.fileExists(atPath: file) {
                try FileManager.default.removeItem(atPath: file)
            }
            for name in try FileManager.default.contentsOfDirectory(atPath: backup.path) {
                try FileManager.default.copyItem(
                    atPath: backup.appendingPathComponent(name).path,
                    toPath: directory.appendingPathComponent(name).path
                )
            }
        }

        /// Settings that write at once after a start and then not again within the test.
        var settings: CatalogSnapshotSettings { CatalogSnapshotSettings(path: snapshot, minimumInterval: .seconds(3_600)) }
    }

    static func rows(_ agreements: [StoredAgreement]) -> [String] {
        agreements.map { "\($0.agreement.id) \($0.version) \($0.revision)" }
    }

    /// A catalog over `store` that keeps its snapshot as `settings` say, and waits until the file holds its revision.
    static func startCatalog(_ store: any AgreementStore, _ settings: CatalogSnapshotSettings) async throws -> AgreementCatalog {
        let catalog = try await AgreementCatalog(store: store, snapshot: settings)
        let keeper = try #require(catalog.snapshotKeeper)
        // Up to 60 s: lifecycles are built by a debug build, and the whole suite in parallel on two cores starves it.
        _ = try await ReplicaTests.waitFor("the snapshot file to be written", within: .seconds(60)) {
            keeper.writtenRevision == catalog.followedRevision
        }
        return catalog
    }

    static func agreements() throws -> [Agreement] {
        try BundledData.agreements() + SyntheticAgreements.generate(count: 300, seed: 5)
            + [SyntheticAgreements.multilateral(partyCount: 40, seed: 3)]
    }

    // MARK: The encoding

    @Test func everyBundledAndSyntheticAgreementRoundTripsExactly() throws {
        let agreements = try Self.agreements()
        let stored = agreements.enumerated().map { index, agreement in
            StoredAgreement(agreement: agreement, version: "v\(index)", revision: Int64(index * 3 + 1))
        }
        let key = CatalogSnapshotFile.Key(storeIdentity: "test")
        let lifecycles = stored.map { LifecycleBuilder.build($0.agreement) }
        let bytes = try CatalogSnapshotFile.encode(stored, lifecycles: lifecycles, key: key, revision: 1_000, mark: "m")
        let contents = try CatalogSnapshotFile.decode(bytes, expecting: key)
        let held = try #require(contents.lifecycles)
        for (slot, lifecycle) in lifecycles.enumerated() {
            var encoder = ArchiveEncoder()
            let read = try #require(held.lifecycle(at: slot), "\(lifecycle.agreementId)")
            #expect(try encoder.encode(read) == encoder.encode(lifecycle), "\(lifecycle.agreementId)")
            // Items with equal parties share one array, as the builder's do.
            let buffers = Set(read.items.map { $0.parties.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } })
            #expect(buffers.count == Set(read.items.map(\.parties)).count, "\(lifecycle.agreementId)")
        }
        #expect(contents.revision == 1_000)
        #expect(contents.mark == "m")
        #expect(contents.agreements.count == stored.count)
        for (decoded, original) in zip(contents.agreements, stored) {
            #expect(decoded.agreement == original.agreement, "\(original.agreement.id)")
            #expect(decoded.version == original.version)
            #expect(decoded.revision == original.revision)
        }
        // The answers the catalog gives from them are the engine's on the originals.
        let date = try CalendarDate(parsing: "2031-06-30")
        for (decoded, original) in zip(contents.agreements, stored).prefix(80) {
            #expect(RulesEngine.evaluate(decoded.agreement, asOf: date) == RulesEngine.evaluate(original.agreement, asOf: date))
        }
    }

    @Test func equalStringsAreDecodedOnceAndShared() throws {
        let agreements = SyntheticAgreements.generate(count: 50, seed: 2)
        let stored = agreements.map { StoredAgreement(agreement: $0, version: "v", revision: 1) }
        let key = CatalogSnapshotFile.Key(storeIdentity: "test")
        let bytes = try CatalogSnapshotFile.encode(stored, key: key, revision: 1, mark: "m")
        let decoded = try CatalogSnapshotFile.decode(bytes, expecting: key).agreements
        // Event ids, party names and tags longer than a small string recur from agreement to agreement: one buffer for
        // each.
        let names = decoded.flatMap { stored in
            stored.agreement.events.map(\.id) + stored.agreement.parties.map(\.name) + stored.agreement.tags
        }.filter { $0.utf8.count > 15 }
        let byName = Dictionary(grouping: names, by: { $0 })
        let repeated = try #require(byName.values.max { $0.count < $1.count })
        #expect(repeated.count > 1)
        let buffers = Set(repeated.map { $0.utf8.withContiguousStorageIfAvailable { UInt(bitPattern: $0.baseAddress) } })
        #expect(buffers.count == 1)
    }

    /// Counts the reads of the bytes it gives.
    final class CountedBytes: SnapshotSource, @unchecked Sendable {
        let bytes: SnapshotBytes
        var reads = 0
        init(_ bytes: [UInt8]) { self.bytes = SnapshotBytes(bytes) }
        var count: Int { bytes.count }
        func read(_ range: Range<Int>) throws -> [UInt8] {
            reads += 1
            return try bytes.read(range)
        }
    }

    /// Summaries and sources (most of the text) stay in the file and are read back when asked for; the agreements equal
    /// the ones written, and so do the lifecycles.
    @Test func documentTextStaysInTheFileUntilRead() throws {
        let stored = (try BundledData.agreements() + SyntheticAgreements.generate(count: 60, seed: 12)).map {
            StoredAgreement(agreement: $0, version: "v", revision: 1)
        }
        let lifecycles = stored.map { LifecycleBuilder.build($0.agreement) }
        let key = CatalogSnapshotFile.Key(storeIdentity: "text")
        let source = CountedBytes(try CatalogSnapshotFile.encode(stored, lifecycles: lifecycles, key: key, revision: 1, mark: "m"))
        let contents = try CatalogSnapshotFile.decode(source, expecting: key)
        let afterDecode = source.reads
        let event = try #require(contents.agreements.flatMap(\.agreement.events).first { $0.source != nil })
        #expect(source.reads == afterDecode + 1)
        _ = event.summary
        #expect(source.reads == afterDecode + 2)
        _ = event.id
        _ = contents.agreements.map(\.agreement.title)
        #expect(source.reads == afterDecode + 2)
        #expect(contents.agreements.map(\.agreement) == stored.map(\.agreement))
        let held = try #require(contents.lifecycles)
        var encoder = ArchiveEncoder()
        for slot in stored.indices {
            #expect(try encoder.encode(try #require(held.lifecycle(at: slot))) == encoder.encode(lifecycles[slot]))
        }
    }

    /// The writer streams the file a megabyte at a time (it never holds it whole), and the checksum it computes on the way
    /// is the one the reader computes over the whole file.
    @Test func theFileWrittenInPiecesIsTheFileEncodedWhole() throws {
        let scratch = try Scratch()
        let stored = SyntheticAgreements.generate(count: 1_500, seed: 8).map {
            StoredAgreement(agreement: $0, version: "v", revision: 1)
        }
        let lifecycles = stored.map { LifecycleBuilder.build($0.agreement) }
        let key = CatalogSnapshotFile.Key(storeIdentity: "pieces")
        let whole = try CatalogSnapshotFile.encode(stored, lifecycles: lifecycles, key: key, revision: 3, mark: "m")
        var pieces = 0
        let size = try CatalogSnapshotFile.encode(stored, lifecycles: lifecycles, key: key, revision: 3, mark: "m") { _ in pieces += 1 }
        #expect(size == whole.count)
        #expect(whole.count > 1 << 20 && pieces >= 2, "the file is \(whole.count) bytes in \(pieces) pieces")
        let written = try CatalogSnapshotFile.write(stored, lifecycles: lifecycles, key: key, revision: 3, mark: "m", to: scratch.snapshot)
        #expect(written == whole.count)
        #expect(FileManager.default.contents(atPath: scratch.snapshot) == Data(whole))
        #expect(!FileManager.default.fileExists(atPath: scratch.snapshot + ".tmp"))
        let read = try CatalogSnapshotFile.read(scratch.snapshot, expecting: key)
        #expect(read.agreements.map(\.agreement) == stored.map(\.agreement))
        // The lifecycles stay in the file the start opened, read when asked for, even after another file (here one
        // without lifecycles) has replaced it by name.
        let held = try #require(read.lifecycles)
        _ = try CatalogSnapshotFile.write(stored, lifecycles: nil, key: key, revision: 4, mark: "n", to: scratch.snapshot)
        #expect(try CatalogSnapshotFile.read(scratch.snapshot, expecting: key).lifecycles == nil)
        var encoder = ArchiveEncoder()
        for slot in [0, 1, stored.count / 2, stored.count - 1] {
            let lifecycle = try #require(held.lifecycle(at: slot))
            #expect(try encoder.encode(lifecycle) == encoder.encode(lifecycles[slot]))
        }
        #expect(held.lifecycle(at: stored.count) == nil)

        // The checksum fed in pieces of any size, at any offset, is the checksum of the whole.
        let expected = whole.withUnsafeBytes(CatalogSnapshotFile.checksum)
        var random = SplitMix64(seed: 9)
        for _ in 0..<20 {
            var checksum = SnapshotChecksum()
            var offset = 0
            whole.withUnsafeBytes { bytes in
                while offset < bytes.count {
                    let length = min(Int(random.next() % 100), bytes.count - offset)
                    checksum.update(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)]))
                    offset += length
                }
            }
            #expect(checksum.value == expected)
        }
    }

    @Test func aDamagedTruncatedForeignOrOtherEngineFileIsRefused() throws {
        let stored = SyntheticAgreements.generate(count: 20, seed: 4).map {
            StoredAgreement(agreement: $0, version: "v", revision: 1)
        }
        let key = CatalogSnapshotFile.Key(storeIdentity: "mine")
        let bytes = try CatalogSnapshotFile.encode(stored, key: key, revision: 7, mark: "m")
        func refused(_ bytes: [UInt8], _ expected: CatalogSnapshotFile.Key = key) -> Bool {
            (try? CatalogSnapshotFile.decode(bytes, expecting: expected)) == nil
        }
        #expect(!refused(bytes))
        // Any single byte changed, anywhere.
        // (The last 24 too: the checksum reads whole words, then the bytes after the last one.)
        for position in Array(stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97))) + Array((bytes.count - 24)..<bytes.count) {
            var damaged = bytes
            damaged[position] ^= 0x20
            #expect(refused(damaged), "byte \(position)")
        }
        // Cut at any length (a torn write).
        for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) {
            #expect(refused(Array(bytes.prefix(length))), "cut at \(length)")
        }
        #expect(refused(bytes, CatalogSnapshotFile.Key(storeIdentity: "another database")))
        #expect(refused(bytes, CatalogSnapshotFile.Key(engineVersion: RulesEngine.version + "-next", storeIdentity: "mine")))
    }

    // MARK: Starts

    @Test func aStartLoadsTheFileAndReadsTheWritesAfterItFromTheRows() async throws {
        let scratch = try Scratch()
        let store = try SQLiteAgreementStore(path: scratch.database)
        for agreement in SyntheticAgreements.generate(count: 40, seed: 7) { _ = try await store.create(agreement) }
        let first = try await Self.startCatalog(store, scratch.settings)
        #expect(first.snapshotKeeper?.loadOutcome == .rows(reason: "no file"))
        let filed = first.followedRevision
        // Writes after the file: a create, an append, a replace and a delete, all through the catalog.
        let extra = SyntheticAgreements.generate(count: 41, seed: 8)[40]
        _ = try await first.create(extra)
        let ids = first.snapshot.sortedIds
        _ = try await first.appendEvents(
            [NewEvent(type: .performanceSuspended, date: try CalendarDate(parsing: "2030-01-02"), party: nil)],
            to: ids[0],
            expected: .any,
            check: { _, _ in }
        )
        var replaced = try #require(first.snapshot.byId[ids[1]]).agreement
        replaced.title = "Renamed after the snapshot"
        _ = try await first.replace(replaced, expected: .any)
        try await first.delete(id: ids[2], expected: .any)
        // Each write is visible to the next read, and durable: the rows have it.
        #expect(first.snapshot.byId[extra.id] != nil)
        #expect(first.snapshot.byId[ids[1]]?.agreement.title == "Renamed after the snapshot")
        #expect(first.snapshot.byId[ids[2]] == nil)
        #expect(first.snapshotKeeper?.writtenRevision == filed, "the file is not written again within the interval")
        await first.stopFollowing()

        let second = try await AgreementCatalog(store: store, snapshot: scratch.settings)
        #expect(second.snapshotKeeper?.loadOutcome == .file(revision: filed, changes: 4))
        let rows = try await store.contents()
        #expect(Self.rows(second.snapshot.ordered) == Self.rows(rows.agreements))
        #expect(second.snapshot.ordered.map(\.agreement) == rows.agreements.map(\.agreement))
        #expect(second.snapshot.revision == rows.revision)
        #expect(second.followedRevision == rows.revision)
        await second.stopFollowing()
        try await store.close()
    }

    @Test func anUnusableFileIsIgnoredAndWrittenAgain() async throws {
        let scratch = try Scratch()
        let store = try SQLiteAgreementStore(path: scratch.database)
        for agreement in SyntheticAgreements.generate(count: 30, seed: 11) { _ = try await store.create(agreement) }
        let first = try await Self.startCatalog(store, scratch.settings)
        await first.stopFollowing()
        let good = try Data(contentsOf: URL(fileURLWithPath: scratch.snapshot))
        let rows = try await store.contents()
        let mark = try #require(try await store.revisionMark(rows.revision))

        func restart(_ expected: String) async throws {
            let catalog = try await Self.startCatalog(store, scratch.settings)
            guard case .rows(let reason) = catalog.snapshotKeeper?.loadOutcome else {
                Issue.record("loaded a file that is \(expected)")
                return
            }
            #expect(reason.contains(expected), "\(reason)")
            #expect(Self.rows(catalog.snapshot.ordered) == Self.rows(rows.agreements))
            // Written again, whole: the next start loads it.
            #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.snapshot)) == good)
            await catalog.stopFollowing()
        }

        var damaged = good
        damaged[damaged.count / 2] ^= 1
        try damaged.write(to: URL(fileURLWithPath: scratch.snapshot))
        try await restart("checksum")
        try good.prefix(good.count - 100).write(to: URL(fileURLWithPath: scratch.snapshot))
        try await restart("checksum")
        try Data("not a snapshot".utf8).write(to: URL(fileURLWithPath: scratch.snapshot))
        try await restart("not a snapshot file")
        let otherEngine = try CatalogSnapshotFile.encode(
            rows.agreements,
            key: .init(engineVersion: "0", storeIdentity: try #require(try await store.storeIdentity())),
            revision: rows.revision,
            mark: mark
        )
        try Data(otherEngine).write(to: URL(fileURLWithPath: scratch.snapshot))
        try await restart("engine version 0")
        let foreign = try CatalogSnapshotFile.encode(
            rows.agreements,
            key: .init(storeIdentity: "elsewhere"),
            revision: rows.revision,
            mark: mark
        )
        try Data(foreign).write(to: URL(fileURLWithPath: scratch.snapshot))
        try await restart("another database")
        // A file ahead of the rows (the database restored from an older backup).
        let ahead = try CatalogSnapshotFile.encode(
            rows.agreements,
            key: .init(storeIdentity: try #require(try await store.storeIdentity())),
            revision: rows.revision + 5,
            mark: mark
        )
        try Data(ahead).write(to: URL(fileURLWithPath: scratch.snapshot))
        try await restart("is not in the database")

        let last = try await AgreementCatalog(store: store, snapshot: scratch.settings)
        #expect(last.snapshotKeeper?.loadOutcome == .file(revision: rows.revision, changes: 0))
        await last.stopFollowing()
        try await store.close()
    }

    /// A database restored from a backup older than the file and then written past the file's revision: that revision
    /// is in the database again, but another write holds it. The agreements of the writes the restore lost (created,
    /// or changed, after the backup) must not come back from the file.
    @Test func aFileOfWritesLostByRestoringAnOlderBackupIsRefused() async throws {
        let scratch = try Scratch()
        let agreements = SyntheticAgreements.generate(count: 45, seed: 31)
        let (kept, lost, later) = (agreements[0..<20], agreements[20..<30], agreements[30..<45])
        var store = try SQLiteAgreementStore(path: scratch.database)
        for agreement in kept { _ = try await store.create(agreement) }
        // A server ran before the backup: the database has its identity, and there is a file.
        let before = try await Self.startCatalog(store, scratch.settings)
        await before.stopFollowing()
        let identity = try await store.storeIdentity()
        try await store.close()
        let backup = try scratch.backUpDatabase()

        // The history the restore loses: agreements created and a kept one renamed, then the file written after them.
        store = try SQLiteAgreementStore(path: scratch.database)
        for agreement in lost { _ = try await store.create(agreement) }
        var renamed = kept[kept.startIndex]
        renamed.title = "Renamed in the lost history"
        _ = try await store.replace(renamed)
        let first = try await Self.startCatalog(store, scratch.settings)
        let filed = first.followedRevision
        #expect(filed == Int64(kept.count + lost.count + 1))
        #expect(first.snapshot.byId[lost[lost.startIndex].id] != nil)
        await first.stopFollowing()
        try await store.close()

        try scratch.restoreDatabase(from: backup)
        store = try SQLiteAgreementStore(path: scratch.database)
        #expect(try await store.storeIdentity() == identity)
        #expect(try await store.contents().revision == Int64(kept.count))
        // Written past the file's revision again, with other agreements.
        for agreement in later { _ = try await store.create(agreement) }
        let rows = try await store.contents()
        #expect(rows.revision > filed)

        let second = try await Self.startCatalog(store, scratch.settings)
        let reason = "the database's write at revision \(filed) is not the file's (restored from an older backup and written since)"
        #expect(second.snapshotKeeper?.loadOutcome == .rows(reason: reason))
        #expect(Self.rows(second.snapshot.ordered) == Self.rows(rows.agreements))
        #expect(second.snapshot.ordered.map(\.agreement) == rows.agreements.map(\.agreement))
        for agreement in lost { #expect(second.snapshot.byId[agreement.id] == nil, "a phantom \(agreement.id)") }
        #expect(second.snapshot.byId[renamed.id]?.agreement.title == kept[kept.startIndex].title)
        await second.stopFollowing()

        // The file written again is this history's: the next start takes it.
        let third = try await AgreementCatalog(store: store, snapshot: scratch.settings)
        #expect(third.snapshotKeeper?.loadOutcome == .file(revision: rows.revision, changes: 0))
        #expect(Self.rows(third.snapshot.ordered) == Self.rows(rows.agreements))
        await third.stopFollowing()
        try await store.close()
    }

    /// No false refusal: whatever kind of write holds the file's revision (a seed, a create, an append, a replace or a
    /// delete, on behalf of a request or not), a restart (the store closed and opened again) takes the file and reads
    /// the write made since it.
    @Test func aRestartTakesTheFileWhateverTheWriteAtItsRevision() async throws {
        let scratch = try Scratch()
        let agreements = SyntheticAgreements.generate(count: 8, seed: 41)
        let request = AuditContext(actor: "operator", requestId: "request-1")
        var store = try SQLiteAgreementStore(path: scratch.database)
        _ = try await store.seedIfNeeded(Array(agreements[0..<6]))
        var renamed = agreements[2]
        renamed.title = "Renamed"
        let writes: [(kind: String, write: (SQLiteAgreementStore) async throws -> Void)] = [
            ("seed", { _ in }),
            ("create", { _ = try await $0.create(agreements[6], audit: request) }),
            (
                "append",
                {
                    _ = try await $0.appendEvents(
                        [NewEvent(type: .performanceSuspended, date: try CalendarDate(parsing: "2030-01-02"))],
                        to: agreements[0].id
                    )
                }
            ),
            ("replace", { _ = try await $0.replace(renamed, expected: .any, audit: request) }),
            ("delete", { try await $0.delete(id: agreements[1].id, expected: .any, audit: request) }),
            ("none", { _ in }),
        ]
        var filed: Int64?
        for (kind, write) in writes {
            try await write(store)
            try await store.close()
            store = try SQLiteAgreementStore(path: scratch.database)
            let rows = try await store.contents()
            let catalog = try await Self.startCatalog(store, scratch.settings)
            if let filed {
                let changes = kind == "none" ? 0 : 1
                #expect(catalog.snapshotKeeper?.loadOutcome == .file(revision: filed, changes: changes), "after \(kind)")
            } else {
                #expect(catalog.snapshotKeeper?.loadOutcome == .rows(reason: "no file"))
            }
            #expect(Self.rows(catalog.snapshot.ordered) == Self.rows(rows.agreements), "after \(kind)")
            #expect(catalog.snapshot.ordered.map(\.agreement) == rows.agreements.map(\.agreement), "after \(kind)")
            filed = catalog.followedRevision
            await catalog.stopFollowing()
        }
        try await store.close()
    }

    /// A file of the format before the mark (1) is refused once, with the reason, and written again in this one.
    @Test func aFileOfTheFormerFormatIsRefusedOnceAndWrittenAgain() async throws {
        let scratch = try Scratch()
        let store = try SQLiteAgreementStore(path: scratch.database)
        for agreement in SyntheticAgreements.generate(count: 15, seed: 42) { _ = try await store.create(agreement) }
        let rows = try await store.contents()
        let key = CatalogSnapshotFile.Key(storeIdentity: try #require(try await store.storeIdentity()))
        let mark = try #require(try await store.revisionMark(rows.revision))
        let current = try CatalogSnapshotFile.encode(rows.agreements, key: key, revision: rows.revision, mark: mark)
        // Format 1 is the layout of formats 2 and 3 without the mark after the revision.
        var header: [UInt8] = []
        for string in [key.engineVersion, key.storeIdentity] {
            ArchiveFormat.appendVarint(UInt64(string.utf8.count), to: &header)
            header += string.utf8
        }
        let markAt = CatalogSnapshotFile.magic.count + 4 + header.count + 8
        var markLength: [UInt8] = []
        ArchiveFormat.appendVarint(UInt64(mark.utf8.count), to: &markLength)
        var former = Array(current.dropLast(8))
        former.removeSubrange(markAt..<(markAt + markLength.count + mark.utf8.count))
        former.replaceSubrange(8..<12, with: [1, 0, 0, 0])
        withUnsafeBytes(of: former.withUnsafeBytes(CatalogSnapshotFile.checksum).littleEndian) { former += $0 }
        try Data(former).write(to: URL(fileURLWithPath: scratch.snapshot))

        let first = try await Self.startCatalog(store, scratch.settings)
        #expect(first.snapshotKeeper?.loadOutcome == .rows(reason: "format 1, this build reads \(CatalogSnapshotFile.formatVersion)"))
        #expect(Self.rows(first.snapshot.ordered) == Self.rows(rows.agreements))
        await first.stopFollowing()
        let second = try await AgreementCatalog(store: store, snapshot: scratch.settings)
        #expect(second.snapshotKeeper?.loadOutcome == .file(revision: rows.revision, changes: 0))
        await second.stopFollowing()
        try await store.close()
    }

    /// A crash while writing leaves the temporary file beside the old one: the old one is loaded, the temporary
    /// one never.
    @Test func aWriteCutShortLeavesTheOldFileInPlace() async throws {
        let scratch = try Scratch()
        let store = try SQLiteAgreementStore(path: scratch.database)
        for agreement in SyntheticAgreements.generate(count: 10, seed: 12) { _ = try await store.create(agreement) }
        let first = try await Self.startCatalog(store, scratch.settings)
        let filed = first.followedRevision
        _ = try await first.create(SyntheticAgreements.generate(count: 11, seed: 13)[10])
        await first.stopFollowing()
        let newer = try CatalogSnapshotFile.encode(
            first.snapshot.ordered,
            key: .init(storeIdentity: try #require(try await store.storeIdentity())),
            revision: first.followedRevision,
            mark: try #require(try await store.revisionMark(first.followedRevision))
        )
        // The new file cut where a kill would have left it, never renamed.
        try Data(newer.prefix(newer.count / 2)).write(to: URL(fileURLWithPath: scratch.snapshot + ".tmp"))
        let second = try await AgreementCatalog(store: store, snapshot: scratch.settings)
        #expect(second.snapshotKeeper?.loadOutcome == .file(revision: filed, changes: 1))
        #expect(second.snapshot.ordered.count == 11)
        await second.stopFollowing()
        try await store.close()
    }

    /// Starts a catalog on `store` with `settings`, waits until its keeper wrote the file with the lifecycles at the
    /// revision the catalog follows, and stops it: the next start finds a complete file.
    static func startUntilTheFileHoldsLifecycles(
        _ store: any AgreementStore,
        _ settings: CatalogSnapshotSettings
    ) async throws -> CatalogSnapshotKeeper {
        let first = try await AgreementCatalog(store: store, snapshot: settings)
        let keeper = try #require(first.snapshotKeeper)
        _ = try await ReplicaTests.waitFor("a snapshot with lifecycles", within: .seconds(60)) {
            keeper.wroteLifecycles && keeper.writtenRevision == first.followedRevision
        }
        await first.stopFollowing()
        return keeper
    }

    /// The file holds the lifecycles once the index is built; the next start takes them for the versions still
    /// current, builds the rest, and every lifecycle equals the builder's.
    @Test func lifecyclesComeBackFromTheFileAndEqualTheBuilders() async throws {
        let scratch = try Scratch()
        let store = try SQLiteAgreementStore(path: scratch.database)
        let agreements =
            SyntheticAgreements.generate(count: 60, seed: 21) + [
                SyntheticAgreements.multilateral(partyCount: 30, seed: 2)
            ]
        for agreement in agreements { _ = try await store.create(agreement) }
        let eager = CatalogSnapshotSettings(path: scratch.snapshot, minimumInterval: .zero)
        let keeper = try await CatalogSnapshotFileTests.startUntilTheFileHoldsLifecycles(store, eager)
        // A write after the file, straight to the rows.
        let written = agreements[3].id
        _ = try await store.appendEvents(
            [NewEvent(type: .performanceSuspended, date: try CalendarDate(parsing: "2029-03-04"))],
            to: written
        )

        let second = try await AgreementCatalog(store: store, snapshot: eager)
        #expect(second.snapshotKeeper?.loadOutcome == .file(revision: keeper.writtenRevision ?? -1, changes: 1))
        _ = try await ReplicaTests.waitFor("the lifecycle index", within: .seconds(60)) { second.lifecyclesReady }
        #expect(second.lifecyclesFromSnapshot.load(ordering: .relaxed) == agreements.count - 1)
        let index = try #require(second.snapshot.derived.lifecycles.withLock { $0.index })
        for stored in second.snapshot.ordered {
            var encoder = ArchiveEncoder()
            let held = try encoder.encode(try #require(index.lifecycle(of: stored.agreement.id)))
            let built = try encoder.encode(LifecycleBuilder.build(stored.agreement))
            #expect(held == built, "\(stored.agreement.id)")
        }
        await second.stopFollowing()
        try await store.close()
    }

    /// A file whose lifecycles this build says differently (as after a change to the builder without a new engine
    /// version) gives its agreements but not its lifecycles.
    @Test func lifecyclesTheBuilderSaysDifferentlyAreNotUsed() async throws {
        let scratch = try Scratch()
        let store = try SQLiteAgreementStore(path: scratch.database)
        let agreements = SyntheticAgreements.generate(count: 12, seed: 22)
        for agreement in agreements { _ = try await store.create(agreement) }
        let rows = try await store.contents()
        // Every lifecycle said one day short.
        let altered = rows.agreements.map { stored -> AgreementLifecycle? in
            let built = LifecycleBuilder.build(stored.agreement)
            return AgreementLifecycle(
                agreementId: built.agreementId,
                stateChanges: built.stateChanges,
                items: built.items,
                runs: built.runs,
                explicitThrough: (try? built.explicitThrough.addingDays(-1)) ?? built.explicitThrough
            )
        }
        let bytes = try CatalogSnapshotFile.encode(
            rows.agreements,
            lifecycles: altered,
            key: .init(storeIdentity: try #require(try await store.storeIdentity())),
            revision: rows.revision,
            mark: try #require(try await store.revisionMark(rows.revision))
        )
        try Data(bytes).write(to: URL(fileURLWithPath: scratch.snapshot))
        let catalog = try await AgreementCatalog(store: store, snapshot: scratch.settings)
        #expect(catalog.snapshotKeeper?.loadOutcome == .file(revision: rows.revision, changes: 0))
        _ = try await ReplicaTests.waitFor("the lifecycle index", within: .seconds(60)) { catalog.lifecyclesReady }
        #expect(catalog.lifecyclesFromSnapshot.load(ordering: .relaxed) == 0)
        // And every lifecycle of the index is this build's.
        let index = try #require(catalog.snapshot.derived.lifecycles.withLock { $0.index })
        for stored in catalog.snapshot.ordered {
            #expect(index.lifecycle(of: stored.agreement.id)?.explicitThrough == LifecycleBuilder.build(stored.agreement).explicitThrough)
        }
        await catalog.stopFollowing()
        try await store.close()
    }

    @Test func anInMemoryDatabaseKeepsNoSnapshot() async throws {
        let scratch = try Scratch()
        let store = try SQLiteAgreementStore.inMemory()
        _ = try await store.create(SyntheticAgreements.generate(count: 1, seed: 1)[0])
        let catalog = try await AgreementCatalog(store: store, snapshot: scratch.settings)
        #expect(catalog.snapshotKeeper == nil)
        #expect(!FileManager.default.fileExists(atPath: scratch.snapshot))
        await catalog.stopFollowing()
    }
}
