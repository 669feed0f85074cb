import CSecp256k1
import Crypto
import EthereumCore
import Foundation
import TestSupport
import Testing

struct SigningVector: CustomTestStringConvertible, Sendable {
    let name: String
    let key: String
    let digest: String
    let r: String
    let s: String
    let recoveryId: Int?
    var testDescription: String { name }
}

enum Secp256k1Vectors {
    static let tinyValid: [SigningVector] = {
        guard let root = try? jsonVector("tiny-secp256k1/tests/fixtures/ecdsa.json") as? [String: Any],
            let valid = root["valid"] as? [[String: Any]]
        else { return [] }
        return valid.enumerated().map { index, entry in
            let sig = entry["signature"] as! String
            return SigningVector(
                name: "tiny-secp256k1 valid[\(index)]", key: entry["d"] as! String, digest: entry["m"] as! String,
                r: String(sig.prefix(64)), s: String(sig.suffix(64)), recoveryId: entry["recoveryId"] as? Int)
        }
    }()

    nonisolated(unsafe) static let tinyInvalid: [String: [[String: Any]]] = {
        guard let root = try? jsonVector("tiny-secp256k1/tests/fixtures/ecdsa.json") as? [String: Any] else { return [:] }
        return root["invalid"] as? [String: [[String: Any]]] ?? [:]
    }()

    nonisolated(unsafe) static let bitcoinjs: [String: Any] =
        (try? jsonVector("bitcoinjs-lib/test/fixtures/ecdsa.json") as? [String: Any]) ?? [:]

    /// bitcoinjs valid.ecdsa: the digest is SHA-256 of the message text.
    static let bitcoinjsValid: [SigningVector] = {
        let valid = (bitcoinjs["valid"] as? [String: Any])?["ecdsa"] as? [[String: Any]] ?? []
        return valid.enumerated().map { index, entry in
            let digest = Data(SHA256.hash(data: Data((entry["message"] as! String).utf8)))
            let d = entry["d"] as! String
            let sig = entry["signature"] as! [String: String]
            return SigningVector(
                name: "bitcoinjs ecdsa[\(index)]", key: String(repeating: "0", count: 64 - d.count) + d,
                digest: Hex.encode(digest, prefix: false), r: sig["r"]!, s: sig["s"]!, recoveryId: nil)
        }
    }()

    struct WycheproofCase: CustomTestStringConvertible, Sendable {
        let id: Int
        let publicKey: String
        let message: String
        let der: String
        let valid: Bool
        var testDescription: String { "wycheproof tcId \(id)" }
    }

    static let wycheproof: [WycheproofCase] = {
        guard let root = try? jsonVector("secp256k1/src/wycheproof/ecdsa_secp256k1_sha256_bitcoin_test.json") as? [String: Any],
            let groups = root["testGroups"] as? [[String: Any]]
        else { return [] }
        return groups.flatMap { group -> [WycheproofCase] in
            let key = (group["publicKey"] as! [String: Any])["uncompressed"] as! String
            return (group["tests"] as! [[String: Any]]).map {
                WycheproofCase(
                    id: $0["tcId"] as! Int, publicKey: key, message: $0["msg"] as! String, der: $0["sig"] as! String,
                    valid: ($0["result"] as! String) == "valid")
            }
        }
    }()
}

@Suite struct Secp256k1Tests {
    @Test func vectorCounts() {
        #expect(Secp256k1Vectors.tinyValid.count == 2020)
        #expect(Secp256k1Vectors.bitcoinjsValid.count == 7)
        #expect(Secp256k1Vectors.wycheproof.count == 463)
    }

    /// Signing reproduces r, s (RFC 6979, low-S) and the recovery id, and recovery returns the signer.
    @Test(arguments: Secp256k1Vectors.tinyValid + Secp256k1Vectors.bitcoinjsValid)
    func signsAndRecovers(_ vector: SigningVector) throws {
        let key = try PrivateKey(hex: vector.key)
        let digest = try Bytes32(hex: "0x" + vector.digest)
        let signature = key.sign(digest: digest)
        #expect(signature.r.bigEndianBytes == (try Hex.decode(vector.r)))
        #expect(signature.s.bigEndianBytes == (try Hex.decode(vector.s)))
        if let recoveryId = vector.recoveryId { #expect(Int(signature.yParity) == recoveryId) }
        #expect(signature.s <= Secp256k1.halfOrder)
        #expect(try signature.recoverAddress(digest: digest) == key.address)
    }

    @Test func invalidPrivateKeysAreRejected() throws {
        let cases = Secp256k1Vectors.tinyInvalid["sign"] ?? []
        #expect(cases.count == 4)
        for entry in cases {
            #expect(throws: SigningError.invalidPrivateKey, "\(entry["description"]!)") { try PrivateKey(hex: entry["d"] as! String) }
        }
    }

    @Test func invalidRecoveriesAreRejected() throws {
        let cases = Secp256k1Vectors.tinyInvalid["recover"] ?? []
        #expect(cases.count == 8)
        for entry in cases {
            let description = entry["description"] as! String
            let message = try Hex.decode(entry["m"] as! String)
            let sig = try Hex.decode(entry["signature"] as! String)
            let recid = (entry["recoveryId"] as? Int) ?? 0
            let attempt = Result { () throws -> Address in
                let digest = try Bytes32(bytes: message)
                let signature = Signature(
                    r: try UInt256(bigEndian: sig.prefix(32)), s: try UInt256(bigEndian: sig.suffix(32)), yParity: UInt8(recid))
                return try signature.recoverAddress(digest: digest)
            }
            #expect(throws: (any Error).self, "\(description)") { try attempt.get() }
        }
    }

    /// RFC 6979 nonce candidates k0, k1 and k15 (bitcoinjs valid.rfc6979), from the same
    /// libsecp256k1 nonce function the signer uses, so the retry path is covered too.
    @Test func rfc6979NonceCandidates() throws {
        let cases = (Secp256k1Vectors.bitcoinjs["valid"] as? [String: Any])?["rfc6979"] as? [[String: String]] ?? []
        #expect(cases.count == 10)
        for entry in cases {
            let digest = Array(SHA256.hash(data: Data(entry["message"]!.utf8)))
            let key = try Hex.decode(entry["d"]!)
            for (attempt, expected) in [(0, entry["k0"]!), (1, entry["k1"]!), (15, entry["k15"]!)] {
                var nonce = [UInt8](repeating: 0, count: 32)
                #expect(secp256k1_nonce_function_rfc6979(&nonce, digest, key, nil, nil, UInt32(attempt)) == 1)
                #expect(Hex.encode(nonce, prefix: false) == expected, "\(entry["message"]!) k\(attempt)")
            }
        }
    }

    /// Wycheproof's Bitcoin-flavoured ECDSA verification cases: DER parsing, ranges, high S.
    @Test(arguments: Secp256k1Vectors.wycheproof)
    func wycheproof(_ vector: Secp256k1Vectors.WycheproofCase) throws {
        let key = try PublicKey(serialized: try Hex.decode(vector.publicKey))
        let digest = try Bytes32(bytes: Array(SHA256.hash(data: try Hex.decode(vector.message))))
        #expect(key.isValidSignature(der: try Hex.decode(vector.der), digest: digest) == vector.valid)
    }

    /// ethereum/tests BasicTests/keyaddrtest.json: key = keccak256(seed), then the address.
    @Test func keyAddressVectors() throws {
        let cases = try #require(try jsonVector("ethereum-tests/BasicTests/keyaddrtest.json") as? [[String: Any]])
        #expect(cases.count == 2)
        for entry in cases {
            let key = Keccak256.hash(text: entry["seed"] as! String)
            #expect(Hex.encode(key.bytes, prefix: false) == entry["key"] as! String)
            #expect(try PrivateKey(bytes: key.bytes).address.lowercased == "0x" + (entry["addr"] as! String))
        }
    }

    @Test func privateKeyNeverPrints() throws {
        let key = try PrivateKey(hex: "0x4646464646464646464646464646464646464646464646464646464646464646")
        #expect(String(describing: key) == "PrivateKey(<redacted>)")
        #expect(String(reflecting: key) == "PrivateKey(<redacted>)")
        #expect(!"\(key)".contains("4646"))
        #expect(throws: SigningError.invalidPrivateKey) { try PrivateKey(hex: "0x" + String(repeating: "f", count: 64)) }
        #expect(throws: SigningError.invalidPrivateKey) { try PrivateKey(hex: "0x1234") }
    }
}
