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
import ServiceLifecycle
import WebhookDelivery

/// The composition root: every store, service and route of `gateway serve`, built once from a
/// ``GatewayConfiguration``. `gateway serve` runs ``run()``; tests build the same value and
/// drive its parts (the HTTP responder, a monitor, the matcher, the clock) one step at a time.
public struct GatewayApp: Sendable {
    public let configuration: GatewayConfiguration
    /// The API's database pool: requests, health and operator reads.
    public let client: PostgresClient
    /// The background services' pool (monitors, matcher, clock, refund senders, webhook
    /// workers, the change listener): requests queued for the API's connections never hold
    /// them up. The same as ``client`` when the app was built with one pool.
    public let backgroundClient: PostgresClient
    public let chains: [Chain]
    public let stores: APIStores
    public let monitorStore: PostgresMonitorStore
    /// The webhook workers' store, on the background pool.
    let webhookStore: WebhookStore
    public let matcher: SessionMatcher
    public let clock: SessionClock
    /// One refund sender per network with an unlocked hot wallet.
    public let senders: [RefundSender]
    /// Change notices from the database, for everyone who waits on them.
    public let changes: ChangeHub
    /// Whether the database answers (a probe keeps it current while the app runs).
    public let availability: Availability
    /// The HTTP routes, built once.
    public let responder: RouterResponder<APIContext>
    /// The process's metrics: every series of the configured networks, providers and routes
    /// exists from here on. Other services register their families in it.
    public let metrics: MetricsRegistry
    /// When each network's safe head was last seen to advance.
    let headWatch: HeadWatch
    /// Each network's hot wallet.
    let walletAddresses: [String: Address]
    /// Each served network's hot-wallet balance thresholds.
    public let walletThresholds: [String: HotWalletThresholds]
    let logger: Logger

    /// Builds the gateway on `client` for the API and `backgroundClient` (by default the same)
    /// for the background services, pools which ``services()`` runs, for `chains`, signing
    /// refunds with `hotWallets` (one per network at most). `metrics` is the registry `/metrics`
    /// renders (by default a fresh one with the gateway's families; `gateway serve` passes the
    /// one swift-metrics reports into).
    public init(
        configuration: GatewayConfiguration, client: PostgresClient, backgroundClient: PostgresClient? = nil, chains: [Chain],
        hotWallets: [HotWallet] = [], metrics: MetricsRegistry? = nil, logger: Logger
    ) throws {
        self.configuration = configuration
        self.client = client
        let background = backgroundClient ?? client
        self.backgroundClient = background
        self.chains = chains
        self.logger = logger
        let payable = chains.map { Self.payable($0) }
        let changes = ChangeHub()
        func sessionStore(_ client: PostgresClient) -> SessionStore {
            SessionStore(
                client: client, networks: payable, publicBaseURL: configuration.resolvedPublicURL,
                lateWindowSeconds: configuration.lateWindowSeconds, logger: logger)
        }
        let sessions = sessionStore(client)
        let backgroundSessions = sessionStore(background)
        let wallets = Dictionary(hotWallets.map { ($0.network, $0) }, uniquingKeysWith: { first, _ in first })
        func refundStore(_ sessions: SessionStore) -> RefundStore {
            RefundStore(
                client: sessions.client, sessions: sessions, limits: configuration.refunds.limits, hotWallets: wallets.mapValues(\.address),
                logger: logger)
        }
        let refunds = refundStore(sessions)
        let senderRefunds = refundStore(backgroundSessions)
        // Keys and merchants are read on every request: kept while the change feed says
        // nothing changed (CachedReads).
        stores = APIStores(
            merchants: MerchantStore(client: client, logger: logger, cache: CachedReads(hub: changes)),
            keys: APIKeyStore(client: client, logger: logger, cache: CachedReads(hub: changes)),
            sessions: sessions, transfers: TransferStore(client: client, networks: payable, logger: logger),
            idempotency: IdempotencyStore(client: client, logger: logger), webhooks: WebhookStore(client: client, logger: logger),
            refunds: refunds)
        monitorStore = PostgresMonitorStore(client: background, logger: logger)
        webhookStore = WebhookStore(client: background, logger: logger)
        let availability = Availability()
        self.changes = changes
        self.availability = availability
        let registry = metrics ?? MetricsRegistry(families: MetricCatalog.families)
        self.metrics = registry
        let monitorStore = self.monitorStore
        senders = chains.compactMap { chain in
            wallets[chain.network.name].map { wallet in
                RefundSender(
                    chain: chain, wallet: wallet, refunds: senderRefunds, balances: monitorStore, configuration: configuration.refunds,
                    client: background, retryDelay: configuration.monitorRetryDelay, changes: changes, metrics: registry, logger: logger)
            }
        }
        matcher = SessionMatcher(
            sessions: backgroundSessions, interval: configuration.matcherInterval, batchSize: configuration.matcherBatchSize,
            changes: changes,
            metrics: registry, deadline: configuration.databaseCallDeadline, logger: logger)
        clock = SessionClock(
            sessions: backgroundSessions, interval: configuration.clockInterval, deadline: configuration.databaseCallDeadline,
            logger: logger)
        let chains = self.chains
        let headWatch = HeadWatch()
        self.headWatch = headWatch
        let stallSeconds = configuration.monitorStallSeconds
        let walletAddresses = wallets.mapValues(\.address)
        self.walletAddresses = walletAddresses
        let thresholds = try configuration.refunds.hotWalletThresholds(networks: chains.map(\.network))
        walletThresholds = thresholds
        let observability = Observability(registry: registry, operatorToken: configuration.operatorToken) {
            await Self.snapshot(
                chains: chains, client: client, availability: availability, headWatch: headWatch, registry: registry,
                stallSeconds: stallSeconds, wallets: walletAddresses, thresholds: thresholds, logger: logger)
        }
        var api = configuration.api
        api.consoleSecureCookies = configuration.resolvedPublicURL.lowercased().hasPrefix("https://")
        let router = try GatewayRouter.make(
            stores: stores, configuration: api, changes: changes, availability: availability, observability: observability,
            console: ConsoleStore(client: client, logger: logger)
        ) {
            await Self.health(chains: chains, client: client, logger: logger)
        }
        MetricCatalog.touchFixedSeries(registry, version: GatewayVersion.current)
        registry.set("gateway_process_start_time_seconds", [:], Double(Int64(Date().timeIntervalSince1970)))
        for chain in chains {
            MetricCatalog.touchNetwork(registry, network: chain.network.name, providers: chain.pool.providerNames)
            if wallets[chain.network.name] != nil, let thresholds = thresholds[chain.network.name] {
                MetricCatalog.touchHotWallet(registry, thresholds: thresholds)
            }
        }
        MetricCatalog.touchRoutes(registry, routes: router.routes.map { (method: $0.method.rawValue, path: $0.path.description) })
        responder = router.buildResponder()
    }

    /// The gateway's state now, as `/readyz`, `/metrics` and `gateway status` report it.
    public func snapshot() async -> OperatorSnapshot {
        await Self.snapshot(
            chains: chains, client: client, availability: availability, headWatch: headWatch, registry: metrics,
            stallSeconds: configuration.monitorStallSeconds, wallets: walletAddresses, thresholds: walletThresholds, logger: logger)
    }

    /// The network as the checkout plans sessions on it.
    static func payable(_ chain: Chain) -> PayableNetwork {
        let network = chain.network
        return PayableNetwork(
            name: network.name, chainId: network.chainId, livemode: !network.testnet, confirmations: network.confirmations,
            tokens: network.tokens.compactMap { token in
                token.address.map { PayableNetwork.Token(symbol: token.symbol, address: $0, decimals: token.decimals) }
            }, payTo: nil)
    }

    /// A fresh monitor of `chain` as the gateway runs it (on `store`, by default the unfenced one).
    public func makeMonitor(_ chain: Chain, store: PostgresMonitorStore? = nil) -> ChainMonitor {
        ChainMonitor(
            pool: chain.pool, store: BoundedMonitorStore(store ?? monitorStore, limit: configuration.databaseCallDeadline),
            configuration: ChainMonitor.Configuration(network: chain.network),
            logger: logger)
    }

    /// Every service in the order they start (and the reverse of the order they stop): the
    /// database pool first, the HTTP server last, so that on SIGTERM no request arrives while
    /// the workers finish and the pool outlives them all.
    public func services() -> [any Service] {
        var services: [any Service] = [client]
        if backgroundClient !== client { services.append(backgroundClient) }
        services += [
            ChangeFeed(hub: changes, client: backgroundClient, logger: logger),
            DatabaseProbe(
                client: client, availability: availability, interval: configuration.databaseProbeInterval,
                timeout: configuration.databaseProbeTimeout, logger: logger),
        ]
        let holder = "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)"
        for chain in chains {
            let app = self
            services.append(
                MonitorService(
                    chain: chain, store: monitorStore, retryDelay: configuration.monitorRetryDelay, holder: holder, logger: logger
                ) { store in app.makeMonitor(chain, store: store) })
        }
        services.append(matcher)
        services.append(clock)
        services += senders as [any Service]
        for _ in 0..<configuration.webhookWorkers {
            services.append(WebhookWorker(store: webhookStore, configuration: configuration.webhooks, changes: changes, logger: logger))
        }
        let publicURL = configuration.resolvedPublicURL
        let logger = self.logger
        services.append(
            Application(
                responder: responder,
                configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "gateway"),
                onServerRunning: { channel in
                    logger.info(
                        "gateway listening",
                        metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")", "public_url": "\(publicURL)"])
                }, logger: logger))
        return services
    }

    /// Runs every service until SIGTERM or SIGINT, then stops them in order.
    public func run() async throws {
        warnAboutTrust()
        var entries = services().map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
        entries.append(
            .init(
                service: ShutdownDeadline(limit: configuration.shutdownGracePeriod, logger: logger),
                successTerminationBehavior: .ignore))
        var group = ServiceGroupConfiguration(services: entries, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        let cancellation = min(configuration.shutdownCancellationPeriod, configuration.shutdownGracePeriod)
        group.maximumGracefulShutdownDuration = configuration.shutdownGracePeriod - cancellation
        // No escalation to a crash: ShutdownDeadline ends the process at the grace period.
        group.maximumCancellationDuration = nil
        try await ServiceGroup(configuration: group).run()
    }

    static func snapshot(
        chains: [Chain], client: PostgresClient, availability: Availability, headWatch: HeadWatch, registry: MetricsRegistry,
        stallSeconds: Int64, wallets: [String: Address] = [:], thresholds: [String: HotWalletThresholds] = [:], logger: Logger
    ) async -> OperatorSnapshot {
        let now = Int64(Date().timeIntervalSince1970)
        let databaseUp = await availability.databaseUp
        let reader = OperatorReader(client: client, logger: logger)
        let state = databaseUp ? await reader.read(wallets: wallets) : nil
        if let state {
            for chain in chains where wallets[chain.network.name] != nil {
                let network = chain.network.name
                let stored = state.walletBalances[network] ?? [:]
                let assets =
                    [("native", "native")]
                    + chain.network.tokens.compactMap { token in token.address.map { (token.symbol, $0.lowercased) } }
                for (symbol, asset) in assets {
                    guard let balance = stored[asset] else { continue }
                    let labels = ["network": network, "token": symbol]
                    // A float, as every metric value: exact up to 2^53 base units (alerts compare like with like).
                    registry.set("gateway_hot_wallet_balance_base_units", labels, Double(balance.amount.decimalString) ?? 0)
                    registry.set("gateway_hot_wallet_balance_timestamp_seconds", labels, Double(balance.readAt))
                }
            }
            for status in MetricCatalog.refundStatuses {
                registry.set("gateway_refunds", ["status": status], Double(state.refunds[status] ?? 0))
            }
            registry.set("gateway_refund_oldest_pending_age_seconds", [:], Double(state.oldestPendingRefund))
        }
        await refreshStaleHeads(chains)
        var networks: [OperatorSnapshot.Network] = []
        for chain in chains {
            let name = chain.network.name
            let head = await chain.pool.safeHead
            if let head, let seen = await headWatch.observe(network: name, head: head, now: now) {
                registry.set("gateway_chain_head_timestamp_seconds", ["network": name], Double(seen))
            }
            let providers = await chain.pool.status().map { status in
                OperatorSnapshot.Provider(
                    name: status.url, healthy: status.healthy, breaker: Self.breaker(status.breaker),
                    outOfSync: status.outOfSync, head: status.head,
                    latencyMilliseconds: status.latencyMs.flatMap { $0.isFinite && $0 >= 0 && $0 < 1e12 ? Int64($0.rounded()) : nil },
                    lastFailure: status.lastFailure)
            }
            let checkpoint = state?.checkpoints[name]
            networks.append(
                OperatorSnapshot.Network(
                    name: name, chainId: chain.network.chainId, head: head, scanned: checkpoint?.number, scannedAt: checkpoint?.updatedAt,
                    haltReason: state?.halts[name], providers: providers,
                    hotWallet: OperatorReader.hotWallet(
                        chain.network, address: wallets[name], thresholds: thresholds[name], stored: state?.walletBalances[name],
                        registry: registry)))
        }
        return OperatorSnapshot(
            database: OperatorSnapshot.Database(
                up: databaseUp && state != nil, migrated: state?.migrated,
                failure: databaseUp ? (state == nil ? "the database could not be read" : nil) : await availability.lastFailure),
            networks: networks, webhooks: state?.webhooks, now: now, stallSeconds: stallSeconds)
    }

    /// Asks the providers of every network whose heads nobody asked for in 15 s (the monitor
    /// may run in another process), waiting at most 2 s: the asking goes on in its own task, so
    /// that a slow provider is judged by its own timeout and not by the probe's.
    static func refreshStaleHeads(_ chains: [Chain]) async {
        let refresh = Task {
            await withTaskGroup(of: Void.self) { group in
                for chain in chains { group.addTask { await chain.pool.refreshHeads(ifOlderThan: .seconds(15)) } }
            }
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await refresh.value }
            group.addTask { try? await Task.sleep(for: .seconds(2)) }
            await group.next()
            group.cancelAll()
        }
    }

    static func breaker(_ state: CircuitBreaker.State) -> String {
        switch state {
        case .closed: return "closed"
        case .open: return "open"
        case .halfOpen: return "half_open"
        }
    }

    static func health(chains: [Chain], client: PostgresClient, logger: Logger) async -> [NetworkHealth] {
        var checkpoints: [String: UInt64] = [:]
        if let rows = try? await client.query("SELECT network, number FROM monitor_checkpoints", logger: logger) {
            do {
                for try await (network, number) in rows.decode((String, Int64).self) { checkpoints[network] = UInt64(exactly: number) }
            } catch {}
        }
        let halts = (try? await PostgresMonitorStore(client: client, logger: logger).halts()) ?? [:]
        var out: [NetworkHealth] = []
        for chain in chains {
            out.append(
                NetworkHealth(
                    network: chain.network.name, chainId: chain.network.chainId, head: await chain.pool.safeHead,
                    checkpoint: checkpoints[chain.network.name], providers: chain.pool.providerCount, haltReason: halts[chain.network.name])
            )
        }
        return out
    }

    /// Says, for each network with a single provider, that its answers are believed without a
    /// second opinion.
    public func warnAboutTrust() {
        for chain in chains where chain.pool.trustsSingleProvider {
            logger.warning(
                "one provider configured: the gateway trusts it fully (a lying provider could forge or hide payments); configure two or more",
                metadata: ["network": "\(chain.network.name)"])
        }
    }
}
