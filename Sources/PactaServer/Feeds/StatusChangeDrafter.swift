import PactaCore
import PactaStore

/// Drafts `status.changed` inside each agreement write: the engine's answer for today before and after the write,
/// compared on what a dashboard shows (the state, the next notice deadline, renewal and last day in force, and each
/// party's status). Today comes from the server's injected clock, so tests fix it.
///
/// Only a replacement or an append can change the written agreement's own status: a creation is told by
/// `agreement.created` and a deletion by `agreement.deleted`, so neither drafts a `status.changed` for it.
///
/// An agreement whose rules name the written one (`linkedWithdrawal`) answers differently when that one is written,
/// created or deleted: each such agreement whose status changes gets a `status.changed` of its own, naming the written
/// agreement in `linkedAgreement`. Links are resolved as the catalog holds the other agreements (``snapshot``), the
/// written one as the store has it before and after the write.
struct StatusChangeDrafter: FeedDrafting {
    let today: @Sendable () -> CalendarDate
    /// The catalog as it stands while the write runs (the writes of this process go through one at a time, so it is
    /// the catalog before this one); `nil` when links are not resolved (tests of the drafter alone).
    var snapshot: @Sendable () -> AgreementCatalog.Snapshot? = { nil }

    func drafts(before: StoredAgreement?, after: StoredAgreement?) -> [FeedEventDraft] {
        guard let written = (after ?? before)?.agreement.id else { return [] }
        let asOf = today()
        let snapshot = snapshot()
        let held: (String) -> Agreement? = { snapshot?.byId[$0]?.agreement }
        var drafts: [FeedEventDraft] = []
        if let before, let after {
            drafts += draft(
                written,
                revision: after.revision,
                before: LinkedAgreements.resolve(before.agreement, in: held),
                after: LinkedAgreements.resolve(after.agreement, in: held),
                asOf: asOf
            )
        }
        guard let snapshot else { return drafts }
        for id in snapshot.links.dependents(of: written) {
            guard let dependent = snapshot.byId[id] else { continue }
            drafts += draft(
                id,
                revision: dependent.revision,
                before: LinkedAgreements.resolve(dependent.agreement) { $0 == written ? before?.agreement : held($0) },
                after: LinkedAgreements.resolve(dependent.agreement) { $0 == written ? after?.agreement : held($0) },
                asOf: asOf,
                linkedAgreement: written
            )
        }
        return drafts
    }

    /// `status.changed` for agreement `id` if its status on `asOf` differs between `before` and `after`.
    private func draft(
        _ id: String,
        revision: Int64,
        before: Agreement,
        after: Agreement,
        asOf: CalendarDate,
        linkedAgreement: String? = nil
    ) -> [FeedEventDraft] {
        let old = StatusSummary(RulesEngine.evaluate(before, asOf: asOf, trace: false))
        let new = StatusSummary(RulesEngine.evaluate(after, asOf: asOf, trace: false))
        let changed = new.changes(from: old)
        guard !changed.isEmpty else { return [] }
        let data = StatusChangedData(
            agreementId: id,
            asOf: "\(asOf)",
            revision: revision,
            changed: changed,
            before: old,
            after: new,
            linkedAgreement: linkedAgreement,
            links: .init(agreement: FeedLinks.agreement(id), status: FeedLinks.status(id) + "?asOf=\(asOf)")
        )
        guard let rendered = try? FeedJSON.render(data) else { return [] }
        return [FeedEventDraft(type: FeedEventType.statusChanged.rawValue, agreementId: id, data: rendered)]
    }
}

/// What `status.changed` compares and reports of a status.
struct StatusSummary: Encodable, Equatable {
    let state: String
    let noticeDeadline: String?
    let nextRenewal: String?
    let lastDayInForce: String?
    /// Each party's status, by party code.
    let parties: [String: String]

    init(_ status: AgreementStatus) {
        state = status.state.rawValue
        noticeDeadline = status.noticeDeadline.map { "\($0)" }
        nextRenewal = status.nextRenewal.map { "\($0)" }
        lastDayInForce = status.lastDayInForce.map { "\($0)" }
        parties = Dictionary(status.parties.map { ($0.party, $0.status.rawValue) }, uniquingKeysWith: { first, _ in first })
    }

    /// The members that differ, in a fixed order.
    func changes(from old: StatusSummary) -> [String] {
        var changed: [String] = []
        if state != old.state { changed.append("state") }
        if noticeDeadline != old.noticeDeadline { changed.append("noticeDeadline") }
        if nextRenewal != old.nextRenewal { changed.append("nextRenewal") }
        if lastDayInForce != old.lastDayInForce { changed.append("lastDayInForce") }
        if parties != old.parties { changed.append("parties") }
        return changed
    }
}

/// The `data` of a `status.changed` event.
struct StatusChangedData: Encodable {
    struct Links: Encodable {
        let agreement: String
        let status: String
    }

    let agreementId: String
    let asOf: String
    /// The revision of the agreement's document: for a change a linked agreement's write caused, the document's own
    /// (unchanged) revision.
    let revision: Int64
    let changed: [String]
    let before: StatusSummary
    let after: StatusSummary
    /// The agreement whose write changed this one's status through `rules.linkedWithdrawal`; absent when the write
    /// was to this agreement.
    let linkedAgreement: String?
    let links: Links
}
