import ChainMonitor
import EthereumCore

/// The monitor's store in memory, with the semantics the protocol documents: for unit
/// tests of the monitor's logic. Integration tests use the Postgres store.
actor InMemoryMonitorStore: MonitorStore {
    struct Row {
        var stored: StoredTransfer
        let network: String
    }

    var rows: [Row] = []
    var windows: [String: [BlockRef]] = [:]
    var watched: [String: Set<Address>] = [:]
    var generations: [String: Int64] = [:]
    var savedBalances: [String: [AddressBalance]] = [:]
    var outbox: [(type: String, transfer: ObservedTransfer)] = []
    var nextId: Int64 = 1

    func loadWindow(network: String) async throws -> [BlockRef] { windows[network] ?? [] }

    private func insert(_ transfers: [ObservedTransfer], network: String) -> [StoredTransfer] {
        var out = [StoredTransfer]()
        for transfer in transfers {
            if let index = rows.firstIndex(where: { $0.stored.transfer == transfer }) {
                guard rows[index].stored.state == .removed else { continue }
                rows[index].stored = StoredTransfer(id: rows[index].stored.id, transfer: transfer, state: .seen)
                out.append(rows[index].stored)
            } else {
                let stored = StoredTransfer(id: nextId, transfer: transfer, state: .seen)
                nextId += 1
                rows.append(Row(stored: stored, network: network))
                out.append(stored)
            }
            outbox.append(("transfer.seen", transfer))
        }
        return out
    }

    func commitBlock(network: String, block: BlockRef, transfers: [ObservedTransfer], windowSize: Int) async throws -> [StoredTransfer] {
        let stored = insert(transfers, network: network)
        var window = windows[network] ?? []
        window.append(block)
        windows[network] = Array(window.suffix(windowSize))
        return stored
    }

    func commitRange(network: String, transfers: [ObservedTransfer], checkpoint: BlockRef?) async throws -> [StoredTransfer] {
        let stored = insert(transfers, network: network)
        if let checkpoint { windows[network] = [checkpoint] }
        return stored
    }

    func rollback(network: String, to ancestor: BlockRef) async throws -> [StoredTransfer] {
        var removed = [StoredTransfer]()
        for index in rows.indices where rows[index].network == network && rows[index].stored.transfer.blockNumber > ancestor.number
            && rows[index].stored.state != .removed
        {
            rows[index].stored = StoredTransfer(id: rows[index].stored.id, transfer: rows[index].stored.transfer, state: .removed)
            removed.append(rows[index].stored)
            outbox.append(("transfer.removed", rows[index].stored.transfer))
        }
        windows[network] = (windows[network] ?? []).filter { $0.number <= ancestor.number }
        return removed
    }

    func unconfirmedTransfers(network: String) async throws -> [StoredTransfer] {
        rows.filter { $0.network == network && $0.stored.state == .seen }.map(\.stored)
    }

    func confirm(ids: [Int64]) async throws -> [StoredTransfer] {
        var out = [StoredTransfer]()
        for index in rows.indices where ids.contains(rows[index].stored.id) && rows[index].stored.state == .seen {
            rows[index].stored = StoredTransfer(id: rows[index].stored.id, transfer: rows[index].stored.transfer, state: .confirmed)
            out.append(rows[index].stored)
            outbox.append(("transfer.confirmed", rows[index].stored.transfer))
        }
        return out
    }

    func transfers(network: String) async throws -> [StoredTransfer] {
        rows.filter { $0.network == network }.map(\.stored)
            .sorted { ($0.transfer.blockNumber, $0.transfer.logIndex, $0.id) < ($1.transfer.blockNumber, $1.transfer.logIndex, $1.id) }
    }

    func watchedAddresses(network: String) async throws -> (generation: Int64, addresses: Set<Address>) {
        (generations[network] ?? 0, watched[network] ?? [])
    }

    func watchGeneration(network: String) async throws -> Int64 { generations[network] ?? 0 }

    func addWatched(network: String, addresses: [Address]) async throws {
        watched[network, default: []].formUnion(addresses)
        generations[network, default: 0] += 1
    }

    func removeWatched(network: String, addresses: [Address]) async throws {
        watched[network, default: []].subtract(addresses)
        generations[network, default: 0] += 1
    }

    func saveBalances(network: String, _ balances: [AddressBalance]) async throws {
        savedBalances[network] = balances
    }
}
