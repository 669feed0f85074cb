import ArgumentParser
import ChainConfig
import ChainMonitor
import ChainRPC
import EthereumCore
import Foundation
import GatewayServer
import GatewayStore
import Keystore

/// `gateway wallet`: the hot wallets that sign refunds, one per network, each a Web3 Secret
/// Storage file `<keystore-dir>/<network>.json` encrypted with the wallet passphrase. Keys are
/// read from files and written encrypted; no key or passphrase is ever printed.
struct WalletCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wallet",
        abstract: "Hot wallets that sign refunds: one keystore file per network in a keystore directory.",
        discussion: "`gateway serve --keystore-dir D --wallet-passphrase-file P` unlocks the wallet of each network it serves.",
        subcommands: [New.self, Import.self, List.self]
    )

    struct Location: ParsableArguments {
        @Option(help: ArgumentHelp("Directory of the hot wallets' keystore files (created with mode 0700).", valueName: "DIR"))
        var keystoreDir: String

        @Option(help: ArgumentHelp("File holding the wallets' passphrase (one trailing newline is removed).", valueName: "FILE"))
        var passphraseFile: String
    }

    struct Target: ParsableArguments {
        @Option(help: "Network name from Networks/ (ethereum, polygon, sepolia, amoy, devnet).") var network: String

        @Option(
            help: ArgumentHelp(
                "scrypt cost n: a power of two from 1024 up (r=8, p=1); the default, 262144, is geth's standard. Lower is for tests.",
                valueName: "N"))
        var scryptN: Int = 262_144
    }

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a network's hot wallet: a random key in a new keystore file.",
            discussion: #"Prints {"address","file","network"}. Refuses to replace an existing wallet."#)

        @OptionGroup var location: Location
        @OptionGroup var target: Target

        func run() throws {
            try WalletFiles.write(PrivateKey.random(), location: location, target: target)
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an existing key a network's hot wallet (encrypted into a new keystore file).",
            discussion: #"Prints {"address","file","network"}. Refuses to replace an existing wallet."#)

        @OptionGroup var location: Location
        @OptionGroup var target: Target
        @Option(help: ArgumentHelp("File holding the private key as 0x + 64 hex digits.", valueName: "FILE")) var privateKeyFile: String

        func run() throws {
            try WalletFiles.write(try loadPrivateKey(privateKeyFile), location: location, target: target)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Each hot wallet's network, address and balances (native and tokens), one JSON object per line.",
            discussion: """
                Balances come from the network's providers when they can be reached (devnet with --devchain-info, other networks \
                from their provider variable, or --rpc); otherwise from what `gateway serve` last stored in the database \
                (DATABASE_URL), with "source":"database"; otherwise null.
                """)

        @OptionGroup var location: Location
        @Option(help: "The devchain's info file (devnet's provider and token addresses).") var devchainInfo: String?
        @Option(name: .customLong("rpc"), help: "Provider URL for devnet (repeatable; with --devchain-info).") var rpcURLs: [String] = []
        @Option(help: "PostgreSQL URL for stored balances (default: $DATABASE_URL).") var databaseURL: String?

        func run() async throws {
            let passphrase = try KeystoreCommand.readPassphrase(location.passphraseFile, allowEmpty: true)
            let catalog: [String: NetworkConfig]
            do { catalog = try NetworkCatalog.load() } catch { throw CLIError("\(error)") }
            var environment = GatewayConfiguration.Environment(catalog: catalog, variables: ProcessInfo.processInfo.environment)
            if let devchainInfo {
                do { environment.devchainInfo = try DevchainInfo.load(devchainInfo) } catch { throw CLIError(error.description) }
            }
            environment.devnetProviders = rpcURLs
            let selections = Dictionary(environment.networks().map { ($0.network.name, $0) }, uniquingKeysWith: { a, _ in a })
            let wallets = try WalletFiles.unlock(directory: location.keystoreDir, passphrase: passphrase, networks: catalog.keys.sorted())
            for wallet in wallets {
                guard let network = selections[wallet.network]?.network ?? catalog[wallet.network] else { continue }
                var line: [String: Any] = [
                    "network": wallet.network, "address": wallet.address.checksummed,
                    "file": WalletFiles.path(directory: location.keystoreDir, network: wallet.network),
                ]
                if let selection = selections[wallet.network], let chain = try? await Chain.connect(selection) {
                    line.merge(try await chainBalances(wallet.address, network: chain.network, pool: chain.pool)) { _, new in new }
                } else if let stored = try await storedBalances(wallet.address, network: network) {
                    line.merge(stored) { _, new in new }
                } else {
                    line["balances"] = NSNull()
                    line["source"] = NSNull()
                }
                printJSON(line)
            }
        }

        func chainBalances(_ address: Address, network: NetworkConfig, pool: ProviderPool) async throws -> [String: Any] {
            guard let head = await pool.refreshHeads() else { throw CLIError("no provider of \(network.name) answered") }
            var balances: [String: Any] = [:]
            do {
                let native = try await pool.read(.balance(address, .number(head)), parse: RPCParse.quantity)
                balances[network.nativeSymbol] = Self.amount(native, decimals: network.nativeDecimals)
                for token in network.tokens {
                    guard let tokenAddress = token.address else { continue }
                    let data = try await pool.read(
                        .call(to: tokenAddress, data: ERC20.balanceOfCallData(owner: address), .number(head)), parse: RPCParse.bytes)
                    guard let amount = try? ERC20.decodeUInt256(data) else { throw CLIError("\(token.symbol).balanceOf returned no word") }
                    balances[token.symbol] = Self.amount(amount, decimals: token.decimals)
                }
            } catch let error as RPCFailure {
                throw CLIError("\(network.name): \(error)")
            }
            return ["balances": balances, "source": "chain", "block": NSNumber(value: head)]
        }

        func storedBalances(_ address: Address, network: NetworkConfig) async throws -> [String: Any]? {
            guard let url = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] else { return nil }
            let configuration: DatabaseConfiguration
            do { configuration = try DatabaseConfiguration(url: url) } catch { throw CLIError("\(error)") }
            let stored = try await withPostgresClient(configuration) { client in
                try await PostgresMonitorStore(client: client).balances(network: network.name).filter { $0.address == address }
            }
            guard !stored.isEmpty else { return nil }
            var balances: [String: Any] = [:]
            for balance in stored {
                if let token = balance.token {
                    let entry = network.token(address: token)
                    balances[entry?.symbol ?? token.checksummed] = Self.amount(balance.amount, decimals: entry?.decimals ?? 0)
                } else {
                    balances[network.nativeSymbol] = Self.amount(balance.amount, decimals: network.nativeDecimals)
                }
            }
            return ["balances": balances, "source": "database", "block": NSNumber(value: stored.map(\.blockNumber).max() ?? 0)]
        }

        static func amount(_ units: UInt256, decimals: Int) -> [String: Any] {
            let decimals = min(max(decimals, 0), TokenAmount.maxDecimals)
            return ["amount": TokenAmount(baseUnits: units, decimals: decimals).decimalString, "base_units": units.decimalString]
        }
    }
}

/// The hot wallets' files: `<dir>/<network>.json`, one per network.
enum WalletFiles {
    static func path(directory: String, network: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent("\(network).json").path
    }

    /// Encrypts `key` as the network's wallet (never replacing one) and prints where it went.
    static func write(_ key: PrivateKey, location: WalletCommand.Location, target: WalletCommand.Target) throws {
        let catalog: [String: NetworkConfig]
        do { catalog = try NetworkCatalog.load() } catch { throw CLIError("\(error)") }
        // The name becomes a file name: only networks of the catalog.
        guard catalog[target.network] != nil else {
            throw CLIError(
                "--network: '\(target.network.prefix(40))' is not a network; use one of \(catalog.keys.sorted().joined(separator: ", "))")
        }
        guard target.scryptN >= 1024, target.scryptN <= KeystoreCommand.maxScryptN, target.scryptN & (target.scryptN - 1) == 0 else {
            throw CLIError("--scrypt-n must be a power of two from 1024 to \(KeystoreCommand.maxScryptN)")
        }
        do {
            try FileManager.default.createDirectory(
                atPath: location.keystoreDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw CLIError("cannot create \(location.keystoreDir): \(error.localizedDescription)")
        }
        let file = path(directory: location.keystoreDir, network: target.network)
        guard !FileManager.default.fileExists(atPath: file) else {
            throw CLIError("\(file) already exists: \(target.network) has a hot wallet; move it away first to replace it")
        }
        let passphrase = try KeystoreCommand.readPassphrase(location.passphraseFile, allowEmpty: false)
        let json: Data
        do {
            json = try Keystore.encrypt(key, passphrase: passphrase, kdf: .scrypt(n: target.scryptN, r: 8, p: 1))
        } catch {
            throw CLIError("cannot encrypt the key: \(error)")
        }
        try KeystoreCommand.createExclusively(file, contents: json)
        printJSON(["network": target.network, "address": key.address.checksummed, "file": file])
    }

    /// The wallets of `networks` found in `directory`, decrypted. A file that does not open is
    /// an error that names it (never the passphrase).
    static func unlock(directory: String, passphrase: String, networks: [String]) throws -> [HotWallet] {
        var wallets: [HotWallet] = []
        for network in networks {
            let file = path(directory: directory, network: network)
            guard FileManager.default.fileExists(atPath: file) else { continue }
            guard let json = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
            do {
                wallets.append(HotWallet(network: network, key: try Keystore.decrypt(json: json, passphrase: passphrase)))
            } catch {
                throw CLIError("cannot unlock the \(network) hot wallet \(file): \(error)")
            }
        }
        return wallets
    }
}
