import ChainMonitor
import ChainRPC
import EthereumCore
import Foundation
import TestSupport
import Testing

/// The monitor on a real EVM (the devchain) with the store. Each test drives the monitor
/// one poll at a time, so every assertion is about an exact state, never a timing.
@Suite(.serialized) struct MonitorScenarioTests {
    @Test func confirmedAtExactlyDepthN() async throws {
        let chain = try await Devchain()
        let harness = try await MonitorHarness(chain: chain, store: try await makeStore(), confirmations: 3)
        try await harness.poll()
        let hash = try await chain.transfer(token: chain.usdc, from: 1, to: harness.merchant, amount: 25_000_000)
        try await chain.transfer(token: chain.usdc, from: 2, to: try Address("0x00000000000000000000000000000000000d0d99"), amount: 1)
        try await harness.poll()
        // Depth counts the block itself: the unwatched transfer's block makes it 2.
        #expect(await harness.takeEvents() == ["seen:1", "confirming:2"])
        var rows = try await harness.rows()
        #expect(rows.count == 1, "only transfers to watched addresses are stored")
        #expect(rows.first?.state == .seen)
        #expect(rows.first?.transfer.transactionHash == hash)
        #expect(rows.first?.transfer.amount == 25_000_000)
        try await chain.mine()
        try await harness.poll()
        #expect(await harness.takeEvents() == ["confirmed:3"])
        rows = try await harness.rows()
        #expect(rows.first?.state == .confirmed)
    }

    @Test func confirmationCountsUpOneBlockAtATime() async throws {
        let chain = try await Devchain()
        let harness = try await MonitorHarness(chain: chain, store: try await makeStore(), confirmations: 4)
        try await harness.poll()
        try await chain.transfer(token: chain.usdt, from: 1, to: harness.merchant, amount: 5)
        try await harness.poll()
        #expect(await harness.takeEvents() == ["seen:1"])
        var kinds = [String]()
        for _ in 0..<3 {
            try await chain.mine()
            try await harness.poll()
            kinds += await harness.takeEvents()
        }
        #expect(kinds == ["confirming:2", "confirming:3", "confirmed:4"])
        #expect(try await harness.rows().map(\.state) == [.confirmed])
    }

    @Test func depthPlusFinalizedWaitsForTheFinalizedBlock() async throws {
        let chain = try await Devchain()
        try await chain.control("devchain_setFinalityDepth", [.int(6)])
        let harness = try await MonitorHarness(chain: chain, store: try await makeStore(), confirmations: 2, finalized: true)
        try await harness.poll()
        try await chain.transfer(token: chain.usdc, from: 1, to: harness.merchant, amount: 9)
        let block = try await chain.head()
        for _ in 0..<5 {
            try await chain.mine()
            try await harness.poll()
            let finalized = Int(try await chain.head()) - 6
            #expect(try await harness.rows().map(\.state) == [.seen], "finalized \(finalized) is below block \(block)")
        }
        try await chain.mine()
        try await harness.poll()
        #expect(Int(try await chain.head()) - 6 == Int(block))
        #expect(try await harness.rows().map(\.state) == [.confirmed])
    }

    /// Reorgs of depth 1 to N−1: the payment's block is orphaned, the same transaction is
    /// re-included in another block; the old row is removed, the new one confirmed, and no
    /// confirmed transfer is outside the final canonical chain.
    @Test(arguments: [1, 2, 3])
    func reorgReincludesThePayment(depth: Int) async throws {
        let chain = try await Devchain()
        let harness = try await MonitorHarness(chain: chain, store: try await makeStore(), confirmations: 4)
        try await harness.poll()
        let snapshot = try await chain.snapshot()
        let raw = try await chain.signedTransfer(token: chain.usdc, from: 3, to: harness.merchant, amount: 77)
        let hash = try await chain.send(raw)
        if depth > 1 { try await chain.mine(depth - 1) }
        try await harness.poll()
        let before = try await harness.rows()
        #expect(before.map(\.state) == [.seen])
        _ = await harness.takeEvents()

        try await chain.revert(snapshot)
        try await chain.mine(depth)
        try await chain.send(raw)
        try await harness.poll()
        let after = try await harness.rows()
        #expect(after.count == 2)
        #expect(after.filter { $0.state == .removed }.map(\.transfer.blockHash) == before.map(\.transfer.blockHash))
        let fresh = try #require(after.first { $0.state == .seen })
        #expect(fresh.transfer.transactionHash == hash)
        #expect(fresh.transfer.blockHash != before[0].transfer.blockHash)
        #expect(await harness.takeEvents().prefix(2) == ["removed:0", "seen:1"])

        try await chain.mine(3)
        try await harness.poll()
        try await expectConfirmedAreCanonical(harness)
        #expect(try await harness.rows().filter { $0.state == .confirmed }.map(\.transfer.blockHash) == [fresh.transfer.blockHash])
    }

    /// The chain reorganises while no monitor runs; a new monitor on the same store finds it.
    @Test func reorgWhileTheMonitorIsDown() async throws {
        let chain = try await Devchain()
        let store = try await makeStore()
        let first = try await MonitorHarness(chain: chain, store: store, confirmations: 3)
        try await first.poll()
        let snapshot = try await chain.snapshot()
        let raw = try await chain.signedTransfer(token: chain.usdt, from: 4, to: first.merchant, amount: 1_000)
        try await chain.send(raw)
        try await first.poll()
        #expect(try await first.rows().map(\.state) == [.seen])

        try await chain.revert(snapshot)
        try await chain.mine(2)
        try await chain.send(raw)
        try await chain.mine(2)
        let second = try await MonitorHarness(chain: chain, store: store, confirmations: 3)
        try await second.poll()
        let rows = try await second.rows()
        #expect(rows.map(\.state).sorted { $0.rawValue < $1.rawValue } == [.confirmed, .removed])
        try await expectConfirmedAreCanonical(second)
    }

    /// Every confirmed row's block is the chain's block at that height now.
    func expectConfirmedAreCanonical(_ harness: MonitorHarness) async throws {
        for row in try await harness.rows() where row.state == .confirmed {
            let block = try await harness.chain.client().request(.block(.number(row.transfer.blockNumber)), parse: RPCParse.block)
            #expect(block?.hash == row.transfer.blockHash, "confirmed transfer in block \(row.transfer.blockNumber) is canonical")
        }
    }
}
