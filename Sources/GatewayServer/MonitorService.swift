import ChainMonitor
import GatewayStore
import Logging
import PostgresNIO
import ServiceLifecycle

/// One network's chain monitor as a service. It holds the network's advisory lock while it
/// runs; when another process holds it, it waits and tries again, so that one of several
/// gateway processes on a database runs each network's monitor and another takes over when
/// it stops. With the lock it takes a new monitor lease, which fences any earlier holder out
/// of the store: even if the lock's connection drops and another process takes over, the old
/// monitor cannot write. A halted network (a reorg deeper than the window) is not started
/// until an operator rewinds it.
public struct MonitorService: Service {
    public let chain: Chain
    let makeMonitor: @Sendable (PostgresMonitorStore) -> ChainMonitor
    let store: PostgresMonitorStore
    let retryDelay: Duration
    let logger: Logger
    /// Who holds the lease: host and process.
    let holder: String

    public init(
        chain: Chain, store: PostgresMonitorStore, retryDelay: Duration, holder: String, logger: Logger,
        makeMonitor: @escaping @Sendable (PostgresMonitorStore) -> ChainMonitor
    ) {
        self.chain = chain
        self.store = store
        self.retryDelay = retryDelay
        self.holder = holder
        self.logger = logger
        self.makeMonitor = makeMonitor
    }

    public func run() async throws {
        let network = chain.network.name
        let lock = AdvisoryLock.monitor(network: network)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    if let reason = try await store.haltReason(network: network) {
                        logger.critical(
                            "monitor halted; run gateway monitor rewind", metadata: ["network": "\(network)", "reason": "\(reason)"])
                        try? await Task.sleep(for: retryDelay * 6)
                        continue
                    }
                    _ = try await lock.withLock(client: store.client, logger: logger) { _ in
                        let lease = try await store.acquireLease(network: network, holder: holder)
                        logger.info("monitor started", metadata: ["network": "\(network)", "lease": "\(lease.epoch)"])
                        try await makeMonitor(store.fenced(by: lease)).run()
                    }
                } catch {
                    // A shutdown cancels the monitor, and surfaces as whatever the call in flight threw.
                    if Task.isCancelled { return }
                    logger.error(
                        "monitor stopped; restarting", metadata: ["network": "\(network)", "error": "\(describeDatabaseError(error))"])
                }
                try? await Task.sleep(for: retryDelay)
            }
        }
    }
}
