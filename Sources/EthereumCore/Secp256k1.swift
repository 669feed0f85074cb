import CSecp256k1

/// The shared libsecp256k1 context. Created once and randomized against side channels;
/// libsecp256k1 contexts are safe to use from many threads once set up.
final class Secp256k1Context: @unchecked Sendable {
    static let shared = Secp256k1Context()

    let pointer: OpaquePointer

    private init() {
        pointer = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE))!
        var seed = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for i in 0..<32 { seed[i] = generator.next() }
        _ = secp256k1_context_randomize(pointer, seed)
    }
}

/// The order n of the secp256k1 group.
public enum Secp256k1 {
    public static let order = try! UInt256(hex: "0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141")
    /// n / 2: signatures with `s` above this are malleable and rejected (EIP-2).
    public static let halfOrder = try! UInt256(hex: "0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0")
}

/// A secp256k1 private key. Its `description` never shows the key.
public struct PrivateKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    private let secret: [UInt8]

    /// From 32 bytes with 0 < k < n.
    public init(bytes: some Collection<UInt8>) throws(SigningError) {
        guard bytes.count == 32 else { throw .invalidPrivateKey }
        let secret = Array(bytes)
        guard secp256k1_ec_seckey_verify(Secp256k1Context.shared.pointer, secret) == 1 else { throw .invalidPrivateKey }
        self.secret = secret
    }

    /// From `0x` + 64 hex digits (surrounding white space, such as a file's trailing newline, is ignored).
    public init(hex text: String) throws(SigningError) {
        let trimmed = text.trimmingWhitespace()
        guard let bytes = try? Hex.decode(trimmed), bytes.count == 32 else { throw .invalidPrivateKey }
        try self.init(bytes: bytes)
    }

    /// A fresh random key from the system's secure generator.
    public static func random() -> PrivateKey {
        var generator = SystemRandomNumberGenerator()
        while true {
            let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if let key = try? PrivateKey(bytes: bytes) { return key }
        }
    }

    /// The raw key bytes. Handle with care: never log or store them unencrypted.
    public var secretBytes: [UInt8] { secret }

    /// The 64-byte uncompressed public key (x ‖ y, without the 0x04 prefix).
    public var publicKey: PublicKey {
        let ctx = Secp256k1Context.shared.pointer
        var pubkey = secp256k1_pubkey()
        precondition(secp256k1_ec_pubkey_create(ctx, &pubkey, secret) == 1)
        return PublicKey(pubkey)
    }

    public var address: Address { publicKey.address }

    /// Signs a 32-byte digest: RFC 6979 deterministic nonce, low-S, with the recovery id.
    public func sign(digest: Bytes32) -> Signature {
        let ctx = Secp256k1Context.shared.pointer
        var signature = secp256k1_ecdsa_recoverable_signature()
        let message = digest.bytes
        precondition(secp256k1_ecdsa_sign_recoverable(ctx, &signature, message, secret, nil, nil) == 1)
        var compact = [UInt8](repeating: 0, count: 64)
        var recoveryId: Int32 = 0
        secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, &compact, &recoveryId, &signature)
        return Signature(
            r: try! UInt256(bigEndian: compact[0..<32]), s: try! UInt256(bigEndian: compact[32..<64]),
            yParity: UInt8(recoveryId))
    }

    public var description: String { "PrivateKey(<redacted>)" }
    public var debugDescription: String { description }
}

/// A secp256k1 public key.
public struct PublicKey: Hashable, Sendable {
    /// x ‖ y, 64 bytes.
    public let uncompressed: [UInt8]

    init(_ pubkey: secp256k1_pubkey) {
        var pubkey = pubkey
        var out = [UInt8](repeating: 0, count: 65)
        var length = 65
        secp256k1_ec_pubkey_serialize(Secp256k1Context.shared.pointer, &out, &length, &pubkey, UInt32(SECP256K1_EC_UNCOMPRESSED))
        uncompressed = Array(out[1...])
    }

    /// The account address: the last 20 bytes of keccak256(x ‖ y).
    public var address: Address {
        Address(lowBytesOf: Keccak256.hash(uncompressed))
    }
}

/// An ECDSA signature with the parity of R's y coordinate (Ethereum's `yParity`, 0 or 1).
public struct Signature: Hashable, Sendable {
    public let r: UInt256
    public let s: UInt256
    public let yParity: UInt8

    public init(r: UInt256, s: UInt256, yParity: UInt8) {
        self.r = r
        self.s = s
        self.yParity = yParity
    }

    /// Recovers the public key that made this signature over `digest`.
    /// Requires 0 < r, s < n and a parity of 0 or 1; high `s` is accepted here
    /// (transaction rules reject it separately).
    public func recoverPublicKey(digest: Bytes32) throws(SigningError) -> PublicKey {
        guard yParity <= 1, !r.isZero, !s.isZero, r < Secp256k1.order, s < Secp256k1.order else {
            throw .invalidSignature
        }
        let ctx = Secp256k1Context.shared.pointer
        var parsed = secp256k1_ecdsa_recoverable_signature()
        let compact = r.bigEndianBytes + s.bigEndianBytes
        guard secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &parsed, compact, Int32(yParity)) == 1 else {
            throw .invalidSignature
        }
        var pubkey = secp256k1_pubkey()
        guard secp256k1_ecdsa_recover(ctx, &pubkey, &parsed, digest.bytes) == 1 else { throw .recoveryFailed }
        return PublicKey(pubkey)
    }

    public func recoverAddress(digest: Bytes32) throws(SigningError) -> Address {
        try recoverPublicKey(digest: digest).address
    }
}

/// Signing and recovery failures. None of them carries key material.
public enum SigningError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidPrivateKey
    case invalidSignature
    case recoveryFailed
    case invalidPublicKey

    public var description: String {
        switch self {
        case .invalidPrivateKey: return "invalid private key: expected 32 bytes (0x + 64 hex digits) with 0 < key < secp256k1 order"
        case .invalidSignature: return "invalid signature: r and s must be in 1...n-1 and the parity 0 or 1"
        case .recoveryFailed: return "no public key can be recovered from this signature"
        case .invalidPublicKey: return "invalid public key: not a point on secp256k1"
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }
        return String(self.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}

extension PublicKey {
    /// Parses a serialized public key: 65 bytes `04 ‖ x ‖ y`, or 33 bytes compressed.
    public init(serialized bytes: [UInt8]) throws(SigningError) {
        var pubkey = secp256k1_pubkey()
        guard secp256k1_ec_pubkey_parse(Secp256k1Context.shared.pointer, &pubkey, bytes, bytes.count) == 1 else {
            throw .invalidPublicKey
        }
        self.init(pubkey)
    }

    /// Verifies a DER-encoded ECDSA signature over a 32-byte digest. Like Ethereum (EIP-2)
    /// and Bitcoin, a signature with high `s` is not valid.
    public func isValidSignature(der: [UInt8], digest: Bytes32) -> Bool {
        let ctx = Secp256k1Context.shared.pointer
        var signature = secp256k1_ecdsa_signature()
        guard secp256k1_ecdsa_signature_parse_der(ctx, &signature, der, der.count) == 1 else { return false }
        var pubkey = secp256k1_pubkey()
        let serialized = [UInt8(4)] + uncompressed
        guard secp256k1_ec_pubkey_parse(ctx, &pubkey, serialized, serialized.count) == 1 else { return false }
        return secp256k1_ecdsa_verify(ctx, &signature, digest.bytes, &pubkey) == 1
    }
}
