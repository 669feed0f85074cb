import EthereumCore

/// An amount of token units at a fixed 36 decimals, so that limits written in units
/// (`"1000"`) compare with amounts of tokens of any precision, and sums over several tokens
/// are exact. Saturates at `UInt256.max` rather than overflowing.
public struct UnitAmount: Sendable, Hashable, Comparable, CustomStringConvertible {
    public static let decimals = 36
    public let value: UInt256

    public static let zero = UnitAmount(value: .zero)

    init(value: UInt256) { self.value = value }

    /// `baseUnits` of a token with `decimals` decimals (a token more precise than 36 decimals is
    /// rounded down).
    public init(baseUnits: UInt256, decimals: Int) {
        let decimals = min(max(decimals, 0), TokenAmount.maxDecimals)
        if decimals > Self.decimals {
            value = baseUnits / UInt256.powerOfTen(decimals - Self.decimals)
            return
        }
        let (scaled, overflow) = baseUnits.multipliedReportingOverflow(by: UInt256.powerOfTen(Self.decimals - decimals))
        value = overflow ? .max : scaled
    }

    /// A decimal text in units (`"1000"`, `"0.5"`); nil when it is not one, or has more than 36 decimals.
    public init?(decimal text: String) {
        guard let amount = try? TokenAmount(decimal: text, decimals: Self.decimals) else { return nil }
        value = amount.baseUnits
    }

    public static func < (lhs: UnitAmount, rhs: UnitAmount) -> Bool { lhs.value < rhs.value }

    public static func + (lhs: UnitAmount, rhs: UnitAmount) -> UnitAmount {
        let (sum, overflow) = lhs.value.addingReportingOverflow(rhs.value)
        return UnitAmount(value: overflow ? .max : sum)
    }

    /// Units with at least two decimals and no trailing zeros beyond (`"1000.00"`, `"0.125"`).
    public var description: String { TokenAmount(baseUnits: value, decimals: Self.decimals).format(minimumFractionDigits: 2) }
}

/// The operator's limits on refunds, in token units (USD stablecoins count 1:1), enforced
/// before anything is signed: per refund, per merchant in any 24 hours, per hot wallet in any 24
/// hours, and the amount above which a refund waits for an admin's approval. `nil` is no limit.
public struct RefundLimits: Sendable, Hashable {
    public var perRefund: UnitAmount?
    public var merchantDaily: UnitAmount?
    public var walletDaily: UnitAmount?
    public var approvalAbove: UnitAmount?

    /// 10,000 per refund, 50,000 per merchant and 100,000 per wallet in 24 hours, approval above 1,000.
    public static let defaults = RefundLimits(
        perRefund: UnitAmount(decimal: "10000"), merchantDaily: UnitAmount(decimal: "50000"),
        walletDaily: UnitAmount(decimal: "100000"), approvalAbove: UnitAmount(decimal: "1000"))

    public init(perRefund: UnitAmount?, merchantDaily: UnitAmount?, walletDaily: UnitAmount?, approvalAbove: UnitAmount?) {
        self.perRefund = perRefund
        self.merchantDaily = merchantDaily
        self.walletDaily = walletDaily
        self.approvalAbove = approvalAbove
    }

    /// Refuses a new refund of `amount` when it is above the per-refund limit, or when the
    /// merchant's refunds of the last 24 hours (`merchantRecent`, failed and canceled ones not
    /// counted) would pass the daily limit.
    public func checkNew(_ amount: UnitAmount, merchantRecent: UnitAmount) throws(RequestError) {
        if let limit = perRefund, amount > limit {
            throw RequestError(
                .unprocessable, code: "amount_above_limit", param: "amount",
                "a refund may be at most \(limit) (the operator's per-refund limit); this one is \(amount)")
        }
        if let limit = merchantDaily, merchantRecent + amount > limit {
            throw RequestError(
                .unprocessable, code: "daily_limit_exceeded", param: "amount",
                "this refund would bring the merchant's refunds of the last 24 hours to \(merchantRecent + amount), above the limit of \(limit); try later or refund less"
            )
        }
    }

    /// Whether a refund of `amount` waits for an admin's approval.
    public func needsApproval(_ amount: UnitAmount) -> Bool {
        guard let threshold = approvalAbove else { return false }
        return amount > threshold
    }

    /// Whether the hot wallet may sign a refund of `amount` after `walletRecent` in the last 24 hours.
    public func walletAllows(_ amount: UnitAmount, walletRecent: UnitAmount) -> Bool {
        guard let limit = walletDaily else { return true }
        return walletRecent + amount <= limit
    }
}
