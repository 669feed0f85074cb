import EthereumCore

/// A block as the monitor's window remembers it.
public struct BlockRef: Hashable, Sendable, CustomStringConvertible {
    public let number: UInt64
    public let hash: BlockHash
    public let parentHash: BlockHash

    public init(number: UInt64, hash: BlockHash, parentHash: BlockHash) {
        self.number = number
        self.hash = hash
        self.parentHash = parentHash
    }

    public var description: String { "#\(number) \(hash)" }
}
