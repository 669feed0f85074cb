import ChainConfig
import EthereumCore
import GatewayDomain

/// How `gateway serve` runs refunds, with the defaults it documents.
public struct RefundConfiguration: Sendable {
    /// Per refund 10,000, per merchant 50,000 and per hot wallet 100,000 in any 24 hours, approval
    /// above 1,000 (token units; USD stablecoins 1:1).
    public var limits = RefundLimits.defaults
    /// Fee rules per network; a network not listed uses ``RefundFeePolicy/defaults(network:)``.
    public var feePolicies: [String: RefundFeePolicy] = [:]
    /// How often each hot wallet's sender looks at its refunds and transactions.
    public var senderInterval: Duration = .seconds(1)
    /// The most refunds one pass signs.
    public var batchSize = 200
    /// A pass still running after this long is abandoned (a database or provider call that
    /// never answers): the sender lets go of the wallet and starts again under a new lease,
    /// which fences the abandoned pass out of every write.
    public var passDeadline: Duration = .seconds(300)
    /// Passes in which the chain counts a nonce as used while no attempt of ours has a receipt,
    /// before its refund waits for an operator (`nonce_conflict`).
    public var unexplainedRounds = 30
    /// How often the hot wallets' balances are stored for operators (`address_balances`).
    public var balanceInterval: Duration = .seconds(15)
    /// Hot-wallet balance thresholds that replace the defaults (``HotWalletThresholds``).
    public var thresholdSettings: [HotWalletThresholds.Setting] = []

    public init() {}

    /// Each served network's hot-wallet thresholds: the defaults (the gas coin's from the
    /// network's fee policy) with ``thresholdSettings`` applied. Throws when a setting names a
    /// network not served or a token it does not list, or an amount its token cannot hold.
    public func hotWalletThresholds(networks: [NetworkConfig]) throws(ThresholdError) -> [String: HotWalletThresholds] {
        try HotWalletThresholds.resolve(
            thresholdSettings,
            networks: networks.map { network in
                HotWalletThresholds.Network(
                    name: network.name, nativeDecimals: network.nativeDecimals,
                    tokens: network.tokens.filter { $0.address != nil }.map { ($0.symbol, $0.decimals) },
                    policy: feePolicy(network: network.name))
            })
    }

    public func feePolicy(network: String) -> RefundFeePolicy {
        feePolicies[network] ?? RefundFeePolicy.defaults(network: network)
    }
}

/// A hot wallet unlocked at start-up: the key that signs one network's refunds. Its key never
/// prints (``PrivateKey`` redacts itself) and is never stored.
public struct HotWallet: Sendable {
    public let network: String
    public let key: PrivateKey

    public init(network: String, key: PrivateKey) {
        self.network = network
        self.key = key
    }

    public var address: Address { key.address }
}
