import EthereumCore

/// An error a store throws that must stop the monitor instead of being retried: it lost the
/// right to write (another process runs the network's monitor now).
public protocol StopsMonitor: Error {
    var stopsMonitor: Bool { get }
}

/// What the monitor persists. Every method that changes transfers does so in one database
/// transaction, and the store queues each change for its consumers in that same transaction
/// (the Postgres store: `transfer_changes`, read by the session matcher), so that a crash can
/// never separate a change from its processing. The Postgres implementation lives in
/// `GatewayStore`.
public protocol MonitorStore: Sendable {
    /// The window of recent canonical blocks of `network`, oldest first; the last one is the
    /// checkpoint (the last block fully processed). Empty before the first block.
    func loadWindow(network: String) async throws -> [BlockRef]

    /// Records one canonical block in one transaction: inserts its transfers (a transfer whose
    /// exact row — same chain, transaction, log index and block hash — exists as `removed` is
    /// revived to `seen`; an existing `seen`/`confirmed` row is left alone), appends the block to
    /// the window (dropping entries older than `windowSize`), moves the checkpoint to it and
    /// returns the rows inserted or revived.
    func commitBlock(network: String, block: BlockRef, blockTimestamp: UInt64?, transfers: [ObservedTransfer], windowSize: Int) async throws
        -> [StoredTransfer]

    /// Records transfers found by a ranged scan of blocks older than the reorg window, in one
    /// transaction. With a `checkpoint`, the window is reset to just that block and the
    /// checkpoint moves there; without, the checkpoint is not touched (a backfill behind it).
    func commitRange(network: String, transfers: [ObservedTransfer], checkpoint: BlockRef?, checkpointTimestamp: UInt64?) async throws
        -> [StoredTransfer]

    /// Rolls `network` back to `ancestor` after a reorg, in one transaction: every `seen` or
    /// `confirmed` transfer in a block above `ancestor.number` becomes `removed`, window entries
    /// above it are dropped, and the checkpoint becomes `ancestor`. Returns the removed
    /// transfers.
    func rollback(network: String, to ancestor: BlockRef) async throws -> [StoredTransfer]

    /// Every `seen` transfer of `network`, oldest block first.
    func unconfirmedTransfers(network: String) async throws -> [StoredTransfer]

    /// Moves these transfers from `seen` to `confirmed` (rows in another state are skipped), in
    /// one transaction. Returns the rows changed.
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

    /// The earliest time (Unix seconds) a payment to a watched address of `network` can still
    /// matter: when the oldest session still open for payment on the network was created. A
    /// monitor that never processed a block starts from the first block of that time, not at the
    /// head, so that a payment made before its first poll is not skipped. Nil when nothing is
    /// open.
    func earliestPaymentTime(network: String) async throws -> UInt64?

    /// Stores the latest balances (replacing older ones for the same address and asset).
    func saveBalances(network: String, _ balances: [AddressBalance]) async throws

    /// Halts the network's monitor for a reason an operator must look at (persisted).
    func halt(network: String, reason: String) async throws
    /// Why the network's monitor is halted, or nil.
    func haltReason(network: String) async throws -> String?
}

extension MonitorStore {
    /// `commitBlock` without the block's timestamp.
    public func commitBlock(network: String, block: BlockRef, transfers: [ObservedTransfer], windowSize: Int) async throws
        -> [StoredTransfer]
    {
        try await commitBlock(network: network, block: block, blockTimestamp: nil, transfers: transfers, windowSize: windowSize)
    }

    /// `commitRange` without the checkpoint's timestamp.
    public func commitRange(network: String, transfers: [ObservedTransfer], checkpoint: BlockRef?) async throws -> [StoredTransfer] {
        try await commitRange(network: network, transfers: transfers, checkpoint: checkpoint, checkpointTimestamp: nil)
    }
}
