/// Settings of the HTTP layer, with the defaults the gateway runs with.
/// Every limit is per minute (fixed windows, in this process's memory); 0 means no limit.
public struct APIConfiguration: Sendable {
    /// Requests per key, over all routes.
    public var rateLimit: Int = 100
    /// Requests per merchant, over all its keys (an admin key cannot mint keys to multiply
    /// its limit).
    public var merchantRateLimit: Int = 300
    /// Session creations per key, and per merchant over all its keys.
    public var createRateLimit: Int = 10
    public var merchantCreateRateLimit: Int = 30
    /// `/v1` requests without a valid key, per client address.
    public var anonymousRateLimit: Int = 60
    /// Public requests (checkout pages, events, claims, refund pages), per client address.
    public var checkoutRateLimit: Int = 300
    /// Checkout claims per session, and per client address; the same for the addresses a
    /// customer enters on a refund page, per refund.
    public var claimRateLimit: Int = 10
    public var claimClientRateLimit: Int = 30
    /// Open event streams per session, and in all.
    public var eventStreamsPerSession = 5
    public var eventStreamsTotal = 1_000
    /// How often an event stream refreshes when no change notice arrives (a safety net).
    public var eventPollInterval: Duration = .seconds(5)
    /// Comment lines that keep idle event streams open through proxies, and find out that a
    /// client has gone (the write fails) so that its stream's slot is given back.
    public var keepAliveInterval: Duration = .seconds(2)
    /// A request that has no answer by then gets 503 (its work is cancelled).
    public var requestTimeout: Duration = .seconds(10)
    /// Requests worked on at once (probes and metrics aside); beyond, 503 `overloaded` at once
    /// (``AdmissionGate``). 0 means no bound.
    public var maxInFlight = 128
    /// Webhook endpoints per merchant and mode.
    public var maxWebhookEndpoints = 16
    /// The console's session cookie carries `Secure` (set when the public URL is https).
    public var consoleSecureCookies = false
    /// Console sign-in attempts per minute and client address, and per account.
    public var consoleLoginRateLimit = 10
    public var consoleLoginAccountRateLimit = 5
    /// How long a console sign-in lasts.
    public var consoleSessionLifetime: Duration = .seconds(8 * 3600)

    /// Development only: accept webhook endpoints on loopback and private addresses.
    public var allowPrivateWebhookTargets = false

    /// Request bodies above this are refused with 413.
    public static let maxBodyBytes = 64 * 1024

    public init() {}

    /// No rate limits at all and no bound on requests in progress (tests that call the API far
    /// faster than a client would).
    public static var unlimited: APIConfiguration {
        var configuration = APIConfiguration()
        configuration.maxInFlight = 0
        for keyPath in [
            \APIConfiguration.rateLimit, \.merchantRateLimit, \.createRateLimit, \.merchantCreateRateLimit, \.anonymousRateLimit,
            \.checkoutRateLimit, \.claimRateLimit, \.claimClientRateLimit,
        ] { configuration[keyPath: keyPath] = 0 }
        return configuration
    }
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
