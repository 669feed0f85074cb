import ChainMonitor
import GatewayStore
import Logging
import PostgresNIO
import ServiceLifecycle

/// One network's chain monitor as a service. It holds the network's advisory lock while it
/// runs; when another process holds it, it waits and tries again, so that one of several
/// gateway processes on a database runs each network's monitor and another takes over when
/// it stops.
public struct MonitorService: Service {
    public let chain: Chain
    let makeMonitor: @Sendable () -> ChainMonitor
    let client: PostgresClient
    let retryDelay: Duration
    let logger: Logger

    public init(
        chain: Chain, client: PostgresClient, retryDelay: Duration, logger: Logger, makeMonitor: @escaping @Sendable () -> ChainMonitor
    ) {
        self.chain = chain
        self.client = client
        self.retryDelay = retryDelay
        self.logger = logger
        self.makeMonitor = makeMonitor
    }

    public func run() async throws {
        let lock = AdvisoryLock.monitor(network: chain.network.name)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await lock.withLock(client: client, logger: logger) { _ in try await makeMonitor().run() }
                } catch {
                    // A shutdown cancels the monitor, and surfaces as whatever the call in flight threw.
                    if Task.isCancelled { return }
                    logger.error(
                        "monitor stopped; restarting",
                        metadata: ["network": "\(chain.network.name)", "error": "\(describeDatabaseError(error))"])
                }
                try? await Task.sleep(for: retryDelay)
            }
        }
    }
}
