import Crypto
import Foundation
import PactaCore
import Synchronization

/// How every backend stores an agreement: canonical JSON (sorted keys) whose hash is its version, so the same
/// document has the same version in SQLite and in PostgreSQL.
package enum StoredDocument {
    package static func encode(_ agreement: Agreement) throws -> (document: String, version: String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(agreement)
        let digest = SHA256.hash(data: data)
        let version = digest.prefix(12).map { String(format: "%02x", $0) }.joined()
        return (String(decoding: data, as: UTF8.self), version)
    }

    package static func decode(_ document: String) throws -> Agreement {
        try JSONDecoder().decode(Agreement.self, from: Data(document.utf8))
    }

    /// The write rules every backend applies inside its transaction, against the stored document as it is then.
    ///
    /// A replacement must keep every recorded event unchanged, whatever version was expected (even `.any`).
    package static func checkReplacement(_ agreement: Agreement, over current: String) throws {
        if let issue = try decode(current).appendOnlyViolation(in: agreement) {
            throw StoreError.recordedEventChanged(id: agreement.id, issue: issue)
        }
    }

    /// An append: ids assigned after the recorded events (so two appends serialized by the backend never share
    /// one), the caller's check run against the result, and the new document encoded.
    package static func appending(
        _ drafts: [NewEvent],
        to current: String,
        check: AppendCheck
    ) throws
        -> (agreement: Agreement, appended: [Event], document: String, version: String)
    {
        let recorded = try decode(current)
        let (agreement, appended) = recorded.appending(drafts)
        try check(agreement, recorded.events.count)
        if Set(agreement.events.map(\.id)).count != agreement.events.count {
            throw StoreError.invalid([
                ValidationIssue(pointer: "/events", message: "event ids must be unique within the agreement")
            ])
        }
        let (document, version) = try encode(agreement)
        return (agreement, appended, document, version)
    }

    /// When a write committed, RFC 3339 in UTC (the audit records' `at`).
    package static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}

extension StoredDocument {
    /// A stored row before its document is decoded.
    package struct Encoded: Sendable {
        let document: Data
        let version: String
        let revision: Int64

        package init(document: Data, version: String, revision: Int64) {
            self.document = document
            self.version = version
            self.revision = revision
        }
    }

    /// Decodes a catalog's documents batch after batch. Decoding JSON is most of startup (perf, 100,000 agreements),
    /// so each batch is decoded on as many cores as it is worth; the result keeps the batch's order. Equal rules share
    /// one box (``RulesInterner``), across batches: most of a large catalog's rules repeat.
    package final class BatchDecoder: Sendable {
        /// One interner per lane, each taken by its lane while it decodes.
        private let interners = Mutex([RulesInterner](repeating: RulesInterner(), count: ProcessInfo.processInfo.activeProcessorCount))

        package init() {}

        package func decode(_ batch: [Encoded]) throws -> [StoredAgreement] {
            let lanes = StoredDocument.lanes(for: batch.count)
            let results = Mutex([[StoredAgreement]](repeating: [], count: lanes))
            let failure = Mutex<(any Error)?>(nil)
            DispatchQueue.concurrentPerform(iterations: lanes) { lane in
                let decoder = JSONDecoder()
                let range = batch.indices.split(lane, of: lanes)
                var decoded: [StoredAgreement] = []
                decoded.reserveCapacity(range.count)
                var rules = interners.withLock { interners in
                    defer { interners[lane] = RulesInterner() }
                    return interners[lane]
                }
                do {
                    for index in range {
                        let agreement = rules.intern(try decoder.decode(Agreement.self, from: batch[index].document))
                        decoded.append(
                            StoredAgreement(agreement: agreement, version: batch[index].version, revision: batch[index].revision)
                        )
                    }
                } catch {
                    failure.withLock { $0 = $0 ?? error }
                }
                interners.withLock { $0[lane] = rules }
                results.withLock { $0[lane] = decoded }
            }
            if let error = failure.withLock({ $0 }) { throw error }
            return results.withLock { $0.flatMap { $0 } }
        }
    }

    /// How many cores a batch is worth: one per 64 documents, at most all of them.
    package static func lanes(for count: Int) -> Int {
        min(ProcessInfo.processInfo.activeProcessorCount, max(1, count / 64))
    }
}

extension Range where Bound == Int {
    /// The `lane`-th of `lanes` contiguous, nearly equal parts of the range.
    fileprivate func split(_ lane: Int, of lanes: Int) -> Range<Int> {
        let size = count / lanes
        let extra = count % lanes
        let start = lowerBound + lane * size + Swift.min(lane, extra)
        return start..<(start + size + (lane < extra ? 1 : 0))
    }
}
