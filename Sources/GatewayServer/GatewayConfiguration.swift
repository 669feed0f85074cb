import ChainConfig
import GatewayAPI
import GatewayStore
import WebhookDelivery

/// Everything `gateway serve` runs with, as plain values with the defaults it documents.
/// Loading from flags and the environment is separate (``GatewayConfiguration/Environment``);
/// tests build one directly.
public struct GatewayConfiguration: Sendable {
    /// Address and port of the HTTP server.
    public var host = "127.0.0.1"
    public var port = 8080
    /// The public base URL for checkout links; default `http://HOST:PORT`.
    public var publicURL: String?
    /// The HTTP layer: rate limits, event streams, webhook target policy.
    public var api = APIConfiguration()
    /// Seconds after a session ends during which its amounts stay reserved and later payments
    /// are still matched (default one day).
    public var lateWindowSeconds: Int64 = 86_400
    /// The longest an idle matcher waits when no change notice arrives (it wakes on notices),
    /// and how many queued changes it takes at once.
    public var matcherInterval: Duration = .seconds(1)
    public var matcherBatchSize = 200
    /// How often the session clock expires sessions and frees reservations.
    public var clockInterval: Duration = .seconds(1)
    /// Webhook delivery workers in this process (0: run `gateway webhook worker` elsewhere).
    public var webhookWorkers = 1
    public var webhooks = WebhookWorkerConfiguration()
    /// How long a monitor waits before trying again after it stopped or another process held
    /// its network's lock.
    public var monitorRetryDelay: Duration = .seconds(5)
    /// The networks to serve, each with its providers.
    public var networks: [NetworkSelection] = []
    /// Refund limits, fee rules per network and the senders' pace.
    public var refunds = RefundConfiguration()
    /// The API's database pool: size, connect timeout, statement, lock and idle-in-transaction
    /// timeouts. The background services' pool has the same settings and its own size.
    public var database = DatabasePoolSettings()
    /// Connections of the background services' pool; nil for the default,
    /// ``defaultBackgroundPoolSize(networks:)``.
    public var backgroundPoolSize: Int?

    /// Six working connections, one for the change listener, and per network one each for the
    /// monitor's and the hot wallet's locks (held while they run).
    public static func defaultBackgroundPoolSize(networks: Int) -> Int { 7 + 2 * networks }

    /// The background pool's settings: the API's with the background size.
    public var backgroundDatabase: DatabasePoolSettings {
        var settings = database
        settings.maximumConnections = backgroundPoolSize ?? Self.defaultBackgroundPoolSize(networks: networks.count)
        return settings
    }
    /// How often the database is probed, and how long a probe may take before the API answers
    /// 503 at once.
    public var databaseProbeInterval: Duration = .seconds(1)
    public var databaseProbeTimeout: Duration = .seconds(2)
    /// The longest one database call of a background service (monitor, matcher, session clock,
    /// webhook workers) may take before it is abandoned and tried again: a call on a connection
    /// that died at the wrong moment may otherwise never answer. A monitor whose call is
    /// abandoned restarts under a new lease.
    public var databaseCallDeadline: Duration = .seconds(60)
    /// On SIGTERM (or SIGINT) the process exits within `shutdownGracePeriod`, whatever the
    /// database and the providers are doing: services first finish what they are doing, are
    /// cancelled `shutdownCancellationPeriod` before the end, and at the end the process exits
    /// anyway. Work in flight is in a transaction, so it is committed or left for the next
    /// process, never half-done.
    public var shutdownGracePeriod: Duration = .seconds(10)
    public var shutdownCancellationPeriod: Duration = .seconds(3)
    /// A monitor whose checkpoint has not moved for this many seconds while the head is ahead
    /// of it is stalled: `/readyz` answers 503 and `gateway_monitor_stalled` is 1.
    public var monitorStallSeconds: Int64 = 300
    /// The bearer token that shows the detail of `/readyz?verbose` (GATEWAY_OPERATOR_TOKEN);
    /// nil: no detail over HTTP.
    public var operatorToken: String?

    public init() {}

    /// The public base URL, without a trailing slash.
    public var resolvedPublicURL: String {
        let url = publicURL ?? "http://\(host):\(port)"
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }
}

/// One network to serve and the provider URLs to reach it.
public struct NetworkSelection: Sendable {
    public var network: NetworkConfig
    public var providerURLs: [String]
    /// Per-request timeout towards the providers.
    public var timeout: Duration = .seconds(10)

    public init(network: NetworkConfig, providerURLs: [String]) {
        self.network = network
        self.providerURLs = providerURLs
    }
}
