/// When the monitor asks for the head next: soon after a block is due, rarely in between.
///
/// Polling at a fixed half block leaves a new block unseen for a quarter block on average and
/// half a block at worst. The pacer keeps the calls per block about the same and moves them to
/// where the next block is expected: after a new head it sleeps until `early` of a block time
/// has passed since it was seen, then polls every `fine` (a tenth of a block, 50 ms at least)
/// until the next head shows: about three calls per block, and a new block is seen a tenth of a
/// block after it appears at worst instead of half a block. A chain that has not produced a block for `overdue` block times (a stalled testnet, a devchain
/// without automine) is polled at the plain interval again.
public struct PollPacer: Sendable, Hashable {
    public let blockTime: Duration
    public let coarse: Duration
    public let fine: Duration
    /// Fractions of the block time.
    public let early: Double
    public let overdue: Double

    public init(blockTime: Duration, coarse: Duration, early: Double = 0.8, overdue: Double = 3) {
        self.blockTime = max(blockTime, .milliseconds(1))
        self.coarse = coarse
        // A tenth of a block, between 50 ms and the coarse interval.
        self.fine = min(max(blockTime / 10, .milliseconds(50)), coarse)
        self.early = early
        self.overdue = overdue
    }

    /// How long to sleep, `sinceNewHead` after the last new head was seen (nil: none seen yet).
    public func delay(sinceNewHead: Duration?) -> Duration {
        guard let since = sinceNewHead, since >= .zero else { return coarse }
        let due = blockTime * early
        if since < due { return max(due - since, fine) }
        if since < blockTime * overdue { return fine }
        return coarse
    }
}
