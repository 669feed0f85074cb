import EthereumCore
import Foundation
import Keystore
import TestSupport
import Testing

/// What a keystore vector must give.
enum Expectation: Sendable {
    /// Decrypts to this private key (64 hex digits); when `address` is given (from the
    /// vector's own data), the key's address must be exactly that.
    case key(hex: String, address: String?)
    /// Decrypts to a key with this address (the vector gives no private key).
    case address(String)
    /// Fails with exactly this error.
    case failure(KeystoreError)
}

/// Where a vector's keystore JSON comes from.
enum Source: Sendable {
    /// A whole file.
    case file(String)
    /// The `json` member of case `name` in a `{name: {json, password, priv}}` file.
    case member(String, name: String)
    /// The `index`-th (0-based) fenced ```json block of a Markdown file.
    case markdown(String, block: Int)
}

struct VectorCase: Sendable, CustomTestStringConvertible {
    let name: String
    let source: Source
    let passphrase: String
    let expected: Expectation

    var testDescription: String { name }

    func keystoreJSON() throws -> Data {
        switch source {
        case .file(let path):
            return try Paths.readVector(path)
        case .member(let path, let name):
            let all = try #require(try JSONSerialization.jsonObject(with: Paths.readVector(path)) as? [String: Any])
            let entry = try #require(all[name] as? [String: Any], "no case \(name) in \(path)")
            let json = try #require(entry["json"], "no json in \(name)")
            return try JSONSerialization.data(withJSONObject: json)
        case .markdown(let path, let block):
            let text = String(decoding: try Paths.readVector(path), as: UTF8.self)
            let blocks = jsonBlocks(in: text)
            try #require(block < blocks.count, "\(path) has only \(blocks.count) json blocks")
            return Data(blocks[block].utf8)
        }
    }

    /// The passphrase and private key given by the vector's own file, when it has them
    /// (a check that the table below was copied correctly).
    func vectorPasswordAndKey() throws -> (String, String)? {
        guard case .member(let path, let name) = source else { return nil }
        let all = try #require(try JSONSerialization.jsonObject(with: Paths.readVector(path)) as? [String: Any])
        let entry = try #require(all[name] as? [String: Any])
        return (try #require(entry["password"] as? String), try #require(entry["priv"] as? String))
    }
}

/// The contents of the ```json fenced blocks of a Markdown text, in order.
func jsonBlocks(in markdown: String) -> [String] {
    var blocks: [String] = []
    var current: [Substring]? = nil
    for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if current == nil {
            if trimmed == "```json" { current = [] }
        } else if trimmed == "```" {
            blocks.append(current!.joined(separator: "\n"))
            current = nil
        } else {
            current!.append(line)
        }
    }
    return blocks
}

let testdata = "go-ethereum/accounts/keystore/testdata"
let gethV3 = "\(testdata)/v3_test_vector.json"
let basicTests = "ethereum-tests/KeyStoreTests/basic_tests.json"
let wikiPage = "ethereum-wiki/Web3-Secret-Storage-Definition.md"
let orgPage = "ethereum-org-website/public/content/developers/docs/data-structures-and-encoding/web3-secret-storage/index.md"

/// The secret and address of the specification's example (both pages, several files).
let specSecret = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d"
let specAddress = "0x008aeeda4d805471df9b2a5b0f38a0c3bcba786b"
/// The legacy scrypt parameters that BoringSSL refuses (RFC 7914: n < 2^16 when r = 1).
let legacyScrypt = KeystoreError.unsupportedScryptParameters(n: 262_144, r: 1, p: 8)

let vectorCases: [VectorCase] = [
    // go-ethereum accounts/keystore/testdata/v3_test_vector.json
    VectorCase(
        name: "geth v3 wikipage_test_vector_scrypt (r=1, p=8)", source: .member(gethV3, name: "wikipage_test_vector_scrypt"),
        passphrase: "testpassword", expected: .failure(legacyScrypt)),
    VectorCase(
        name: "geth v3 wikipage_test_vector_pbkdf2", source: .member(gethV3, name: "wikipage_test_vector_pbkdf2"),
        passphrase: "testpassword", expected: .key(hex: specSecret, address: specAddress)),
    VectorCase(
        name: "geth v3 31_byte_key", source: .member(gethV3, name: "31_byte_key"), passphrase: "foo",
        expected: .key(hex: "00fa7b3db73dc7dfdf8c5fbdb796d741e4488628c41fc4febd9160a866ba0f35", address: nil)),
    VectorCase(
        name: "geth v3 30_byte_key", source: .member(gethV3, name: "30_byte_key"), passphrase: "foo",
        expected: .key(hex: "000081c29e8142bb6a81bef5a92bda7a8328a5c85bb2f9542e76f9b0f94fc018", address: nil)),
    // go-ethereum v1 (aes-128-cbc, "Crypto"); the address is the file's own `address` field.
    VectorCase(
        name: "geth v1 test1", source: .member("\(testdata)/v1_test_vector.json", name: "test1"), passphrase: "g",
        expected: .key(
            hex: "d1b1178d3529626a1a93e073f65028370d14c7eb0936eb42abef05db6f37ad7d",
            address: "0xcb61d5a9c4896fb9658090b597ef0e7be6f7b67e")),
    VectorCase(
        name: "geth very-light-scrypt (empty passphrase)", source: .file("\(testdata)/very-light-scrypt.json"),
        passphrase: "", expected: .address("0x45dea0fb0bba44f4fcf290bba71fd57d7117cbb8")),
    VectorCase(
        name: "geth keystore/aaa", source: .file("\(testdata)/keystore/aaa"), passphrase: "foobar",
        expected: .address("0xf466859ead1932d743d622cb74fc058882e8648a")),
    VectorCase(
        name: "geth keystore/zzz", source: .file("\(testdata)/keystore/zzz"), passphrase: "foobar",
        expected: .address("0x289d485d9771714cce91d3393d764e1311907acc")),
    VectorCase(
        name: "geth keystore/UTC--…--7ef5a613…",
        source: .file("\(testdata)/keystore/UTC--2016-03-22T12-57-55.920751759Z--7ef5a6135f1fd6a02593eedc869c6d41d934aef8"),
        passphrase: "foobar", expected: .address("0x7ef5a6135f1fd6a02593eedc869c6d41d934aef8")),
    // ethereum/tests KeyStoreTests/basic_tests.json
    VectorCase(
        name: "ethereum-tests test1 (pbkdf2)", source: .member(basicTests, name: "test1"), passphrase: "testpassword",
        expected: .key(hex: specSecret, address: specAddress)),
    VectorCase(
        name: "ethereum-tests test2 (scrypt r=1, p=8)", source: .member(basicTests, name: "test2"),
        passphrase: "testpassword", expected: .failure(legacyScrypt)),
    VectorCase(
        name: "ethereum-tests python_generated_test_with_odd_iv", source: .member(basicTests, name: "python_generated_test_with_odd_iv"),
        passphrase: "foo", expected: .key(hex: String(repeating: "01", count: 32), address: nil)),
    VectorCase(
        name: "ethereum-tests evilnonce (counter wraps)", source: .member(basicTests, name: "evilnonce"), passphrase: "bar",
        expected: .key(hex: String(repeating: "02", count: 32), address: nil)),
    VectorCase(
        name: "ethereum-tests mycrypto", source: .member(basicTests, name: "mycrypto"), passphrase: "foobartest121",
        expected: .key(
            hex: "05a4d3eb46c742cb8850440145ce70cbc80b59f891cf5f50fd3e9c280b50c4e4",
            address: "0x460121576cc7df020759730751f92bd62fd78dd6")),
    // The original definition (ethereum/wiki): PBKDF2 and scrypt examples, then a version-2 example.
    VectorCase(
        name: "wiki PBKDF2 example", source: .markdown(wikiPage, block: 0), passphrase: "testpassword",
        expected: .key(hex: specSecret, address: specAddress)),
    VectorCase(
        name: "wiki scrypt example (r=1, p=8)", source: .markdown(wikiPage, block: 1), passphrase: "testpassword",
        expected: .failure(legacyScrypt)),
    VectorCase(
        name: "wiki version-2 example", source: .markdown(wikiPage, block: 2), passphrase: "testpassword",
        expected: .failure(.unsupportedVersion("2"))),
    // ethereum.org: the PBKDF2 example is right; the scrypt example's MAC was computed over the
    // salt's hex text rather than its bytes, so a correct reader must report a MAC mismatch.
    VectorCase(
        name: "ethereum.org PBKDF2 example", source: .markdown(orgPage, block: 0), passphrase: "testpassword",
        expected: .key(hex: specSecret, address: specAddress)),
    VectorCase(
        name: "ethereum.org scrypt example (broken MAC)", source: .markdown(orgPage, block: 1), passphrase: "testpassword",
        expected: .failure(.wrongPassphrase)),
    VectorCase(
        name: "ethereum.org version-2 example", source: .markdown(orgPage, block: 2), passphrase: "testpassword",
        expected: .failure(.unsupportedVersion("2"))),
]

@Suite("Keystore vectors")
struct VectorTests {
    @Test(arguments: vectorCases)
    func vector(_ vector: VectorCase) throws {
        let json = try vector.keystoreJSON()
        if let (password, priv) = try vector.vectorPasswordAndKey() {
            #expect(password == vector.passphrase)
            if case .key(let hex, _) = vector.expected {
                // The vector leaves short keys unpadded; the reader pads them to 32 bytes.
                #expect(hex.hasSuffix(priv) && hex.count == 64)
            }
        }
        switch vector.expected {
        case .key(let hex, let address):
            let key = try Keystore.decrypt(json: json, passphrase: vector.passphrase)
            #expect(Hex.encode(key.secretBytes, prefix: false) == hex)
            if let address { #expect(key.address == (try Address(address))) }
        case .address(let address):
            let key = try Keystore.decrypt(json: json, passphrase: vector.passphrase)
            #expect(key.address == (try Address(address)))
        case .failure(let error):
            #expect(throws: error) { try Keystore.decrypt(json: json, passphrase: vector.passphrase) }
        }
    }

    /// Each specification page holds exactly three json examples (PBKDF2, scrypt, version 2),
    /// so the block numbers used above point at the intended ones.
    @Test func markdownPagesHaveThreeExamples() throws {
        for page in [wikiPage, orgPage] {
            #expect(jsonBlocks(in: String(decoding: try Paths.readVector(page), as: UTF8.self)).count == 3)
        }
    }

    /// Parsing alone (no key derivation) exposes the parameters of a vector.
    @Test func parsesWithoutDecrypting() throws {
        let file = try KeystoreFile(json: Paths.readVector("\(testdata)/keystore/aaa"))
        #expect(file.version == 3)
        #expect(file.id == "472e8b3d-afb6-45b5-8111-72c89895099a")
        #expect(file.address == (try Address("0xf466859ead1932d743d622cb74fc058882e8648a")))
        #expect(file.cipher == .aes128ctr(iv: try Hex.decode("dfd9ee70812add5f4b8f89d0811c9158")))
        guard case .scrypt(let n, let r, let p, let dklen, let salt) = file.keyDerivation else {
            #expect(Bool(false), Comment(rawValue: "expected scrypt"))
            return
        }
        #expect((n, r, p, dklen, salt.count) == (8, 8, 16, 32, 32))

        let v1 = try KeystoreFile(
            json: try VectorCase(
                name: "v1", source: .member("\(testdata)/v1_test_vector.json", name: "test1"), passphrase: "g",
                expected: .address("")
            ).keystoreJSON())
        #expect(v1.version == 1)
        #expect(v1.cipher == .aes128cbc(iv: try Hex.decode("35337770fc2117994ecdcad026bccff4")))
        #expect(v1.ciphertext.count == 48)
    }
}
