import ChainMonitor
import EthereumCore

/// A monitor store whose every call has a deadline (``withDeadline(_:_:)``). A call without an
/// answer in time throws ``DeadlineExceeded``, which stops the monitor; its service starts a new
/// one under a new lease, so the abandoned call can no longer write even if it wakes up.
public struct BoundedMonitorStore: MonitorStore {
    public let base: any MonitorStore
    public let limit: Duration

    public init(_ base: any MonitorStore, limit: Duration) {
        self.base = base
        self.limit = limit
    }

    public func loadWindow(network: String) async throws -> [BlockRef] {
        try await withDeadline(limit) { [base] in try await base.loadWindow(network: network) }
    }

    public func commitBlock(
        network: String, block: BlockRef, blockTimestamp: UInt64?, transfers: [ObservedTransfer], windowSize: Int
    ) async throws -> [StoredTransfer] {
        try await withDeadline(limit) { [base] in
            try await base.commitBlock(
                network: network, block: block, blockTimestamp: blockTimestamp, transfers: transfers, windowSize: windowSize)
        }
    }

    public func commitRange(
        network: String, transfers: [ObservedTransfer], checkpoint: BlockRef?, checkpointTimestamp: UInt64?
    ) async throws -> [StoredTransfer] {
        try await withDeadline(limit) { [base] in
            try await base.commitRange(
                network: network, transfers: transfers, checkpoint: checkpoint, checkpointTimestamp: checkpointTimestamp)
        }
    }

    public func rollback(network: String, to ancestor: BlockRef) async throws -> [StoredTransfer] {
        try await withDeadline(limit) { [base] in try await base.rollback(network: network, to: ancestor) }
    }

    public func unconfirmedTransfers(network: String) async throws -> [StoredTransfer] {
        try await withDeadline(limit) { [base] in try await base.unconfirmedTransfers(network: network) }
    }

    public func confirm(ids: [Int64]) async throws -> [StoredTransfer] {
        try await withDeadline(limit) { [base] in try await base.confirm(ids: ids) }
    }

    public func transfers(network: String) async throws -> [StoredTransfer] {
        try await withDeadline(limit) { [base] in try await base.transfers(network: network) }
    }

    public func watchedAddresses(network: String) async throws -> (generation: Int64, addresses: Set<Address>) {
        let (generation, addresses) = try await withDeadline(limit) { [base] in
            let watched = try await base.watchedAddresses(network: network)
            return WatchList(generation: watched.generation, addresses: watched.addresses)
        }.pair
        return (generation, addresses)
    }

    public func watchGeneration(network: String) async throws -> Int64 {
        try await withDeadline(limit) { [base] in try await base.watchGeneration(network: network) }
    }

    public func addWatched(network: String, addresses: [Address]) async throws {
        try await withDeadline(limit) { [base] in try await base.addWatched(network: network, addresses: addresses) }
    }

    public func removeWatched(network: String, addresses: [Address]) async throws {
        try await withDeadline(limit) { [base] in try await base.removeWatched(network: network, addresses: addresses) }
    }

    public func earliestPaymentTime(network: String) async throws -> UInt64? {
        try await withDeadline(limit) { [base] in try await base.earliestPaymentTime(network: network) }
    }

    public func saveBalances(network: String, _ balances: [AddressBalance]) async throws {
        try await withDeadline(limit) { [base] in try await base.saveBalances(network: network, balances) }
    }

    public func halt(network: String, reason: String) async throws {
        try await withDeadline(limit) { [base] in try await base.halt(network: network, reason: reason) }
    }

    public func haltReason(network: String) async throws -> String? {
        try await withDeadline(limit) { [base] in try await base.haltReason(network: network) }
    }
}

/// The watch list as one Sendable value (a labelled tuple cannot be a task's result type).
private struct WatchList: Sendable {
    let generation: Int64
    let addresses: Set<Address>
    var pair: (Int64, Set<Address>) { (generation, addresses) }
}
