import EthereumCore

/// One network the gateway can watch and pay on, as described by a file in `Networks/`.
public struct NetworkConfig: Sendable, Hashable {
    /// How a payment's block becomes final enough to complete it.
    public enum Finality: String, Sendable, Hashable {
        /// N blocks deep on the canonical chain.
        case depth
        /// N blocks deep and at or below the node's `finalized` block.
        case depthAndFinalized = "depth+finalized"
    }

    /// A token accepted on this network.
    public struct Token: Sendable, Hashable {
        public let symbol: String
        /// `nil` when the address is only known at run time (the local devchain deploys its tokens).
        public let address: Address?
        public let decimals: Int

        public init(symbol: String, address: Address?, decimals: Int) {
            self.symbol = symbol
            self.address = address
            self.decimals = decimals
        }
    }

    public let name: String
    public let chainId: UInt64
    public let testnet: Bool
    public let nativeSymbol: String
    public let nativeDecimals: Int
    public let tokens: [Token]
    /// Default confirmation depth N.
    public let confirmations: Int
    public let finality: Finality
    public let blockTimeMs: Int
    /// How many recent blocks (number, hash, parent hash) the monitor keeps to detect reorgs.
    public let reorgWindow: Int
    /// Environment variables that hold provider URLs (comma- or space-separated).
    public let providerUrlEnv: [String]

    public init(
        name: String, chainId: UInt64, testnet: Bool, nativeSymbol: String, nativeDecimals: Int, tokens: [Token],
        confirmations: Int, finality: Finality, blockTimeMs: Int, reorgWindow: Int, providerUrlEnv: [String]
    ) {
        self.name = name
        self.chainId = chainId
        self.testnet = testnet
        self.nativeSymbol = nativeSymbol
        self.nativeDecimals = nativeDecimals
        self.tokens = tokens
        self.confirmations = confirmations
        self.finality = finality
        self.blockTimeMs = blockTimeMs
        self.reorgWindow = reorgWindow
        self.providerUrlEnv = providerUrlEnv
    }

    /// The token with this symbol (case-insensitive).
    public func token(symbol: String) -> Token? {
        tokens.first { $0.symbol.lowercased() == symbol.lowercased() }
    }

    /// The token deployed at `address`.
    public func token(address: Address) -> Token? {
        tokens.first { $0.address == address }
    }

    /// Provider URLs from the environment variables this network names, in order, without duplicates.
    public func providerURLs(environment: [String: String]) -> [String] {
        var seen = Set<String>()
        return providerUrlEnv.flatMap { name in
            (environment[name] ?? "").split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" }).map(String.init)
        }.filter { seen.insert($0).inserted }
    }

    /// A copy with token addresses filled in (for a chain whose tokens are deployed at run time).
    public func withTokenAddresses(_ addresses: [String: Address]) -> NetworkConfig {
        NetworkConfig(
            name: name, chainId: chainId, testnet: testnet, nativeSymbol: nativeSymbol, nativeDecimals: nativeDecimals,
            tokens: tokens.map { Token(symbol: $0.symbol, address: addresses[$0.symbol] ?? $0.address, decimals: $0.decimals) },
            confirmations: confirmations, finality: finality, blockTimeMs: blockTimeMs, reorgWindow: reorgWindow,
            providerUrlEnv: providerUrlEnv)
    }
}
