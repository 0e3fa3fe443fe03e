/// When a failed delivery is tried again: `first` after the first failure, doubling up to `longest`, each delay
/// spread by ±`jitter` so that receivers recovering from an outage are not hit by every sender at once. After
/// `attempts` failed attempts at one event the subscription is disabled. The defaults (5 s doubling to 1 h, 15
/// attempts) keep trying for about 5.4 hours.
public struct WebhookRetrySchedule: Sendable, Equatable {
    public var first: Duration
    public var longest: Duration
    public var attempts: Int
    /// The fraction of each delay it may move by, either way.
    public var jitter: Double

    public init(first: Duration = .seconds(5), longest: Duration = .seconds(3_600), attempts: Int = 15, jitter: Double = 0.2) {
        self.first = first
        self.longest = longest
        self.attempts = attempts
        self.jitter = jitter
    }

    /// The delay after the `failures`-th failed attempt at an event (1 for the first), before jitter, in milliseconds.
    public func baseDelayMilliseconds(afterFailures failures: Int) -> Int64 {
        let first = Self.milliseconds(self.first)
        let longest = Self.milliseconds(self.longest)
        var delay = first
        for _ in 1..<max(1, failures) {
            delay *= 2
            if delay >= longest { return longest }
        }
        return min(delay, longest)
    }

    /// The delay with jitter; `spread` in -1...1 picks where in the ±`jitter` band it falls (random in production).
    public func delayMilliseconds(afterFailures failures: Int, spread: Double) -> Int64 {
        let base = Double(baseDelayMilliseconds(afterFailures: failures))
        return max(1, Int64(base * (1 + jitter * min(1, max(-1, spread)))))
    }

    /// Whether an event that failed `failures` times has had all its attempts.
    public func isExhausted(afterFailures failures: Int) -> Bool { failures >= attempts }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
