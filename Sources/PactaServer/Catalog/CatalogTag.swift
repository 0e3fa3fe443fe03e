import PactaCore
import PactaStore

/// The strong tag of a whole snapshot (every agreement's id and version, and the engine version), behind the ETags of
/// the answers computed from every agreement (lists, deadlines, the summary, feeds).
///
/// Kept as two sums of one hash per agreement, so that a write changes it by taking its old term out and putting the
/// new one in. Hashing the whole catalog again instead cost 40 ms at 100,000 agreements, on the request thread of the
/// first list after every write (perf). A sum does not depend on order, and each term names its agreement's id, so
/// the tag is a function of the set of (id, version) pairs; each lane is FNV-1a (stable across processes, so replicas
/// agree), over the pair in opposite orders.
struct CatalogTag: Sendable, Equatable {
    private var first: UInt64 = 0
    private var second: UInt64 = 0
    private var count = 0

    init(_ agreements: some Sequence<StoredAgreement>) {
        for stored in agreements { add(stored) }
    }

    mutating func add(_ stored: StoredAgreement) {
        let (a, b) = Self.terms(stored)
        first &+= a
        second &+= b
        count += 1
    }

    mutating func remove(_ stored: StoredAgreement) {
        let (a, b) = Self.terms(stored)
        first &-= a
        second &-= b
        count -= 1
    }

    /// The tag, quoted.
    var tag: String {
        ETagHasher.tag(RulesEngine.version, String(count), String(first, radix: 16), String(second, radix: 16))
    }

    private static func terms(_ stored: StoredAgreement) -> (UInt64, UInt64) {
        var idFirst = ETagHasher()
        idFirst.combine(stored.agreement.id)
        idFirst.combine(stored.version)
        var versionFirst = ETagHasher()
        versionFirst.combine(stored.version)
        versionFirst.combine(stored.agreement.id)
        return (idFirst.state, versionFirst.state)
    }
}
