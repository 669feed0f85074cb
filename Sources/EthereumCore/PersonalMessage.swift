/// EIP-191 version 0x45, the `personal_sign` message format: a wallet signs
/// keccak256("\u{19}Ethereum Signed Message:\n" ‖ decimal byte length ‖ message). The prefix
/// keeps such a signature from ever being a valid transaction signature, which is why a
/// wallet can be asked to sign a payment statement without risk to its funds.
///
/// The message is the exact bytes the wallet signed: for text, its UTF-8 bytes; wallets that
/// receive a `0x`-hex `personal_sign` parameter sign the decoded bytes.
public enum PersonalMessage {
    /// The bytes before the length: 0x19 then "Ethereum Signed Message:\n".
    public static let prefix: [UInt8] = [0x19] + Array("Ethereum Signed Message:\n".utf8)

    /// The digest a wallet signs for `message`.
    public static func hash(_ message: some Collection<UInt8>) -> Bytes32 {
        var hasher = Keccak256()
        hasher.update(prefix)
        hasher.update(Array(String(message.count).utf8))
        hasher.update(message)
        return hasher.finalize()
    }

    /// The digest a wallet signs for the UTF-8 bytes of `text`.
    public static func hash(text: String) -> Bytes32 {
        hash(Array(text.utf8))
    }

    /// The address that signed `message`, from a 65-byte `r ‖ s ‖ v` signature (see
    /// ``Signature/init(rsv:)`` for what is refused). Any well-formed signature recovers
    /// *some* address: the caller must compare it with the address it expects.
    public static func recoverSigner(
        of message: some Collection<UInt8>, signature: some Collection<UInt8>
    ) throws(MessageSignatureError) -> Address {
        try recoverSigner(of: message, signature: try Signature(rsv: signature))
    }

    /// The address that signed `message` with `signature`. High-s signatures are refused here
    /// too, whichever way the signature was built.
    public static func recoverSigner(
        of message: some Collection<UInt8>, signature: Signature
    ) throws(MessageSignatureError) -> Address {
        guard signature.yParity <= 1 else { throw .invalidV(signature.yParity) }
        guard !signature.r.isZero, !signature.s.isZero, signature.r < Secp256k1.order, signature.s < Secp256k1.order else {
            throw .outOfRange
        }
        guard signature.s <= Secp256k1.halfOrder else { throw .highS }
        do {
            return try signature.recoverAddress(digest: hash(message))
        } catch {
            throw .recoveryFailed
        }
    }
}
