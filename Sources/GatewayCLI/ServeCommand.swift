import ArgumentParser
import ChainConfig
import Foundation
import GatewayAPI
import GatewayServer
import GatewayStore
import Logging
import Metrics
import PostgresNIO

/// `gateway serve`: the HTTP API, the chain monitor of every configured network, the session
/// matcher and clock, and the webhook workers, in one process and one `ServiceGroup`
/// (SIGTERM stops them in order). It parses its flags into a `GatewayConfiguration` and hands
/// it to `GatewayApp`.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gateway: merchant API, hosted checkout, chain monitors and session matcher, against DATABASE_URL.",
        discussion: """
            Networks: devnet when --devchain-info is given (its providers: --rpc, else DEVNET_RPC_URLS, else the info file's
            URL), and every network whose provider variable is set (ETHEREUM_RPC_URLS, POLYGON_RPC_URLS, SEPOLIA_RPC_URLS,
            AMOY_RPC_URLS; comma-separated URLs). Each network's monitor runs in one process at a time (a Postgres advisory
            lock); another process serving the same database waits and takes over if that one stops.
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Option(help: "The devchain's info file: serve devnet on it.") var devchainInfo: String?
    @Option(name: .customLong("rpc"), help: "A devnet provider URL (repeatable; with --devchain-info).") var rpcURLs: [String] = []
    @Option(help: "The gateway's public base URL, for checkout links (default: http://HOST:PORT).") var publicURL: String?
    @Option(help: "API requests per minute and key (0: no limit).") var rateLimit = 100
    @Option(help: "API requests per minute and merchant, over all its keys (0: no limit).") var rateLimitMerchant = 300
    @Option(help: "Session creations per minute and key (0: no limit).") var rateLimitCreate = 10
    @Option(help: "Session creations per minute and merchant (0: no limit).") var rateLimitCreateMerchant = 30
    @Option(help: "API requests without a valid key, per minute and client address (0: no limit).") var rateLimitAnonymous = 60
    @Option(help: "Public checkout requests per minute and client address (0: no limit).") var rateLimitCheckout = 300
    @Option(help: "Checkout transaction reports per minute and session (0: no limit).") var rateLimitClaims = 10
    @Option(help: "Console sign-in attempts per minute and client address (0: no limit).") var rateLimitConsoleLogin = 10
    @Option(help: "Console sign-in attempts per minute and account (0: no limit).") var rateLimitConsoleAccount = 5
    @Option(help: "Requests worked on at once; beyond, 503 with Retry-After: 1 (0: no bound).") var maxInFlight = 128
    @Option(help: "Seconds after a session ends during which later payments are still matched.") var lateWindow = 86_400
    @Option(help: "Database connections of the API (requests, health, operator reads).") var databasePoolSize = 20
    @Option(
        help: ArgumentHelp(
            "Database connections of the background services: monitors, matcher, clock, refund senders, webhook workers "
                + "(default: 7, plus 2 per network).", valueName: "N"))
    var databaseBackgroundPoolSize: Int?
    @Option(help: "Seconds a statement may run before the server cancels it.") var databaseStatementTimeout = 15
    @Option(help: "Seconds a statement may wait for a lock before it fails.") var databaseLockTimeout = 5
    @Option(help: "Seconds a session may sit idle inside a transaction before the server ends it.")
    var databaseIdleInTransactionTimeout = 30
    @Option(help: "Seconds opening one database connection may take (the URL's connect_timeout wins).")
    var databaseConnectTimeout = 3
    @Option(help: "Webhook delivery workers in this process (0: none; run `gateway webhook worker` elsewhere).") var webhookWorkers = 1
    @Option(
        help: "Seconds one database call of the monitor, matcher, clock or webhook workers may take before it is abandoned and retried.")
    var databaseDeadline = 60
    @OptionGroup var webhookOptions: WebhookWorkerOptions
    @OptionGroup var logOptions: LogOptions
    @OptionGroup var refundOptions: RefundOptions

    func run() async throws {
        logOptions.bootstrap()
        let logger = makeLogger()
        let configuration = try makeConfiguration()
        var chains: [Chain] = []
        for selection in configuration.networks {
            do { chains.append(try await Chain.connect(selection)) } catch { throw CLIError(error.description) }
            logger.info("serving network", metadata: ["network": "\(selection.network.name)", "chain_id": "\(selection.network.chainId)"])
        }
        let wallets = try refundOptions.unlockWallets(networks: chains.map(\.network.name))
        for wallet in wallets {
            logger.info("hot wallet unlocked", metadata: ["network": "\(wallet.network)", "address": "\(wallet.address.checksummed)"])
        }
        // The monitor, the providers and the webhook workers report through swift-metrics into the registry /metrics renders.
        let registry = MetricsRegistry(families: MetricCatalog.families)
        MetricsSystem.bootstrap(RegistryMetricsFactory(registry: registry))
        let databaseConfiguration = try database.configuration()
        // Migrated before anything runs on it; the app's own pool then runs in its service group.
        try await withPostgresClient(databaseConfiguration) { client in try await database.migrate(client) }
        // Two pools: requests waiting for the API's connections never hold up the monitors,
        // the matcher, the refund senders or the webhook workers.
        let client = PostgresClient(
            configuration: databaseConfiguration.clientConfiguration(pool: configuration.database), backgroundLogger: logger)
        let backgroundClient = PostgresClient(
            configuration: databaseConfiguration.clientConfiguration(pool: configuration.backgroundDatabase), backgroundLogger: logger)
        let app = try GatewayApp(
            configuration: configuration, client: client, backgroundClient: backgroundClient, chains: chains, hotWallets: wallets,
            metrics: registry, logger: logger)
        try await app.run()
    }

    /// The configuration from the flags and the environment.
    func makeConfiguration() throws -> GatewayConfiguration {
        guard (0...65_535).contains(port) else { throw CLIError("--port must be 0...65535") }
        let limits = [
            rateLimit, rateLimitMerchant, rateLimitCreate, rateLimitCreateMerchant, rateLimitAnonymous, rateLimitCheckout, rateLimitClaims,
        ]
        guard limits.allSatisfy({ $0 >= 0 }) else { throw CLIError("rate limits are 0 (none) or more") }
        guard lateWindow >= 0 else { throw CLIError("--late-window is seconds, 0 or more") }
        guard (0...16).contains(webhookWorkers) else { throw CLIError("--webhook-workers is 0...16") }
        guard rpcURLs.isEmpty || devchainInfo != nil else { throw CLIError("--rpc serves devnet: give --devchain-info FILE too") }
        var configuration = GatewayConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.publicURL = publicURL
        configuration.api.rateLimit = rateLimit
        configuration.api.merchantRateLimit = rateLimitMerchant
        configuration.api.createRateLimit = rateLimitCreate
        configuration.api.merchantCreateRateLimit = rateLimitCreateMerchant
        configuration.api.anonymousRateLimit = rateLimitAnonymous
        configuration.api.checkoutRateLimit = rateLimitCheckout
        configuration.api.claimRateLimit = rateLimitClaims
        configuration.api.consoleLoginRateLimit = rateLimitConsoleLogin
        configuration.api.consoleLoginAccountRateLimit = rateLimitConsoleAccount
        configuration.api.claimClientRateLimit = rateLimitClaims == 0 ? 0 : rateLimitClaims * 3
        configuration.api.allowPrivateWebhookTargets = webhookOptions.webhookAllowPrivate
        guard maxInFlight >= 0 else { throw ValidationError("--max-in-flight must be 0 (no bound) or more") }
        configuration.api.maxInFlight = maxInFlight
        configuration.lateWindowSeconds = Int64(lateWindow)
        guard (1...1_000).contains(databasePoolSize) else { throw ValidationError("--database-pool-size is 1...1000") }
        configuration.database.maximumConnections = databasePoolSize
        for (flag, seconds) in [
            ("--database-statement-timeout", databaseStatementTimeout), ("--database-lock-timeout", databaseLockTimeout),
            ("--database-idle-in-transaction-timeout", databaseIdleInTransactionTimeout),
            ("--database-connect-timeout", databaseConnectTimeout),
        ] where !(1...3_600).contains(seconds) {
            throw ValidationError("\(flag) is 1...3600 seconds")
        }
        configuration.database.statementTimeout = .seconds(databaseStatementTimeout)
        configuration.database.lockTimeout = .seconds(databaseLockTimeout)
        configuration.database.idleInTransactionTimeout = .seconds(databaseIdleInTransactionTimeout)
        configuration.database.connectTimeout = .seconds(databaseConnectTimeout)
        configuration.backgroundPoolSize = databaseBackgroundPoolSize
        configuration.webhookWorkers = webhookWorkers
        configuration.webhooks = try webhookOptions.configuration()
        guard databaseDeadline > 0 else { throw ValidationError("--database-deadline must be at least 1 second") }
        configuration.databaseCallDeadline = .seconds(databaseDeadline)
        configuration.webhooks.databaseDeadline = configuration.databaseCallDeadline
        configuration.operatorToken = ProcessInfo.processInfo.environment["GATEWAY_OPERATOR_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        configuration.refunds = try refundOptions.configuration()

        let catalog: [String: NetworkConfig]
        do { catalog = try NetworkCatalog.load() } catch { throw CLIError("\(error)") }
        var environment = GatewayConfiguration.Environment(catalog: catalog, variables: ProcessInfo.processInfo.environment)
        if let devchainInfo {
            do { environment.devchainInfo = try DevchainInfo.load(devchainInfo) } catch { throw CLIError(error.description) }
        }
        environment.devnetProviders = rpcURLs
        configuration.networks = environment.networks()
        guard !configuration.networks.isEmpty else {
            throw CLIError("no network to serve: pass --devchain-info FILE or set a provider variable such as SEPOLIA_RPC_URLS")
        }
        // The change listener and each network's two locks hold a connection each; one more works.
        let least = 2 + 2 * configuration.networks.count
        if let size = databaseBackgroundPoolSize, !(least...1_000).contains(size) {
            let served = configuration.networks.count
            throw ValidationError("--database-background-pool-size is \(least)...1000 for \(served) network\(served == 1 ? "" : "s")")
        }
        for selection in configuration.networks where !selection.network.tokens.allSatisfy({ $0.address != nil }) {
            throw CLIError("\(selection.network.name) has tokens without an address")
        }
        do { _ = try configuration.refunds.hotWalletThresholds(networks: configuration.networks.map(\.network)) } catch {
            throw CLIError("--hot-wallet-threshold: \(error)")
        }
        return configuration
    }
}

/// `--log-format`: how the commands that run services write their logs.
struct LogOptions: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text
        case json
    }

    @Option(help: "Log lines as text, or as one JSON object per line (time, level, message, request_id, network, …).")
    var logFormat: Format = .text

    /// Installs the JSON handler for every logger of the process (text is swift-log's default).
    func bootstrap() {
        guard logFormat == .json else { return }
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
    }
}

/// The process's logger: level from LOG_LEVEL (default info).
func makeLogger(label: String = "gateway") -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    return logger
}
