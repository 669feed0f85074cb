import ArgumentParser
import ChainConfig
import EthereumCore
import Foundation
import GatewayDomain
import GatewayStore

/// `gateway merchant create`: a merchant with its receiving addresses, printed as JSON.
struct MerchantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merchant", abstract: "Manage merchants.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a merchant and print it as JSON (with its id).",
            discussion: "Its receiving addresses are watched by the chain monitor from then on.")

        @OptionGroup var database: DatabaseOptions
        @Option(help: "The merchant's name, shown on the checkout page.") var name: String
        @Option(name: .customLong("receive-address"), help: "NETWORK:ADDRESS where the merchant is paid (repeatable).")
        var receiveAddresses: [String] = []

        func run() async throws {
            let addresses = try receiveAddresses.map { text -> ReceiveAddress in
                let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw CLIError("--receive-address is NETWORK:ADDRESS, got '\(text)'") }
                do { return ReceiveAddress(network: parts[0], address: try Address(parts[1])) } catch {
                    throw CLIError("--receive-address \(parts[0]): \(error)")
                }
            }
            try await database.withStore { client, _ in
                let store = CheckoutStore(client: client, networks: try catalogNetworks(), publicBaseURL: "")
                do {
                    let merchant = try await store.createMerchant(name: name, addresses: addresses)
                    print(ResourceJSON.merchant(merchant).serialized)
                } catch let error as RequestError {
                    throw CLIError(error.message)
                }
            }
        }
    }
}

/// `gateway api-key create`: a key for a merchant; the secret is printed once.
struct ApiKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api-key", abstract: "Manage API keys.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API key and print it as JSON; its secret is shown this once and stored only as a hash.")

        @OptionGroup var database: DatabaseOptions
        @Option(help: "The merchant's id (mer_…).") var merchant: String
        @Option(help: "test (test networks) or live (live networks).") var mode: String
        @Option(name: .customLong("scopes"), help: "Comma-separated scopes: read, write, refund, admin.") var scopeList: String
        @Option(help: "A note on what the key is for.") var description: String?

        func run() async throws {
            guard let mode = ApiMode(rawValue: mode) else { throw CLIError("--mode is test or live") }
            let scopes: [ApiScope]
            do throws(RequestError) { scopes = try ApiScope.parseList(scopeList) } catch { throw CLIError(error.message) }
            try await database.withStore { client, _ in
                let store = CheckoutStore(client: client, networks: try catalogNetworks(), publicBaseURL: "")
                guard try await store.merchant(id: merchant) != nil else { throw CLIError("no merchant \(merchant)") }
                do {
                    let (key, secret) = try await store.createApiKey(merchantId: merchant, mode: mode, scopes: scopes, description: description)
                    print(ResourceJSON.apiKey(key, secret: secret).serialized)
                } catch let error as RequestError {
                    throw CLIError(error.message)
                }
            }
        }
    }
}

/// Every network of the catalog, with the tokens whose address is known.
func catalogNetworks() throws -> [PayableNetwork] {
    let catalog: [String: NetworkConfig]
    do { catalog = try NetworkCatalog.load() } catch { throw CLIError("\(error)") }
    return catalog.values.sorted { $0.name < $1.name }.map { network in
        PayableNetwork(
            name: network.name, chainId: network.chainId, livemode: !network.testnet, confirmations: network.confirmations,
            tokens: network.tokens.compactMap { token in
                token.address.map { PayableNetwork.Token(symbol: token.symbol, address: $0, decimals: token.decimals) }
            }, payTo: nil)
    }
}
