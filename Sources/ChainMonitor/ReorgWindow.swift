import EthereumCore

/// The recent canonical blocks the monitor has processed: (number, hash, parent hash),
/// oldest first, at most `capacity` of them (CHAIN-RULES rule 3).
public struct ReorgWindow: Sendable, Hashable {
    public private(set) var blocks: [BlockRef]
    public let capacity: Int

    public init(blocks: [BlockRef] = [], capacity: Int) {
        precondition(capacity >= 2, "a reorg window holds at least two blocks")
        self.blocks = Array(blocks.suffix(capacity))
        self.capacity = capacity
    }

    /// The last processed block.
    public var tip: BlockRef? { blocks.last }
    public var oldest: BlockRef? { blocks.first }

    public func block(at number: UInt64) -> BlockRef? {
        guard let first = blocks.first, number >= first.number, number <= first.number + UInt64(blocks.count - 1) else { return nil }
        let entry = blocks[Int(number - first.number)]
        return entry.number == number ? entry : blocks.first { $0.number == number }
    }

    /// What a fetched block means for the window.
    public enum Fit: Sendable, Equatable {
        /// It is the next block and builds on our tip.
        case extends
        /// It is the next block but its parent is not our tip: the chain reorganised.
        case parentMismatch
        /// It is not the next block (a gap or a height we already hold).
        case notNext
    }

    public func fit(_ block: BlockRef) -> Fit {
        guard let tip else { return .extends }
        guard block.number == tip.number + 1 else { return .notNext }
        return block.parentHash == tip.hash ? .extends : .parentMismatch
    }

    /// Whether the chain's block at this height differs from ours (a reorg), is the same, or
    /// is outside the window.
    public enum Agreement: Sendable, Equatable { case same, different, unknown }

    public func agreement(with block: BlockRef) -> Agreement {
        guard let ours = self.block(at: block.number) else { return .unknown }
        return ours.hash == block.hash ? .same : .different
    }

    public mutating func append(_ block: BlockRef) {
        precondition(fit(block) == .extends, "append only blocks that extend the tip")
        blocks.append(block)
        if blocks.count > capacity { blocks.removeFirst(blocks.count - capacity) }
    }

    /// Drops every block above `number`.
    public mutating func truncate(above number: UInt64) {
        blocks.removeAll { $0.number > number }
    }
}

/// When a transfer counts (CHAIN-RULES rule 4): N blocks deep on the canonical chain and,
/// in `depth+finalized` mode, at or below the `finalized` block.
public struct ConfirmationPolicy: Sendable, Hashable {
    public let depth: Int
    public let requiresFinalized: Bool

    public init(depth: Int, requiresFinalized: Bool) {
        precondition(depth >= 1, "confirmation depth is at least 1")
        self.depth = depth
        self.requiresFinalized = requiresFinalized
    }

    /// Confirmations of a block at `blockNumber` when `tip` is the last canonical block:
    /// the block itself counts as one.
    public static func confirmations(blockNumber: UInt64, tip: UInt64) -> Int {
        tip >= blockNumber ? Int(tip - blockNumber + 1) : 0
    }

    /// Whether a transfer in `blockNumber` is confirmed. `canonical` says whether its block
    /// is still the chain's block at that height.
    public func isConfirmed(blockNumber: UInt64, tip: UInt64, finalized: UInt64?, canonical: Bool) -> Bool {
        guard canonical, Self.confirmations(blockNumber: blockNumber, tip: tip) >= depth else { return false }
        guard requiresFinalized else { return true }
        guard let finalized else { return false }
        return blockNumber <= finalized
    }
}

/// Notices when the `finalized` block stops advancing.
public struct FinalityWatch: Sendable {
    public private(set) var lastFinalized: UInt64?
    public private(set) var lastAdvance: ContinuousClock.Instant?

    public init() {}

    public mutating func record(_ finalized: UInt64, at now: ContinuousClock.Instant) {
        if lastFinalized == nil || finalized > lastFinalized! {
            lastFinalized = finalized
            lastAdvance = now
        }
    }

    /// True when `finalized` has not advanced for longer than `limit`.
    public func isStalled(now: ContinuousClock.Instant, limit: Duration) -> Bool {
        guard let lastAdvance else { return false }
        return now - lastAdvance > limit
    }
}
