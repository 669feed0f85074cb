/// An amount of a token: an integer count of base units plus the token's decimals.
///
/// Decimal text is parsed and printed exactly. Input with more fractional digits than the
/// token has is rejected, never rounded.
public struct TokenAmount: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let baseUnits: UInt256
    public let decimals: Int

    /// The largest number of decimals a token may declare and still fit 10^decimals in 256 bits.
    public static let maxDecimals = 77

    public init(baseUnits: UInt256, decimals: Int) {
        precondition((0...TokenAmount.maxDecimals).contains(decimals), "decimals must be 0...77")
        self.baseUnits = baseUnits
        self.decimals = decimals
    }

    /// Parses a plain decimal string such as `"100"`, `"100.5"` or `"0.000001"`.
    ///
    /// Rejected: empty text, signs, exponents, spaces, separators, a leading or trailing
    /// point, more fractional digits than `decimals`, and values past 2^256 − 1 base units.
    public init(decimal text: String, decimals: Int) throws(AmountError) {
        precondition((0...TokenAmount.maxDecimals).contains(decimals), "decimals must be 0...77")
        guard !text.isEmpty else { throw .empty }
        if text.hasPrefix("-") { throw .negative(text) }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count == 2 ? parts[1] : ""
        let allDigits: (Substring) -> Bool = { $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }
        guard !whole.isEmpty, allDigits(whole), allDigits(fraction), parts.count == 1 || !fraction.isEmpty else {
            throw .malformed(text)
        }
        guard fraction.count <= decimals else {
            throw .tooManyDecimals(text, allowed: decimals)
        }
        let padded = String(fraction) + String(repeating: "0", count: decimals - fraction.count)
        let units: UInt256
        do {
            units = try UInt256(decimal: String(whole) + padded)
        } catch {
            throw .overflow(text)
        }
        self.init(baseUnits: units, decimals: decimals)
    }

    /// Exact decimal text with trailing fractional zeros removed: `"100"`, `"100.5"`.
    public var decimalString: String { format(minimumFractionDigits: 0) }

    /// Exact decimal text with at least `minimumFractionDigits` fractional digits (more when
    /// the value needs them, up to `decimals`): `format(minimumFractionDigits: 2)` gives `"100.00"`.
    public func format(minimumFractionDigits: Int) -> String {
        let digits = baseUnits.decimalString
        guard decimals > 0 else { return digits }
        let padded = String(repeating: "0", count: Swift.max(0, decimals + 1 - digits.count)) + digits
        let whole = padded.dropLast(decimals)
        var fraction = Substring(padded.suffix(decimals))
        while fraction.count > minimumFractionDigits, fraction.last == "0" { fraction = fraction.dropLast() }
        return fraction.isEmpty ? String(whole) : "\(whole).\(fraction)"
    }

    public var description: String { decimalString }

    public static func < (lhs: TokenAmount, rhs: TokenAmount) -> Bool {
        precondition(lhs.decimals == rhs.decimals, "comparing amounts of different decimals")
        return lhs.baseUnits < rhs.baseUnits
    }
}

/// Why text is not a valid token amount. Messages say what to send instead.
public enum AmountError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case negative(String)
    case malformed(String)
    case tooManyDecimals(String, allowed: Int)
    case overflow(String)

    public var description: String {
        switch self {
        case .empty: return "amount is empty: send a decimal string such as \"10.50\""
        case .negative(let text): return "amount \(text) is negative: amounts must be zero or more"
        case .malformed(let text):
            return
                "amount '\(text.prefix(80))' is not a plain decimal number: use digits with an optional point, such as \"10.50\" (no sign, exponent, spaces or separators)"
        case .tooManyDecimals(let text, let allowed):
            return "amount \(text.prefix(80)) has more than \(allowed) decimal places, which this token cannot represent"
        case .overflow(let text): return "amount \(text.prefix(80)) is too large"
        }
    }
}
