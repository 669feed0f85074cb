/// Circuit breaker for one provider: after `threshold` consecutive failures it opens and
/// requests skip the provider until `openFor` has passed; then one probe is let through
/// (half-open), and its outcome closes the breaker or opens it again for twice as long.
public struct CircuitBreaker: Sendable, Hashable {
    public enum State: Sendable, Hashable {
        case closed
        case open(until: ContinuousClock.Instant)
        /// One probe was let through at `probeAt`; until its outcome (or another open
        /// period, should the probe never be sent) no other request is.
        case halfOpen(probeAt: ContinuousClock.Instant)
    }

    public private(set) var state: State = .closed
    public private(set) var consecutiveFailures = 0
    let threshold: Int
    let baseOpenDuration: Duration
    let maxOpenDuration: Duration
    private var openDuration: Duration

    public init(threshold: Int = 3, openFor: Duration = .seconds(2), maxOpenFor: Duration = .seconds(60)) {
        self.threshold = threshold
        self.baseOpenDuration = openFor
        self.maxOpenDuration = maxOpenFor
        self.openDuration = openFor
    }

    /// Whether a request may go to this provider now. An expired open breaker turns half-open
    /// and lets exactly one probe through; others wait for the probe's outcome.
    public mutating func allowsRequest(now: ContinuousClock.Instant) -> Bool {
        switch state {
        case .closed: return true
        case .halfOpen(let probeAt):
            guard now >= probeAt + openDuration else { return false }
            state = .halfOpen(probeAt: now)
            return true
        case .open(let until):
            guard now >= until else { return false }
            state = .halfOpen(probeAt: now)
            return true
        }
    }

    public var isHealthy: Bool { state == .closed }

    public mutating func recordSuccess() {
        state = .closed
        consecutiveFailures = 0
        openDuration = baseOpenDuration
    }

    public mutating func recordFailure(now: ContinuousClock.Instant) {
        consecutiveFailures += 1
        if case .halfOpen = state {
            openDuration = min(openDuration * 2, maxOpenDuration)
            state = .open(until: now + openDuration)
        } else if consecutiveFailures >= threshold {
            state = .open(until: now + openDuration)
        }
    }
}

/// The heads providers report, and the pool's safe head (CHAIN-RULES rules 1 and 5).
public struct HeadTracker: Sendable, Hashable {
    /// The latest head each provider reported.
    public private(set) var reported: [Int: UInt64] = [:]
    /// The highest head each provider ever reported.
    public private(set) var highest: [Int: UInt64] = [:]
    /// Times a provider reported a head below one it reported before.
    public private(set) var regressions: [Int: Int] = [:]
    /// The pool's safe head; it never decreases.
    public private(set) var safeHead: UInt64?
    /// The highest `finalized` block any provider has reported.
    public private(set) var highestFinalized: UInt64?
    /// Each provider's latest `finalized` block.
    public private(set) var finalized: [Int: UInt64] = [:]

    public init() {}

    /// Records a provider's `eth_blockNumber`. A value below its earlier one counts as a regression.
    public mutating func record(head: UInt64, provider: Int) {
        if let previous = highest[provider], head < previous { regressions[provider, default: 0] += 1 }
        reported[provider] = head
        highest[provider] = max(highest[provider] ?? 0, head)
    }

    /// Forgets a provider's report (it failed or was found out of sync).
    public mutating func forget(provider: Int) {
        reported[provider] = nil
    }

    /// Recomputes the safe head from the providers that answered: with one provider, the
    /// head it serves now; with more, the highest head that at least two have reached. The
    /// result only ever moves up.
    public mutating func updateSafeHead(among providers: Set<Int>) -> UInt64? {
        let heads = providers.compactMap { reported[$0] }.sorted(by: >)
        let candidate: UInt64?
        switch heads.count {
        case 0: candidate = nil
        case 1: candidate = heads[0]
        default: candidate = heads[1]
        }
        if let candidate { safeHead = max(safeHead ?? 0, candidate) }
        return safeHead
    }

    /// Records a provider's `finalized` block number. Returns false when it is below the
    /// highest finalized block seen from any provider: that provider is out of sync.
    public mutating func record(finalized number: UInt64, provider: Int) -> Bool {
        finalized[provider] = number
        if let highest = highestFinalized, number < highest { return false }
        highestFinalized = number
        return true
    }
}

/// Sizes `eth_getLogs` block ranges (CHAIN-RULES rule 6): start from a configured span,
/// take a provider's suggested range, halve on other "too large" answers, and grow by an
/// eighth after each success, up to a maximum.
public struct LogRangeSizer: Sendable, Hashable {
    public private(set) var span: UInt64
    public let maxSpan: UInt64

    public init(initial: UInt64 = 2_000, max: UInt64 = 10_000) {
        self.span = Swift.max(1, Swift.min(initial, max))
        self.maxSpan = max
    }

    public mutating func succeeded() {
        span = Swift.min(maxSpan, span + Swift.max(1, span / 8))
    }

    /// After a "too many results / range too large" answer for a request of `requested` blocks.
    public mutating func tooLarge(requested: UInt64, suggested: ClosedRange<UInt64>?) {
        if let suggested {
            let count = suggested.upperBound - suggested.lowerBound + 1
            span = Swift.max(1, Swift.min(count, requested > 1 ? requested - 1 : 1))
        } else {
            span = Swift.max(1, requested / 2)
        }
    }
}

/// Delay before retry number `attempt` (0-based): the server's Retry-After when it sent
/// one (capped), otherwise exponential from `base` up to `cap`.
public func retryDelay(attempt: Int, retryAfter: Double?, base: Duration, cap: Duration) -> Duration {
    if let retryAfter, retryAfter >= 0 { return min(.milliseconds(Int64(retryAfter * 1000)), cap) }
    return min(base * (1 << min(attempt, 16)), cap)
}
