extension PrivateKey {
    /// Signs `message` as `personal_sign` does (EIP-191 version 0x45): RFC 6979, low-s. The
    /// signature's ``Signature/rsv`` is the 65-byte form a wallet would return.
    public func signPersonalMessage(_ message: some Collection<UInt8>) -> Signature {
        sign(digest: PersonalMessage.hash(message))
    }
}
