import ChainConfig

extension GatewayConfiguration {
    /// Where `gateway serve` finds its networks: the catalog of `Networks/`, provider URLs from
    /// the networks' environment variables (`SEPOLIA_RPC_URLS`, `DEVNET_RPC_URLS`, …), and the
    /// devchain's info file for devnet.
    public struct Environment: Sendable {
        public var catalog: [String: NetworkConfig]
        public var variables: [String: String]
        /// The devchain's info file: devnet is served when it is given.
        public var devchainInfo: DevchainInfo?
        /// Provider URLs from the command line, for devnet (beside or instead of its info file's URL).
        public var devnetProviders: [String] = []

        public init(catalog: [String: NetworkConfig], variables: [String: String], devchainInfo: DevchainInfo? = nil) {
            self.catalog = catalog
            self.variables = variables
            self.devchainInfo = devchainInfo
        }

        /// Every network to serve: devnet when the devchain's info is given (its tokens' addresses
        /// filled in; its providers from `--rpc`, else `DEVNET_RPC_URLS`, else the info file's
        /// URL), and every other network whose provider variable is set.
        public func networks() -> [NetworkSelection] {
            var out: [NetworkSelection] = []
            for name in catalog.keys.sorted() {
                guard let network = catalog[name] else { continue }
                if name == "devnet" {
                    guard let info = devchainInfo else { continue }
                    var urls = devnetProviders
                    if urls.isEmpty { urls = network.providerURLs(environment: variables) }
                    if urls.isEmpty { urls = [info.url] }
                    out.append(NetworkSelection(network: network.withTokenAddresses(info.tokens), providerURLs: urls))
                } else {
                    let urls = network.providerURLs(environment: variables)
                    if !urls.isEmpty { out.append(NetworkSelection(network: network, providerURLs: urls)) }
                }
            }
            return out
        }
    }
}
