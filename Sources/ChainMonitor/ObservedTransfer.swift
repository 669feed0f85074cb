import EthereumCore

/// Where a recorded transfer stands.
public enum TransferState: String, Sendable, Hashable, CaseIterable {
    /// In a canonical block, not yet deep (or final) enough.
    case seen
    /// Deep enough (and at or below `finalized` where the network asks for it).
    case confirmed
    /// Its block left the canonical chain. Rows are never deleted.
    case removed
}

/// An ERC-20 transfer to a watched address, as found in one block.
public struct ObservedTransfer: Hashable, Sendable {
    public let chainId: UInt64
    public let blockNumber: UInt64
    public let blockHash: BlockHash
    public let transactionHash: TxHash
    public let logIndex: UInt64
    public let token: Address
    public let from: Address
    public let to: Address
    /// Base units.
    public let amount: UInt256
    /// The block's timestamp (unix seconds), when known: lateness is decided by it.
    public let blockTimestamp: UInt64?

    public init(
        chainId: UInt64, blockNumber: UInt64, blockHash: BlockHash, transactionHash: TxHash, logIndex: UInt64, token: Address,
        from: Address, to: Address, amount: UInt256, blockTimestamp: UInt64? = nil
    ) {
        self.chainId = chainId
        self.blockNumber = blockNumber
        self.blockHash = blockHash
        self.transactionHash = transactionHash
        self.logIndex = logIndex
        self.token = token
        self.from = from
        self.to = to
        self.amount = amount
        self.blockTimestamp = blockTimestamp
    }
}

/// A transfer as stored, with its row id and state.
public struct StoredTransfer: Hashable, Sendable {
    public let id: Int64
    public let transfer: ObservedTransfer
    public let state: TransferState

    public init(id: Int64, transfer: ObservedTransfer, state: TransferState) {
        self.id = id
        self.transfer = transfer
        self.state = state
    }
}
