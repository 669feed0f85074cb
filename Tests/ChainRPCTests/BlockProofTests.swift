import ChainRPC
import EthereumCore
import Foundation
import TestSupport
import Testing

/// A block's logs proven against its header: the recorded block 0x36 of the execution-apis
/// conformance chain, its header and its receipts, and what any change to them does.
@Suite struct BlockProofTests {
    /// The `result` of the first response of an execution-apis transcript.
    static func result(_ path: String) throws -> Any {
        let text = String(decoding: try Paths.readVector(path), as: UTF8.self)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("<< ") })
        let envelope = try #require(try JSONSerialization.jsonObject(with: Data(line.dropFirst(3).utf8)) as? [String: Any])
        return try #require(envelope["result"])
    }

    static func recorded() throws -> (header: BlockHeader, hash: BlockHash, transactions: [TxHash], receipts: [ServedReceipt]) {
        let block = try result("execution-apis/tests/eth_getBlockByNumber/get-latest.io")
        let header = try #require(try RPCParse.header(block))
        let object = try #require(block as? [String: Any])
        let hash = try BlockHash(hex: try #require(object["hash"] as? String))
        let transactions = try (try #require(object["transactions"] as? [Any])).map { entry -> TxHash in
            if let text = entry as? String { return try TxHash(hex: text) }
            return try TxHash(hex: try #require((entry as? [String: Any])?["hash"] as? String))
        }
        let receipts = try RPCParse.blockReceipts(try result("execution-apis/tests/eth_getBlockReceipts/get-block-receipts-latest.io"))
        return (header, hash, transactions, receipts)
    }

    @Test func theRecordedBlocksReceiptsProveItsLogs() throws {
        let (header, hash, transactions, receipts) = try Self.recorded()
        #expect(hash.hex == "0xd226371d0b1551adb03fb52b71f08e3e11247fe9b1af994768af8cdaa8e7dcd7")
        #expect(receipts.count == 4)
        let logs = try BlockProof.logs(header: header, blockHash: hash, transactions: transactions, receipts: receipts)
        #expect(logs.count == receipts.reduce(0) { $0 + $1.logs.count })
    }

    @Test func aHeaderOfAnotherBlockIsRefused() throws {
        let (header, _, transactions, receipts) = try Self.recorded()
        #expect(throws: BlockProof.Failure.headerMismatch) {
            try BlockProof.logs(
                header: header, blockHash: BlockHash(raw: Bytes32(1, 2, 3, 4)), transactions: transactions, receipts: receipts)
        }
    }

    @Test func aMissingReceiptIsRefused() throws {
        let (header, hash, transactions, receipts) = try Self.recorded()
        #expect(throws: BlockProof.Failure.self) {
            try BlockProof.logs(header: header, blockHash: hash, transactions: transactions, receipts: Array(receipts.dropLast()))
        }
    }

    @Test func aForgedLogInAReceiptIsRefused() throws {
        let (header, hash, transactions, receipts) = try Self.recorded()
        let victim = receipts[0]
        let forged = RPCLog(
            address: try Address("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"), topics: [ERC20.transferTopic],
            data: [UInt8](repeating: 1, count: 32),
            blockNumber: 0x36, blockHash: hash, transactionHash: victim.transactionHash, transactionIndex: victim.transactionIndex,
            logIndex: 99, removed: false)
        // The RPC log added alone does not match the consensus logs; added to both, the root changes.
        var tampered = receipts
        tampered[0] = ServedReceipt(
            transactionHash: victim.transactionHash, transactionIndex: victim.transactionIndex, blockHash: hash,
            consensus: try ConsensusReceipt(
                type: victim.consensus.type, outcome: victim.consensus.outcome, cumulativeGasUsed: victim.consensus.cumulativeGasUsed,
                logsBloom: victim.consensus.logsBloom,
                logs: victim.consensus.logs + [ReceiptLog(address: forged.address, topics: forged.topics, data: forged.data)]),
            logs: victim.logs + [forged])
        #expect(throws: BlockProof.Failure.receiptsMismatch) {
            try BlockProof.logs(header: header, blockHash: hash, transactions: transactions, receipts: tampered)
        }
    }
}
