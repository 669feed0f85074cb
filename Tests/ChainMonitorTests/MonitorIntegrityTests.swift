import ChainConfig
import ChainMonitor
import ChainRPC
import EthereumCore
import Foundation
import GatewayStore
import TestSupport
import Testing

/// What no provider, reorg or second process can make the monitor record, on the devchain
/// and a real Postgres.
@Suite(.serialized) struct MonitorIntegrityTests {
    static let merchant = try! Address("0x00000000000000000000000000000000000d0d01")
    static let stranger = try! Address("0x00000000000000000000000000000000000d0d77")

    @Test(arguments: [true, false])
    func aForgedLogFromOneProviderIsNeverRecorded(forgerFirst: Bool) async throws {
        let chain = try await Devchain()
        let forger = try await FaultProxy(upstream: chain.url)
        let honest = try await FaultProxy(upstream: chain.url)
        let clients = forgerFirst ? [forger.client(), honest.client()] : [honest.client(), forger.client()]
        let harness = try await MonitorHarness(chain: chain, store: try await makeStore(), confirmations: 2, clients: clients)
        try await harness.poll()
        // A real transaction of the block, a new log index, any amount to the merchant.
        try await forger.fault("forge_log", ["token": chain.usdc.lowercased, "to": Self.merchant.lowercased, "amount": "999000000"])
        let stray = try await chain.transfer(token: chain.usdc, from: 2, to: Self.stranger, amount: 1)
        let real = try await chain.transfer(token: chain.usdc, from: 1, to: Self.merchant, amount: 1_000_000)
        try await chain.mine(3)
        for _ in 0..<4 { try await harness.poll() }
        let rows = try await harness.rows()
        #expect(rows.map(\.transfer.transactionHash) == [real], "only the real payment; the forged log reused \(stray) or \(real)")
        #expect(rows.map(\.transfer.amount) == [1_000_000])
        #expect(rows.allSatisfy { $0.state == .confirmed })
    }

    @Test func aForgedAmountInsideTheBloomIsNeverRecorded() async throws {
        let chain = try await Devchain()
        let forger = try await FaultProxy(upstream: chain.url)
        let harness = try await MonitorHarness(
            chain: chain, store: try await makeStore(), confirmations: 1, clients: [forger.client(), chain.client()])
        try await harness.poll()
        try await forger.fault("forge_log", ["in_bloom": true, "amount": "777000000", "token": chain.usdc.lowercased])
        let real = try await chain.transfer(token: chain.usdc, from: 1, to: Self.merchant, amount: 5_000_000)
        for _ in 0..<3 { try await harness.poll() }
        let rows = try await harness.rows()
        #expect(rows.map(\.transfer.transactionHash) == [real])
        #expect(rows.map(\.transfer.amount) == [5_000_000], "the honest amount, never the forged one")
    }

    @Test func aProviderHidingLogsDoesNotLoseThePayment() async throws {
        let chain = try await Devchain()
        let partial = try await FaultProxy(upstream: chain.url)
        let harness = try await MonitorHarness(
            chain: chain, store: try await makeStore(), confirmations: 1, clients: [partial.client(), chain.client()])
        try await harness.poll()
        try await partial.fault("partial_logs", ["drop_to": Self.merchant.lowercased])
        let real = try await chain.transfer(token: chain.usdt, from: 1, to: Self.merchant, amount: 7_000_000)
        for _ in 0..<3 { try await harness.poll() }
        #expect(try await harness.rows().map(\.transfer.transactionHash) == [real])
    }

    @Test func anInflatedFinalizedBlockDoesNotPoisonTheHonestProviders() async throws {
        let chain = try await Devchain(arguments: ["--finality-depth", "2"])
        let liar = try await FaultProxy(upstream: chain.url)
        let honest = try await FaultProxy(upstream: chain.url)
        let harness = try await MonitorHarness(
            chain: chain, store: try await makeStore(), confirmations: 1, finalized: true,
            clients: [liar.client(), honest.client(), chain.client()])
        try await harness.poll()
        try await liar.fault("inflated_finalized", ["ahead": 1000])
        let paid = try await chain.transfer(token: chain.usdc, from: 1, to: Self.merchant, amount: 3_000_000)
        try await harness.poll()
        #expect(try await harness.rows().map(\.state) == [.seen], "not final on one provider's word")
        try await chain.mine(4)
        for _ in 0..<3 { try await harness.poll() }
        let rows = try await harness.rows()
        #expect(rows.map(\.transfer.transactionHash) == [paid])
        #expect(rows.map(\.state) == [.confirmed], "the honest providers' finalized block confirms it")
    }

    @Test func aReorgWhileFarBehindIsFoundAndTheOrphanedPaymentRemoved() async throws {
        let chain = try await Devchain()
        let store = try await makeStore()
        let harness = try await MonitorHarness(chain: chain, store: store, confirmations: 2, windowSize: 8)
        try await harness.poll()
        let fork = try await chain.snapshot()
        let orphaned = try await chain.transfer(token: chain.usdc, from: 1, to: Self.merchant, amount: 4_000_000)
        try await harness.poll()
        #expect(try await harness.rows().map(\.transfer.transactionHash) == [orphaned])
        // While the monitor is away the block is orphaned and the chain moves far beyond the window.
        try await chain.revert(fork)
        try await chain.mine(100)
        var configuration = ChainMonitor.Configuration(network: try MonitorHarness.devnet(chain), confirmations: 2)
        configuration.windowSize = 8
        configuration.rangeCatchUpThreshold = 16
        let restarted = ChainMonitor(pool: testPool([chain.client()]), store: store, configuration: configuration)
        let report = try await restarted.pollOnce()
        #expect(report.reorgs >= 1, "the catch-up boundary found the fork")
        let rows = try await store.transfers(network: "devnet")
        #expect(rows.map(\.state) == [.removed], "a payment in an orphaned block never stands")
    }

    @Test func aReorgDeeperThanTheWindowHaltsUntilRewound() async throws {
        let chain = try await Devchain()
        let store = try await makeStore()
        let harness = try await MonitorHarness(chain: chain, store: store, confirmations: 2, windowSize: 4)
        try await harness.poll()
        let fork = try await chain.snapshot()
        try await chain.transfer(token: chain.usdc, from: 1, to: Self.merchant, amount: 1_000_000)
        try await chain.mine(5)
        try await harness.poll()
        try await chain.revert(fork)
        try await chain.mine(8)
        await #expect(throws: MonitorError.self) { try await harness.poll() }
        let postgres = try #require(store as? PostgresMonitorStore)
        #expect(try await postgres.haltReason(network: "devnet")?.contains("deeper than the 4-block window") == true)
        // A restart does not absorb it.
        var configuration = ChainMonitor.Configuration(network: try MonitorHarness.devnet(chain), confirmations: 2)
        configuration.windowSize = 4
        let again = ChainMonitor(pool: testPool([chain.client()]), store: store, configuration: configuration)
        await #expect(throws: MonitorError.self) { try await again.pollOnce() }
        // The operator rewinds to a block both chains share.
        let shared = try await chain.client().request(.block(.number(2)), parse: RPCParse.block)!
        let removed = try await postgres.rewind(
            network: "devnet", to: BlockRef(number: shared.number, hash: shared.hash, parentHash: shared.parentHash),
            blockTimestamp: shared.timestamp, holder: "test")
        #expect(removed.count == 1)
        #expect(try await postgres.haltReason(network: "devnet") == nil)
        let resumed = ChainMonitor(pool: testPool([chain.client()]), store: store, configuration: configuration)
        let report = try await resumed.pollOnce()
        #expect(report.tip == (try await chain.head()))
        #expect(try await store.transfers(network: "devnet").map(\.state) == [.removed])
    }

    @Test func aMonitorThatLostItsLeaseCannotWrite() async throws {
        let chain = try await Devchain()
        let store = try #require(try await makeStore() as? PostgresMonitorStore)
        try await store.addWatched(network: "devnet", addresses: [Self.merchant])
        let first = try await store.acquireLease(network: "devnet", holder: "first")
        let configuration = ChainMonitor.Configuration(network: try MonitorHarness.devnet(chain), confirmations: 2)
        let old = ChainMonitor(pool: testPool([chain.client()]), store: store.fenced(by: first), configuration: configuration)
        try await old.pollOnce()
        // Another process takes over (its lock's connection dropped, say).
        let second = try await store.acquireLease(network: "devnet", holder: "second")
        #expect(second.epoch == first.epoch + 1)
        try await chain.transfer(token: chain.usdc, from: 1, to: Self.merchant, amount: 2_000_000)
        await #expect(throws: StoreError.self) { try await old.pollOnce() }
        #expect(try await store.transfers(network: "devnet").isEmpty, "the old holder wrote nothing")
        let current = ChainMonitor(pool: testPool([chain.client()]), store: store.fenced(by: second), configuration: configuration)
        try await current.pollOnce()
        #expect(try await store.transfers(network: "devnet").count == 1)
    }
}
