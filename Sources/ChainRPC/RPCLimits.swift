/// Bounds on the numbers a provider may send (CHAIN-RULES rule 13). A value outside them is
/// not clamped into a plausible one: the answer is refused as malformed, which fails over to
/// another provider. Staying far below 2^63 also means that every accepted height converts to
/// `Int64` (metrics, Postgres `bigint`) and takes sums and differences without overflow.
public enum RPCLimits {
    /// The highest block height, and the highest block timestamp, accepted: 2^48. The
    /// fastest chain the gateway could serve (Arbitrum One, four blocks a second) is near
    /// 2^28 and would need two million years to get there.
    public static let maxBlockNumber: UInt64 = 1 << 48

    /// The highest log index and transaction index accepted (2^31 - 1, what the store's
    /// `int4` columns hold). A 36-million-gas block holds fewer than 100,000 logs
    /// (375 gas each, Yellow Paper G_log).
    public static let maxIndex = UInt64(Int32.max)

    /// The longest `Retry-After` accepted, in seconds (a day). A negative, non-finite or longer
    /// value is a broken answer; the wait itself is capped by the pool's maximum backoff.
    public static let maxRetryAfterSeconds = 86_400.0

    /// Whether `seconds` is a `Retry-After` the pool can honour.
    public static func isUsableRetryAfter(_ seconds: Double) -> Bool {
        seconds.isFinite && seconds >= 0 && seconds <= maxRetryAfterSeconds
    }
}

extension Duration {
    /// Whole milliseconds, saturating instead of overflowing for absurd durations.
    var clampedMilliseconds: Int64 {
        let (whole, overflow) = components.seconds.multipliedReportingOverflow(by: 1_000)
        if overflow { return components.seconds < 0 ? .min : .max }
        let (total, overflow2) = whole.addingReportingOverflow(components.attoseconds / 1_000_000_000_000_000)
        return overflow2 ? (whole < 0 ? .min : .max) : total
    }

    /// Whole nanoseconds, saturating instead of overflowing for absurd durations.
    var clampedNanoseconds: Int64 {
        let (whole, overflow) = components.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return components.seconds < 0 ? .min : .max }
        let (total, overflow2) = whole.addingReportingOverflow(components.attoseconds / 1_000_000_000)
        return overflow2 ? (whole < 0 ? .min : .max) : total
    }
}
