import ArgumentParser
import ChainConfig
import ChainRPC
import EthereumCore
import Foundation
import GatewayServer

/// `gateway chain`: what the network's providers say, through the provider pool.
struct ChainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chain",
        abstract: "Read a network through its provider pool: heads, provider health, token transfers.",
        subcommands: [Head.self, Transfers.self]
    )

    struct Head: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The pool's safe head, the finalized block and each provider's head, health and latency (one JSON object).")

        @OptionGroup var chain: ChainOptions

        func run() async throws {
            let (network, pool) = try await chain.connect()
            let head = await pool.refreshHeads()
            let finalized = try? await pool.finalizedBlock()
            let providers = await pool.status().map { status -> [String: Any] in
                [
                    "url": status.url, "head": status.head.map { NSNumber(value: $0) } ?? NSNull(), "healthy": status.healthy,
                    "latencyMs": status.latencyMs.map { NSNumber(value: ($0 * 10).rounded() / 10) } ?? NSNull(),
                ]
            }
            guard let head else { throw CLIError("no provider of \(network.name) answered eth_blockNumber") }
            printJSON([
                "network": network.name, "chainId": NSNumber(value: network.chainId), "head": NSNumber(value: head),
                "finalized": finalized.map { NSNumber(value: $0.number) } ?? NSNull(), "providers": providers,
            ])
        }
    }

    struct Transfers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "ERC-20 Transfer logs of one token in a block range, one JSON object per line, in chain order.")

        @OptionGroup var chain: ChainOptions
        @Option(help: "Token symbol from the network's definition (USDC, USDT, ...).") var token: String?
        @Option(help: "Token contract address (instead of --token).") var tokenAddress: String?
        @Option(help: "First block (inclusive).") var fromBlock: UInt64
        @Option(help: "Last block (inclusive).") var toBlock: UInt64
        @Option(name: .customLong("to"), help: "Only transfers to this address (repeatable).") var recipients: [String] = []

        func run() async throws {
            guard fromBlock <= toBlock else { throw CLIError("--from-block must not be above --to-block") }
            let (network, pool) = try await chain.connect()
            let tokenAddress = try resolveToken(network)
            let recipients = try self.recipients.map { text in
                do { return try Address(text) } catch { throw CLIError("--to: \(error)") }
            }
            let logs = try await pool.logs(from: fromBlock, to: toBlock) { from, to in
                .transfers(.range(from: .number(from), to: .number(to)), tokens: [tokenAddress], to: recipients)
            }
            for log in logs {
                guard let transfer = log.transfer else { continue }
                printJSON([
                    "blockNumber": NSNumber(value: log.blockNumber), "blockHash": log.blockHash.hex,
                    "transactionHash": log.transactionHash.hex, "logIndex": NSNumber(value: log.logIndex),
                    "from": transfer.from.checksummed, "to": transfer.to.checksummed, "amount": transfer.amount.decimalString,
                ])
            }
        }

        func resolveToken(_ network: NetworkConfig) throws -> Address {
            switch (token, tokenAddress) {
            case (let symbol?, nil):
                guard let entry = network.token(symbol: symbol) else {
                    throw CLIError("\(network.name) has no token \(symbol); known: \(network.tokens.map(\.symbol).joined(separator: ", "))")
                }
                guard let address = entry.address else {
                    throw CLIError("the address of \(symbol) on \(network.name) is only known from the devchain: pass --devchain-info FILE")
                }
                return address
            case (nil, let text?):
                do { return try Address(text) } catch { throw CLIError("--token-address: \(error)") }
            default:
                throw CLIError("give exactly one of --token SYMBOL or --token-address ADDRESS")
            }
        }
    }
}

/// The options every command that talks to a network shares.
struct ChainOptions: ParsableArguments {
    @Option(help: "Network name from Networks/ (ethereum, polygon, sepolia, amoy, devnet).") var network: String
    @Option(name: .customLong("rpc"), help: "Provider URL (repeatable); replaces the network's configured providers.")
    var rpcURLs: [String] = []
    @Option(help: "The devchain's info file: its URL (unless --rpc is given) and token addresses.") var devchainInfo: String?
    @Option(help: "Per-request timeout in seconds.") var timeout: Double = 10

    /// Loads the network, resolves its providers and checks that they serve its chain id.
    func connect() async throws -> (NetworkConfig, ProviderPool) {
        let catalog: [String: NetworkConfig]
        do { catalog = try NetworkCatalog.load() } catch { throw CLIError("\(error)") }
        guard var network = catalog[self.network] else {
            throw CLIError(NetworkConfigError.unknownNetwork(self.network, known: Array(catalog.keys)).description)
        }
        var urls = rpcURLs
        if let devchainInfo {
            let info: DevchainInfo
            do { info = try DevchainInfo.load(devchainInfo) } catch { throw CLIError(error.description) }
            network = network.withTokenAddresses(info.tokens)
            if urls.isEmpty { urls = [info.url] }
        }
        if urls.isEmpty { urls = network.providerURLs(environment: ProcessInfo.processInfo.environment) }
        guard timeout > 0, timeout <= 600 else { throw CLIError("--timeout must be between 0 and 600 seconds") }
        var selection = NetworkSelection(network: network, providerURLs: urls)
        selection.timeout = .milliseconds(Int64(timeout * 1000))
        let chain: Chain
        do { chain = try await Chain.connect(selection) } catch { throw CLIError(error.description) }
        return (chain.network, chain.pool)
    }
}

/// Prints one JSON object on one line, keys sorted.
func printJSON(_ object: [String: Any]) {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    print(String(decoding: data, as: UTF8.self))
}
