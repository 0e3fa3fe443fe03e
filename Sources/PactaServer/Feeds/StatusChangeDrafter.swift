import PactaCore
import PactaStore

/// Drafts `status.changed` inside each agreement write: the engine's answer for today before and after the write,
/// compared on what a dashboard shows (the state, the next notice deadline, renewal and last day in force, and each
/// party's status). Today comes from the server's injected clock, so tests fix it.
///
/// Only a replacement or an append can change a status: a creation is told by `agreement.created` and a deletion
/// by `agreement.deleted`, so neither drafts a `status.changed`.
struct StatusChangeDrafter: FeedDrafting {
    let today: @Sendable () -> CalendarDate

    func drafts(before: StoredAgreement?, after: StoredAgreement?) -> [FeedEventDraft] {
        guard let before, let after else { return [] }
        let asOf = today()
        let old = StatusSummary(RulesEngine.evaluate(before.agreement, asOf: asOf, trace: false))
        let new = StatusSummary(RulesEngine.evaluate(after.agreement, asOf: asOf, trace: false))
        let changed = new.changes(from: old)
        guard !changed.isEmpty else { return [] }
        let id = after.agreement.id
        let data = StatusChangedData(
            agreementId: id,
            asOf: "\(asOf)",
            revision: after.revision,
            changed: changed,
            before: old,
            after: new,
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
    let revision: Int64
    let changed: [String]
    let before: StatusSummary
    let after: StatusSummary
    let links: Links
}
