/// The open sessions of a deliverer, one per URL, kept for a minute: a busy subscription's deliveries reuse the
/// resolved, checked address and the receiver's connection instead of paying a lookup, a connection (and a TLS
/// handshake) per claim. After a minute the host is resolved and checked again.
actor WebhookSessions {
    private let sender: WebhookSender
    private let lifetime: Duration
    private var sessions: [String: (session: WebhookSender.Session, opened: ContinuousClock.Instant)] = [:]

    init(sender: WebhookSender, lifetime: Duration = .seconds(60)) {
        self.sender = sender
        self.lifetime = lifetime
    }

    func session(for url: String) async -> WebhookSender.Session {
        let now = ContinuousClock.now
        if let entry = sessions[url], now - entry.opened < lifetime { return entry.session }
        if let old = sessions.removeValue(forKey: url)?.session {
            // Another delivery may still be using it: closed once any request it carries has timed out.
            let grace = sender.totalTimeout + .seconds(1)
            Task {
                try? await Task.sleep(for: grace)
                await old.close()
            }
        }
        let session = await WebhookSender.Session.open(sender, url: url)
        // Opening suspends: another delivery may have opened one meanwhile; keep the first, close this one.
        if let existing = sessions[url] {
            await session.close()
            return existing.session
        }
        sessions[url] = (session, now)
        return session
    }

    /// Closes every session whose minute is over (called as deliveries go, so idle clients do not pile up).
    func closeExpired() async {
        let now = ContinuousClock.now
        let expired = sessions.filter { now - $0.value.opened >= lifetime + sender.totalTimeout + .seconds(1) }
        for (url, entry) in expired {
            sessions[url] = nil
            await entry.session.close()
        }
    }

    func closeAll() async {
        let all = sessions.values.map(\.session)
        sessions = [:]
        for session in all { await session.close() }
    }
}
