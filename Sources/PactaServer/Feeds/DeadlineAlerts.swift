import Foundation
import Logging
import PactaCore
import PactaStore
import ServiceLifecycle
import Synchronization

/// Records `deadline.approaching` and `deadline.passed` in the event log as the server's clock crosses each lead
/// time before a dated item (the items `/v1/deadlines` lists: notice deadlines, renewals, scheduled ends,
/// withdrawals taking effect), and prunes the log past its retention period. A ``Service`` of the server.
///
/// Idempotent per (item, lead time): each alert carries a dedupe key that the store records once, ever (a unique
/// key, in the recording transaction), so rescans, restarts and several replicas never send one twice. Replicas
/// also take the store's scheduler lock for a scan (a PostgreSQL advisory lock), so only one of them does the work.
///
/// The alert for a lead time fires on the first day the item is at most that many days away; when the server was
/// down across several lead times, only the nearest one crossed fires (a late "90 days" alert 20 days before would
/// mislead). `deadline.passed` fires the day after the item's date, and within ``Settings/passedLookbackDays`` of it
/// when the server was down then.
final class DeadlineAlertScheduler: Service, Sendable {
    struct Settings: Sendable {
        /// Days before an item at which `deadline.approaching` fires.
        var leadDays: [Int] = [90, 30, 7, 1]
        var passedLookbackDays = 7
        /// How often the scheduler looks at the clock and the catalog (a scan runs only when either changed).
        var interval: Duration = .seconds(60)
        /// Events older than this are pruned from the log (`Last-Event-ID` can resume within it).
        var retentionDays = 30
        /// How often pruning runs.
        var pruneInterval: Duration = .seconds(3_600)
    }

    let store: any AgreementStore
    let catalog: AgreementCatalog
    let work: HeavyWork
    let today: @Sendable () -> CalendarDate
    let settings: Settings
    let logger: Logger

    private struct State {
        /// The day and catalog generation of the last complete scan: nothing new to find until one changes.
        var scanned: (day: CalendarDate, generation: UInt64)?
        /// Dedupe keys this process knows are recorded, so a rescan sends the store only new drafts.
        var recordedKeys: Set<String> = []
        var lastPrune: ContinuousClock.Instant?
    }

    private let state = Mutex(State())

    init(
        store: any AgreementStore,
        catalog: AgreementCatalog,
        work: HeavyWork,
        today: @escaping @Sendable () -> CalendarDate,
        settings: Settings,
        logger: Logger
    ) {
        self.store = store
        self.catalog = catalog
        self.work = work
        self.today = today
        self.settings = settings
        self.logger = logger
    }

    func run() async throws {
        // Ends at once on graceful shutdown: a scan in progress is cancelled, and the next one finds what it left.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.tick()
                try await Task.sleep(for: self.settings.interval)
            }
        }
    }

    /// One turn: a scan if the day or the catalog changed, and pruning when it is due. Errors are logged; the next
    /// turn tries again.
    func tick() async {
        do {
            _ = try await scan(asOf: today())
        } catch is CancellationError {
            return
        } catch {
            logger.warning("Deadline alert scan failed; retrying at the next turn", metadata: ["reason": "\(error)"])
        }
        let now = ContinuousClock.now
        let due = state.withLock { state in
            guard state.lastPrune.map({ now - $0 >= settings.pruneInterval }) ?? true else { return false }
            state.lastPrune = now
            return true
        }
        if due {
            do {
                let pruned = try await prune(now: Date())
                if pruned > 0 { logger.info("Pruned the event log", metadata: ["events": "\(pruned)"]) }
            } catch {
                logger.warning("Pruning the event log failed", metadata: ["reason": "\(error)"])
            }
        }
    }

    /// Records the alerts due on `asOf` that are not recorded yet; returns those this call recorded (none when
    /// another replica holds the scheduler lock, or nothing changed since the last scan).
    func scan(asOf: CalendarDate) async throws -> [FeedEvent] {
        let snapshot = catalog.snapshot
        if let scanned = state.withLock({ $0.scanned }), scanned.day == asOf, scanned.generation == snapshot.generation {
            return []
        }
        let maxLead = settings.leadDays.max() ?? 0
        let from = try asOf.addingDays(-settings.passedLookbackDays)
        let to = try asOf.addingDays(maxLead)
        let recorded = RecordedEvents()
        let ran = try await store.withFeedSchedulerLock {
            let window = try await snapshot.deadlines(from: from, to: to, work: self.work)
            let known = self.state.withLock { $0.recordedKeys }
            let drafts = Self.drafts(
                for: window,
                asOf: asOf,
                leadDays: self.settings.leadDays,
                passedLookbackDays: self.settings.passedLookbackDays
            ).filter { draft in draft.dedupeKey.map { !known.contains($0) } ?? true }
            // In pages, so that one transaction stays short however many items come due at once.
            for start in stride(from: 0, to: drafts.count, by: 500) {
                let page = Array(drafts[start..<min(start + 500, drafts.count)])
                let events = try await self.store.recordFeedEvents(page)
                recorded.events.withLock { $0 += events }
                self.state.withLock { state in
                    for draft in page { if let key = draft.dedupeKey { state.recordedKeys.insert(key) } }
                }
            }
        }
        if ran { state.withLock { $0.scanned = (asOf, snapshot.generation) } }
        return recorded.events.withLock { $0 }
    }

    /// Deletes the events older than the retention period.
    func prune(now: Date) async throws -> Int {
        let cutoff = now.addingTimeInterval(-Double(settings.retentionDays) * 86_400)
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return try await store.pruneFeedEvents(before: formatter.string(from: cutoff))
    }

    /// The alerts due on `asOf` for the deadlines of `window`: for an item `d` days away (0 ≤ d ≤ the largest lead)
    /// the nearest lead time `l ≥ d`; for an item whose date is before `asOf` (by at most `passedLookbackDays`),
    /// `deadline.passed`. Pure: the store's dedupe keys make it safe to call again.
    static func drafts(
        for window: some Collection<Deadline>,
        asOf: CalendarDate,
        leadDays: [Int],
        passedLookbackDays: Int
    ) -> [FeedEventDraft] {
        let leads = leadDays.sorted()
        var drafts: [FeedEventDraft] = []
        for deadline in window {
            let days = asOf.days(to: deadline.date)
            let item = "\(deadline.agreementId):\(deadline.kind.rawValue):\(deadline.party ?? ""):\(deadline.date)"
            if days < 0 {
                guard -days <= passedLookbackDays else { continue }
                let data = AlertData(deadline: deadline, asOf: asOf, daysUntil: days, leadDays: nil)
                guard let rendered = try? FeedJSON.render(data) else { continue }
                drafts.append(
                    FeedEventDraft(
                        type: FeedEventType.deadlinePassed.rawValue,
                        agreementId: deadline.agreementId,
                        data: rendered,
                        dedupeKey: "deadline.passed:\(item)"
                    )
                )
            } else if let lead = leads.first(where: { $0 >= days }) {
                let data = AlertData(deadline: deadline, asOf: asOf, daysUntil: days, leadDays: lead)
                guard let rendered = try? FeedJSON.render(data) else { continue }
                drafts.append(
                    FeedEventDraft(
                        type: FeedEventType.deadlineApproaching.rawValue,
                        agreementId: deadline.agreementId,
                        data: rendered,
                        dedupeKey: "deadline.approaching:\(item):\(lead)"
                    )
                )
            }
        }
        return drafts
    }

    /// Parses `PACTA_ALERT_LEAD_DAYS`: comma-separated whole days from 0 to 3660; `nil` when any is not.
    static func parseLeadDays(_ text: String) -> [Int]? {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.compactMap { Int($0) }.filter { (0...3_660).contains($0) }
        guard !values.isEmpty, values.count == parts.count else { return nil }
        return Array(Set(values)).sorted(by: >)
    }
}

/// What a scan recorded, filled from inside the scheduler lock's body.
private final class RecordedEvents: Sendable {
    let events = Mutex<[FeedEvent]>([])
}

/// The `data` of `deadline.approaching` and `deadline.passed`: the item as `/v1/deadlines` lists it.
struct AlertData: Encodable {
    struct Links: Encodable {
        let agreement: String
        let status: String
        let deadlines: String
        let calendar: String
    }

    let agreementId: String
    let asOf: String
    /// Days from `asOf` to the item's date (negative once passed).
    let daysUntil: Int
    /// The lead time that fired (`deadline.approaching`).
    let leadDays: Int?
    let item: Deadline
    let links: Links

    init(deadline: Deadline, asOf: CalendarDate, daysUntil: Int, leadDays: Int?) {
        agreementId = deadline.agreementId
        self.asOf = "\(asOf)"
        self.daysUntil = daysUntil
        self.leadDays = leadDays
        item = deadline
        links = Links(
            agreement: FeedLinks.agreement(deadline.agreementId),
            status: FeedLinks.status(deadline.agreementId) + "?asOf=\(deadline.date)",
            deadlines: "/v1/deadlines?from=\(deadline.date)&to=\(deadline.date)",
            calendar: FeedLinks.agreement(deadline.agreementId) + "/calendar.ics"
        )
    }
}
