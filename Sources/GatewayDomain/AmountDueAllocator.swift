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

    /// A free offset for `price`, drawn uniformly from those whose amount `taken` does not hold
    /// (so amounts do not reveal how many sessions are open); nil when every one is taken.
    ///
    /// One random number per call: the creation path once shuffled all 999 offsets with
    /// `SystemRandomNumberGenerator`, a `getrandom` system call per swap, which was a quarter of
    /// the gateway's time creating sessions.
    public func offset<G: RandomNumberGenerator>(price: UInt256, taken: Set<UInt256>, using generator: inout G) -> UInt64? {
        // The taken offsets in range; amounts below the price or beyond the last offset are not ours.
        var takenOffsets = Set<UInt64>()
        for amount in taken where amount > price {
            if let offset = (amount - price).uint64, offset <= maxOffset { takenOffsets.insert(offset) }
        }
        let free = maxOffset - UInt64(takenOffsets.count)
        guard free > 0 else { return nil }
        var skip = UInt64.random(in: 0..<free, using: &generator)
        for offset in 1...maxOffset where !takenOffsets.contains(offset) {
            if skip == 0 { return offset }
            skip -= 1
        }
        return nil
    }
}
