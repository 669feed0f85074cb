import EthereumCore
import Foundation
import TestSupport
import Testing

/// A recorded block whose header hash the vectors' index says was recomputed from its fields.
struct RecordedHeader: CustomTestStringConvertible, Sendable {
    let path: String
    var testDescription: String { path.split(separator: "/").suffix(2).joined(separator: "/") }

    static let all: [RecordedHeader] = [
        "execution-apis/tests/eth_getBlockByNumber/get-genesis.io",
        "execution-apis/tests/eth_getBlockByNumber/get-block-london-fork.io",
        "execution-apis/tests/eth_getBlockByNumber/get-block-merge-fork.io",
        "execution-apis/tests/eth_getBlockByNumber/get-block-shanghai-fork.io",
        "execution-apis/tests/eth_getBlockByNumber/get-block-cancun-fork.io",
        "execution-apis/tests/eth_getBlockByNumber/get-block-prague-fork.io",
        "execution-apis/tests/eth_getBlockByNumber/get-latest.io",
        "execution-apis/tests/eth_getBlockByNumber/get-finalized.io",
        "execution-apis/tests/eth_getBlockByNumber/get-safe.io",
        "erigon-rpc-tests/integration/mainnet/eth_getBlockByNumber/test_01.json",
        "erigon-rpc-tests/integration/mainnet/eth_getBlockByNumber/test_04.json",
        "erigon-rpc-tests/integration/mainnet/eth_getBlockByNumber/test_12.json",
        "erigon-rpc-tests/integration/mainnet/eth_getBlockByNumber/test_13.json",
        "polygon-etl/cli/tests/resources/test_export_blocks_job/block_with_logs/web3_response.eth_getBlockByNumber_0xcf1974_true.json",
        "polygon-etl/cli/tests/resources/test_export_blocks_job/block_with_transaction_eip_1559/"
            + "web3_response.eth_getBlockByNumber_0x16c7d38_true.json",
        "polygon-etl/cli/tests/resources/test_export_blocks_job/block_without_transactions/web3_response.eth_getBlockByNumber_0x0_true.json",
        "polygon-etl/cli/tests/resources/test_stream/blocks_with_transfers/web3_response.eth_getBlockByNumber_0x898a07_true.json",
    ].map(RecordedHeader.init(path:))

    func block() throws -> [String: Any] {
        try #require(try RecordedBlockJSON.result(path) as? [String: Any], "\(path) has no block")
    }
}

@Suite struct BlockHeaderTests {
    /// 17 headers: the hive test chain from genesis to Prague, Ethereum mainnet before and
    /// after London and with blob fields, and Polygon PoS before and after London.
    @Test(arguments: RecordedHeader.all)
    func recordedHeaderHashesToItsHash(_ recorded: RecordedHeader) throws {
        let block = try recorded.block()
        let header = try RecordedBlockJSON.header(block)
        let number = try RecordedBlockJSON.uint64(block, "number")
        #expect(header.hash.hex == (block["hash"] as? String))
        #expect(header.number == number)
    }

    @Test func everyForkShapeIsCovered() throws {
        let shapes = try RecordedHeader.all.map { try RecordedBlockJSON.header(try $0.block()) }.map { header in
            [header.baseFeePerGas != nil, header.withdrawalsRoot != nil, header.blobGasUsed != nil, header.requestsHash != nil]
        }
        #expect(Set(shapes).count == 5)
        #expect(RecordedHeader.all.count == 17)
    }

    /// A provider that changes any field (a different receipts root above all) is caught: the
    /// fields no longer hash to the block hash the gateway tracks.
    @Test(arguments: RecordedHeader.all)
    func alteredHeaderIsDetected(_ recorded: RecordedHeader) throws {
        let block = try recorded.block()
        let claimed = try #require(block["hash"] as? String)
        let number = try RecordedBlockJSON.uint64(block, "number")
        let extraData = try RecordedBlockJSON.bytes(block, "extraData")
        var alterations: [String: Any] = [
            "receiptsRoot": "0x" + String(repeating: "11", count: 32),
            "number": "0x" + String(number + 1, radix: 16),
            "extraData": Hex.encode(extraData + [0]),
            "logsBloom": "0x" + String(repeating: "ff", count: 256),
        ]
        if block["baseFeePerGas"] != nil { alterations["baseFeePerGas"] = "0x1" }
        for (field, value) in alterations {
            var altered = block
            altered[field] = value
            #expect(try RecordedBlockJSON.header(altered).hash.hex != claimed, "changing \(field)")
        }
        // Dropping the newest fork field the block has changes the hash too.
        if let newest = ["requestsHash", "parentBeaconBlockRoot", "excessBlobGas", "blobGasUsed", "withdrawalsRoot", "baseFeePerGas"]
            .first(where: { block[$0] != nil })
        {
            var altered = block
            altered[newest] = nil
            #expect(try RecordedBlockJSON.header(altered).hash.hex != claimed, "dropping \(newest)")
        }
    }

    /// A fork field without the ones added before it describes no block, and is refused.
    @Test func forkFieldGapIsRefused() throws {
        let block = try RecordedHeader.all[5].block()  // Prague: every fork field present.
        #expect(block["requestsHash"] != nil)
        var gap = block
        gap["withdrawalsRoot"] = nil
        #expect(throws: BlockHeaderError.forkFieldWithoutEarlier(present: "blobGasUsed", missing: "withdrawalsRoot")) {
            try RecordedBlockJSON.header(gap)
        }
        var noBaseFee = block
        noBaseFee["baseFeePerGas"] = nil
        #expect(throws: BlockHeaderError.forkFieldWithoutEarlier(present: "withdrawalsRoot", missing: "baseFeePerGas")) {
            try RecordedBlockJSON.header(noBaseFee)
        }
    }

    /// The nonce is a fixed 8-byte string, not an integer: mainnet genesis ends its encoding
    /// with 88 00 00 00 00 00 00 00 42, where an integer 0x42 would be the single byte 42.
    @Test func nonceIsEightBytes() throws {
        let genesis = try RecordedBlockJSON.header(try RecordedHeader.all[11].block())
        #expect(genesis.number == 0)
        #expect(genesis.nonce == 0x42)
        #expect(Array(genesis.encoded.suffix(9)) == [0x88, 0, 0, 0, 0, 0, 0, 0, 0x42])
    }
}
