import ArgumentParser
import ChainConfig
import ChainMonitor
import ChainRPC
import EthereumCore
import Foundation
import GatewayAPI
import GatewayDomain
import GatewayStore
import Hummingbird
import Logging
import PostgresNIO
import Metrics
import Prometheus
import ServiceLifecycle
import WebhookDelivery

/// `gateway serve`: the HTTP API, the chain monitor of every configured network, the session
/// matcher and clock, in one process and one `ServiceGroup` (SIGTERM stops them in order).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gateway: merchant API, hosted checkout, chain monitors and session matcher, against DATABASE_URL.",
        discussion: """
            Networks: devnet when --devchain-info is given, and every network whose provider variable is set
            (ETHEREUM_RPC_URLS, POLYGON_RPC_URLS, SEPOLIA_RPC_URLS, AMOY_RPC_URLS; comma-separated URLs).
            Each network's monitor runs in one process at a time (a Postgres advisory lock); another process
            serving the same database waits and takes over if that one stops.
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Option(help: "The devchain's info file: serve devnet on it.") var devchainInfo: String?
    @Option(help: "The gateway's public base URL, for checkout links (default: http://HOST:PORT).") var publicURL: String?
    @Option(help: "API requests per minute and key (0: no limit).") var rateLimit = 100
    @Option(help: "Session creations per minute and key (0: no limit).") var rateLimitCreate = 10
    @Option(help: "Seconds after a session ends during which later payments are still matched.") var lateWindow = 86_400
    @Option(help: "Webhook delivery workers in this process (0: none; run `gateway webhook worker` elsewhere).") var webhookWorkers = 1
    @OptionGroup var webhookOptions: WebhookWorkerOptions

    func run() async throws {
        var baseLogger = Logger(label: "gateway")
        baseLogger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let logger = baseLogger
        guard (0...65_535).contains(port) else { throw CLIError("--port must be 0...65535") }
        guard rateLimit >= 0, rateLimitCreate >= 0 else { throw CLIError("rate limits are 0 (none) or more") }
        guard lateWindow >= 0 else { throw CLIError("--late-window is seconds, 0 or more") }
        guard (0...16).contains(webhookWorkers) else { throw CLIError("--webhook-workers is 0...16") }
        let webhookConfiguration = try webhookOptions.configuration()

        let chains = try await connectNetworks(logger: logger)
        guard !chains.isEmpty else {
            throw CLIError("no network to serve: pass --devchain-info FILE or set a provider variable such as SEPOLIA_RPC_URLS")
        }
        var apiConfiguration = APIConfiguration()
        apiConfiguration.rateLimit = rateLimit
        apiConfiguration.createRateLimit = rateLimitCreate
        apiConfiguration.allowPrivateWebhookTargets = webhookOptions.webhookAllowPrivate
        let publicURL = self.publicURL ?? "http://\(host):\(port)"
        let networks = chains.map { chain in
            PayableNetwork(
                name: chain.network.name, chainId: chain.network.chainId, livemode: !chain.network.testnet,
                confirmations: chain.network.confirmations,
                tokens: chain.network.tokens.compactMap { token in
                    token.address.map { PayableNetwork.Token(symbol: token.symbol, address: $0, decimals: token.decimals) }
                }, payTo: nil)
        }

        try await database.withStore { client, monitorStore in
            let store = CheckoutStore(client: client, networks: networks, publicBaseURL: publicURL, lateWindowSeconds: lateWindow, logger: logger)
            let webhooks = WebhookStore(client: client, logger: logger)
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            let router = try GatewayRouter.make(
                store: store, webhooks: webhooks, configuration: apiConfiguration, metrics: { registry.emitToBuffer() }
            ) {
                await Self.health(chains: chains, client: client)
            }
            let app = Application(
                router: router, configuration: .init(address: .hostname(host, port: port), serverName: "gateway"),
                onServerRunning: { channel in
                    logger.info("gateway listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")", "public_url": "\(publicURL)"])
                }, logger: logger)
            var services: [any Service] = [SessionMatcher(store: store, logger: logger)]
            for chain in chains {
                services.append(MonitorService(chain: chain, client: client, store: monitorStore, logger: logger))
            }
            for _ in 0..<webhookWorkers {
                services.append(WebhookWorker(store: webhooks, configuration: webhookConfiguration, logger: logger))
            }
            // Listed last, stopped first: no new requests while the workers finish.
            services.append(app)
            let group = ServiceGroup(
                configuration: .init(services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }

    struct Chain: Sendable {
        let network: NetworkConfig
        let pool: ProviderPool
    }

    /// The networks to serve, each with a provider pool checked against its chain id.
    func connectNetworks(logger: Logger) async throws -> [Chain] {
        let catalog: [String: NetworkConfig]
        do { catalog = try NetworkCatalog.load() } catch { throw CLIError("\(error)") }
        var chains: [Chain] = []
        for name in catalog.keys.sorted() {
            var options = try ChainOptions.parse(["--network", name])
            if name == "devnet" {
                guard let devchainInfo else { continue }
                options.devchainInfo = devchainInfo
            } else if catalog[name]!.providerURLs(environment: ProcessInfo.processInfo.environment).isEmpty {
                continue
            }
            let (network, pool) = try await options.connect()
            guard network.tokens.allSatisfy({ $0.address != nil }) else {
                throw CLIError("\(network.name) has tokens without an address")
            }
            logger.info("serving network", metadata: ["network": "\(network.name)", "chain_id": "\(network.chainId)"])
            chains.append(Chain(network: network, pool: pool))
        }
        return chains
    }

    static func health(chains: [Chain], client: PostgresClient) async -> [NetworkHealth] {
        var checkpoints: [String: UInt64] = [:]
        if let rows = try? await client.query("SELECT network, number FROM monitor_checkpoints", logger: Logger(label: "gateway.health")) {
            do {
                for try await (network, number) in rows.decode((String, Int64).self) { checkpoints[network] = UInt64(max(0, number)) }
            } catch {}
        }
        var out: [NetworkHealth] = []
        for chain in chains {
            out.append(
                NetworkHealth(
                    network: chain.network.name, chainId: chain.network.chainId, head: await chain.pool.safeHead,
                    checkpoint: checkpoints[chain.network.name]))
        }
        return out
    }
}

/// One network's chain monitor as a service. It holds the network's advisory lock while it
/// runs; when another process holds it, it waits and tries again.
struct MonitorService: Service {
    let chain: ServeCommand.Chain
    let client: PostgresClient
    let store: PostgresMonitorStore
    let logger: Logger

    func run() async throws {
        let key = "gateway.monitor." + chain.network.name
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        let rows = try await connection.query("SELECT pg_try_advisory_lock(hashtext(\(key))::bigint)", logger: logger)
                        var acquired = false
                        for try await value in rows.decode(Bool.self) { acquired = value }
                        guard acquired else { return }
                        let monitor = ChainMonitor(
                            pool: chain.pool, store: store, configuration: ChainMonitor.Configuration(network: chain.network), logger: logger)
                        do {
                            try await monitor.run()
                        } catch {
                            _ = try? await connection.query("SELECT pg_advisory_unlock(hashtext(\(key))::bigint)", logger: logger)
                            throw error
                        }
                    }
                } catch {
                    // A shutdown cancels the monitor, and surfaces as whatever the call in flight threw.
                    if Task.isCancelled { return }
                    logger.error("monitor stopped; restarting", metadata: ["network": "\(chain.network.name)", "error": "\(describeDatabaseError(error))"])
                }
                try? await Task.sleep(for: .seconds(5))
            }
        }
    }
}
