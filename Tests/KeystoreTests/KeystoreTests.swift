import EthereumCore
import Foundation
import Keystore
import TestSupport
import Testing

// MARK: - Fixtures

/// A fixed key and passphrase, distinctive enough to be searched for in error messages.
let fixtureKeyHex = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
let fixturePassphrase = "correct horse battery staple 9"
let lightScrypt = KeystoreKDF.scrypt(n: 1024, r: 8, p: 1)

func fixtureKey() throws -> PrivateKey { try PrivateKey(hex: "0x" + fixtureKeyHex) }

/// A keystore of the fixture key, scrypt n=1024 (quick to derive).
func scryptFixture() throws -> Data {
    try Keystore.encrypt(fixtureKey(), passphrase: fixturePassphrase, kdf: lightScrypt)
}

/// A keystore of the fixture key, PBKDF2 with 1000 iterations.
func pbkdf2Fixture() throws -> Data {
    try Keystore.encrypt(fixtureKey(), passphrase: fixturePassphrase, kdf: .pbkdf2(iterations: 1000))
}

func jsonObject(_ data: Data) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

func member(_ object: [String: Any], _ path: String) -> Any? {
    var current: Any? = object
    for key in path.split(separator: ".") { current = (current as? [String: Any])?[String(key)] }
    return current
}

/// `data` with the member at the dotted `path` replaced by `value` (removed when nil).
func modified(_ data: Data, _ path: String, _ value: Any?) throws -> Data {
    func set(_ object: [String: Any], _ keys: ArraySlice<Substring>) -> [String: Any] {
        var object = object
        let key = String(keys.first!)
        if keys.count == 1 {
            object[key] = value
        } else {
            object[key] = set(object[key] as? [String: Any] ?? [:], keys.dropFirst())
        }
        return object
    }
    return try JSONSerialization.data(withJSONObject: set(try jsonObject(data), path.split(separator: ".")[...]))
}

/// The hex string at `path` with its byte number `index` flipped.
func flippingByte(_ data: Data, _ path: String, at index: Int) throws -> Data {
    var bytes = try Hex.decode(try #require(member(try jsonObject(data), path) as? String))
    bytes[index] ^= 0x01
    return try modified(data, path, Hex.encode(bytes, prefix: false))
}

// MARK: - Writing

@Suite("Writing keystores")
struct WritingTests {
    @Test func scryptRoundTripAndLayout() throws {
        let key = try fixtureKey()
        let json = try scryptFixture()
        #expect(try Keystore.decrypt(json: json, passphrase: fixturePassphrase).secretBytes == key.secretBytes)

        let object = try jsonObject(json)
        #expect(Set(object.keys) == ["address", "crypto", "id", "version"])
        #expect(object["version"] as? Int == 3)
        #expect(object["address"] as? String == String(key.address.lowercased.dropFirst(2)))
        let id = try #require(object["id"] as? String)
        #expect(id.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/) != nil)
        #expect(member(object, "crypto.cipher") as? String == "aes-128-ctr")
        #expect(member(object, "crypto.kdf") as? String == "scrypt")
        #expect(member(object, "crypto.kdfparams.n") as? Int == 1024)
        #expect(member(object, "crypto.kdfparams.r") as? Int == 8)
        #expect(member(object, "crypto.kdfparams.p") as? Int == 1)
        #expect(member(object, "crypto.kdfparams.dklen") as? Int == 32)
        #expect((member(object, "crypto.kdfparams.salt") as? String)?.count == 64)
        #expect((member(object, "crypto.cipherparams.iv") as? String)?.count == 32)
        #expect((member(object, "crypto.ciphertext") as? String)?.count == 64)
        #expect((member(object, "crypto.mac") as? String)?.count == 64)
        // go-ethereum's layout: sorted keys, no 0x, no trailing newline.
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.hasPrefix(#"{"address":""#))
        #expect(!text.contains("0x") && !text.hasSuffix("\n"))
    }

    @Test func pbkdf2RoundTrip() throws {
        let json = try pbkdf2Fixture()
        #expect(try Keystore.decrypt(json: json, passphrase: fixturePassphrase).secretBytes == fixtureKey().secretBytes)
        let object = try jsonObject(json)
        #expect(member(object, "crypto.kdf") as? String == "pbkdf2")
        #expect(member(object, "crypto.kdfparams.c") as? Int == 1000)
        #expect(member(object, "crypto.kdfparams.prf") as? String == "hmac-sha256")
        #expect(member(object, "crypto.kdfparams.dklen") as? Int == 32)
    }

    /// The one slow test: go-ethereum's standard parameters are the default.
    @Test func defaultsToGethStandardScrypt() throws {
        let key = PrivateKey.random()
        let json = try Keystore.encrypt(key, passphrase: fixturePassphrase)
        let file = try KeystoreFile(json: json)
        guard case .scrypt(let n, let r, let p, let dklen, let salt) = file.keyDerivation else {
            #expect(Bool(false), Comment(rawValue: "expected scrypt"))
            return
        }
        #expect((n, r, p, dklen, salt.count) == (262_144, 8, 1, 32, 32))
        #expect(try file.decrypt(passphrase: fixturePassphrase).secretBytes == key.secretBytes)
    }

    @Test func saltIvAndIdAreFresh() throws {
        let first = try KeystoreFile(json: scryptFixture())
        let second = try KeystoreFile(json: scryptFixture())
        #expect(first.keyDerivation != second.keyDerivation)  // salts differ
        #expect(first.cipher != second.cipher)  // ivs differ
        #expect(first.id != second.id)
        #expect(first.ciphertext != second.ciphertext)
    }

    @Test(arguments: ["", " ", "pässwörd 🔑", "trailing newline\n", String(repeating: "x", count: 1000)])
    func unusualPassphrasesRoundTrip(_ passphrase: String) throws {
        let json = try Keystore.encrypt(fixtureKey(), passphrase: passphrase, kdf: lightScrypt)
        #expect(try Keystore.decrypt(json: json, passphrase: passphrase).secretBytes == fixtureKey().secretBytes)
    }

    @Test func parsedFileSerialisesBackUnchanged() throws {
        for data in [try scryptFixture(), try pbkdf2Fixture(), try Paths.readVector("\(testdata)/keystore/zzz")] {
            let file = try KeystoreFile(json: data)
            #expect(try KeystoreFile(json: file.jsonData()) == file)
        }
        let v1 = try KeystoreFile(
            json: VectorCase(
                name: "v1", source: .member("\(testdata)/v1_test_vector.json", name: "test1"), passphrase: "g",
                expected: .address("")
            ).keystoreJSON())
        #expect(try KeystoreFile(json: v1.jsonData()) == v1)
    }

    @Test(arguments: [
        (KeystoreKDF.scrypt(n: 262_144, r: 1, p: 8), "legacy"),
        (.scrypt(n: 1000, r: 8, p: 1), "bounds"),
        (.scrypt(n: 1 << 21, r: 8, p: 1), "bounds"),
        (.scrypt(n: 1024, r: 8, p: 0), "bounds"),
        (.pbkdf2(iterations: 0), "bounds"),
    ])
    func refusesBadParameters(_ kdf: KeystoreKDF, _ kind: String) throws {
        let error = try #require(throws: KeystoreError.self) {
            try Keystore.encrypt(fixtureKey(), passphrase: fixturePassphrase, kdf: kdf)
        }
        if kind == "legacy" {
            #expect(error == .unsupportedScryptParameters(n: 262_144, r: 1, p: 8))
        } else {
            guard case .kdfParametersOutOfBounds = error else {
                #expect(Bool(false), Comment(rawValue: "got \(error)"))
                return
            }
        }
    }
}

// MARK: - Reading damaged or hostile files

/// A change to a good file and the error it must cause.
struct Damage: Sendable, CustomTestStringConvertible {
    enum Outcome: Sendable {
        case exactly(KeystoreError)
        case outOfBounds
        case decrypts
    }

    let name: String
    let base: Base
    let change: @Sendable (Data) throws -> Data
    let outcome: Outcome

    enum Base: Sendable { case scrypt, pbkdf2 }

    var testDescription: String { name }

    init(_ name: String, base: Base = .scrypt, _ outcome: Outcome, change: @escaping @Sendable (Data) throws -> Data) {
        self.name = name
        self.base = base
        self.change = change
        self.outcome = outcome
    }

    /// Sets `path` to `value` (removes it when nil).
    init(_ name: String, base: Base = .scrypt, set path: String, to value: (any Sendable)?, _ outcome: Outcome) {
        self.init(name, base: base, outcome) { try modified($0, path, value) }
    }
}

let requiredScryptFields = [
    "version", "crypto", "crypto.cipher", "crypto.cipherparams", "crypto.cipherparams.iv", "crypto.ciphertext",
    "crypto.kdf", "crypto.kdfparams", "crypto.kdfparams.n", "crypto.kdfparams.r", "crypto.kdfparams.p",
    "crypto.kdfparams.dklen", "crypto.kdfparams.salt", "crypto.mac",
]
let requiredPBKDF2Fields = ["crypto.kdfparams.c", "crypto.kdfparams.dklen", "crypto.kdfparams.prf", "crypto.kdfparams.salt"]
let hexFields = ["crypto.cipherparams.iv", "crypto.ciphertext", "crypto.kdfparams.salt", "crypto.mac", "address"]

/// Scrypt parameters: (n, r, p).
func scryptParameters(_ n: Int, _ r: Int, _ p: Int) -> @Sendable (Data) throws -> Data {
    { data in
        var data = try modified(data, "crypto.kdfparams.n", n)
        data = try modified(data, "crypto.kdfparams.r", r)
        return try modified(data, "crypto.kdfparams.p", p)
    }
}

let damages: [Damage] =
    [
        Damage("one ciphertext byte changed", .exactly(.wrongPassphrase)) { try flippingByte($0, "crypto.ciphertext", at: 7) },
        Damage("one mac byte changed", .exactly(.wrongPassphrase)) { try flippingByte($0, "crypto.mac", at: 31) },
        Damage("one salt byte changed", .exactly(.wrongPassphrase)) { try flippingByte($0, "crypto.kdfparams.salt", at: 0) },
        Damage("one pbkdf2 salt byte changed", base: .pbkdf2, .exactly(.wrongPassphrase)) {
            try flippingByte($0, "crypto.kdfparams.salt", at: 3)
        },
        Damage(
            "address of another key", set: "address", to: "289d485d9771714cce91d3393d764e1311907acc",
            .exactly(
                .addressMismatch(
                    file: try! Address("0x289d485d9771714cce91d3393d764e1311907acc"),
                    derived: try! PrivateKey(hex: fixtureKeyHex).address))),
        Damage("address absent", set: "address", to: nil, .decrypts),
        Damage("id absent", set: "id", to: nil, .decrypts),
        Damage("address with 0x and checksum", .decrypts) {
            try modified($0, "address", try PrivateKey(hex: fixtureKeyHex).address.checksummed)
        },
        Damage("crypto spelled Crypto", .decrypts) { data in
            let crypto = try #require(try jsonObject(data)["crypto"] as? [String: Any])
            return try modified(try modified(data, "crypto", nil), "Crypto", crypto)
        },
        Damage("version as a string", set: "version", to: "3", .decrypts),
        Damage("hex with 0x prefix", .decrypts) { data in
            let mac = try #require(member(try jsonObject(data), "crypto.mac") as? String)
            return try modified(data, "crypto.mac", "0x" + mac)
        },
        Damage("not JSON", .exactly(.invalidJSON)) { _ in Data("not json".utf8) },
        Damage("empty", .exactly(.invalidJSON)) { _ in Data() },
        Damage("a JSON array", .exactly(.invalidJSON)) { _ in Data("[]".utf8) },
        Damage("truncated", .exactly(.invalidJSON)) { $0.prefix($0.count / 2) },
        Damage("version 2", set: "version", to: 2, .exactly(.unsupportedVersion("2"))),
        Damage("version 4", set: "version", to: "4", .exactly(.unsupportedVersion("4"))),
        Damage(
            "version true", set: "version", to: true,
            .exactly(.invalidField("version", .wrongType(expected: "a number, found a boolean")))),
        Damage("crypto a string", set: "crypto", to: "x", .exactly(.invalidField("crypto", .wrongType(expected: "an object")))),
        Damage("kdf argon2id", set: "crypto.kdf", to: "argon2id", .exactly(.unsupportedKDF("argon2id"))),
        Damage("cipher aes-256-gcm", set: "crypto.cipher", to: "aes-256-gcm", .exactly(.unsupportedCipher("aes-256-gcm"))),
        Damage(
            "cipher aes-128-cbc in version 3", set: "crypto.cipher", to: "aes-128-cbc",
            .exactly(.unsupportedCipher("aes-128-cbc"))),
        Damage(
            "prf hmac-sha512", base: .pbkdf2, set: "crypto.kdfparams.prf", to: "hmac-sha512",
            .exactly(.unsupportedPRF("hmac-sha512"))),
        Damage(
            "cipher a number", set: "crypto.cipher", to: 128,
            .exactly(.invalidField("crypto.cipher", .wrongType(expected: "a string")))),
        Damage(
            "n a string", set: "crypto.kdfparams.n", to: "1024",
            .exactly(.invalidField("crypto.kdfparams.n", .wrongType(expected: "an integer")))),
        Damage(
            "n a fraction", set: "crypto.kdfparams.n", to: 1024.5,
            .exactly(.invalidField("crypto.kdfparams.n", .wrongType(expected: "an integer")))),
        Damage("n negative", set: "crypto.kdfparams.n", to: -1024, .exactly(.invalidField("crypto.kdfparams.n", .outOfRange))),
        Damage(
            "iv of 15 bytes", set: "crypto.cipherparams.iv", to: String(repeating: "ab", count: 15),
            .exactly(.invalidField("crypto.cipherparams.iv", .wrongLength(expected: "16", actual: 15)))),
        Damage(
            "mac of 31 bytes", set: "crypto.mac", to: String(repeating: "ab", count: 31),
            .exactly(.invalidField("crypto.mac", .wrongLength(expected: "32", actual: 31)))),
        Damage(
            "ciphertext of 33 bytes", set: "crypto.ciphertext", to: String(repeating: "ab", count: 33),
            .exactly(.invalidField("crypto.ciphertext", .wrongLength(expected: "1 to 32", actual: 33)))),
        Damage(
            "ciphertext empty", set: "crypto.ciphertext", to: "",
            .exactly(.invalidField("crypto.ciphertext", .wrongLength(expected: "1 to 32", actual: 0)))),
        Damage(
            "salt empty", set: "crypto.kdfparams.salt", to: "",
            .exactly(.invalidField("crypto.kdfparams.salt", .wrongLength(expected: "1 to 1024", actual: 0)))),
        Damage(
            "address of 19 bytes", set: "address", to: String(repeating: "ab", count: 19),
            .exactly(.invalidField("address", .wrongLength(expected: "20", actual: 19)))),
        // scrypt parameters: the RFC 7914 rule, then the bounds against hostile files.
        Damage(
            "scrypt n=262144 r=1 p=8", .exactly(.unsupportedScryptParameters(n: 262_144, r: 1, p: 8)),
            change: scryptParameters(262_144, 1, 8)),
        Damage(
            "scrypt n=65536 r=1 p=1 (RFC 7914 bound)", .exactly(.unsupportedScryptParameters(n: 65536, r: 1, p: 1)),
            change: scryptParameters(65536, 1, 1)),
        Damage(
            "scrypt n=2^32 r=2 p=1 (RFC 7914 bound)", .exactly(.unsupportedScryptParameters(n: 1 << 32, r: 2, p: 1)),
            change: scryptParameters(1 << 32, 2, 1)),
        Damage(
            "scrypt n=32768 r=1 p=1 is derived (then the MAC differs)", .exactly(.wrongPassphrase),
            change: scryptParameters(32768, 1, 1)),
        Damage(
            "scrypt r=16 p=16 is derived (then the MAC differs)", .exactly(.wrongPassphrase),
            change: scryptParameters(1024, 16, 16)),
        Damage(
            "scrypt r=16 p=1 is derived (then the MAC differs)", .exactly(.wrongPassphrase),
            change: scryptParameters(1024, 16, 1)),
        Damage("version 3.0", set: "version", to: 3.0, .decrypts),
        Damage("scrypt n=1000", .outOfBounds, change: scryptParameters(1000, 8, 1)),
        Damage("scrypt n=1", .outOfBounds, change: scryptParameters(1, 8, 1)),
        Damage("scrypt n=0", .outOfBounds, change: scryptParameters(0, 8, 1)),
        Damage("scrypt r=0", .outOfBounds, change: scryptParameters(1024, 0, 1)),
        Damage("scrypt p=0", .outOfBounds, change: scryptParameters(1024, 8, 0)),
        Damage("scrypt n=2^21", .outOfBounds, change: scryptParameters(1 << 21, 8, 1)),
        Damage("scrypt n=2^62", .outOfBounds, change: scryptParameters(1 << 62, 8, 1)),
        Damage("scrypt r=32", .outOfBounds, change: scryptParameters(1024, 32, 1)),
        Damage("scrypt p=17", .outOfBounds, change: scryptParameters(1024, 8, 17)),
        Damage("scrypt n=2^20 r=8 (1 GiB)", .outOfBounds, change: scryptParameters(1 << 20, 8, 1)),
        Damage("scrypt n=2^19 r=8 p=8 (work 2^25)", .outOfBounds, change: scryptParameters(1 << 19, 8, 8)),
        Damage("scrypt dklen=16", set: "crypto.kdfparams.dklen", to: 16, .outOfBounds),
        Damage("scrypt dklen=65", set: "crypto.kdfparams.dklen", to: 65, .outOfBounds),
        Damage("pbkdf2 c=0", base: .pbkdf2, set: "crypto.kdfparams.c", to: 0, .outOfBounds),
        Damage("pbkdf2 c=10000001", base: .pbkdf2, set: "crypto.kdfparams.c", to: 10_000_001, .outOfBounds),
        Damage("pbkdf2 dklen=31", base: .pbkdf2, set: "crypto.kdfparams.dklen", to: 31, .outOfBounds),
    ]
    + requiredScryptFields.map { path in Damage("missing \(path)", set: path, to: nil, .exactly(.missingField(path))) }
    + requiredPBKDF2Fields.map { path in Damage("missing pbkdf2 \(path)", base: .pbkdf2, set: path, to: nil, .exactly(.missingField(path)))
    }
    + hexFields.flatMap { path in
        [
            Damage("\(path) not hex", set: path, to: "zz" + String(repeating: "00", count: 15), .exactly(.invalidField(path, .invalidHex))),
            Damage("\(path) odd length", set: path, to: "abc", .exactly(.invalidField(path, .invalidHex))),
        ]
    }

@Suite("Reading damaged keystores")
struct DamageTests {
    @Test(arguments: damages)
    func damaged(_ damage: Damage) throws {
        let good = try damage.base == .scrypt ? scryptFixture() : pbkdf2Fixture()
        let json = try damage.change(good)
        switch damage.outcome {
        case .decrypts:
            #expect(try Keystore.decrypt(json: json, passphrase: fixturePassphrase).secretBytes == fixtureKey().secretBytes)
        case .exactly(let expected):
            #expect(throws: expected) { try Keystore.decrypt(json: json, passphrase: fixturePassphrase) }
        case .outOfBounds:
            // Refused while parsing, before any key derivation.
            let error = try #require(throws: KeystoreError.self) { try KeystoreFile(json: json) }
            guard case .kdfParametersOutOfBounds = error else {
                #expect(Bool(false), Comment(rawValue: "expected kdfParametersOutOfBounds, got \(error)"))
                return
            }
        }
    }

    @Test func wrongPassphrase() throws {
        for json in [try scryptFixture(), try pbkdf2Fixture()] {
            for attempt in ["", "wrong", fixturePassphrase + "\n", fixturePassphrase.uppercased()] {
                #expect(throws: KeystoreError.wrongPassphrase) { try Keystore.decrypt(json: json, passphrase: attempt) }
            }
        }
    }

    /// A changed iv is not covered by the MAC: the decrypted key is then wrong, and the
    /// file's address catches it.
    @Test func changedIvIsCaughtByTheAddress() throws {
        let json = try flippingByte(scryptFixture(), "crypto.cipherparams.iv", at: 0)
        let error = try #require(throws: KeystoreError.self) { try Keystore.decrypt(json: json, passphrase: fixturePassphrase) }
        guard case .addressMismatch(let file, _) = error else {
            #expect(Bool(false), Comment(rawValue: "got \(error)"))
            return
        }
        #expect(file == (try fixtureKey().address))
    }
}

// MARK: - Error messages

@Suite("Error messages")
struct ErrorMessageTests {
    /// Every error the damaged files produce, plus a wrong passphrase, says nothing of the
    /// passphrase or the key.
    @Test func descriptionsHoldNoSecrets() throws {
        var errors: [KeystoreError] = []
        for damage in damages {
            let good = try damage.base == .scrypt ? scryptFixture() : pbkdf2Fixture()
            guard let json = try? damage.change(good) else { continue }
            do { _ = try KeystoreFile(json: json).decrypt(passphrase: fixturePassphrase) } catch { errors.append(error) }
        }
        let json = try scryptFixture()
        do { _ = try Keystore.decrypt(json: json, passphrase: "not " + fixturePassphrase) } catch { errors.append(error) }
        #expect(errors.count > 50)
        let key = try fixtureKey()
        let secrets = [fixturePassphrase, fixtureKeyHex, String(fixtureKeyHex.prefix(16)), "horse battery"]
        for error in errors {
            for text in [error.description, String(describing: error), String(reflecting: error)] {
                #expect(!text.isEmpty)
                for secret in secrets { #expect(!text.lowercased().contains(secret.lowercased()), "\(error) shows a secret") }
            }
        }
        #expect(!String(describing: key).contains(fixtureKeyHex))
    }

    @Test func legacyScryptMessageExplainsTheRefusal() {
        let text = KeystoreError.unsupportedScryptParameters(n: 262_144, r: 1, p: 8).description
        #expect(text.contains("n=262144, r=1, p=8"))
        #expect(text.contains("RFC 7914"))
        #expect(text.contains("BoringSSL"))
    }

    @Test func copiedValuesAreShortened() {
        let text = KeystoreError.unsupportedKDF(String(repeating: "a", count: 10_000)).description
        #expect(text.count < 200)
    }
}
