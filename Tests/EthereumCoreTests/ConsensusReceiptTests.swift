import EthereumCore
import Foundation
import TestSupport
import Testing

/// A recorded block's complete receipts (`eth_getBlockReceipts`, or the single receipt of a
/// one-transaction block) and the receipts root they must produce.
struct RecordedReceipts: CustomTestStringConvertible, Sendable {
    let name: String
    let receiptsPath: String
    /// The block whose header holds the root, when it is recorded too.
    let headerPath: String?
    /// The expected root: from the header when there is one, else computed independently.
    let root: String
    var testDescription: String { name }

    func receipts() throws -> [[String: Any]] {
        let result = try RecordedBlockJSON.result(receiptsPath)
        if let list = result as? [[String: Any]] { return list }
        return [try #require(result as? [String: Any], "\(receiptsPath) has no receipt")]
    }

    static let all: [RecordedReceipts] = [
        // The hive test chain's block 0x36 (hash 0xd226371d…dcd7), with its header.
        RecordedReceipts(
            name: "execution-apis block 0x36", receiptsPath: "execution-apis/tests/eth_getBlockReceipts/get-block-receipts-latest.io",
            headerPath: "execution-apis/tests/eth_getBlockByNumber/get-latest.io",
            root: "0x1a7a488c0a3a5c1f846f03b8f37243cadc7e2b085d95f93612da2bdf3973d5dd"),
        // Polygon PoS block 23,887,160 has one transaction, so its one receipt is the whole trie.
        RecordedReceipts(
            name: "Polygon block 23,887,160",
            receiptsPath: "polygon-etl/cli/tests/resources/test_export_receipts_job/receipts_with_logs_eip_1559/"
                + "web3_response.eth_getTransactionReceipt_0xcc6321f62e241e512bdbf7f466adfd2bd78543ee4a8efb69c2d58a5451ddb25d.json",
            headerPath: "polygon-etl/cli/tests/resources/test_export_blocks_job/block_with_transaction_eip_1559/"
                + "web3_response.eth_getBlockByNumber_0x16c7d38_true.json",
            root: "0x36db9b43783a097169649f8a340e6f5752d41e8608a9d0e31bf6d69ba7bf221a"),
        // Without a recorded header: roots computed with py-evm 0.12.1b1's receipt classes and
        // py-trie 4.0.0 (independent implementations, PyPI) from the same JSON. The mainnet
        // block has receipts of types 0, 2 and 3; the two blocks above only type 0.
        RecordedReceipts(
            name: "execution-apis block 0x1", receiptsPath: "execution-apis/tests/eth_getBlockReceipts/get-block-receipts-n.io",
            headerPath: nil, root: "0x68e78088e89f476d25495c7802dbed8a5735ef869ea2aae927ed4e62966e1a4f"),
        RecordedReceipts(
            name: "Ethereum mainnet block 20,000,010",
            receiptsPath: "erigon-rpc-tests/integration/mainnet/eth_getBlockReceipts/test_10.json", headerPath: nil,
            root: "0xc281b9059d1b92e4ab990286aca118a80c371ad9bb75718a28e7c77b71eb6133"),
    ]
}

@Suite struct ConsensusReceiptTests {
    @Test(arguments: RecordedReceipts.all)
    func recordedReceiptsRoot(_ recorded: RecordedReceipts) throws {
        let receipts = try recorded.receipts().map(RecordedBlockJSON.receipt)
        let root = ConsensusReceipt.receiptsRoot(of: receipts)
        #expect(root.hex == recorded.root)
        if let headerPath = recorded.headerPath {
            let block = try #require(try RecordedBlockJSON.result(headerPath) as? [String: Any])
            let header = try RecordedBlockJSON.header(block)
            #expect(header.hash.hex == (block["hash"] as? String))
            #expect(header.receiptsRoot == root)
            // The block's bloom is the union of its receipts' blooms.
            #expect(receipts.map(\.logsBloom).reduce(LogsBloom.empty) { $0.union($1) } == header.logsBloom)
        }
    }

    /// Blocks without transactions: the root of no receipts is the empty trie's.
    @Test(arguments: [
        "execution-apis/tests/eth_getBlockByNumber/get-genesis.io",
        "erigon-rpc-tests/integration/mainnet/eth_getBlockByNumber/test_12.json",
        "polygon-etl/cli/tests/resources/test_export_blocks_job/block_without_transactions/web3_response.eth_getBlockByNumber_0x0_true.json",
    ])
    func emptyBlock(_ path: String) throws {
        let block = try #require(try RecordedBlockJSON.result(path) as? [String: Any])
        #expect((block["transactions"] as? [Any])?.isEmpty == true)
        #expect(try RecordedBlockJSON.header(block).receiptsRoot == ConsensusReceipt.receiptsRoot(of: []))
        #expect(ConsensusReceipt.receiptsRoot(of: []) == MerklePatriciaTrie.emptyRoot)
    }

    /// Every recorded receipt's `logsBloom` is the filter of its logs.
    @Test(arguments: receiptFiles)
    func recordedBloomMatchesLogs(_ path: String) throws {
        let objects = try RecordedReceipts(name: path, receiptsPath: path, headerPath: nil, root: "").receipts()
        for object in objects {
            let receipt = try RecordedBlockJSON.receipt(object)
            #expect(receipt.bloomMatchesLogs, "\(path) \(object["transactionHash"] ?? "")")
            #expect(LogsBloom(logs: receipt.logs) == receipt.logsBloom)
        }
    }

    static let receiptFiles: [String] = {
        let candidates =
            vectorFiles(under: "execution-apis/tests/eth_getBlockReceipts", withExtension: "io")
            + vectorFiles(under: "execution-apis/tests/eth_getTransactionReceipt", withExtension: "io")
            + vectorFiles(under: "erigon-rpc-tests/integration", withExtension: "json").filter { $0.contains("Receipt") }
            + vectorFiles(under: "polygon-etl/cli/tests/resources", withExtension: "json").filter {
                $0.contains("eth_getTransactionReceipt")
            }
        return candidates.filter { path in
            let result = try? RecordedBlockJSON.result(path)
            return (result as? [[String: Any]])?.isEmpty == false || result is [String: Any]
        }
    }()

    /// 23 files with 71 receipts in all, the ones whose blooms the vectors' index says were
    /// recomputed.
    @Test func everyReceiptFileIsRead() throws {
        #expect(Self.receiptFiles.count == 23)
        let receipts = try Self.receiptFiles.map { try RecordedReceipts(name: $0, receiptsPath: $0, headerPath: nil, root: "").receipts() }
        #expect(receipts.map(\.count).reduce(0, +) == 71)
    }

    /// A provider that drops, changes, adds or reorders anything the receipts commit to
    /// changes the root, so the header no longer vouches for it.
    @Test func tamperingChangesTheRoot() throws {
        let receipts = try RecordedReceipts.all[0].receipts().map(RecordedBlockJSON.receipt)
        let root = ConsensusReceipt.receiptsRoot(of: receipts)
        let withLogs = try #require(receipts.firstIndex { !$0.logs.isEmpty })
        let original = receipts[withLogs]
        func replacing(_ receipt: ConsensusReceipt) -> [ConsensusReceipt] {
            var copy = receipts
            copy[withLogs] = receipt
            return copy
        }
        func rebuilt(outcome: ConsensusReceipt.Outcome? = nil, gas: UInt64? = nil, logs: [ReceiptLog]? = nil) throws -> ConsensusReceipt {
            try ConsensusReceipt(
                type: original.type, outcome: outcome ?? original.outcome, cumulativeGasUsed: gas ?? original.cumulativeGasUsed,
                logsBloom: original.logsBloom, logs: logs ?? original.logs)
        }
        var log = original.logs[0]
        log = ReceiptLog(address: log.address, topics: log.topics, data: log.data + [0])
        let tampered: [String: [ConsensusReceipt]] = [
            "one log dropped": replacing(try rebuilt(logs: Array(original.logs.dropFirst()))),
            "one log's data changed": replacing(try rebuilt(logs: [log] + original.logs.dropFirst())),
            "a log invented": replacing(try rebuilt(logs: original.logs + [log])),
            "status flipped": replacing(try rebuilt(outcome: original.outcome == .succeeded ? .failed : .succeeded)),
            "gas changed": replacing(try rebuilt(gas: original.cumulativeGasUsed + 1)),
            "receipts reordered": [receipts[1], receipts[0]] + receipts.dropFirst(2),
            "one receipt missing": Array(receipts.dropLast()),
            "one receipt added": receipts + [original],
        ]
        for (what, list) in tampered {
            #expect(ConsensusReceipt.receiptsRoot(of: list) != root, "\(what)")
        }
        // A log invented with the bloom left alone is also caught by the bloom check alone.
        let invented = ReceiptLog(address: try Address("0x00000000000000000000000000000000deadbeef"), topics: [], data: [])
        #expect(original.bloomMatchesLogs)
        #expect(try !rebuilt(logs: original.logs + [invented]).bloomMatchesLogs)
    }

    /// The encodings, written out by hand from the consensus rules.
    @Test func encodingByHand() throws {
        let address = try Address("0x00000000000000000000000000000000000000aa")
        let log = ReceiptLog(address: address, topics: [Bytes32(0, 0, 0, 1)], data: [0xbe, 0xef])
        let bloom = LogsBloom(logs: [log])
        let receipt = try ConsensusReceipt(type: 2, outcome: .succeeded, cumulativeGasUsed: 21_000, logsBloom: bloom, logs: [log])
        // rlp(log) = f8 3a: 94 ‖ address, e1 a0 ‖ topic, 82 be ef  (21 + 34 + 3 = 58 = 0x3a bytes)
        let logRLP: [UInt8] = [0xf8, 0x3a, 0x94] + address.bytes + [0xe1, 0xa0] + Bytes32(0, 0, 0, 1).bytes + [0x82, 0xbe, 0xef]
        // payload: 01, 82 52 08, b9 01 00 ‖ bloom, f8 3c ‖ log list  (1 + 3 + 259 + 62 = 325 = 0x145)
        let body: [UInt8] = [0xf9, 0x01, 0x45, 0x01, 0x82, 0x52, 0x08, 0xb9, 0x01, 0x00] + bloom.bytes + [0xf8, 0x3c] + logRLP
        #expect(receipt.encoded == [0x02] + body)
        let legacy = try ConsensusReceipt(type: 0, outcome: .failed, cumulativeGasUsed: 0, logsBloom: .empty, logs: [])
        #expect(legacy.encoded == [0xf9, 0x01, 0x06, 0x80, 0x80, 0xb9, 0x01, 0x00] + [UInt8](repeating: 0, count: 256) + [0xc0])
        let root = Bytes32(0x0102_0304_0506_0708, 0, 0, 0x0909)
        let preByzantium = try ConsensusReceipt(type: 0, outcome: .postState(root), cumulativeGasUsed: 1, logsBloom: .empty, logs: [])
        let emptyBloom = [UInt8](repeating: 0, count: 256)
        #expect(preByzantium.encoded == [0xf9, 0x01, 0x26, 0xa0] + root.bytes + [0x01, 0xb9, 0x01, 0x00] + emptyBloom + [0xc0])
    }

    @Test func unknownShapesAreRefused() {
        #expect(throws: ConsensusReceiptError.unknownType(5)) {
            try ConsensusReceipt(type: 5, outcome: .succeeded, cumulativeGasUsed: 0, logsBloom: .empty, logs: [])
        }
        #expect(throws: ConsensusReceiptError.unknownType(0x7e)) {
            try ConsensusReceipt(type: 0x7e, outcome: .succeeded, cumulativeGasUsed: 0, logsBloom: .empty, logs: [])
        }
        #expect(throws: ConsensusReceiptError.postStateInTypedReceipt(2)) {
            try ConsensusReceipt(type: 2, outcome: .postState(.zero), cumulativeGasUsed: 0, logsBloom: .empty, logs: [])
        }
    }

    /// The bloom sets exactly the three bits of each address and topic, and nothing for data.
    @Test func bloomOfLogs() throws {
        let usdt = try Address("0xdac17f958d2ee523a2206206994597c13d831ec7")
        let log = ReceiptLog(address: usdt, topics: [ERC20.transferTopic], data: [UInt8](repeating: 0xff, count: 32))
        let bloom = LogsBloom(logs: [log])
        #expect(bloom.mightContain(usdt.bytes))
        #expect(bloom.mightContain(ERC20.transferTopic.bytes))
        #expect(!bloom.mightContain([UInt8](repeating: 0xff, count: 32)))
        let setBits = bloom.bytes.reduce(0) { $0 + $1.nonzeroBitCount }
        #expect(setBits == 6)  // as eth-bloom 4.0.0 (PyPI) counts for the same two items
        #expect(LogsBloom(logs: []) == .empty)
        #expect(LogsBloom(logs: [log, log]) == bloom)
        let other = LogsBloom(logs: [ReceiptLog(address: .zero, topics: [], data: [])])
        #expect(bloom.union(other) == LogsBloom(logs: [log, ReceiptLog(address: .zero, topics: [], data: [])]))
    }
}
