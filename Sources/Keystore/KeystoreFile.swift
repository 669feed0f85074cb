import EthereumCore
import Foundation

/// A parsed Web3 Secret Storage file (version 3, or the legacy version 1), not yet decrypted.
///
/// Parsing checks the structure: every required field, the hex encodings, the lengths of
/// the iv, mac, salt and ciphertext, the names of the KDF, cipher and PRF, and the KDF
/// parameters against ``Keystore/Limits``. Nothing expensive happens until ``decrypt(passphrase:)``.
public struct KeystoreFile: Sendable, Equatable {
    /// The key derivation function and its parameters, as stored in `crypto.kdfparams`.
    public enum KeyDerivation: Sendable, Equatable {
        /// scrypt with cost `n`, block size `r`, parallelism `p`.
        case scrypt(n: Int, r: Int, p: Int, dklen: Int, salt: [UInt8])
        /// PBKDF2 with HMAC-SHA-256 and `iterations` rounds (the file's `c`).
        case pbkdf2(iterations: Int, dklen: Int, salt: [UInt8])
    }

    /// The symmetric cipher and its 16-byte initialisation vector.
    public enum Cipher: Sendable, Equatable {
        /// AES-128 in counter mode with a 128-bit big-endian counter block (version 3).
        case aes128ctr(iv: [UInt8])
        /// AES-128-CBC with PKCS#7 padding, key keccak256(DK[0..<16])[0..<16] (version 1).
        case aes128cbc(iv: [UInt8])
    }

    /// 3, or 1 for the legacy format.
    public let version: Int
    /// The file's `id` (a UUID), when present.
    public let id: String?
    /// The file's `address`, when present; checked against the decrypted key.
    public let address: Address?
    /// How the passphrase is turned into the 32-byte (or longer) derived key DK.
    public let keyDerivation: KeyDerivation
    /// How the private key is encrypted.
    public let cipher: Cipher
    /// The encrypted private key.
    public let ciphertext: [UInt8]
    /// keccak256(DK[16..<32] ‖ ciphertext).
    public let mac: [UInt8]

    /// Builds a file from its parts, checking the same rules as parsing.
    public init(
        version: Int, id: String?, address: Address?, keyDerivation: KeyDerivation,
        cipher: Cipher, ciphertext: [UInt8], mac: [UInt8]
    ) throws(KeystoreError) {
        guard version == 1 || version == 3 else { throw .unsupportedVersion(String(version)) }
        switch (version, cipher) {
        case (3, .aes128ctr(let iv)), (1, .aes128cbc(let iv)):
            guard iv.count == 16 else { throw .invalidField("crypto.cipherparams.iv", .wrongLength(expected: "16", actual: iv.count)) }
        case (3, .aes128cbc): throw .unsupportedCipher("aes-128-cbc")
        default: throw .unsupportedCipher("aes-128-ctr")
        }
        switch cipher {
        case .aes128ctr:
            guard (1...32).contains(ciphertext.count) else {
                throw .invalidField("crypto.ciphertext", .wrongLength(expected: "1 to 32", actual: ciphertext.count))
            }
        case .aes128cbc:
            guard ciphertext.count % 16 == 0, (16...48).contains(ciphertext.count) else {
                throw .invalidField("crypto.ciphertext", .wrongLength(expected: "16, 32 or 48", actual: ciphertext.count))
            }
        }
        guard mac.count == 32 else { throw .invalidField("crypto.mac", .wrongLength(expected: "32", actual: mac.count)) }
        try Keystore.validate(keyDerivation)
        self.version = version
        self.id = id
        self.address = address
        self.keyDerivation = keyDerivation
        self.cipher = cipher
        self.ciphertext = ciphertext
        self.mac = mac
    }

    /// Parses the JSON text of a keystore file.
    ///
    /// The `crypto` member is found whatever its case (version-1 files write `Crypto`);
    /// hex fields may carry a `0x` prefix. `version` may be a number or a string.
    public init(json: Data) throws(KeystoreError) {
        let root: JSONValue
        do { root = try JSONDecoder().decode(JSONValue.self, from: json) } catch { throw .invalidJSON }
        guard case .object = root else { throw .invalidJSON }

        let version: Int
        switch root.member("version") {
        case nil: throw .missingField("version")
        case .integer(let v)?: version = Int(clamping: v)
        case .number(let v)? where v.rounded() == v && abs(v) < 1e9: version = Int(v)
        case .string(let text)?:
            guard let v = Int(text) else { throw .unsupportedVersion(text) }
            version = v
        case let other?: throw .invalidField("version", .wrongType(expected: "a number, found \(other.typeName)"))
        }
        guard version == 1 || version == 3 else { throw .unsupportedVersion(String(version)) }

        guard let crypto = root.member("crypto") else { throw .missingField("crypto") }
        guard case .object = crypto else { throw .invalidField("crypto", .wrongType(expected: "an object")) }

        let cipherName = try Self.string(crypto, "cipher", path: "crypto.cipher")
        let cipherParams = try Self.object(crypto, "cipherparams", path: "crypto.cipherparams")
        let iv = try Self.hex(cipherParams, "iv", path: "crypto.cipherparams.iv")
        let cipher: Cipher
        switch (version, cipherName.lowercased()) {
        case (3, "aes-128-ctr"): cipher = .aes128ctr(iv: iv)
        case (1, "aes-128-cbc"): cipher = .aes128cbc(iv: iv)
        default: throw .unsupportedCipher(cipherName)
        }
        let ciphertext = try Self.hex(crypto, "ciphertext", path: "crypto.ciphertext")

        let kdfName = try Self.string(crypto, "kdf", path: "crypto.kdf")
        let kdfParams = try Self.object(crypto, "kdfparams", path: "crypto.kdfparams")
        let keyDerivation: KeyDerivation
        switch kdfName.lowercased() {
        case "scrypt":
            let n = try Self.integer(kdfParams, "n", path: "crypto.kdfparams.n")
            let r = try Self.integer(kdfParams, "r", path: "crypto.kdfparams.r")
            let p = try Self.integer(kdfParams, "p", path: "crypto.kdfparams.p")
            let dklen = try Self.integer(kdfParams, "dklen", path: "crypto.kdfparams.dklen")
            let salt = try Self.salt(kdfParams)
            keyDerivation = .scrypt(n: n, r: r, p: p, dklen: dklen, salt: salt)
        case "pbkdf2":
            let c = try Self.integer(kdfParams, "c", path: "crypto.kdfparams.c")
            let dklen = try Self.integer(kdfParams, "dklen", path: "crypto.kdfparams.dklen")
            let prf = try Self.string(kdfParams, "prf", path: "crypto.kdfparams.prf")
            guard prf.lowercased() == "hmac-sha256" else { throw .unsupportedPRF(prf) }
            let salt = try Self.salt(kdfParams)
            keyDerivation = .pbkdf2(iterations: c, dklen: dklen, salt: salt)
        default:
            throw .unsupportedKDF(kdfName)
        }
        let mac = try Self.hex(crypto, "mac", path: "crypto.mac")

        var id: String? = nil
        switch root.member("id") {
        case nil, .null?: break
        case .string(let text)?: id = text
        case _?: throw .invalidField("id", .wrongType(expected: "a string"))
        }

        var address: Address? = nil
        switch root.member("address") {
        case nil, .null?: break
        case .string(let text)?:
            let bytes: [UInt8]
            do { bytes = try Hex.decode(text) } catch { throw .invalidField("address", .invalidHex) }
            do { address = try Address(bytes: bytes) } catch {
                throw .invalidField("address", .wrongLength(expected: "20", actual: bytes.count))
            }
        case _?: throw .invalidField("address", .wrongType(expected: "a string"))
        }

        try self.init(
            version: version, id: id, address: address, keyDerivation: keyDerivation,
            cipher: cipher, ciphertext: ciphertext, mac: mac)
    }

    /// Derives the key from `passphrase` (its UTF-8 bytes), checks the MAC in constant time,
    /// decrypts, left-pads a short key with zeros to 32 bytes and, when the file names an
    /// address, checks that it is the key's address.
    ///
    /// - Throws: ``KeystoreError/wrongPassphrase`` when the MAC does not match,
    ///   ``KeystoreError/addressMismatch(file:derived:)``, ``KeystoreError/invalidPrivateKey``.
    public func decrypt(passphrase: String) throws(KeystoreError) -> PrivateKey {
        let derived = try Keystore.deriveKey(passphrase: Array(passphrase.utf8), keyDerivation)
        let expected = Keystore.mac(derivedKey: derived, ciphertext: ciphertext)
        guard Keystore.constantTimeEqual(expected, mac) else { throw .wrongPassphrase }

        var plaintext: [UInt8]
        switch cipher {
        case .aes128ctr(let iv):
            plaintext = try Keystore.aes128ctr(ciphertext, key: Array(derived[0..<16]), iv: iv)
        case .aes128cbc(let iv):
            let key = Array(Keccak256.hash(derived[0..<16]).bytes[0..<16])
            plaintext = try Keystore.aes128cbcDecrypt(ciphertext, key: key, iv: iv)
        }
        defer { Keystore.wipe(&plaintext) }
        guard (1...32).contains(plaintext.count) else { throw .invalidPrivateKey }
        var padded = [UInt8](repeating: 0, count: 32 - plaintext.count) + plaintext
        defer { Keystore.wipe(&padded) }
        let key: PrivateKey
        do { key = try PrivateKey(bytes: padded) } catch { throw .invalidPrivateKey }
        if let address {
            let derivedAddress = key.address
            guard derivedAddress == address else { throw .addressMismatch(file: address, derived: derivedAddress) }
        }
        return key
    }

    // MARK: - Field readers

    private static func field(_ object: JSONValue, _ key: String, path: String) throws(KeystoreError) -> JSONValue {
        guard let value = object.member(key), value != .null else { throw .missingField(path) }
        return value
    }

    private static func string(_ object: JSONValue, _ key: String, path: String) throws(KeystoreError) -> String {
        guard case .string(let text) = try field(object, key, path: path) else {
            throw .invalidField(path, .wrongType(expected: "a string"))
        }
        return text
    }

    private static func object(_ object: JSONValue, _ key: String, path: String) throws(KeystoreError) -> JSONValue {
        let value = try field(object, key, path: path)
        guard case .object = value else { throw .invalidField(path, .wrongType(expected: "an object")) }
        return value
    }

    private static func integer(_ object: JSONValue, _ key: String, path: String) throws(KeystoreError) -> Int {
        switch try field(object, key, path: path) {
        case .integer(let value):
            guard value >= 0, let int = Int(exactly: value) else { throw .invalidField(path, .outOfRange) }
            return int
        case .number(let value):
            // A whole number written with a fraction or exponent (e.g. 262144.0) is accepted.
            guard value.rounded() == value else { throw .invalidField(path, .wrongType(expected: "an integer")) }
            guard value >= 0, value <= Double(1 << 52), let int = Int(exactly: value) else {
                throw .invalidField(path, .outOfRange)
            }
            return int
        default:
            throw .invalidField(path, .wrongType(expected: "an integer"))
        }
    }

    private static func hex(_ object: JSONValue, _ key: String, path: String) throws(KeystoreError) -> [UInt8] {
        let text = try string(object, key, path: path)
        do { return try Hex.decode(text) } catch { throw .invalidField(path, .invalidHex) }
    }

    private static func salt(_ kdfParams: JSONValue) throws(KeystoreError) -> [UInt8] {
        try hex(kdfParams, "salt", path: "crypto.kdfparams.salt")
    }
}
