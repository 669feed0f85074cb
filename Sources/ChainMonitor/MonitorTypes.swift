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

    public init(
        chainId: UInt64, blockNumber: UInt64, blockHash: BlockHash, transactionHash: TxHash, logIndex: UInt64, token: Address,
        from: Address, to: Address, amount: UInt256
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

/// A native or token balance of an address at a block.
public struct AddressBalance: Hashable, Sendable {
    public let address: Address
    /// `nil` for the native currency.
    public let token: Address?
    public let amount: UInt256
    public let blockNumber: UInt64

    public init(address: Address, token: Address?, amount: UInt256, blockNumber: UInt64) {
        self.address = address
        self.token = token
        self.amount = amount
        self.blockNumber = blockNumber
    }
}

/// What the monitor persists. Every method that changes transfer state also writes the
/// matching outbox events (`transfer.seen`, `transfer.confirmed`, `transfer.removed`) in the
/// same database transaction, so that a crash can never separate a change from its event.
/// The Postgres implementation lives in `GatewayStore`; unit tests use an in-memory one.
public protocol MonitorStore: Sendable {
    /// The window of recent canonical blocks of `network`, oldest first; the last one is the
    /// checkpoint (the last block fully processed). Empty before the first block.
    func loadWindow(network: String) async throws -> [BlockRef]

    /// Records one canonical block in one transaction: inserts its transfers (a transfer whose
    /// exact row — same chain, transaction, log index and block hash — exists as `removed` is
    /// revived to `seen`; an existing `seen`/`confirmed` row is left alone), appends the block to
    /// the window (dropping entries older than `windowSize`), moves the checkpoint to it and
    /// writes `transfer.seen` events for the rows inserted or revived, which it returns.
    func commitBlock(network: String, block: BlockRef, transfers: [ObservedTransfer], windowSize: Int) async throws -> [StoredTransfer]

    /// Records transfers found by a ranged scan of blocks older than the reorg window, in one
    /// transaction. With a `checkpoint`, the window is reset to just that block and the
    /// checkpoint moves there; without, the checkpoint is not touched (a backfill behind it).
    func commitRange(network: String, transfers: [ObservedTransfer], checkpoint: BlockRef?) async throws -> [StoredTransfer]

    /// Rolls `network` back to `ancestor` after a reorg, in one transaction: every `seen` or
    /// `confirmed` transfer in a block above `ancestor.number` becomes `removed`, window entries
    /// above it are dropped, the checkpoint becomes `ancestor`, and `transfer.removed` events
    /// are written. Returns the removed transfers.
    func rollback(network: String, to ancestor: BlockRef) async throws -> [StoredTransfer]

    /// Every `seen` transfer of `network`, oldest block first.
    func unconfirmedTransfers(network: String) async throws -> [StoredTransfer]

    /// Moves these transfers from `seen` to `confirmed` (rows in another state are skipped)
    /// with `transfer.confirmed` events, in one transaction. Returns the rows changed.
    func confirm(ids: [Int64]) async throws -> [StoredTransfer]

    /// Every transfer of `network` (any state), in chain order: for operators and tests.
    func transfers(network: String) async throws -> [StoredTransfer]

    /// The watched addresses of `network` and a generation number that changes with every
    /// addition or removal.
    func watchedAddresses(network: String) async throws -> (generation: Int64, addresses: Set<Address>)
    /// The current generation only (a cheap query the monitor runs on every poll).
    func watchGeneration(network: String) async throws -> Int64
    func addWatched(network: String, addresses: [Address]) async throws
    func removeWatched(network: String, addresses: [Address]) async throws

    /// Stores the latest balances (replacing older ones for the same address and asset).
    func saveBalances(network: String, _ balances: [AddressBalance]) async throws
}
