import ArgumentParser
import ChainConfig
import EthereumCore
import Foundation
import GatewayDomain
import GatewayStore

/// `gateway merchant create`: a merchant with its receiving addresses, printed as JSON.
struct MerchantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merchant", abstract: "Manage merchants.", subcommands: [Create.self, TimeZoneCommand.self])

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
            let networks: [String]
            do { networks = Array(try NetworkCatalog.load().keys) } catch { throw CLIError("\(error)") }
            let draft: MerchantDraft
            do throws(RequestError) { draft = try MerchantDraft(name: name, addresses: addresses, networks: networks) } catch {
                throw CLIError(error.message)
            }
            try await database.withStore { client, _ in
                do {
                    let merchant = try await MerchantStore(client: client).create(draft)
                    print(ResourceJSON.merchant(merchant).serialized)
                } catch let error as RequestError {
                    throw CLIError(error.message)
                }
            }
        }
    }
}

extension MerchantCommand {
    /// `gateway merchant time-zone --merchant mer_… [--set NAME]`: prints the merchant's time
    /// zone (its exports read their dates in it), after setting it when `--set` is given.
    struct TimeZoneCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "time-zone", abstract: "Print a merchant's time zone, or set it with --set.",
            discussion: "Exports read their dates in it. An IANA name such as Europe/Paris; UTC until set.")

        @OptionGroup var database: DatabaseOptions
        @Option(help: "The merchant (mer_…).") var merchant: String
        @Option(name: .customLong("set"), help: "The new time zone, an IANA name such as Europe/Paris.") var newZone: String?

        func run() async throws {
            try await database.withStore { client, _ in
                let exports = ExportService(client: client)
                do {
                    if let newZone { try await exports.setTimeZone(merchantId: merchant, identifier: newZone) }
                    print(try await exports.timeZone(merchantId: merchant))
                } catch let error as RequestError {
                    throw CLIError(error.message)
                }
            }
        }
    }
}

/// `gateway api-key create`: a key for a merchant; the secret is printed once.
struct APIKeyCommand: AsyncParsableCommand {
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
            guard let mode = APIMode(rawValue: mode) else { throw CLIError("--mode is test or live") }
            let scopes: [APIScope]
            do throws(RequestError) { scopes = try APIScope.parseList(scopeList) } catch { throw CLIError(error.message) }
            try await database.withStore { client, _ in
                guard try await MerchantStore(client: client).merchant(id: merchant) != nil else {
                    throw CLIError("no merchant \(merchant)")
                }
                do {
                    let (key, secret) = try await APIKeyStore(client: client).create(
                        merchantId: merchant, mode: mode, scopes: scopes, description: description)
                    print(ResourceJSON.apiKey(key, secret: secret).serialized)
                } catch let error as RequestError {
                    throw CLIError(error.message)
                }
            }
        }
    }
}
