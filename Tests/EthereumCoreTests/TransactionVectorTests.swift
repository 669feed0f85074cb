import EthereumCore
import Foundation
import TestSupport
import Testing

/// One ethereum/tests TransactionTests case, judged by the newest fork it lists.
struct TransactionVector: CustomTestStringConvertible, Sendable {
    let file: String
    let raw: [UInt8]?
    let fork: String
    let hash: String?
    let sender: String?
    let intrinsicGas: UInt64?
    let exception: String?
    var testDescription: String { "\(file) [\(fork)]" }

    static let forkOrder = [
        "Frontier", "Homestead", "EIP150", "EIP158", "Byzantium", "Constantinople", "ConstantinopleFix", "Istanbul", "Berlin", "London",
        "Paris", "Merge", "Shanghai", "Cancun", "Prague",
    ]

    static func loadAll() -> [TransactionVector] {
        vectorFiles(under: "ethereum-tests/TransactionTests", withExtension: "json").flatMap { path -> [TransactionVector] in
            guard let object = try? jsonVector(path) as? [String: [String: Any]] else { return [] }
            return object.values.map { entry in
                let results = entry["result"] as! [String: [String: String]]
                let fork = results.keys.max { (forkOrder.firstIndex(of: $0) ?? -1) < (forkOrder.firstIndex(of: $1) ?? -1) }!
                let result = results[fork]!
                let name = path.replacingOccurrences(of: "ethereum-tests/TransactionTests/", with: "")
                return TransactionVector(
                    file: name, raw: try? Hex.decode(entry["txbytes"] as! String), fork: fork, hash: result["hash"],
                    sender: result["sender"], intrinsicGas: result["intrinsicGas"].flatMap { try? UInt256(hex: $0).uint64 },
                    exception: result["exception"])
            }
        }
    }
}

@Suite struct TransactionVectorTests {
    static let vectors = TransactionVector.loadAll()

    @Test func everyFolderIsRead() {
        #expect(Self.vectors.count == 204)
        #expect(Self.vectors.filter { $0.exception == nil }.count == 47)
    }

    /// Valid cases decode with the expected hash, sender and intrinsic gas; every rejected
    /// case fails either decoding or the node-side checks of ``SignedTransaction/validate(chainId:)``.
    @Test(arguments: vectors)
    func vector(_ vector: TransactionVector) throws {
        let attempt = Result { () throws -> SignedTransaction in
            let tx = try SignedTransaction.decode(raw: try #require(vector.raw))
            try tx.validate(chainId: 1)
            return tx
        }
        if let exception = vector.exception {
            #expect(throws: (any Error).self, "expected \(exception)") { try attempt.get() }
        } else {
            let tx = try attempt.get()
            #expect(tx.hash.hex == vector.hash)
            #expect(try tx.sender().lowercased == vector.sender.map { $0.hasPrefix("0x") ? $0 : "0x" + $0 })
            #expect(tx.transaction.intrinsicGas == vector.intrinsicGas)
            #expect(tx.raw == vector.raw)
        }
    }

    /// The EIP-155 worked example (EIPS/eip-155.md): signing data, hash, v/r/s and raw bytes.
    @Test func eip155Example() throws {
        let key = try PrivateKey(bytes: [UInt8](repeating: 0x46, count: 32))
        let tx = Transaction(
            type: .legacy, chainId: 1, nonce: 9, gasPrice: 20_000_000_000, gasLimit: 21_000,
            to: try Address("0x3535353535353535353535353535353535353535"), value: try UInt256(decimal: "1000000000000000000"))
        #expect(
            Hex.encode(tx.signingPayload) == "0xec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080")
        #expect(tx.signingHash.hex == "0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53")
        let signed = tx.signed(with: key)
        #expect(signed.v == 37)
        #expect(signed.signature.r.decimalString == "18515461264373351373200002665853028612451056578545711640558177340181847433846")
        #expect(signed.signature.s.decimalString == "46948507304638947509940763649030358759909902576025900602547168820602576006531")
        #expect(
            Hex.encode(signed.raw)
                == "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83"
        )
        #expect(try signed.sender() == key.address)
        let decoded = try SignedTransaction.decode(raw: signed.raw)
        #expect(decoded == signed)
    }

    /// ethereum/tests BasicTests/txtest.json: pre-EIP-155 legacy transactions. Case 1 was
    /// signed with the RFC 6979 nonce, so signing reproduces it; case 2 used a random nonce,
    /// so it is only decoded and its sender recovered.
    @Test func basicTxTests() throws {
        let cases = try #require(try jsonVector("ethereum-tests/BasicTests/txtest.json") as? [[String: Any]])
        #expect(cases.count == 2)
        for (index, entry) in cases.enumerated() {
            let key = try PrivateKey(hex: entry["key"] as! String)
            let tx = Transaction(
                type: .legacy, chainId: nil, nonce: (entry["nonce"] as! NSNumber).uint64Value,
                gasPrice: try UInt256(decimal: (entry["gasprice"] as! NSNumber).stringValue),
                gasLimit: (entry["startgas"] as! NSNumber).uint64Value,
                to: (entry["to"] as! String).isEmpty ? nil : try Address("0x" + (entry["to"] as! String)),
                value: try UInt256(decimal: (entry["value"] as! NSNumber).stringValue), data: try Hex.decode(entry["data"] as! String))
            let signedHex = "0x" + (entry["signed"] as! String)
            let decoded = try SignedTransaction.decode(raw: try Hex.decode(signedHex))
            #expect(decoded.transaction == tx)
            #expect(try decoded.sender() == key.address)
            #expect(
                Hex.encode(tx.signingPayload)
                    == Hex.encode(
                        RLP.encode(.list(Array(try RLP.decode(try Hex.decode(entry["unsigned"] as! String)).listValue!.prefix(6))))))
            if index == 0 { #expect(Hex.encode(tx.signed(with: key).raw) == signedHex) }
        }
    }

    @Test func eip1559SignAndDecodeRoundTrip() throws {
        let key = try PrivateKey(hex: "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
        let tx = Transaction(
            type: .dynamicFee, chainId: 137, nonce: 7, maxPriorityFeePerGas: 30_000_000_000, maxFeePerGas: 120_000_000_000,
            gasLimit: 65_000, to: try Address("0xc2132D05D31c914a87C6611C10748AEb04B58e8F"),
            data: ERC20.transferCallData(to: try Address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"), amount: 1_500_000),
            accessList: [
                AccessListEntry(address: try Address("0xc2132D05D31c914a87C6611C10748AEb04B58e8F"), storageKeys: [Bytes32(0, 0, 0, 3)])
            ])
        let signed = tx.signed(with: key)
        #expect(signed.raw.first == 0x02)
        let decoded = try SignedTransaction.decode(raw: signed.raw)
        #expect(decoded.transaction == tx)
        #expect(try decoded.sender() == key.address)
        try decoded.validate(chainId: 137)
        #expect(throws: TransactionError.wrongChainId(expected: 1, actual: 137)) { try decoded.validate(chainId: 1) }
    }

    /// Malformed raw input is an error, never a crash: every prefix of a valid transaction,
    /// and every single-byte corruption of it, is rejected or decodes to something else.
    @Test func truncatedAndCorruptedInputNeverCrashes() throws {
        let key = try PrivateKey(hex: "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
        let raw = Transaction(
            type: .dynamicFee, chainId: 1, nonce: 1, maxPriorityFeePerGas: 1, maxFeePerGas: 2, gasLimit: 21_000, to: .zero
        )
        .signed(with: key).raw
        for length in 0..<raw.count {
            #expect(throws: TransactionError.self) { try SignedTransaction.decode(raw: Array(raw.prefix(length))) }
        }
        for index in raw.indices {
            var corrupted = raw
            corrupted[index] ^= 0xff
            if let tx = try? SignedTransaction.decode(raw: corrupted) { #expect(tx.raw == corrupted) }
        }
        #expect(throws: TransactionError.unsupportedType(3)) { try SignedTransaction.decode(raw: [0x03, 0xc0]) }
        #expect(throws: TransactionError.notATransaction) { try SignedTransaction.decode(raw: [0x80]) }
        #expect(throws: TransactionError.empty) { try SignedTransaction.decode(raw: []) }
    }
}
