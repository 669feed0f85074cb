import EthereumCore

/// EIP-1559 fees of one transaction, in wei per gas.
public struct Fees: Sendable, Hashable, CustomStringConvertible {
    /// `maxPriorityFeePerGas`.
    public let tip: UInt256
    /// `maxFeePerGas`.
    public let maxFee: UInt256

    public init(tip: UInt256, maxFee: UInt256) {
        self.tip = tip
        self.maxFee = maxFee
    }

    public var description: String { "tip \(tip) wei, max fee \(maxFee) wei" }
}

/// How a network's refunds are priced and replaced (CHAIN-RULES rule 9), with defaults per
/// network in ``defaults(network:)``. All fees are wei per gas.
public struct RefundFeePolicy: Sendable, Hashable {
    /// The lowest tip offered: Polygon's txpool refuses tips below 25 gwei (bor, PIP-35) and
    /// some Polygon providers ask 30.
    public var minTip: UInt256
    /// The operator's cap on `maxFeePerGas`: a refund that needs more waits (`fee_above_cap`)
    /// rather than overpay.
    public var maxFee: UInt256
    /// Blocks of `eth_feeHistory` read, and the reward percentile taken from each; the tip is the
    /// median of those rewards (or ``minTip``, whichever is higher).
    public var historyBlocks = 10
    public var rewardPercentile = 50
    /// Blocks after which a transaction still not mined is replaced by a higher-fee one.
    public var replaceAfterBlocks: UInt64
    /// Seconds between re-sends of the newest attempt while it waits.
    public var resendSeconds: Int64 = 60
    /// How much a replacement raises the tip and the fee cap, in percent. geth's and bor's txpool
    /// (`PriceBump`) want at least 10% on both; more leaves room for rounding and busy pools.
    public var bumpPercent: UInt64 = 25
    /// The margin added to `eth_estimateGas`, in percent.
    public var gasMarginPercent: UInt64 = 25
    /// The most gas a refund's transfer may need: an estimate above it is refused as a
    /// provider's error (an ERC-20 transfer needs 35,000 to 65,000; USDT about 63,000).
    public var maxGasLimit: UInt64 = 300_000

    public init(minTip: UInt256, maxFee: UInt256, replaceAfterBlocks: UInt64) {
        self.minTip = minTip
        self.maxFee = maxFee
        self.replaceAfterBlocks = replaceAfterBlocks
    }

    public static let gwei = UInt256(1_000_000_000)

    /// The defaults for a network by name: Ethereum (and Sepolia) tip at least 1 gwei, cap
    /// 200 gwei (Sepolia 500), replace after 3 blocks; Polygon (and Amoy) tip at least 30 gwei,
    /// cap 1,000 gwei, replace after 5 blocks; devnet tip at least 1 gwei, cap 100 gwei, replace
    /// after 3 blocks, re-send every 5 seconds (a block a second). Other networks: Ethereum's.
    public static func defaults(network: String) -> RefundFeePolicy {
        switch network {
        case "polygon", "amoy":
            return RefundFeePolicy(minTip: 30 * gwei, maxFee: 1_000 * gwei, replaceAfterBlocks: 5)
        case "sepolia":
            return RefundFeePolicy(minTip: gwei, maxFee: 500 * gwei, replaceAfterBlocks: 3)
        case "devnet":
            var policy = RefundFeePolicy(minTip: gwei, maxFee: 100 * gwei, replaceAfterBlocks: 3)
            policy.resendSeconds = 5
            return policy
        default:
            return RefundFeePolicy(minTip: gwei, maxFee: 200 * gwei, replaceAfterBlocks: 3)
        }
    }

    /// What to do about fees for a first attempt.
    public enum Quote: Sendable, Hashable {
        case sign(Fees)
        /// The fees the rules ask for are above the cap: wait.
        case aboveCap(Fees)
    }

    /// The fees for a new transaction when the next block's base fee is `baseFee` and the
    /// recent blocks paid `rewards` at the policy's percentile: tip = max(floor, median
    /// reward), max fee = 2 × base fee + tip.
    public func quote(baseFee: UInt256, rewards: [UInt256]) -> Quote {
        let fees = market(baseFee: baseFee, rewards: rewards, atLeast: .zero)
        return fees.maxFee > maxFee ? .aboveCap(fees) : .sign(fees)
    }

    /// What to do about a replacement.
    public enum Bump: Sendable, Hashable {
        case replace(Fees)
        /// Even the smallest replacement the txpool accepts would pass the cap: keep re-sending
        /// the newest attempt and wait.
        case atCap
    }

    /// The fees of a replacement for an attempt with `old` fees: both raised by
    /// ``bumpPercent`` (and to at least what the market and `requiredTip` ask); if that passes
    /// the cap, the smallest raise the txpool accepts (more than 10% on both) with the fee cap at
    /// the operator's cap; if even that passes it, none.
    public func bump(_ old: Fees, baseFee: UInt256, rewards: [UInt256], requiredTip: UInt256? = nil) -> Bump {
        let market = market(baseFee: baseFee, rewards: rewards, atLeast: requiredTip ?? .zero)
        let tip = max(Self.raise(old.tip, percent: bumpPercent), market.tip)
        let full = Fees(tip: tip, maxFee: max(Self.raise(old.maxFee, percent: bumpPercent), Self.feeCap(baseFee: baseFee, tip: tip)))
        if full.maxFee <= maxFee { return .replace(full) }
        let smallestTip = max(Self.smallestReplacement(old.tip), requiredTip ?? .zero)
        let smallestCap = max(Self.smallestReplacement(old.maxFee), Self.feeCap(baseFee: baseFee, tip: smallestTip))
        guard smallestCap <= maxFee else { return .atCap }
        return .replace(Fees(tip: smallestTip, maxFee: maxFee))
    }

    /// The gas limit for an estimate: the estimate plus the margin, or nil when the estimate is
    /// zero or above ``maxGasLimit`` (a broken answer).
    public func gasLimit(estimate: UInt64) -> UInt64? {
        guard estimate > 0, estimate <= maxGasLimit else { return nil }
        let margin = estimate.multipliedReportingOverflow(by: gasMarginPercent)
        guard !margin.overflow else { return maxGasLimit }
        return min(maxGasLimit, estimate + (margin.partialValue + 99) / 100)
    }

    func market(baseFee: UInt256, rewards: [UInt256], atLeast floor: UInt256) -> Fees {
        let sorted = rewards.sorted()
        let median = sorted.isEmpty ? UInt256.zero : sorted[(sorted.count - 1) / 2]
        let tip = max(minTip, median, floor)
        return Fees(tip: tip, maxFee: Self.feeCap(baseFee: baseFee, tip: tip))
    }

    /// 2 × base fee + tip, saturating.
    static func feeCap(baseFee: UInt256, tip: UInt256) -> UInt256 {
        let (double, o1) = baseFee.multipliedReportingOverflow(by: 2)
        let (sum, o2) = double.addingReportingOverflow(tip)
        return o1 || o2 ? .max : sum
    }

    /// `value` raised by `percent` (rounded up), and by at least 1.
    static func raise(_ value: UInt256, percent: UInt64) -> UInt256 {
        let (product, o1) = value.multipliedReportingOverflow(by: UInt256(percent))
        let (rounded, o2) = product.addingReportingOverflow(99)
        let increase = o1 || o2 ? UInt256.max : rounded / 100
        let (sum, o3) = value.addingReportingOverflow(max(increase, 1))
        return o3 ? .max : sum
    }

    /// The least value the txpool takes in place of `value`: more than `value` and at least
    /// `value × 110 / 100` (geth's legacypool rounds the threshold down); one wei above that.
    static func smallestReplacement(_ value: UInt256) -> UInt256 {
        let (product, o1) = value.multipliedReportingOverflow(by: 110)
        if o1 { return .max }
        let (sum, o2) = (product / 100).addingReportingOverflow(1)
        return o2 ? .max : max(sum, value + (value == .max ? 0 : 1))
    }
}
