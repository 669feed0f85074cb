import EthereumCore
import Foundation

/// The file `Scripts/devchain --info FILE` writes when the local chain is ready: its URL,
/// chain id and the addresses of the tokens it deployed.
public struct DevchainInfo: Sendable, Hashable {
    public let url: String
    public let chainId: UInt64
    public let tokens: [String: Address]

    public init(url: String, chainId: UInt64, tokens: [String: Address]) {
        self.url = url
        self.chainId = chainId
        self.tokens = tokens
    }

    public struct Unreadable: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "cannot read the devchain info file \(path) (is Scripts/devchain running?)" }
    }

    public static func load(_ path: String) throws(Unreadable) -> DevchainInfo {
        guard let data = FileManager.default.contents(atPath: path),
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let url = object["url"] as? String, let chainId = (object["chainId"] as? NSNumber)?.uint64Value
        else { throw Unreadable(path: path) }
        var tokens = [String: Address]()
        for (symbol, entry) in object["tokens"] as? [String: [String: Any]] ?? [:] {
            if let text = entry["address"] as? String, let address = try? Address(text) { tokens[symbol] = address }
        }
        return DevchainInfo(url: url, chainId: chainId, tokens: tokens)
    }
}
