import Foundation
import Synchronization

/// One entry of the durable event log (the outbox of live feeds: the stream and the webhooks).
///
/// `sequence` increases with every entry and is the global order: entries commit in sequence order, so a reader
/// that reads ``AgreementStore/feedEvents(after:limit:)`` from the last sequence it has never misses one (like
/// ``StoreChange/revision``). `id` is unique forever ("evt_" and 26 characters), also across databases.
public struct FeedEvent: Sendable, Hashable {
    public let sequence: Int64
    public let id: String
    /// One of ``FeedEventType``'s raw values.
    public let type: String
    /// The agreement the event is about; `nil` for an event about no single agreement.
    public let agreementId: String?
    /// When the event was recorded (the write's commit), RFC 3339 in UTC.
    public let timestamp: String
    /// The JSON object `data` of the payload, verbatim.
    public let data: String

    public init(sequence: Int64, id: String, type: String, agreementId: String?, timestamp: String, data: String) {
        self.sequence = sequence
        self.id = id
        self.type = type
        self.agreementId = agreementId
        self.timestamp = timestamp
        self.data = data
    }

    /// The event as it is sent, to the stream's `data:` line and as a webhook's body (whose signature covers these
    /// exact bytes): `{"type":…,"timestamp":…,"data":{…}}` on one line.
    public var payload: String {
        // `data` is stored as rendered JSON, so it is spliced in as is: re-encoding it could reorder its keys and
        // change the bytes a receiver verified.
        "{\"type\":\(FeedJSON.string(type)),\"timestamp\":\(FeedJSON.string(timestamp)),\"data\":\(data)}"
    }
}

/// The kinds of feed event.
public enum FeedEventType: String, Sendable, Hashable, CaseIterable {
    case agreementCreated = "agreement.created"
    case agreementUpdated = "agreement.updated"
    case agreementDeleted = "agreement.deleted"
    case eventsAppended = "events.appended"
    /// A write changed the agreement's state, next deadline or a party's status as of the server's today.
    case statusChanged = "status.changed"
    /// A dated item (notice deadline, renewal, scheduled end, withdrawal effect) is a lead time away.
    case deadlineApproaching = "deadline.approaching"
    /// A dated item's date has come.
    case deadlinePassed = "deadline.passed"
}

/// An event to record: the store gives it its sequence, id and timestamp.
public struct FeedEventDraft: Sendable, Hashable {
    public let type: String
    public let agreementId: String?
    /// The JSON object `data` of the payload (``FeedEvent/data``).
    public let data: String
    /// When set, at most one event is ever recorded with this key (a unique index, checked in the write's
    /// transaction): a second draft with a recorded key is skipped. The deadline alerts use
    /// `deadline.approaching:<agreement>:<item>:<date>:<lead>`, so every replica and every rescan agrees on it.
    public let dedupeKey: String?

    public init(type: String, agreementId: String?, data: String, dedupeKey: String? = nil) {
        self.type = type
        self.agreementId = agreementId
        self.data = data
        self.dedupeKey = dedupeKey
    }
}

/// Computes, inside a write's transaction, the extra events of that write (`status.changed`), given the agreement
/// before (`nil` when created) and after (`nil` when deleted). Injected by the server, which knows the clock and
/// the engine (``AgreementStore/useFeedDrafting(_:)``); the store itself records `agreement.created`,
/// `agreement.updated`, `agreement.deleted` and `events.appended`.
public protocol FeedDrafting: Sendable {
    func drafts(before: StoredAgreement?, after: StoredAgreement?) -> [FeedEventDraft]
}

/// The relative links of an event's `data` (resolved against the server's base URL by the receiver).
public enum FeedLinks {
    public static func agreement(_ id: String) -> String { "/v1/agreements/\(FeedJSON.pathSegment(id))" }
    public static func status(_ id: String) -> String { agreement(id) + "/status" }
    public static func history(_ id: String) -> String { agreement(id) + "/history" }
    public static func events(_ id: String) -> String { agreement(id) + "/events" }
}

/// The JSON the store writes into ``FeedEvent/data``, rendered with sorted keys so that the same event always has
/// the same bytes.
public enum FeedJSON {
    /// A JSON string literal.
    public static func string(_ text: String) -> String {
        let data = try? JSONEncoder.feed.encode(text)
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }

    /// Renders an encodable value (an object) as the compact, key-sorted JSON of a payload's `data`.
    public static func render<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONEncoder.feed.encode(value), as: UTF8.self)
    }

    static func pathSegment(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove("/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

extension JSONEncoder {
    fileprivate static var feed: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

/// The `data` of the events the store records about a write.
package struct AgreementWriteData: Encodable {
    struct Links: Encodable {
        let agreement: String?
        let status: String?
        let history: String
    }

    let agreementId: String
    let revision: Int64
    let version: String?
    let versionBefore: String?
    /// The ids of appended events (`events.appended`).
    let eventIds: [String]?
    let links: Links

    package init(agreementId: String, revision: Int64, version: String?, versionBefore: String?, eventIds: [String]?) {
        self.agreementId = agreementId
        self.revision = revision
        self.version = version
        self.versionBefore = versionBefore
        self.eventIds = eventIds
        links = Links(
            agreement: version == nil ? nil : FeedLinks.agreement(agreementId),
            status: version == nil ? nil : FeedLinks.status(agreementId),
            history: FeedLinks.history(agreementId)
        )
    }

    /// The draft of the store's own event of a write.
    package static func draft(
        _ type: FeedEventType,
        id: String,
        revision: Int64,
        version: String?,
        versionBefore: String?,
        eventIds: [String]? = nil
    ) throws -> FeedEventDraft {
        let data = AgreementWriteData(
            agreementId: id,
            revision: revision,
            version: version,
            versionBefore: versionBefore,
            eventIds: eventIds
        )
        return FeedEventDraft(type: type.rawValue, agreementId: id, data: try FeedJSON.render(data))
    }
}

/// Event ids: "evt_" and a ULID (48 bits of milliseconds, 80 random bits, Crockford base32), unique without
/// coordination between replicas and roughly ordered by time.
package enum FeedEventID {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    package static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let milliseconds = UInt64(max(0, Date().timeIntervalSince1970 * 1000))
        var bytes: [UInt8] = (0..<6).reversed().map { UInt8(truncatingIfNeeded: milliseconds >> (8 * UInt64($0))) }
        for _ in 0..<10 { bytes.append(UInt8.random(in: 0...255, using: &generator)) }
        // 128 bits as 26 base32 digits: the first digit holds the top 3 bits.
        var characters: [UInt8] = []
        characters.reserveCapacity(26)
        var accumulator: UInt32 = 0
        var bits = 2  // 130 = 26 × 5 bits: two leading zero bits
        for byte in bytes {
            accumulator = (accumulator << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                characters.append(alphabet[Int((accumulator >> UInt32(bits)) & 31)])
            }
        }
        return "evt_" + String(decoding: characters, as: UTF8.self)
    }
}

/// The drafter a store uses, set once the server has built it.
package final class FeedDraftingSlot: Sendable {
    private let slot = Mutex<(any FeedDrafting)?>(nil)

    package init() {}

    package var current: (any FeedDrafting)? { slot.withLock { $0 } }

    package func set(_ drafting: (any FeedDrafting)?) { slot.withLock { $0 = drafting } }
}
