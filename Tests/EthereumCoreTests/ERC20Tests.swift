import EthereumCore
import Foundation
import TestSupport
import Testing

@Suite struct ERC20Tests {
    /// The canonical signature `name(type,type)` of an ABI entry in ABIs/ERC20.json.
    static func signature(_ name: String) throws -> String {
        let url = Paths.repositoryRoot.appendingPathComponent("ABIs/ERC20.json")
        let entries = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [[String: Any]]
        let entry = try #require(entries.first { $0["name"] as? String == name })
        let types = (entry["inputs"] as! [[String: Any]]).map { $0["type"] as! String }
        return "\(name)(\(types.joined(separator: ",")))"
    }

    @Test func selectorsAndTopicComeFromTheABI() throws {
        #expect(try Self.signature("transfer") == "transfer(address,uint256)")
        #expect(Array(Keccak256.hash(text: try Self.signature("transfer")).bytes.prefix(4)) == ERC20.transferSelector)
        #expect(Array(Keccak256.hash(text: try Self.signature("balanceOf")).bytes.prefix(4)) == ERC20.balanceOfSelector)
        #expect(Keccak256.hash(text: try Self.signature("Transfer")) == ERC20.transferTopic)
    }

    @Test func callData() throws {
        let to = try Address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
        #expect(
            Hex.encode(ERC20.transferCallData(to: to, amount: 1_000_000))
                == "0xa9059cbb0000000000000000000000005aaeb6053f3e94c9b9a09f33669435e7ef1beaed00000000000000000000000000000000000000000000000000000000000f4240"
        )
        #expect(
            Hex.encode(ERC20.balanceOfCallData(owner: to)) == "0x70a082310000000000000000000000005aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
    }

    @Test func returnValues() throws {
        let one = UInt256(1).bigEndianBytes
        #expect(try ERC20.decodeUInt256(one) == 1)
        #expect(throws: ABIError.wrongReturnLength(expected: 32, actual: 0)) { try ERC20.decodeUInt256([]) }
        #expect(try ERC20.decodeTransferReturn([]) == .success)
        #expect(try ERC20.decodeTransferReturn(one) == .success)
        #expect(try ERC20.decodeTransferReturn(UInt256.zero.bigEndianBytes) == .failure)
        #expect(throws: ABIError.notABool) { try ERC20.decodeTransferReturn(UInt256(2).bigEndianBytes) }
        #expect(throws: ABIError.wrongReturnLength(expected: 32, actual: 31)) {
            try ERC20.decodeTransferReturn([UInt8](repeating: 0, count: 31))
        }
    }

    /// The USDC (PoS) Transfer in a recorded Polygon receipt (polygon-etl), and the
    /// LogFeeTransfer from 0x…1010 in the same receipt, which is not an ERC-20 Transfer.
    @Test func decodesRealPolygonLogs() throws {
        let path =
            "polygon-etl/cli/tests/resources/test_stream/blocks_with_transfers/web3_response.eth_getTransactionReceipt_0x4c4ff26c9a472f663dbd9ae3e94befa299e7f645702c04cd335e4e0578209665.json"
        let receipt = try #require((try jsonVector(path) as? [String: Any])?["result"] as? [String: Any])
        let logs = try #require(receipt["logs"] as? [[String: Any]])
        var transfers = [TransferEvent]()
        var rejected = 0
        for log in logs {
            let topics = try (log["topics"] as! [String]).map { try Bytes32(hex: $0) }
            do {
                transfers.append(
                    try TransferEvent(
                        token: try Address(log["address"] as! String), topics: topics, data: try Hex.decode(log["data"] as! String)))
            } catch {
                rejected += 1
            }
        }
        let usdc = try #require(transfers.first { $0.token == (try? Address("0x2791bca1f2de4661ed88a30c99a7a9449aa84174")) })
        #expect(usdc.amount > 0)
        #expect(!transfers.contains { $0.token == (try? Address("0x0000000000000000000000000000000000001010")) })
        #expect(rejected >= 1)
    }

    @Test func malformedTransferLogsAreRejected() throws {
        let token = try Address("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48")
        let from = try Address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed").word
        let to = try Address("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359").word
        let amount = UInt256(42).bigEndianBytes
        let event = try TransferEvent(token: token, topics: [ERC20.transferTopic, from, to], data: amount)
        #expect(event.amount == 42)
        #expect(event.to.checksummed == "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359")
        #expect(throws: ABIError.wrongTopicCount(4)) {
            try TransferEvent(token: token, topics: [ERC20.transferTopic, from, to, Bytes32(0, 0, 0, 1)], data: [])
        }
        #expect(throws: ABIError.wrongTopicCount(2)) { try TransferEvent(token: token, topics: [ERC20.transferTopic, from], data: amount) }
        #expect(throws: ABIError.wrongDataLength(31)) {
            try TransferEvent(token: token, topics: [ERC20.transferTopic, from, to], data: Array(amount.dropFirst()))
        }
        #expect(throws: ABIError.wrongDataLength(64)) {
            try TransferEvent(token: token, topics: [ERC20.transferTopic, from, to], data: amount + amount)
        }
        #expect(throws: ABIError.notATransfer) { try TransferEvent(token: token, topics: [Bytes32.zero, from, to], data: amount) }
        #expect(throws: ABIError.dirtyAddressTopic) {
            try TransferEvent(token: token, topics: [ERC20.transferTopic, Bytes32(1, 0, 0, 0), to], data: amount)
        }
    }
}
