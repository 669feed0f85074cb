import EthereumCore

/// Why a keystore could not be read, decrypted or written.
///
/// No case carries the passphrase, the derived key or the private key, and no
/// `description` shows them. Values copied from the file (such as an unknown
/// `kdf` name) are shortened before they are shown.
public enum KeystoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The data is not a JSON object.
    case invalidJSON
    /// A required field is absent. The associated value is its path, e.g. `crypto.kdfparams.salt`.
    case missingField(String)
    /// A field is present but unusable: wrong JSON type, bad hex or a wrong length.
    case invalidField(String, FieldProblem)
    /// The file's `version` is not 1 or 3.
    case unsupportedVersion(String)
    /// `crypto.kdf` is neither `scrypt` nor `pbkdf2`.
    case unsupportedKDF(String)
    /// `crypto.cipher` is not `aes-128-ctr` (version 3) or `aes-128-cbc` (version 1).
    case unsupportedCipher(String)
    /// `crypto.kdfparams.prf` is not `hmac-sha256`.
    case unsupportedPRF(String)
    /// The scrypt parameters break RFC 7914's rule n < 2^(128·r/8), which the scrypt of
    /// swift-crypto (BoringSSL) enforces. This is the case of the widely copied example
    /// file with n=262144, r=1, p=8, which go-ethereum accepts. See ``Keystore``.
    case unsupportedScryptParameters(n: Int, r: Int, p: Int)
    /// The key-derivation parameters are invalid (n not a power of two, zero counts,
    /// `dklen` below 32) or beyond ``Keystore/Limits`` (too much memory or CPU time).
    case kdfParametersOutOfBounds(String)
    /// The MAC does not match: the passphrase is wrong, or the file has been altered.
    case wrongPassphrase
    /// The file's `address` differs from the address of the decrypted key.
    case addressMismatch(file: Address, derived: Address)
    /// The decrypted bytes are not a valid secp256k1 private key.
    case invalidPrivateKey
    /// swift-crypto refused an operation that the checks above let through.
    case cryptoFailure(String)

    /// A one-line explanation for operators, free of secrets.
    public var description: String {
        switch self {
        case .invalidJSON:
            return "malformed keystore: not a JSON object"
        case .missingField(let path):
            return "malformed keystore: missing field \(path)"
        case .invalidField(let path, let problem):
            return "malformed keystore: field \(path) \(problem)"
        case .unsupportedVersion(let version):
            return "unsupported keystore version \(Self.clip(version)) (only versions 1 and 3 are read)"
        case .unsupportedKDF(let name):
            return "unsupported key derivation function \(Self.clip(name)) (expected scrypt or pbkdf2)"
        case .unsupportedCipher(let name):
            return "unsupported cipher \(Self.clip(name)) (expected aes-128-ctr, or aes-128-cbc in version-1 files)"
        case .unsupportedPRF(let name):
            return "unsupported PBKDF2 pseudo-random function \(Self.clip(name)) (expected hmac-sha256)"
        case .unsupportedScryptParameters(let n, let r, let p):
            return "unsupported scrypt parameters n=\(n), r=\(r), p=\(p): RFC 7914 requires n < 2^(128·r/8)"
                + " (2^\(16 * r) for r=\(r)) and the scrypt implementation used here (BoringSSL) refuses"
                + " them; go-ethereum accepts these legacy parameters, so re-encrypt the key with"
                + " standard ones (n=262144, r=8, p=1) using another tool"
        case .kdfParametersOutOfBounds(let reason):
            return "key derivation parameters refused: \(reason)"
        case .wrongPassphrase:
            return "wrong passphrase (MAC mismatch), or the keystore file has been altered"
        case .addressMismatch(let file, let derived):
            return "keystore address \(file.checksummed) does not match the decrypted key's address \(derived.checksummed)"
        case .invalidPrivateKey:
            return "the decrypted data is not a valid secp256k1 private key"
        case .cryptoFailure(let what):
            return "cryptographic operation failed: \(what)"
        }
    }

    /// Shortens a value taken from the file so that a hostile file cannot flood the output.
    static func clip(_ text: String) -> String {
        let limit = 40
        let quoted = text.count > limit ? String(text.prefix(limit)) + "…" : text
        return "\"\(quoted)\""
    }
}

/// What is wrong with a field of a keystore file.
public enum FieldProblem: Equatable, Sendable, CustomStringConvertible {
    /// The JSON value has the wrong type (`expected` names the right one).
    case wrongType(expected: String)
    /// A hex string with an odd number of digits or a character that is not a hex digit.
    case invalidHex
    /// Decoded bytes of the wrong length.
    case wrongLength(expected: String, actual: Int)
    /// A number that is out of the representable or meaningful range.
    case outOfRange

    /// The problem as the end of a sentence ("field x …").
    public var description: String {
        switch self {
        case .wrongType(let expected): return "is not \(expected)"
        case .invalidHex: return "is not valid hex"
        case .wrongLength(let expected, let actual): return "has \(actual) bytes, expected \(expected)"
        case .outOfRange: return "is out of range"
        }
    }
}
