/// A 20-byte account address. Parsing checks EIP-55 checksums; printing produces them.
public struct Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    // Big-endian: `high` holds bytes 0...3, `middle` 4...11, `low` 12...19.
    let high: UInt32
    let middle: UInt64
    let low: UInt64

    public static let zero = Address(high: 0, middle: 0, low: 0)

    init(high: UInt32, middle: UInt64, low: UInt64) {
        self.high = high
        self.middle = middle
        self.low = low
    }

    /// From exactly 20 bytes.
    public init(bytes: some Collection<UInt8>) throws(AddressError) {
        guard bytes.count == 20 else { throw .wrongLength(bytes.count) }
        var h: UInt32 = 0
        var m: UInt64 = 0
        var l: UInt64 = 0
        for (i, byte) in bytes.enumerated() {
            switch i {
            case 0..<4: h = h << 8 | UInt32(byte)
            case 4..<12: m = m << 8 | UInt64(byte)
            default: l = l << 8 | UInt64(byte)
            }
        }
        self.init(high: h, middle: m, low: l)
    }

    /// Parses `0x` + 40 hex digits. All-lowercase and all-uppercase input is accepted as is;
    /// mixed case must be a correct EIP-55 checksum.
    public init(_ text: some StringProtocol) throws(AddressError) {
        let utf8 = Array(Substring(text).utf8)
        guard utf8.count == 42, utf8[0] == 0x30, utf8[1] == 0x78 || utf8[1] == 0x58 else {
            throw .malformed(String(text))
        }
        let digits = utf8[2...]
        let bytes: [UInt8]
        do { bytes = try Hex.decode(String(decoding: digits, as: UTF8.self)) } catch { throw .malformed(String(text)) }
        try self.init(bytes: bytes)
        let hasLower = digits.contains { (0x61...0x66).contains($0) }
        let hasUpper = digits.contains { (0x41...0x46).contains($0) }
        if hasLower && hasUpper {
            let expected = checksummed
            guard String(decoding: digits, as: UTF8.self) == expected.dropFirst(2) else {
                throw .badChecksum(given: String(text), expected: expected)
            }
        }
    }

    /// From the low 20 bytes of a 32-byte word (an indexed event argument or an ABI
    /// `address`), which must have its 12 high bytes zero.
    public init(word: Bytes32) throws(AddressError) {
        guard word.w0 == 0, word.w1 >> 32 == 0 else { throw .dirtyWord(word) }
        self.init(high: UInt32(truncatingIfNeeded: word.w1), middle: word.w2, low: word.w3)
    }

    /// The address as a 32-byte word, left-padded with zeros.
    public var word: Bytes32 { Bytes32(0, UInt64(high), middle, low) }

    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 20)
        out.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: middle.bigEndian, toByteOffset: 4, as: UInt64.self)
            raw.storeBytes(of: low.bigEndian, toByteOffset: 12, as: UInt64.self)
        }
        return out
    }

    /// The address in the low 20 bytes of `hash`, ignoring the 12 high bytes (as for an
    /// address derived from a public key).
    init(lowBytesOf hash: Bytes32) {
        self.init(high: UInt32(truncatingIfNeeded: hash.w1), middle: hash.w2, low: hash.w3)
    }

    /// `0x` + 40 lowercase hex digits, as nodes print addresses.
    public var lowercased: String { Hex.encode(bytes) }

    /// The EIP-55 mixed-case checksum form: hex letter i is upper case when nibble i of
    /// keccak256(lowercase hex digits) is 8 or more.
    public var checksummed: String {
        let lower = Array(Hex.encode(bytes, prefix: false).utf8)
        let hash = Keccak256.hash(lower).bytes
        var out: [UInt8] = [0x30, 0x78]
        for (i, char) in lower.enumerated() {
            let nibble = i % 2 == 0 ? hash[i / 2] >> 4 : hash[i / 2] & 0x0f
            out.append(char >= 0x61 && nibble >= 8 ? char - 0x20 : char)
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { checksummed }

    public static func < (lhs: Address, rhs: Address) -> Bool {
        (lhs.high, lhs.middle, lhs.low) < (rhs.high, rhs.middle, rhs.low)
    }
}

/// Why text or bytes are not an address.
public enum AddressError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case wrongLength(Int)
    case badChecksum(given: String, expected: String)
    case dirtyWord(Bytes32)

    public var description: String {
        switch self {
        case .malformed(let text):
            return "'\(text.prefix(60))' is not an address: expected 0x followed by 40 hex digits"
        case .wrongLength(let count): return "an address has 20 bytes, got \(count)"
        case .badChecksum(let given, let expected):
            return "address \(given) has a wrong EIP-55 checksum (expected \(expected)); check for a typo, or write it in all lowercase"
        case .dirtyWord(let word): return "word \(word) is not an address: its 12 high bytes are not zero"
        }
    }
}
