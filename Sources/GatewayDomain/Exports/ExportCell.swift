import EthereumCore

/// The text of one cell of an export, made safe for spreadsheets.
///
/// Spreadsheet programs run a cell that starts with `=`, `+`, `-` or `@` as a formula (and
/// some strip a leading tab or carriage return first), so a customer's or merchant's text such
/// as `=HYPERLINK("http://evil","click")` in an order id would run when the accountant opens the
/// file. Every text cell is neutralised with a leading `'`, which spreadsheets show as text.
///
/// Amounts are the one exception: they are printed here from integers of base units, so they
/// are only ever digits, one point and perhaps a leading `-` (a refund), and must stay numbers
/// for the books to add up. No text from outside can reach an amount cell.
public enum ExportCell {
    /// The first characters that make a spreadsheet read a cell as a formula.
    public static let formulaStarts: Set<Character> = ["=", "+", "-", "@", "\t", "\r"]

    /// `text`, with `'` in front when it could start a formula.
    public static func text(_ text: String) -> String {
        // "\r\n" is one Character in Swift: look at the first scalar too.
        guard let first = text.first else { return text }
        if formulaStarts.contains(first) || text.unicodeScalars.first == "\r" { return "'" + text }
        return text
    }

    /// An optional text cell: empty when absent.
    public static func text(_ text: String?) -> String { text.map { Self.text($0) } ?? "" }

    /// An amount of base units as exact decimal text with at least two decimals (`12.50`,
    /// `0.000001`), `-` in front when negative.
    public static func amount(_ amount: SignedUnits, decimals: Int) -> String {
        let clamped = min(max(decimals, 0), TokenAmount.maxDecimals)
        let text = TokenAmount(baseUnits: amount.magnitude, decimals: clamped).format(minimumFractionDigits: min(2, clamped))
        return amount.isNegative ? "-" + text : text
    }
}

/// A signed amount of base units: money in is positive, money out negative. Sums that would
/// pass 2^256 − 1 base units are reported, never wrapped.
public struct SignedUnits: Sendable, Hashable, CustomStringConvertible {
    public let magnitude: UInt256
    /// Never true for zero.
    public let isNegative: Bool

    public static let zero = SignedUnits(magnitude: .zero, isNegative: false)

    public init(magnitude: UInt256, isNegative: Bool) {
        self.magnitude = magnitude
        self.isNegative = isNegative && !magnitude.isZero
    }

    public static func positive(_ units: UInt256) -> SignedUnits { SignedUnits(magnitude: units, isNegative: false) }
    public static func negative(_ units: UInt256) -> SignedUnits { SignedUnits(magnitude: units, isNegative: true) }

    /// The sum, or nil when its magnitude does not fit 256 bits.
    public func adding(_ other: SignedUnits) -> SignedUnits? {
        if isNegative == other.isNegative {
            let (sum, overflow) = magnitude.addingReportingOverflow(other.magnitude)
            return overflow ? nil : SignedUnits(magnitude: sum, isNegative: isNegative)
        }
        if magnitude >= other.magnitude {
            return SignedUnits(magnitude: magnitude - other.magnitude, isNegative: isNegative)
        }
        return SignedUnits(magnitude: other.magnitude - magnitude, isNegative: other.isNegative)
    }

    public var description: String { (isNegative ? "-" : "") + magnitude.decimalString }
}
