import ChainMonitor
import ChainRPC
import EthereumCore
import Foundation
import TestSupport
import Testing

/// Lying providers do not make the monitor miss a payment, and claims are verified.
@Suite(.serialized) struct MonitorFaultTests {
    /// The only provider answers the newest block's logs with []: the monitor does not move
    /// past that block until the logs come back, so the payment is found, never skipped.
    @Test func emptyLogsForTheNewestBlockMissNothing() async throws {
        let chain = try await Devchain()
        let proxy = try await FaultProxy(upstream: chain.url)
        let harness = try await MonitorHarness(chain: chain, store: try await makeStore(), confirmations: 2, clients: [proxy.client()])
        try await harness.poll()
        try await proxy.fault("empty_logs_newest")
        try await chain.transfer(token: chain.usdc, from: 1, to: harness.merchant, amount: 31)
        let block = try await chain.head()
        await #expect(throws: (any Error).self) { try await harness.poll() }
        #expect(try await harness.rows().isEmpty)
        try await chain.mine()
        try await harness.poll()
        let rows = try await harness.rows()
        #expect(rows.map(\.transfer.blockNumber) == [block])
        #expect(rows.map(\.transfer.amount) == [31])
        #expect(rows.map(\.state) == [.confirmed])
    }

    /// A provider 5 blocks behind beside an honest one: the monitor goes only as far as both
    /// serve, and finds the payment once the laggard catches up.
    @Test func staleHeadMissesNothing() async throws {
        let chain = try await Devchain()
        try await chain.mine(10)
        let proxy = try await FaultProxy(upstream: chain.url)
        try await proxy.fault("stale_head", ["behind": 5])
        let harness = try await MonitorHarness(
            chain: chain, store: try await makeStore(), confirmations: 2, clients: [proxy.client(), chain.client()])
        try await harness.poll()
        try await chain.transfer(token: chain.usdt, from: 2, to: harness.merchant, amount: 8)
        let report = try await harness.poll()
        #expect(report.tip == (try await chain.head()) - 5)
        #expect(try await harness.rows().isEmpty)
        try await chain.mine(6)
        try await harness.poll()
        #expect(try await harness.rows().map(\.transfer.amount) == [8])
    }

    @Test func balancesOfConfiguredAddresses() async throws {
        let chain = try await Devchain()
        let wallet = try Address("0x00000000000000000000000000000000000d0d03")
        try await chain.transfer(token: chain.usdc, from: 1, to: wallet, amount: 1_500_000)
        try await chain.transfer(token: chain.usdt, from: 1, to: wallet, amount: 250)
        var configuration = ChainMonitor.Configuration(network: try MonitorHarness.devnet(chain), confirmations: 2)
        configuration.balanceAddresses = [wallet]
        let monitor = ChainMonitor(pool: testPool([chain.client()]), store: try await makeStore(), configuration: configuration)
        try await monitor.pollOnce()
        let balances = await monitor.balances
        #expect(balances.first { $0.token == chain.usdc }?.amount == 1_500_000)
        #expect(balances.first { $0.token == chain.usdt }?.amount == 250)
        #expect(balances.first { $0.token == nil }?.amount == 0)
        #expect(balances.allSatisfy { $0.address == wallet && $0.blockNumber == 4 })
    }

    @Test func watchListChangesWhileRunning() async throws {
        let chain = try await Devchain()
        let store = try await makeStore()
        let harness = try await MonitorHarness(chain: chain, store: store, confirmations: 2)
        let second = try Address("0x00000000000000000000000000000000000d0d02")
        try await harness.poll()
        try await chain.transfer(token: chain.usdc, from: 1, to: second, amount: 1)
        try await harness.poll()
        #expect(try await harness.rows().isEmpty, "not watched yet")
        try await harness.monitor.watch([second])
        try await chain.transfer(token: chain.usdc, from: 1, to: second, amount: 2)
        try await harness.monitor.unwatch([harness.merchant])
        try await chain.transfer(token: chain.usdc, from: 1, to: harness.merchant, amount: 3)
        try await harness.poll()
        #expect(try await harness.rows().map(\.transfer.amount) == [2])
        #expect(await harness.monitor.watchedAddresses == [second])
    }
}

/// Far behind, blocks older than the window are read with ranged eth_getLogs in chunks, and
/// the blocks of the window one by one: nothing is missed and deep transfers confirm.
@Suite(.serialized) struct MonitorCatchUpTests {
    @Test func catchesUpOverRangesThenFollowsBlocks() async throws {
        let chain = try await Devchain()
        let merchant = try Address("0x00000000000000000000000000000000000d0d01")
        var hashes = [TxHash]()
        for round in 0..<6 {
            hashes.append(
                try await chain.transfer(
                    token: round % 2 == 0 ? chain.usdc : chain.usdt, from: 1, to: merchant, amount: UInt256(UInt64(round + 1))))
            try await chain.mine(25)
        }
        let store = try await makeStore()
        try await store.addWatched(network: "devnet", addresses: [merchant])
        var configuration = ChainMonitor.Configuration(network: try MonitorHarness.devnet(chain), confirmations: 2)
        configuration.windowSize = 8
        configuration.rangeCatchUpThreshold = 16
        configuration.catchUpChunk = 40
        configuration.start = .block(1)
        let proxy = try await FaultProxy(upstream: chain.url)
        let monitor = ChainMonitor(pool: testPool([proxy.client()]), store: store, configuration: configuration)
        let report = try await monitor.pollOnce()
        let head = try await chain.head()
        #expect(report.tip == head)
        let rows = try await store.transfers(network: "devnet")
        #expect(rows.map(\.transfer.transactionHash) == hashes)
        #expect(rows.allSatisfy { $0.state == .confirmed })
        let calls = try await proxy.calls()
        #expect((calls["eth_getLogs"] ?? 0) < Int(head) / 2, "old blocks were read by range, not block by block")
        #expect(try await store.loadWindow(network: "devnet").last?.number == head)
    }
}
