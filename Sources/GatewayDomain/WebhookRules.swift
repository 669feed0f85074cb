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

/// Which destination addresses webhooks may not reach: loopback, private, link-local (where
/// cloud metadata services live), unspecified, carrier-grade NAT, multicast and reserved
/// ranges, in IPv4 and IPv6 (IPv4-mapped addresses are judged as IPv4).
public enum TargetAddress {
    public static func isForbidden(ipv4 a: [UInt8]) -> Bool {
        guard a.count == 4 else { return true }
        switch (a[0], a[1]) {
        case (0, _), (10, _), (127, _): return true
        case (100, 64...127): return true
        case (169, 254): return true
        case (172, 16...31): return true
        case (192, 168): return true
        case (192, 0) where a[2] == 0 || a[2] == 2: return true
        case (198, 18...19): return true
        case (198, 51) where a[2] == 100: return true
        case (203, 0) where a[2] == 113: return true
        default: return a[0] >= 224
        }
    }

    public static func isForbidden(ipv6 a: [UInt8]) -> Bool {
        guard a.count == 16 else { return true }
        if a[0..<10].allSatisfy({ $0 == 0 }) && a[10] == 0xFF && a[11] == 0xFF { return isForbidden(ipv4: Array(a[12..<16])) }
        if a[0..<15].allSatisfy({ $0 == 0 }) && (a[15] == 0 || a[15] == 1) { return true }
        if a[0] & 0xFE == 0xFC { return true }
        if a[0] == 0xFE && a[1] & 0xC0 == 0x80 { return true }
        if a[0] == 0xFF { return true }
        // 64:ff9b::/96 (NAT64) maps to IPv4.
        if a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xFF && a[3] == 0x9B { return isForbidden(ipv4: Array(a[12..<16])) }
        return false
    }
}
