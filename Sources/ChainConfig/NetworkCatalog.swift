import EthereumCore
import Foundation

/// Loads and checks the network files in `Networks/`.
public enum NetworkCatalog {
    /// The networks folder: `$GATEWAY_NETWORKS_DIR`, `./Networks`, or the one in the source
    /// checkout that the running executable was built from.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let dir = environment["GATEWAY_NETWORKS_DIR"] { return URL(fileURLWithPath: dir) }
        let local = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Networks")
        if FileManager.default.fileExists(atPath: local.path) { return local }
        // .build/<triple>/<config>/gateway → repository root is four levels up.
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = dir.appendingPathComponent("Networks")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("devnet.json").path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return local
    }

    /// Every `*.json` file in `directory`, by network name.
    public static func load(directory: URL = defaultDirectory()) throws(NetworkConfigError) -> [String: NetworkConfig] {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        } catch {
            throw .unreadable(directory.path)
        }
        var networks = [String: NetworkConfig]()
        for file in files {
            let config = try load(file: directory.appendingPathComponent(file))
            guard file == config.name + ".json" else { throw .invalid(file, "file name must be the network name + .json") }
            networks[config.name] = config
        }
        guard !networks.isEmpty else { throw .unreadable(directory.path) }
        return networks
    }

    /// One network file.
    public static func load(file: URL) throws(NetworkConfigError) -> NetworkConfig {
        guard let data = FileManager.default.contents(atPath: file.path) else { throw .unreadable(file.path) }
        return try parse(data, source: file.lastPathComponent)
    }

    /// Parses and checks a network description.
    public static func parse(_ data: Data, source: String) throws(NetworkConfigError) -> NetworkConfig {
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw NetworkConfigError.invalid(source, "expected a JSON object")
            }
            object = parsed
        } catch let error as NetworkConfigError {
            throw error
        } catch {
            throw .invalid(source, "not valid JSON")
        }
        func field<T>(_ key: String, as: T.Type) throws(NetworkConfigError) -> T {
            guard let value = object[key] as? T else { throw .invalid(source, "missing or mistyped field '\(key)'") }
            return value
        }
        func integer(_ value: Any?, _ key: String, min: Int, max: Int) throws(NetworkConfigError) -> Int {
            guard let number = value as? NSNumber, let int = Int(exactly: number.doubleValue), "\(number)" == "\(int)",
                (min...max).contains(int)
            else {
                throw .invalid(source, "'\(key)' must be a whole number from \(min) to \(max)")
            }
            return int
        }

        let name = try field("name", as: String.self)
        let chainId = try integer(object["chainId"], "chainId", min: 1, max: Int(Int64.max))
        let native = try field("nativeCurrency", as: [String: Any].self)
        guard let nativeSymbol = native["symbol"] as? String, !nativeSymbol.isEmpty else {
            throw .invalid(source, "nativeCurrency.symbol is missing")
        }
        let nativeDecimals = try integer(native["decimals"], "nativeCurrency.decimals", min: 0, max: 77)
        var tokens = [NetworkConfig.Token]()
        for entry in try field("tokens", as: [[String: Any]].self) {
            guard let symbol = entry["symbol"] as? String, !symbol.isEmpty else { throw .invalid(source, "a token has no symbol") }
            let decimals = try integer(entry["decimals"], "tokens[\(symbol)].decimals", min: 0, max: 77)
            var address: Address? = nil
            if let text = entry["address"] as? String {
                do { address = try Address(text) } catch { throw .invalid(source, "token \(symbol): \(error)") }
            } else if !(entry["address"] is NSNull) {
                throw .invalid(source, "token \(symbol): 'address' must be an address or null")
            }
            guard !tokens.contains(where: { $0.symbol == symbol }) else { throw .invalid(source, "token \(symbol) is listed twice") }
            tokens.append(.init(symbol: symbol, address: address, decimals: decimals))
        }
        guard let finality = NetworkConfig.Finality(rawValue: try field("finality", as: String.self)) else {
            throw .invalid(source, "'finality' must be \"depth\" or \"depth+finalized\"")
        }
        let confirmations = try integer(object["confirmations"], "confirmations", min: 1, max: 10_000)
        let reorgWindow = try integer(object["reorgWindow"], "reorgWindow", min: 1, max: 100_000)
        guard reorgWindow > confirmations else {
            throw .invalid(source, "'reorgWindow' must be larger than 'confirmations' so a reorg of any unconfirmed block is seen")
        }
        let envNames = try field("providerUrlEnv", as: [String].self)
        return NetworkConfig(
            name: name, chainId: UInt64(chainId), testnet: try field("testnet", as: Bool.self), nativeSymbol: nativeSymbol,
            nativeDecimals: nativeDecimals, tokens: tokens, confirmations: confirmations, finality: finality,
            blockTimeMs: try integer(object["blockTimeMs"], "blockTimeMs", min: 1, max: 600_000), reorgWindow: reorgWindow,
            providerUrlEnv: envNames)
    }
}

/// Why a network file could not be used.
public enum NetworkConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(String)
    case invalid(String, String)
    case unknownNetwork(String, known: [String])

    public var description: String {
        switch self {
        case .unreadable(let path): return "cannot read network definitions at \(path)"
        case .invalid(let source, let reason): return "network file \(source): \(reason)"
        case .unknownNetwork(let name, let known):
            return "unknown network '\(name)'; known networks: \(known.sorted().joined(separator: ", "))"
        }
    }
}
