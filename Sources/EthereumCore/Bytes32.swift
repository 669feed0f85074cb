/// Exactly 32 bytes, held as four big-endian 64-bit words so that comparing and hashing
/// need no allocation. The raw type behind hashes, log topics and storage keys.
public struct Bytes32: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    public static let zero = Bytes32(0, 0, 0, 0)

    /// Words in big-endian order: `w0` holds bytes 0...7.
    public init(_ w0: UInt64, _ w1: UInt64, _ w2: UInt64, _ w3: UInt64) {
        self.w0 = w0
        self.w1 = w1
        self.w2 = w2
        self.w3 = w3
    }

    /// From exactly 32 bytes.
    public init(bytes: some Collection<UInt8>) throws(FixedBytesError) {
        guard bytes.count == 32 else { throw .wrongLength(expected: 32, actual: bytes.count) }
        var words = [UInt64](repeating: 0, count: 4)
        for (i, byte) in bytes.enumerated() {
            words[i / 8] = words[i / 8] << 8 | UInt64(byte)
        }
        self.init(words[0], words[1], words[2], words[3])
    }

    /// From `0x` + 64 hex digits.
    public init(hex: some StringProtocol) throws(FixedBytesError) {
        let bytes: [UInt8]
        do { bytes = try Hex.decode(hex, requirePrefix: true) } catch { throw .invalidHex(error) }
        try self.init(bytes: bytes)
    }

    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: w0.bigEndian, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: w1.bigEndian, toByteOffset: 8, as: UInt64.self)
            raw.storeBytes(of: w2.bigEndian, toByteOffset: 16, as: UInt64.self)
            raw.storeBytes(of: w3.bigEndian, toByteOffset: 24, as: UInt64.self)
        }
        return out
    }

    /// `0x` + 64 lowercase hex digits.
    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }

    public static func < (lhs: Bytes32, rhs: Bytes32) -> Bool {
        (lhs.w0, lhs.w1, lhs.w2, lhs.w3) < (rhs.w0, rhs.w1, rhs.w2, rhs.w3)
    }
}

/// Why bytes could not become a fixed-size value.
public enum FixedBytesError: Error, Equatable, Sendable, CustomStringConvertible {
    case wrongLength(expected: Int, actual: Int)
    case invalidHex(HexError)

    public var description: String {
        switch self {
        case .wrongLength(let expected, let actual): return "expected \(expected) bytes, got \(actual)"
        case .invalidHex(let error): return error.description
        }
    }
}

/// A 32-byte value with a meaning of its own (a block hash, a transaction hash), kept as a
/// distinct type so that one can never be passed where the other is expected.
public protocol Bytes32Value: Hashable, Sendable, CustomStringConvertible {
    var raw: Bytes32 { get }
    init(raw: Bytes32)
}

extension Bytes32Value {
    public init(hex: some StringProtocol) throws(FixedBytesError) { self.init(raw: try Bytes32(hex: hex)) }
    public init(bytes: some Collection<UInt8>) throws(FixedBytesError) { self.init(raw: try Bytes32(bytes: bytes)) }
    public var bytes: [UInt8] { raw.bytes }
    public var hex: String { raw.hex }
    public var description: String { raw.hex }
}

/// The hash of a block header.
public struct BlockHash: Bytes32Value {
    public let raw: Bytes32
    public init(raw: Bytes32) { self.raw = raw }
}

/// The hash of a signed transaction: keccak256 of its raw bytes.
public struct TxHash: Bytes32Value {
    public let raw: Bytes32
    public init(raw: Bytes32) { self.raw = raw }
}
