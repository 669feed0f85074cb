import ChainConfig
import EthereumCore
import Foundation
import TestSupport
import Testing

@Suite struct NetworkCatalogTests {
    static let directory = Paths.repositoryRoot.appendingPathComponent("Networks")

    @Test func everyNetworkFileLoadsAndIsConsistent() throws {
        let networks = try NetworkCatalog.load(directory: Self.directory)
        #expect(networks.keys.sorted() == ["amoy", "devnet", "ethereum", "polygon", "sepolia"])
        #expect(networks.mapValues(\.chainId) == ["ethereum": 1, "polygon": 137, "sepolia": 11_155_111, "amoy": 80_002, "devnet": 1337])
        for network in networks.values {
            #expect(!network.tokens.isEmpty, "\(network.name) has tokens")
            #expect(network.tokens.allSatisfy { $0.decimals == 6 }, "\(network.name): USDC and USDT have 6 decimals")
            #expect(network.reorgWindow > network.confirmations)
            #expect(!network.providerUrlEnv.isEmpty)
            #expect(network.testnet == ["sepolia", "amoy", "devnet"].contains(network.name))
        }
    }

    @Test func realTokenContracts() throws {
        let networks = try NetworkCatalog.load(directory: Self.directory)
        let ethereum = try #require(networks["ethereum"])
        #expect(ethereum.token(symbol: "USDC")?.address?.checksummed == "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48")
        #expect(ethereum.token(symbol: "usdt")?.address?.checksummed == "0xdAC17F958D2ee523a2206206994597C13D831ec7")
        #expect(ethereum.finality == .depthAndFinalized)
        let polygon = try #require(networks["polygon"])
        #expect(polygon.token(symbol: "USDC")?.address?.checksummed == "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359")
        #expect(polygon.token(symbol: "USDC.e")?.address?.checksummed == "0x2791Bca1f2de4661ED88A30C99A7a9449Aa84174")
        #expect(polygon.token(symbol: "USDT")?.address?.checksummed == "0xc2132D05D31c914a87C6611C10748AEb04B58e8F")
        #expect(networks["sepolia"]?.token(symbol: "USDC")?.address?.checksummed == "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238")
        #expect(networks["amoy"]?.token(symbol: "USDC")?.address?.checksummed == "0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582")
        let devnet = try #require(networks["devnet"])
        #expect(devnet.tokens.map(\.symbol) == ["USDC", "USDT"])
        #expect(devnet.tokens.allSatisfy { $0.address == nil })
        let filled = devnet.withTokenAddresses(["USDC": try Address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")])
        #expect(filled.token(symbol: "USDC")?.address == (try Address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")))
    }

    @Test func providerURLsFromEnvironment() throws {
        let polygon = try #require(try NetworkCatalog.load(directory: Self.directory)["polygon"])
        let urls = polygon.providerURLs(environment: [
            "POLYGON_RPC_URLS": "https://a.example/rpc, https://b.example/rpc https://a.example/rpc"
        ])
        #expect(urls == ["https://a.example/rpc", "https://b.example/rpc"])
        #expect(polygon.providerURLs(environment: [:]).isEmpty)
    }

    @Test func badFilesAreRejectedWithTheReason() throws {
        func parse(_ text: String) throws(NetworkConfigError) -> NetworkConfig {
            try NetworkCatalog.parse(Data(text.utf8), source: "x.json")
        }
        let base = try String(contentsOf: Self.directory.appendingPathComponent("sepolia.json"), encoding: .utf8)
        #expect(try parse(base).name == "sepolia")
        #expect(throws: NetworkConfigError.invalid("x.json", "not valid JSON")) { try parse("{") }
        #expect(throws: NetworkConfigError.invalid("x.json", "'finality' must be \"depth\" or \"depth+finalized\"")) {
            try parse(base.replacingOccurrences(of: "\"depth\"", with: "\"soon\""))
        }
        #expect(throws: NetworkConfigError.invalid("x.json", "'confirmations' must be a whole number from 1 to 10000")) {
            try parse(base.replacingOccurrences(of: "\"confirmations\": 6", with: "\"confirmations\": 1.5"))
        }
        #expect(throws: NetworkConfigError.self) {
            try parse(
                base.replacingOccurrences(
                    of: "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238", with: "0x1c7d4B196Cb0C7B01d743Fbc6116a902379C7238"))
        }
        #expect(
            throws: NetworkConfigError.invalid(
                "x.json", "'reorgWindow' must be larger than 'confirmations' so a reorg of any unconfirmed block is seen")
        ) {
            try parse(base.replacingOccurrences(of: "\"reorgWindow\": 128", with: "\"reorgWindow\": 6"))
        }
    }
}
