import PactaCore
import PactaStore

/// Which agreements name which others in `rules.linkedWithdrawal` (issue #14, shape 11), so that the catalog gives the
/// engine every agreement with its linked agreements resolved, and re-resolves the agreements that name one when it is
/// written, created or deleted.
///
/// The catalog's snapshot is the one place links are resolved (``AgreementCatalog/Snapshot``): every path that asks
/// the engine (status, lists, deadlines, calendars, the lifecycle index, metrics, feeds) reads agreements from it, so
/// none can forget a link. One level only, as ``LinkedAgreements/resolve(_:in:)`` gives it: a linked agreement comes
/// without its own links, so a cycle cannot recurse, and a write re-resolves only the agreements that name it.
struct CatalogLinks: Sendable {
    /// For each id some agreement names (whether or not that agreement is in the catalog), the ids of the agreements
    /// that name it, ascending. Usually empty or tiny: only agreements with a `linkedWithdrawal` rule are in it.
    private(set) var dependents: [String: [String]] = [:]

    init() {}

    /// The links of `agreements`.
    init(_ agreements: some Sequence<StoredAgreement>) {
        for stored in agreements { add(stored.agreement) }
    }

    /// The ids of the agreements whose answers depend on agreement `id`, ascending (never `id` itself).
    func dependents(of id: String) -> [String] { dependents[id] ?? [] }

    /// The links after agreement `id` changed from `old` to `new` (`nil`: absent).
    func updating(from old: Agreement?, to new: Agreement?) -> CatalogLinks {
        let before = old.map(LinkedAgreements.ids(of:)) ?? []
        let after = new.map(LinkedAgreements.ids(of:)) ?? []
        guard before != after else { return self }
        var next = self
        if let old { next.remove(old) }
        if let new { next.add(new) }
        return next
    }

    private mutating func add(_ agreement: Agreement) {
        let ids = LinkedAgreements.ids(of: agreement)
        // Most agreements name none: no set to build for them (a start reads every agreement through here).
        guard !ids.isEmpty else { return }
        for named in Set(ids) where named != agreement.id {
            var ids = dependents[named] ?? []
            ids.insert(agreement.id, at: ids.partitionPoint { $0 < agreement.id })
            dependents[named] = ids
        }
    }

    private mutating func remove(_ agreement: Agreement) {
        for named in Set(LinkedAgreements.ids(of: agreement)) {
            dependents[named]?.removeAll { $0 == agreement.id }
            if dependents[named]?.isEmpty == true { dependents[named] = nil }
        }
    }

    /// `ids` and the agreements among `agreements` that name one of them: those whose answers change with theirs.
    static func withDependents(_ ids: Set<String>, in agreements: [StoredAgreement]) -> Set<String> {
        guard !ids.isEmpty else { return ids }
        var all = ids
        for stored in agreements where LinkedAgreements.ids(of: stored.agreement).contains(where: ids.contains) {
            all.insert(stored.agreement.id)
        }
        return all
    }

    /// `stored` with the agreements its rules name, as `lookup` holds them, in ``Agreement/linked``; `stored` itself
    /// (no copy) when it names none.
    static func resolved(_ stored: StoredAgreement, in lookup: (String) -> StoredAgreement?) -> StoredAgreement {
        guard !LinkedAgreements.ids(of: stored.agreement).isEmpty || !stored.agreement.linked.isEmpty else { return stored }
        let agreement = LinkedAgreements.resolve(stored.agreement) { lookup($0)?.agreement }
        return StoredAgreement(agreement: agreement, version: stored.version, revision: stored.revision)
    }
}

extension AgreementCatalog.Snapshot {
    /// The tag of everything the engine's answers about `stored` (an agreement of this snapshot) depend on: its own
    /// ETag, and for each agreement its rules name, that agreement's ETag or its absence. Per-agreement derived answers
    /// (status, party status, timeline, calendar, picture) name it in their ETags, so a write to a linked agreement
    /// changes them. An agreement that names none keeps its document's ETag here.
    func inputsTag(of stored: StoredAgreement) -> String {
        let named = LinkedAgreements.ids(of: stored.agreement)
        guard !named.isEmpty else { return stored.etag }
        var parts = [stored.etag]
        for id in named.sorted() {
            parts += ["linked", id, id == stored.agreement.id ? "self" : byId[id]?.etag ?? "absent"]
        }
        return ETagHasher.tag(parts)
    }

    /// Agreement `id` as the engine is given it, and the tag of its inputs (``inputsTag(of:)``), both from this one
    /// snapshot; `nil` when there is no such agreement.
    func evaluable(_ id: String) -> Evaluable? {
        byId[id].map { Evaluable(stored: $0, tag: inputsTag(of: $0)) }
    }
}

/// An agreement of one snapshot, its links resolved, with the tag of what answers about it depend on.
struct Evaluable: Sendable {
    let stored: StoredAgreement
    /// ``AgreementCatalog/Snapshot/inputsTag(of:)``: what a derived answer's ETag names instead of the document's.
    let tag: String

    var agreement: Agreement { stored.agreement }
}
