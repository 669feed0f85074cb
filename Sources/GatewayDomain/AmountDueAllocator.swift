import EthereumCore

/// Chooses the amount due of a new session: the price plus a small offset in base units,
/// so that a transfer of exactly that amount identifies the session. Offsets already used by
/// open (or still monitored) sessions for the same network, token and address are skipped;
/// the database's unique constraint is the final arbiter when two creations race.
public struct AmountDueAllocator: Sendable, Hashable {
    /// Offsets are drawn from 1...maxOffset base units (0.000001 to 0.000999 of a 6-decimal token by default).
    public let maxOffset: UInt64

    public init(maxOffset: UInt64 = 999) {
        precondition(maxOffset >= 1, "at least one offset")
        self.maxOffset = maxOffset
    }

    /// Candidate amounts for `price`, in the order to try: random offsets first (so amounts
    /// do not reveal how many sessions are open), then every remaining one. Empty when all
    /// offsets are taken.
    public func candidates<G: RandomNumberGenerator>(price: UInt256, taken: Set<UInt256>, using generator: inout G) -> [UInt256] {
        var offsets = Array(1...maxOffset).filter { !taken.contains(price + UInt256($0)) }
        offsets.shuffle(using: &generator)
        return offsets.map { price + UInt256($0) }
    }
}
