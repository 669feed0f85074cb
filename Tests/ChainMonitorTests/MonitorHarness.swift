import ChainConfig
import ChainMonitor
import ChainRPC
import EthereumCore
import Foundation
import TestSupport

/// A monitor on the devchain, its store and the events it published, for scenario tests.
final class MonitorHarness: @unchecked Sendable {
    let chain: Devchain
    let store: any MonitorStore
    let monitor: ChainMonitor
    let merchant: Address
    private let collector: EventCollector

    init(
        chain: Devchain, store: any MonitorStore, confirmations: Int, finalized: Bool = false, clients: [JSONRPCClient]? = nil,
        watch: [Address]? = nil, windowSize: Int? = nil
    ) async throws {
        self.chain = chain
        self.store = store
        merchant = try Address("0x00000000000000000000000000000000000d0d01")
        let devnet = try Self.devnet(chain)
        let network = NetworkConfig(
            name: devnet.name, chainId: devnet.chainId, testnet: true, nativeSymbol: devnet.nativeSymbol, nativeDecimals: 18,
            tokens: devnet.tokens, confirmations: confirmations, finality: finalized ? .depthAndFinalized : .depth,
            blockTimeMs: devnet.blockTimeMs, reorgWindow: windowSize ?? devnet.reorgWindow, providerUrlEnv: devnet.providerUrlEnv)
        var configuration = ChainMonitor.Configuration(network: network)
        configuration.pollInterval = .milliseconds(100)
        let (events, continuation) = ChainMonitor.eventStream()
        monitor = ChainMonitor(
            pool: testPool(clients ?? [chain.client()]), store: store, configuration: configuration, events: continuation)
        try await store.addWatched(network: "devnet", addresses: watch ?? [merchant])
        collector = EventCollector()
        let collector = self.collector
        Task { for await event in events { await collector.append(event) } }
    }

    /// The devnet definition with the devchain's token addresses.
    static func devnet(_ chain: Devchain) throws -> NetworkConfig {
        let catalog = try NetworkCatalog.load(directory: Paths.repositoryRoot.appendingPathComponent("Networks"))
        return catalog["devnet"]!.withTokenAddresses(["USDC": chain.usdc, "USDT": chain.usdt])
    }

    /// Polls once and gives the event stream a moment to deliver.
    @discardableResult
    func poll() async throws -> ChainMonitor.PollReport {
        let report = try await monitor.pollOnce()
        try await Task.sleep(for: .milliseconds(30))
        return report
    }

    /// Events so far, as `kind:confirmations`, and forgets them.
    func takeEvents() async -> [String] {
        await collector.take().map { "\($0.kind.rawValue):\($0.confirmations)" }
    }

    func rows() async throws -> [StoredTransfer] { try await store.transfers(network: "devnet") }
}

actor EventCollector {
    var events: [MonitorEvent] = []
    func append(_ event: MonitorEvent) { events.append(event) }
    func take() -> [MonitorEvent] {
        defer { events = [] }
        return events
    }
}
