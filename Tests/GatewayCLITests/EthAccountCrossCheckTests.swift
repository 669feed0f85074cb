import EthereumCore
import Foundation
import TestSupport
import Testing

/// Signs a few hundred random transactions with `gateway eth sign-tx` and has eth-account
/// (PyPI, an independent implementation) sign the same inputs and recover our senders.
@Suite struct EthAccountCrossCheckTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func randomCase(_ rng: inout Generator, index: Int) -> [String: Any] {
        var keyBytes: [UInt8]
        repeat { keyBytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) } } while (try? PrivateKey(bytes: keyBytes)) == nil
        func quantity(_ bytes: Int) -> String {
            let random = UInt64.random(in: 0...UInt64.max, using: &rng)
            return UInt256(bytes == 0 ? 0 : random >> UInt64(64 - min(64, bytes * 8))).decimalString
        }
        var tx: [String: Any] = [
            "type": index % 3 == 0 ? 0 : 2,
            "chainId": [1, 137, 11_155_111, 80_002, 1337, 0][index % 6],
            "nonce": Int.random(in: 0...100_000, using: &rng),
            "gasLimit": Int.random(in: 21_000...5_000_000, using: &rng),
            "value": quantity(Int.random(in: 0...8, using: &rng)),
        ]
        if index % 7 != 0 {
            tx["to"] = try! Address(bytes: (0..<20).map { _ in UInt8.random(in: 0...255, using: &rng) }).checksummed
        }
        if index % 2 == 0 {
            tx["data"] = Hex.encode((0..<Int.random(in: 0...100, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
        if tx["type"] as! Int == 0 {
            tx["gasPrice"] = quantity(6)
        } else {
            if tx["chainId"] as! Int == 0 { tx["chainId"] = 1 }
            tx["maxFeePerGas"] = quantity(7)
            tx["maxPriorityFeePerGas"] = quantity(5)
            if index % 5 == 0 {
                tx["accessList"] = [
                    [
                        "address": try! Address(bytes: (0..<20).map { _ in UInt8.random(in: 0...255, using: &rng) }).checksummed,
                        "storageKeys": (0..<Int.random(in: 0...3, using: &rng)).map { _ in
                            Hex.encode((0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) })
                        },
                    ]
                ]
            }
        }
        return ["privateKey": Hex.encode(keyBytes), "tx": tx]
    }

    @Test func ethAccountAgreesByteForByte() throws {
        guard FileManager.default.isExecutableFile(atPath: Paths.python.path) else {
            Issue.record("the cross-check needs the project's Python venv: run Scripts/setup (expected \(Paths.python.path))")
            return
        }
        var rng = Generator(state: 20_261_122)
        var cases = [[String: Any]]()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-crosscheck-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for index in 0..<300 {
            var entry = Self.randomCase(&rng, index: index)
            let keyFile = dir.appendingPathComponent("key-\(index)")
            try Data((entry["privateKey"] as! String).utf8).write(to: keyFile)
            let txJSON = String(decoding: try JSONSerialization.data(withJSONObject: entry["tx"]!), as: UTF8.self)
            let result = try runProcess(Paths.gatewayBinary, ["eth", "sign-tx", "--private-key-file", keyFile.path, "--tx", txJSON])
            try #require(result.status == 0, "case \(index): \(result.stderr)")
            entry["raw"] = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            cases.append(entry)
        }
        let casesFile = dir.appendingPathComponent("cases.json")
        try JSONSerialization.data(withJSONObject: cases).write(to: casesFile)
        let script = Paths.repositoryRoot.appendingPathComponent("Tests/CrossCheck/eth_account_check.py")
        let check = try runProcess(Paths.python, [script.path, casesFile.path])
        try #require(check.status == 0, "eth-account check failed: \(check.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any])
        #expect(report["cases"] as? Int == 300)
        let mismatches = report["mismatches"] as? [Any] ?? ["unreadable report"]
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
    }
}
