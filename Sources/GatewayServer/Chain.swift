import ChainConfig
import ChainRPC

/// A network being served: its definition and the pool of its providers.
public struct Chain: Sendable {
    public let network: NetworkConfig
    public let pool: ProviderPool

    public init(network: NetworkConfig, pool: ProviderPool) {
        self.network = network
        self.pool = pool
    }

    public struct ConnectionError: Error, CustomStringConvertible {
        public let description: String
    }

    /// A pool over the selection's providers, checked to serve the network's chain id.
    public static func connect(_ selection: NetworkSelection, maxRounds: Int = 2) async throws(ConnectionError) -> Chain {
        let network = selection.network
        guard !selection.providerURLs.isEmpty else {
            throw ConnectionError(
                description:
                    "no provider URLs for \(network.name): set \(network.providerUrlEnv.joined(separator: " or ")) or pass --rpc URL")
        }
        let clients = selection.providerURLs.map { JSONRPCClient(transport: HTTPTransport(url: $0), timeout: selection.timeout) }
        var configuration = ProviderPool.Configuration()
        configuration.maxRounds = maxRounds
        let pool = ProviderPool(network: network.name, clients: clients, configuration: configuration)
        let chainId: UInt64
        do { chainId = try await pool.read(.chainId, parse: RPCParse.uint64) } catch {
            throw ConnectionError(description: "\(network.name): \(error)")
        }
        guard chainId == network.chainId else {
            throw ConnectionError(description: "the providers serve chain id \(chainId), but \(network.name) is chain \(network.chainId)")
        }
        return Chain(network: network, pool: pool)
    }
}
