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

    /// The provider was caught in a false answer (a log that is not in its block's bloom, a
    /// log that another provider's receipt denies). That is not bad luck but a lie, so the
    /// breaker opens at once, whatever the threshold, for twice as long as it would otherwise
    /// (up to the maximum), as after a failed probe.
    public mutating func recordFalseAnswer(now: ContinuousClock.Instant) {
        consecutiveFailures += 1
        openDuration = min(openDuration * 2, maxOpenDuration)
        state = .open(until: now + openDuration)
    }
}

/// The heads and finalized blocks providers report, and what the pool makes of them
/// (CHAIN-RULES rules 1, 5 and 11): a safe head and a finalized height that no single
/// provider decides when there are several, and the providers that are out of sync.
public struct HeadTracker: Sendable, Hashable {
    /// The latest head each provider reported.
    public private(set) var reported: [Int: UInt64] = [:]
    /// The highest head each provider ever reported.
    public private(set) var highest: [Int: UInt64] = [:]
    /// Times a provider reported a head below one it reported before.
    public private(set) var regressions: [Int: Int] = [:]
    /// The pool's safe head; it never decreases.
    public private(set) var safeHead: UInt64?
    /// The pool's finalized height: what at least two providers have finalized when several
    /// are configured. It never decreases.
    public private(set) var agreedFinalized: UInt64?
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

    /// Recomputes the safe head from the providers that answered: the highest head that at
    /// least two of them have reached, or with one answer that head when `required` is 1 (a
    /// pool of one provider). With `required` 2 (several providers configured) one answer
    /// leaves the safe head where it was: one provider's word never moves it. The result
    /// only ever moves up.
    public mutating func updateSafeHead(among providers: Set<Int>, required: Int = 1) -> UInt64? {
        let heads = providers.compactMap { reported[$0] }.sorted(by: >)
        let candidate: UInt64?
        if heads.count >= 2 {
            candidate = heads[1]
        } else if heads.count == 1, required <= 1 {
            candidate = heads[0]
        } else {
            candidate = nil
        }
        if let candidate { safeHead = max(safeHead ?? 0, candidate) }
        return safeHead
    }

    /// Providers whose head lies more than `maxLead` blocks above the second-highest head of
    /// this round. Honest providers differ by a few blocks; one far above the rest is lying or
    /// broken, and it is that provider, not the others, that is out of sync. With fewer than
    /// two heads there is nothing to compare.
    public static func farAhead(_ heads: [Int: UInt64], maxLead: UInt64) -> Set<Int> {
        let sorted = heads.values.sorted(by: >)
        guard sorted.count >= 2 else { return [] }
        let (limit, overflow) = sorted[1].addingReportingOverflow(maxLead)
        if overflow { return [] }
        return Set(heads.filter { $0.value > limit }.keys)
    }

    /// What one round of `finalized` reports decided.
    public struct FinalizedRound: Sendable, Hashable {
        /// The pool's finalized height after the round (unchanged when the round could not
        /// move it).
        public let agreed: UInt64?
        /// Providers whose finalized block is below the pool's (rule 5): out of sync until
        /// they catch up.
        public let behind: Set<Int>
        /// Providers whose finalized block is more than the allowed lead above the pool's:
        /// out of sync, and they do not move the pool's height.
        public let farAhead: Set<Int>

        public var outOfSync: Set<Int> { behind.union(farAhead) }

        public init(agreed: UInt64?, behind: Set<Int>, farAhead: Set<Int>) {
            self.agreed = agreed
            self.behind = behind
            self.farAhead = farAhead
        }
    }

    /// Records one round of `finalized` reports. With `required` 2 (several providers
    /// configured) the pool's finalized height becomes the second-highest report, a height
    /// at least two providers have finalized, and never one provider's word: a single
    /// inflated report neither moves it nor, because the check is against the agreed height
    /// rather than the highest report, makes honest providers look out of sync. With
    /// `required` 1 the only provider's report is taken. The height never decreases; a
    /// provider below it is behind (rule 5, after Chainlink's `EnforceRepeatableRead`), one
    /// more than `maxLead` above it is far ahead.
    public mutating func agreeFinalized(_ reports: [Int: UInt64], required: Int, maxLead: UInt64) -> FinalizedRound {
        for (provider, number) in reports { finalized[provider] = number }
        let sorted = reports.values.sorted(by: >)
        let candidate: UInt64?
        if sorted.count >= 2 {
            candidate = sorted[1]
        } else if sorted.count == 1, required <= 1 {
            candidate = sorted[0]
        } else {
            candidate = nil
        }
        if let candidate { agreedFinalized = max(agreedFinalized ?? 0, candidate) }
        guard let agreed = agreedFinalized else { return FinalizedRound(agreed: nil, behind: [], farAhead: []) }
        let (limit, overflow) = agreed.addingReportingOverflow(maxLead)
        let behind = Set(reports.filter { $0.value < agreed }.keys)
        let ahead = overflow ? [] : Set(reports.filter { $0.value > limit }.keys)
        return FinalizedRound(agreed: agreed, behind: behind, farAhead: ahead)
    }
}

/// Sizes `eth_getLogs` block ranges (CHAIN-RULES rule 6): start from a configured span,
/// take a provider's suggested range, halve on other "too large" answers, and grow by an
/// eighth after each success, up to a maximum.
public struct LogRangeSizer: Sendable, Hashable {
    public private(set) var span: UInt64
    public let maxSpan: UInt64

    public init(initial: UInt64 = 2_000, max: UInt64 = 10_000) {
        self.maxSpan = Swift.max(1, max)
        self.span = Swift.max(1, Swift.min(initial, maxSpan))
    }

    public mutating func succeeded() {
        let (grown, overflow) = span.addingReportingOverflow(Swift.max(1, span / 8))
        span = overflow ? maxSpan : Swift.min(maxSpan, grown)
    }

    /// After a "too many results / range too large" answer for a request of `requested` blocks.
    /// A suggestion never makes the span larger than the refused request (an absurd one, up
    /// to the whole 64-bit range, still just shrinks it by one).
    public mutating func tooLarge(requested: UInt64, suggested: ClosedRange<UInt64>?) {
        if let suggested {
            let width = suggested.upperBound - suggested.lowerBound
            let count = width == .max ? width : width + 1
            span = Swift.max(1, Swift.min(count, requested > 1 ? requested - 1 : 1))
        } else {
            span = Swift.max(1, requested / 2)
        }
    }
}

/// Delay before retry number `attempt` (0-based): the server's Retry-After when it sent a
/// usable one (capped), otherwise exponential from `base` up to `cap`. A negative, infinite
/// or NaN Retry-After is ignored; none of them can trap.
public func retryDelay(attempt: Int, retryAfter: Double?, base: Duration, cap: Duration) -> Duration {
    if let retryAfter, retryAfter.isFinite, retryAfter >= 0 {
        let capSeconds = Double(cap.components.seconds) + Double(cap.components.attoseconds) / 1e18
        // Milliseconds of anything below 9e15 seconds fit Int64.
        if retryAfter >= capSeconds || retryAfter >= 9e15 { return cap }
        return min(.milliseconds(Int64(retryAfter * 1000)), cap)
    }
    let doublings = max(0, min(attempt, 16))
    guard base > .zero else { return .zero }
    // Past the cap there is nothing to compute (and nothing to overflow).
    if base >= cap / (1 << doublings) { return cap }
    return min(base * (1 << doublings), cap)
}
