import Crypto
import CryptoExtras
import EthereumCore
import Foundation

/// Reads and writes Web3 Secret Storage keystores, the encrypted key files of go-ethereum
/// and ethers.
///
/// Reading accepts version 3 (scrypt or PBKDF2-HMAC-SHA-256, AES-128-CTR) and the legacy
/// version 1 (AES-128-CBC). The MAC, keccak256(DK[16..<32] ‖ ciphertext), is compared in
/// constant time before anything is decrypted. Writing produces version 3 with scrypt at
/// go-ethereum's standard cost (n=262144, r=8, p=1), a random 32-byte salt, a random
/// 16-byte iv and a random UUID v4 `id`.
///
/// scrypt, PBKDF2 and AES all come from swift-crypto (BoringSSL). Two decisions follow:
///
/// - **n=262144, r=1, p=8 is refused.** These parameters appear in the original
///   specification's example and in files derived from it. RFC 7914 requires
///   n < 2^(128·r/8), i.e. n < 2^16 when r=1, and BoringSSL enforces that rule.
///   Rather than carry a second, hand-written scrypt, such files are rejected with
///   ``KeystoreError/unsupportedScryptParameters(n:r:p:)``, whose message says why.
///   Any parameters with r ≤ 3 and n ≥ 2^(16·r) get the same error.
/// - **Costs are bounded** (see ``Limits``), because the parameters come from the file and
///   a hostile file could otherwise ask for gigabytes of memory or hours of CPU before the
///   MAC check can fail: scrypt n ≤ 2^20, r ≤ 16, p ≤ 16, memory 128·n·r ≤ 512 MiB and
///   n·r·p ≤ 2^24 (eight times go-ethereum's standard work); PBKDF2 at most 10,000,000
///   iterations; `dklen` 32…64; salt 1…1024 bytes. r stops at 16 because swift-crypto
///   sizes BoringSSL's memory budget as 128·n·r·p plus one page, which is too small for
///   p=1 and r > 16.
public enum Keystore {
    /// Bounds on the key-derivation parameters accepted when reading or writing.
    public enum Limits {
        /// Largest scrypt cost n (2^20).
        public static let maxScryptN = 1 << 20
        /// Largest scrypt block size r.
        public static let maxScryptR = 16
        /// Largest scrypt parallelism p.
        public static let maxScryptP = 16
        /// Largest scrypt working memory, 128·n·r bytes (512 MiB).
        public static let maxScryptMemoryBytes = 512 << 20
        /// Largest scrypt work n·r·p (2^24; go-ethereum's standard is 2^21).
        public static let maxScryptWork = 1 << 24
        /// Largest PBKDF2 iteration count.
        public static let maxPBKDF2Iterations = 10_000_000
        /// Accepted lengths of the derived key (`dklen`).
        public static let derivedKeyLengths = 32...64
        /// Largest salt, in bytes.
        public static let maxSaltBytes = 1024
    }

    /// Decrypts the keystore file `json` with `passphrase` (used as its UTF-8 bytes).
    ///
    /// - Throws: ``KeystoreError``: ``KeystoreError/wrongPassphrase`` on a MAC mismatch,
    ///   the `invalid…`/`missing…`/`unsupported…` cases for malformed files,
    ///   ``KeystoreError/unsupportedScryptParameters(n:r:p:)`` and
    ///   ``KeystoreError/kdfParametersOutOfBounds(_:)`` for refused parameters.
    public static func decrypt(json: Data, passphrase: String) throws(KeystoreError) -> PrivateKey {
        try KeystoreFile(json: json).decrypt(passphrase: passphrase)
    }

    /// Encrypts `key` into a version-3 keystore file and returns its JSON text (no trailing
    /// newline), laid out as go-ethereum writes it: sorted keys, `address` in lowercase hex
    /// without `0x`, `version` 3.
    ///
    /// - Parameter kdf: ``KeystoreKDF/standardScrypt`` (n=262144, r=8, p=1, about a second
    ///   and 256 MiB) unless lighter parameters are wanted, e.g. in tests.
    public static func encrypt(
        _ key: PrivateKey, passphrase: String, kdf: KeystoreKDF = .standardScrypt
    ) throws(KeystoreError) -> Data {
        let salt = randomBytes(32)
        let iv = randomBytes(16)
        let keyDerivation: KeystoreFile.KeyDerivation
        switch kdf {
        case .scrypt(let n, let r, let p): keyDerivation = .scrypt(n: n, r: r, p: p, dklen: 32, salt: salt)
        case .pbkdf2(let iterations): keyDerivation = .pbkdf2(iterations: iterations, dklen: 32, salt: salt)
        }
        try validate(keyDerivation)
        var derived = try deriveKey(passphrase: Array(passphrase.utf8), keyDerivation)
        defer { wipe(&derived) }
        var secret = key.secretBytes
        defer { wipe(&secret) }
        let ciphertext = try aes128ctr(secret, key: Array(derived[0..<16]), iv: iv)
        let file = try KeystoreFile(
            version: 3, id: UUID().uuidString.lowercased(), address: key.address,
            keyDerivation: keyDerivation, cipher: .aes128ctr(iv: iv), ciphertext: ciphertext,
            mac: mac(derivedKey: derived, ciphertext: ciphertext))
        return file.jsonData()
    }

    // MARK: - Checks and primitives shared by reading and writing

    /// Checks key-derivation parameters against the rules above and ``Limits``.
    static func validate(_ keyDerivation: KeystoreFile.KeyDerivation) throws(KeystoreError) {
        let salt: [UInt8]
        let dklen: Int
        switch keyDerivation {
        case .scrypt(let n, let r, let p, let length, let s):
            salt = s
            dklen = length
            guard n >= 2, n & (n - 1) == 0 else {
                throw .kdfParametersOutOfBounds("scrypt n=\(n) is not a power of two of at least 2")
            }
            guard r >= 1, p >= 1 else { throw .kdfParametersOutOfBounds("scrypt r and p must be at least 1") }
            // RFC 7914: n < 2^(128·r/8). Only r ≤ 3 can reach it with n ≤ 2^62.
            if r <= 3 && n >= 1 << (16 * r) { throw .unsupportedScryptParameters(n: n, r: r, p: p) }
            guard n <= Limits.maxScryptN else {
                throw .kdfParametersOutOfBounds("scrypt n=\(n) is above the limit of 2^20")
            }
            guard r <= Limits.maxScryptR else {
                throw .kdfParametersOutOfBounds("scrypt r=\(r) is above the limit of \(Limits.maxScryptR)")
            }
            guard p <= Limits.maxScryptP else {
                throw .kdfParametersOutOfBounds("scrypt p=\(p) is above the limit of \(Limits.maxScryptP)")
            }
            guard 128 * n * r <= Limits.maxScryptMemoryBytes else {
                throw .kdfParametersOutOfBounds(
                    "scrypt n=\(n), r=\(r) needs \(128 * n * r >> 20) MiB of memory, above the limit of \(Limits.maxScryptMemoryBytes >> 20) MiB"
                )
            }
            guard n * r * p <= Limits.maxScryptWork else {
                throw .kdfParametersOutOfBounds(
                    "scrypt n·r·p = \(n * r * p) is above the limit of 2^24 (eight times go-ethereum's standard cost)")
            }
        case .pbkdf2(let iterations, let length, let s):
            salt = s
            dklen = length
            guard (1...Limits.maxPBKDF2Iterations).contains(iterations) else {
                throw .kdfParametersOutOfBounds(
                    "PBKDF2 iteration count c=\(iterations) is outside 1...\(Limits.maxPBKDF2Iterations)")
            }
        }
        guard Limits.derivedKeyLengths.contains(dklen) else {
            throw .kdfParametersOutOfBounds(
                "dklen=\(dklen) is outside \(Limits.derivedKeyLengths.lowerBound)...\(Limits.derivedKeyLengths.upperBound)")
        }
        guard (1...Limits.maxSaltBytes).contains(salt.count) else {
            throw .invalidField(
                "crypto.kdfparams.salt", .wrongLength(expected: "1 to \(Limits.maxSaltBytes)", actual: salt.count))
        }
    }

    /// Runs the key derivation function (parameters already validated).
    static func deriveKey(passphrase: [UInt8], _ keyDerivation: KeystoreFile.KeyDerivation) throws(KeystoreError) -> [UInt8] {
        var passphrase = passphrase
        defer { wipe(&passphrase) }
        let key: SymmetricKey
        switch keyDerivation {
        case .scrypt(let n, let r, let p, let dklen, let salt):
            do {
                key = try KDF.Scrypt.deriveKey(
                    from: passphrase, salt: salt, outputByteCount: dklen, rounds: n, blockSize: r, parallelism: p)
            } catch {
                throw .cryptoFailure("scrypt refused n=\(n), r=\(r), p=\(p)")
            }
        case .pbkdf2(let iterations, let dklen, let salt):
            do {
                key = try KDF.Insecure.PBKDF2.deriveKey(
                    from: passphrase, salt: salt, using: .sha256, outputByteCount: dklen,
                    unsafeUncheckedRounds: iterations)
            } catch {
                throw .cryptoFailure("PBKDF2 refused c=\(iterations)")
            }
        }
        return key.withUnsafeBytes { Array($0) }
    }

    /// keccak256(DK[16..<32] ‖ ciphertext).
    static func mac(derivedKey: [UInt8], ciphertext: [UInt8]) -> [UInt8] {
        var hasher = Keccak256()
        hasher.update(derivedKey[16..<32])
        hasher.update(ciphertext)
        return hasher.finalize().bytes
    }

    /// Compares two byte strings in time that depends only on their lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    /// AES-128-CTR with the iv as the initial 128-bit big-endian counter block (it wraps
    /// from ff…ff to 00…00). Encryption and decryption are the same operation.
    static func aes128ctr(_ input: [UInt8], key: [UInt8], iv: [UInt8]) throws(KeystoreError) -> [UInt8] {
        do {
            let nonce = try AES._CTR.Nonce(nonceBytes: iv)
            return Array(try AES._CTR.encrypt(input, using: SymmetricKey(data: key), nonce: nonce))
        } catch {
            throw .cryptoFailure("AES-128-CTR")
        }
    }

    /// AES-128-CBC decryption with PKCS#7 padding removed. Bad padding (after a good MAC)
    /// means the plaintext is not a key.
    static func aes128cbcDecrypt(_ input: [UInt8], key: [UInt8], iv: [UInt8]) throws(KeystoreError) -> [UInt8] {
        let ivValue: AES._CBC.IV
        do { ivValue = try AES._CBC.IV(ivBytes: iv) } catch { throw .cryptoFailure("AES-128-CBC iv") }
        do {
            return Array(try AES._CBC.decrypt(input, using: SymmetricKey(data: key), iv: ivValue))
        } catch {
            throw .invalidPrivateKey
        }
    }

    /// Best-effort overwrite of secret bytes before they are released.
    static func wipe(_ bytes: inout [UInt8]) {
        for i in bytes.indices { bytes[i] = 0 }
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}

/// The key derivation function used when writing a keystore.
public enum KeystoreKDF: Sendable, Equatable {
    /// scrypt with cost `n` (a power of two), block size `r` and parallelism `p`; dklen 32.
    case scrypt(n: Int, r: Int, p: Int)
    /// PBKDF2-HMAC-SHA-256 with `iterations` rounds; dklen 32.
    case pbkdf2(iterations: Int)

    /// go-ethereum's standard parameters: scrypt n=262144, r=8, p=1.
    public static let standardScrypt = KeystoreKDF.scrypt(n: 262_144, r: 8, p: 1)
}

extension KeystoreFile {
    /// The file as JSON text in go-ethereum's layout: keys sorted, hex without `0x`,
    /// `address` lowercase, `version` a number.
    public func jsonData() -> Data {
        let kdfName: String
        let kdfParams: [String: JSONValue]
        switch keyDerivation {
        case .scrypt(let n, let r, let p, let dklen, let salt):
            kdfName = "scrypt"
            kdfParams = [
                "n": .integer(Int64(n)), "r": .integer(Int64(r)), "p": .integer(Int64(p)),
                "dklen": .integer(Int64(dklen)), "salt": .string(Hex.encode(salt, prefix: false)),
            ]
        case .pbkdf2(let iterations, let dklen, let salt):
            kdfName = "pbkdf2"
            kdfParams = [
                "c": .integer(Int64(iterations)), "dklen": .integer(Int64(dklen)),
                "prf": .string("hmac-sha256"), "salt": .string(Hex.encode(salt, prefix: false)),
            ]
        }
        let cipherName: String
        let iv: [UInt8]
        switch cipher {
        case .aes128ctr(let value): (cipherName, iv) = ("aes-128-ctr", value)
        case .aes128cbc(let value): (cipherName, iv) = ("aes-128-cbc", value)
        }
        let crypto: [String: JSONValue] = [
            "cipher": .string(cipherName),
            "ciphertext": .string(Hex.encode(ciphertext, prefix: false)),
            "cipherparams": .object(["iv": .string(Hex.encode(iv, prefix: false))]),
            "kdf": .string(kdfName),
            "kdfparams": .object(kdfParams),
            "mac": .string(Hex.encode(mac, prefix: false)),
        ]
        var root: [String: JSONValue] = ["crypto": .object(crypto), "version": .integer(Int64(version))]
        if let id { root["id"] = .string(id) }
        if let address { root["address"] = .string(String(address.lowercased.dropFirst(2))) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings, integers and objects cannot fail.
        return (try? encoder.encode(JSONValue.object(root))) ?? Data()
    }
}
