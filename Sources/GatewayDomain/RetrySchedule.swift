/// When a failed webhook delivery is tried again: immediately, then +10 s, +60 s, +10 min,
/// +1 h, +6 h, then every 24 h, until the horizon after the event (default 3 days); then the
/// delivery has failed.
public struct RetrySchedule: Sendable, Hashable {
    public static let delays: [Int64] = [10, 60, 600, 3600, 21_600, 86_400]

    public let horizonSeconds: Int64

    public init(horizonSeconds: Int64 = 259_200) { self.horizonSeconds = horizonSeconds }

    /// Seconds from now until the next attempt after `attempts` failed ones, or nil when the
    /// next attempt would fall past the horizon (`age` is seconds since the delivery began).
    /// A `Retry-After` from the receiver pushes the attempt later, never earlier.
    public func nextDelay(afterAttempts attempts: Int, age: Int64, retryAfter: Int64? = nil) -> Int64? {
        guard attempts >= 1 else { return 0 }
        var delay = Self.delays[min(attempts - 1, Self.delays.count - 1)]
        if let retryAfter, retryAfter > delay { delay = retryAfter }
        return age + delay <= horizonSeconds ? delay : nil
    }

    public enum Outcome: Sendable, Hashable {
        case succeeded
        case retry(afterSeconds: Int64)
        case failed
    }

    /// What follows an attempt that got `statusCode` (nil: no answer, a network error or a
    /// timeout), the delivery's `attempts`-th, `age` seconds after the delivery began.
    public func outcome(statusCode: Int?, attempts: Int, age: Int64, retryAfter: Int64? = nil) -> Outcome {
        if let statusCode {
            if (200...299).contains(statusCode) { return .succeeded }
            if !Self.isRetryable(status: statusCode) { return .failed }
        }
        return nextDelay(afterAttempts: attempts, age: age, retryAfter: retryAfter).map { .retry(afterSeconds: $0) } ?? .failed
    }

    /// Whether a response status is worth another attempt: 408, 429 and 5xx. Other statuses
    /// outside 2xx fail the delivery at once (the receiver refused it).
    public static func isRetryable(status: Int) -> Bool {
        status == 408 || status == 429 || (500...599).contains(status)
    }
}
