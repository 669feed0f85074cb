/// An unsigned 256-bit integer: the EVM word, and the range of every token amount.
///
/// Four 64-bit limbs, least significant first. Arithmetic operators trap on overflow like
/// Swift's own integers; the `…ReportingOverflow` methods let callers turn overflow into an
/// error instead. There is no floating point anywhere in this type.
public struct UInt256: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    /// Limbs, least significant first.
    public let limbs: (UInt64, UInt64, UInt64, UInt64)

    public static let zero = UInt256(0)
    public static let max = UInt256(limbs: (.max, .max, .max, .max))

    public init(limbs: (UInt64, UInt64, UInt64, UInt64)) { self.limbs = limbs }
    public init(_ value: UInt64) { self.limbs = (value, 0, 0, 0) }
    public init(integerLiteral value: UInt64) { self.init(value) }

    /// From at most 32 big-endian bytes (leading zeros allowed).
    public init(bigEndian bytes: some Collection<UInt8>) throws(UInt256Error) {
        guard bytes.count <= 32 else { throw .overflow }
        var l: [UInt64] = [0, 0, 0, 0]
        for (i, byte) in bytes.reversed().enumerated() {
            l[i / 8] |= UInt64(byte) << UInt64((i % 8) * 8)
        }
        self.limbs = (l[0], l[1], l[2], l[3])
    }

    var limbArray: [UInt64] { [limbs.0, limbs.1, limbs.2, limbs.3] }
    init(limbArray l: [UInt64]) { self.limbs = (l[0], l[1], l[2], l[3]) }

    public var isZero: Bool { limbs.0 == 0 && limbs.1 == 0 && limbs.2 == 0 && limbs.3 == 0 }

    /// The value as a `UInt64` if it fits.
    public var uint64: UInt64? { limbs.1 == 0 && limbs.2 == 0 && limbs.3 == 0 ? limbs.0 : nil }

    /// Number of significant bits (0 for zero).
    public var bitLength: Int {
        let l = limbArray
        for i in stride(from: 3, through: 0, by: -1) where l[i] != 0 {
            return i * 64 + (64 - l[i].leadingZeroBitCount)
        }
        return 0
    }

    /// 32 big-endian bytes.
    public var bigEndianBytes: [UInt8] { word.bytes }

    /// Big-endian bytes without leading zeros; zero is the empty array (RLP's integer form).
    public var minimalBytes: [UInt8] { Array(bigEndianBytes.drop { $0 == 0 }) }

    /// The value as a 32-byte word.
    public var word: Bytes32 { Bytes32(limbs.3, limbs.2, limbs.1, limbs.0) }
    public init(word: Bytes32) { self.limbs = (word.w3, word.w2, word.w1, word.w0) }

    public static func < (lhs: UInt256, rhs: UInt256) -> Bool {
        (lhs.limbs.3, lhs.limbs.2, lhs.limbs.1, lhs.limbs.0) < (rhs.limbs.3, rhs.limbs.2, rhs.limbs.1, rhs.limbs.0)
    }

    public static func == (lhs: UInt256, rhs: UInt256) -> Bool {
        lhs.limbs.0 == rhs.limbs.0 && lhs.limbs.1 == rhs.limbs.1 && lhs.limbs.2 == rhs.limbs.2 && lhs.limbs.3 == rhs.limbs.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(limbs.0)
        hasher.combine(limbs.1)
        hasher.combine(limbs.2)
        hasher.combine(limbs.3)
    }

    // MARK: Arithmetic

    public func addingReportingOverflow(_ other: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        let a = limbArray
        let b = other.limbArray
        var out = [UInt64](repeating: 0, count: 4)
        var carry = false
        for i in 0..<4 {
            let (s1, o1) = a[i].addingReportingOverflow(b[i])
            let (s2, o2) = s1.addingReportingOverflow(carry ? 1 : 0)
            out[i] = s2
            carry = o1 || o2
        }
        return (UInt256(limbArray: out), carry)
    }

    public func subtractingReportingOverflow(_ other: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        let a = limbArray
        let b = other.limbArray
        var out = [UInt64](repeating: 0, count: 4)
        var borrow = false
        for i in 0..<4 {
            let (d1, o1) = a[i].subtractingReportingOverflow(b[i])
            let (d2, o2) = d1.subtractingReportingOverflow(borrow ? 1 : 0)
            out[i] = d2
            borrow = o1 || o2
        }
        return (UInt256(limbArray: out), borrow)
    }

    public func multipliedReportingOverflow(by other: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        let a = limbArray
        let b = other.limbArray
        var out = [UInt64](repeating: 0, count: 8)
        for i in 0..<4 where a[i] != 0 {
            var carry: UInt64 = 0
            for j in 0..<4 {
                let (high, low) = a[i].multipliedFullWidth(by: b[j])
                let (s1, o1) = out[i + j].addingReportingOverflow(low)
                let (s2, o2) = s1.addingReportingOverflow(carry)
                out[i + j] = s2
                carry = high &+ (o1 ? 1 : 0) &+ (o2 ? 1 : 0)
            }
            out[i + 4] = carry
        }
        let overflow = out[4] != 0 || out[5] != 0 || out[6] != 0 || out[7] != 0
        return (UInt256(limbArray: Array(out[0..<4])), overflow)
    }

    /// Division by a 64-bit word (which must not be zero); faster than the general division.
    public func quotientAndRemainder(dividingByWord divisor: UInt64) -> (quotient: UInt256, remainder: UInt64) {
        precondition(divisor != 0, "division by zero")
        var q = [UInt64](repeating: 0, count: 4)
        var remainder: UInt64 = 0
        let l = limbArray
        for i in stride(from: 3, through: 0, by: -1) {
            let (quotient, rest) = divisor.dividingFullWidth((remainder, l[i]))
            q[i] = quotient
            remainder = rest
        }
        return (UInt256(limbArray: q), remainder)
    }

    /// Division by a 256-bit divisor (which must not be zero), by shift and subtract.
    public func quotientAndRemainder(dividingBy divisor: UInt256) -> (quotient: UInt256, remainder: UInt256) {
        precondition(!divisor.isZero, "division by zero")
        if let small = divisor.uint64 {
            let (q, r) = quotientAndRemainder(dividingByWord: small)
            return (q, UInt256(r))
        }
        if self < divisor { return (.zero, self) }
        var quotient = [UInt64](repeating: 0, count: 4)
        var remainder = UInt256.zero
        for bit in stride(from: bitLength - 1, through: 0, by: -1) {
            remainder = remainder.shiftedLeftByOne(insertingBit: self.bit(bit))
            if remainder >= divisor {
                remainder = remainder.subtractingReportingOverflow(divisor).partialValue
                quotient[bit / 64] |= 1 << UInt64(bit % 64)
            }
        }
        return (UInt256(limbArray: quotient), remainder)
    }

    func bit(_ index: Int) -> Bool { (limbArray[index / 64] >> UInt64(index % 64)) & 1 == 1 }

    func shiftedLeftByOne(insertingBit bit: Bool) -> UInt256 {
        let l = limbArray
        var out = [UInt64](repeating: 0, count: 4)
        var carry: UInt64 = bit ? 1 : 0
        for i in 0..<4 {
            out[i] = l[i] << 1 | carry
            carry = l[i] >> 63
        }
        return UInt256(limbArray: out)
    }

    public static func + (lhs: UInt256, rhs: UInt256) -> UInt256 {
        let (value, overflow) = lhs.addingReportingOverflow(rhs)
        precondition(!overflow, "UInt256 addition overflow")
        return value
    }

    public static func - (lhs: UInt256, rhs: UInt256) -> UInt256 {
        let (value, overflow) = lhs.subtractingReportingOverflow(rhs)
        precondition(!overflow, "UInt256 subtraction underflow")
        return value
    }

    public static func * (lhs: UInt256, rhs: UInt256) -> UInt256 {
        let (value, overflow) = lhs.multipliedReportingOverflow(by: rhs)
        precondition(!overflow, "UInt256 multiplication overflow")
        return value
    }

    public static func / (lhs: UInt256, rhs: UInt256) -> UInt256 { lhs.quotientAndRemainder(dividingBy: rhs).quotient }
    public static func % (lhs: UInt256, rhs: UInt256) -> UInt256 { lhs.quotientAndRemainder(dividingBy: rhs).remainder }

    /// 10^exponent, for exponent 0...77.
    public static func powerOfTen(_ exponent: Int) -> UInt256 {
        precondition((0...77).contains(exponent), "10^\(exponent) does not fit in 256 bits")
        var value = UInt256(1)
        for _ in 0..<exponent { value = value * 10 }
        return value
    }

    // MARK: Text

    /// Parses a decimal integer: digits only, no sign, no exponent, no separators.
    public init(decimal text: some StringProtocol) throws(UInt256Error) {
        let utf8 = Substring(text).utf8
        guard !utf8.isEmpty else { throw .empty }
        var value = UInt256.zero
        for char in utf8 {
            guard (0x30...0x39).contains(char) else { throw .invalidDigit(String(text)) }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt256(UInt64(char - 0x30)))
            guard !o1, !o2 else { throw .overflow }
            value = sum
        }
        self = value
    }

    /// Parses `0x`-prefixed hex (at most 64 significant digits; leading zeros are allowed).
    public init(hex text: some StringProtocol) throws(UInt256Error) {
        var utf8 = Substring(text).utf8[...]
        guard utf8.starts(with: [0x30, 0x78]) || utf8.starts(with: [0x30, 0x58]) else { throw .invalidDigit(String(text)) }
        utf8 = utf8.dropFirst(2)
        guard !utf8.isEmpty else { throw .empty }
        let significant = utf8.drop { $0 == 0x30 }
        guard significant.count <= 64 else { throw .overflow }
        var l: [UInt64] = [0, 0, 0, 0]
        for (i, char) in significant.reversed().enumerated() {
            guard let nibble = Hex.nibble(char) else { throw .invalidDigit(String(text)) }
            l[i / 16] |= UInt64(nibble) << UInt64((i % 16) * 4)
        }
        self.init(limbArray: l)
    }

    /// Parses a JSON-RPC style quantity: `0x` hex, or a plain decimal integer.
    public init(parsing text: some StringProtocol) throws(UInt256Error) {
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            try self.init(hex: text)
        } else {
            try self.init(decimal: text)
        }
    }

    /// Decimal digits, without leading zeros.
    public var decimalString: String {
        if isZero { return "0" }
        var digits = [UInt8]()
        var value = self
        while !value.isZero {
            let (q, r) = value.quotientAndRemainder(dividingByWord: 10_000_000_000_000_000_000)
            var chunk = r
            let isLast = q.isZero
            var produced = 0
            while chunk > 0 || (!isLast && produced < 19) {
                digits.append(UInt8(chunk % 10) + 0x30)
                chunk /= 10
                produced += 1
            }
            value = q
        }
        return String(decoding: digits.reversed(), as: UTF8.self)
    }

    /// `0x` + hex without leading zeros (`0x0` for zero): the JSON-RPC quantity form.
    public var hexQuantity: String {
        if isZero { return "0x0" }
        let hex = Hex.encode(minimalBytes, prefix: false)
        return "0x" + (hex.hasPrefix("0") ? String(hex.dropFirst()) : hex)
    }

    public var description: String { decimalString }
}

/// Why text or bytes are not a 256-bit unsigned integer.
public enum UInt256Error: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case invalidDigit(String)
    case overflow

    public var description: String {
        switch self {
        case .empty: return "empty number"
        case .invalidDigit(let text): return "'\(text.prefix(80))' is not an unsigned integer"
        case .overflow: return "number does not fit in 256 bits"
        }
    }
}
