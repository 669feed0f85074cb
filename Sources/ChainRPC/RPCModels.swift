import EthereumCore

/// A block height or one of the node's named blocks.
public enum BlockTag: Hashable, Sendable, CustomStringConvertible {
    case number(UInt64)
    case latest, finalized, safe, earliest, pending

    /// The JSON-RPC parameter form: `0x…` or the tag's name.
    public var parameter: String {
        switch self {
        case .number(let n): return UInt256(n).hexQuantity
        case .latest: return "latest"
        case .finalized: return "finalized"
        case .safe: return "safe"
        case .earliest: return "earliest"
        case .pending: return "pending"
        }
    }

    public var description: String { parameter }
}

/// A block header as `eth_getBlockByNumber`/`eth_getBlockByHash` return it (transactions as hashes).
public struct RPCBlock: Hashable, Sendable {
    public let number: UInt64
    public let hash: BlockHash
    public let parentHash: BlockHash
    public let timestamp: UInt64
    /// The 256-byte bloom filter of every log in the block.
    public let logsBloom: [UInt8]
    public let transactions: [TxHash]
    public let baseFeePerGas: UInt256?
    public let gasUsed: UInt64
    public let gasLimit: UInt64

    public init(
        number: UInt64, hash: BlockHash, parentHash: BlockHash, timestamp: UInt64, logsBloom: [UInt8], transactions: [TxHash],
        baseFeePerGas: UInt256?, gasUsed: UInt64, gasLimit: UInt64
    ) {
        self.number = number
        self.hash = hash
        self.parentHash = parentHash
        self.timestamp = timestamp
        self.logsBloom = logsBloom
        self.transactions = transactions
        self.baseFeePerGas = baseFeePerGas
        self.gasUsed = gasUsed
        self.gasLimit = gasLimit
    }

    /// True when the bloom has any bit set, which means the block has at least one log.
    public var bloomIsEmpty: Bool { logsBloom.allSatisfy { $0 == 0 } }
}

/// A log entry as `eth_getLogs` and receipts return it.
public struct RPCLog: Hashable, Sendable {
    public let address: Address
    public let topics: [Bytes32]
    public let data: [UInt8]
    public let blockNumber: UInt64
    public let blockHash: BlockHash
    public let transactionHash: TxHash
    public let transactionIndex: UInt64
    public let logIndex: UInt64
    public let removed: Bool

    public init(
        address: Address, topics: [Bytes32], data: [UInt8], blockNumber: UInt64, blockHash: BlockHash, transactionHash: TxHash,
        transactionIndex: UInt64, logIndex: UInt64, removed: Bool
    ) {
        self.address = address
        self.topics = topics
        self.data = data
        self.blockNumber = blockNumber
        self.blockHash = blockHash
        self.transactionHash = transactionHash
        self.transactionIndex = transactionIndex
        self.logIndex = logIndex
        self.removed = removed
    }

    /// The log as an ERC-20 `Transfer`, or `nil` when it is not one (another event, an
    /// ERC-721 transfer, Polygon's fee-transfer log, malformed data).
    public var transfer: TransferEvent? {
        try? TransferEvent(token: address, topics: topics, data: data)
    }
}

/// A transaction receipt.
public struct RPCReceipt: Hashable, Sendable {
    public let transactionHash: TxHash
    public let blockHash: BlockHash
    public let blockNumber: UInt64
    public let transactionIndex: UInt64
    public let from: Address
    public let to: Address?
    /// 1 for success, 0 for a reverted transaction.
    public let status: UInt64
    public let gasUsed: UInt64
    public let effectiveGasPrice: UInt256?
    public let contractAddress: Address?
    public let logs: [RPCLog]
    public let logsBloom: [UInt8]
}

/// A transaction as `eth_getTransactionByHash` returns it.
public struct RPCTransaction: Hashable, Sendable {
    public let hash: TxHash
    public let type: UInt64
    public let from: Address
    public let to: Address?
    public let nonce: UInt64
    public let value: UInt256
    public let input: [UInt8]
    public let gas: UInt64
    /// `nil` while the transaction is pending.
    public let blockHash: BlockHash?
    public let blockNumber: UInt64?
    public let transactionIndex: UInt64?
}

/// `eth_feeHistory`.
public struct FeeHistory: Hashable, Sendable {
    public let oldestBlock: UInt64
    /// One more entry than blocks: the last is the next block's base fee.
    public let baseFeePerGas: [UInt256]
    /// As the node reports it (a ratio, informational only: never used for money).
    public let gasUsedRatio: [String]
    public let reward: [[UInt256]]
}

/// An `eth_getLogs` filter: a block range or one block hash, contract addresses and topics
/// (each position `nil` for any, or a list of alternatives).
public struct LogFilter: Hashable, Sendable {
    public enum Blocks: Hashable, Sendable {
        case range(from: BlockTag, to: BlockTag)
        case hash(BlockHash)
    }

    public var blocks: Blocks
    public var addresses: [Address]
    public var topics: [[Bytes32]?]

    public init(blocks: Blocks, addresses: [Address] = [], topics: [[Bytes32]?] = []) {
        self.blocks = blocks
        self.addresses = addresses
        self.topics = topics
    }

    /// ERC-20 `Transfer` logs of `tokens`, to any of `recipients` (all recipients when empty).
    public static func transfers(_ blocks: Blocks, tokens: [Address], to recipients: [Address] = []) -> LogFilter {
        LogFilter(
            blocks: blocks, addresses: tokens,
            topics: [[ERC20.transferTopic], nil, recipients.isEmpty ? nil : recipients.map(\.word)])
    }

    var parameter: [String: Any] {
        var object = [String: Any]()
        switch blocks {
        case .range(let from, let to):
            object["fromBlock"] = from.parameter
            object["toBlock"] = to.parameter
        case .hash(let hash):
            object["blockHash"] = hash.hex
        }
        if addresses.count == 1 {
            object["address"] = addresses[0].lowercased
        } else if !addresses.isEmpty {
            object["address"] = addresses.map(\.lowercased)
        }
        if !topics.isEmpty {
            object["topics"] = topics.map { position -> Any in
                guard let position else { return NSNullValue.null }
                return position.count == 1 ? position[0].hex as Any : position.map(\.hex) as Any
            }
        }
        return object
    }
}
