/// Settings of the HTTP layer, with the defaults the gateway runs with.
public struct APIConfiguration: Sendable {
    /// Requests per minute and key, over all routes (0: no limit).
    public var rateLimit: Int = 100
    /// Session creations per minute and key (0: no limit).
    public var createRateLimit: Int = 10
    /// How often the checkout page's event stream looks for changes.
    public var eventPollInterval: Duration = .seconds(1)
    /// Comment lines that keep idle event streams open through proxies.
    public var keepAliveInterval: Duration = .seconds(15)

    /// Development only: accept webhook endpoints on loopback and private addresses.
    public var allowPrivateWebhookTargets = false

    /// Request bodies above this are refused with 413.
    public static let maxBodyBytes = 64 * 1024

    public init() {}
}

/// What `/health` reports of one network.
public struct NetworkHealth: Sendable {
    public let network: String
    public let chainId: UInt64
    /// The providers' safe head, when known.
    public let head: UInt64?
    /// The monitor's last processed block, when it has one.
    public let checkpoint: UInt64?
    /// Providers configured; with one, its answers are believed without a second opinion.
    public let providers: Int
    /// Why the monitor is halted (an operator must rewind it), or nil while it runs.
    public let haltReason: String?

    public init(network: String, chainId: UInt64, head: UInt64?, checkpoint: UInt64?, providers: Int, haltReason: String?) {
        self.network = network
        self.chainId = chainId
        self.head = head
        self.checkpoint = checkpoint
        self.providers = providers
        self.haltReason = haltReason
    }
}
