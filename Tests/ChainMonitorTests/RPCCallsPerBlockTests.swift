import ChainMonitor
import ChainRPC
import EthereumCore
import Foundation
import TestSupport
import Testing

/// One log query per block covers every watched address: the RPC calls the monitor makes
/// per new block, counted at a proxy in front of the devchain, are the same for 1 and for
/// 10,000 watched addresses.
@Suite(.serialized) struct RPCCallsPerBlockTests {
    func callsPerBlock(watching count: Int) async throws -> (calls: [String: Int], found: Int) {
        let chain = try await Devchain()
        let proxy = try await FaultProxy(upstream: chain.url)
        let merchant = try Address("0x00000000000000000000000000000000000d0d01")
        var addresses = [merchant]
        for index in 1..<count {
            addresses.append(try Address(bytes: Keccak256.hash(text: "watched \(index)").bytes.suffix(20)))
        }
        let harness = try await MonitorHarness(
            chain: chain, store: try await makeStore(), confirmations: 3, clients: [proxy.client()], watch: addresses)
        try await harness.poll()
        try await proxy.reset()
        for index in 0..<5 {
            try await chain.transfer(
                token: index % 2 == 0 ? chain.usdc : chain.usdt, from: 1, to: merchant, amount: UInt256(UInt64(index + 1)))
            let report = try await harness.poll()
            #expect(report.blocksProcessed == 1)
        }
        let found = try await harness.rows().count
        return (try await proxy.calls(), found)
    }

    @Test func sameCallsForOneAndTenThousandWatchedAddresses() async throws {
        let one = try await callsPerBlock(watching: 1)
        let many = try await callsPerBlock(watching: 10_000)
        #expect(one.found == 5)
        #expect(many.found == 5)
        #expect(one.calls == many.calls)
        #expect(one.calls.values.reduce(0, +) == 5 * 3, "per block: the head, the block, its logs by block hash")
        #expect(one.calls["eth_getLogs"] == 5)
    }
}
