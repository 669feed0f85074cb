extension Signature {
    /// Parses the 65-byte `r ‖ s ‖ v` form that wallets return from `personal_sign` and
    /// `eth_sign`. `v` is 27 or 28 (the usual form) or 0 or 1 (some hardware wallets and
    /// libraries); anything else is refused rather than guessed at. r and s must lie in
    /// 1...n-1, and s in the lower half (EIP-2): a high-s signature is the malleable twin of
    /// a valid one, and accepting it would let one signature be presented in two forms.
    public init(rsv bytes: some Collection<UInt8>) throws(MessageSignatureError) {
        let bytes = Array(bytes)
        guard bytes.count == 65 else { throw .wrongLength(bytes.count) }
        let yParity: UInt8
        switch bytes[64] {
        case 0, 1: yParity = bytes[64]
        case 27, 28: yParity = bytes[64] - 27
        default: throw .invalidV(bytes[64])
        }
        guard let r = try? UInt256(bigEndian: bytes[0..<32]), let s = try? UInt256(bigEndian: bytes[32..<64]) else {
            throw .wrongLength(bytes.count)
        }
        guard !r.isZero, !s.isZero, r < Secp256k1.order, s < Secp256k1.order else { throw .outOfRange }
        guard s <= Secp256k1.halfOrder else { throw .highS }
        self.init(r: r, s: s, yParity: yParity)
    }

    /// The 65-byte `r ‖ s ‖ v` form with `v` = 27 + parity, as wallets produce it.
    public var rsv: [UInt8] {
        r.bigEndianBytes + s.bigEndianBytes + [27 + yParity]
    }
}

/// Why a message signature was refused. None of the cases carries the message.
public enum MessageSignatureError: Error, Equatable, Sendable, CustomStringConvertible {
    case wrongLength(Int)
    case invalidV(UInt8)
    case outOfRange
    case highS
    case recoveryFailed

    public var description: String {
        switch self {
        case .wrongLength(let count): return "a message signature has 65 bytes (r ‖ s ‖ v), got \(count)"
        case .invalidV(let v): return "signature v is \(v); expected 27 or 28 (or 0 or 1)"
        case .outOfRange: return "signature r and s must be between 1 and the secp256k1 order minus 1"
        case .highS: return "signature s is in the upper half of the curve order (EIP-2); sign again with a low-s signer"
        case .recoveryFailed: return "no signer can be recovered from this signature"
        }
    }
}
