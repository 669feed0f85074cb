import ChainMonitor
import EthereumCore
import Foundation
import GatewayStore
import PostgresNIO
import TestSupport
import Testing

extension TestDatabase {
    /// A fresh database per test, created as `test_<random>` before it and dropped after it.
    static func withFresh<Result: Sendable>(_ body: (DatabaseConfiguration) async throws -> Result) async throws -> Result {
        try await withFresh(prefix: "test", body)
    }

    /// A fresh database with the shipped migrations applied, and a running client on it.
    static func withMigrated<Result: Sendable>(_ body: (PostgresClient, DatabaseConfiguration) async throws -> Result) async throws
        -> Result
    {
        try await withFresh(prefix: "test") { database in
            try await withPostgresClient(database) { client in
                try await Migrator(client: client).migrate()
                return try await body(client, database)
            }
        }
    }
}

// MARK: Fixtures

enum Fixture {
    static let network = "testnet"
    static let chainId: UInt64 = 1337

    static func blockHash(_ number: UInt64, fork: UInt64 = 0) -> BlockHash { BlockHash(raw: Bytes32(0xb10c, fork, 0, number)) }
    static func txHash(_ n: UInt64) -> TxHash { TxHash(raw: Bytes32(0x7a, 0, 0, n)) }
    static func address(_ byte: UInt8) -> Address { try! Address(bytes: [UInt8](repeating: byte, count: 20)) }

    static let token = try! Address("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48")
    static let payer = address(0x11)
    static let merchant = address(0x22)

    static func block(_ number: UInt64, fork: UInt64 = 0, parentFork: UInt64? = nil) -> BlockRef {
        BlockRef(
            number: number, hash: blockHash(number, fork: fork),
            parentHash: blockHash(number == 0 ? 0 : number - 1, fork: parentFork ?? fork))
    }

    static func transfer(in block: BlockRef, tx: UInt64, logIndex: UInt64 = 0, amount: UInt256 = 1_000_000, to: Address = merchant)
        -> ObservedTransfer
    {
        ObservedTransfer(
            chainId: chainId, blockNumber: block.number, blockHash: block.hash, transactionHash: txHash(tx), logIndex: logIndex,
            token: token, from: payer, to: to, amount: amount)
    }
}

/// One entry of the matcher's queue: a transfer and the state it moved to.
struct QueuedChange: Sendable, Hashable {
    let network: String
    let transfer: ObservedTransfer
    let state: TransferState
}

extension PostgresClient {
    /// The queue of transfer changes the monitor's writes filled, oldest first.
    func changes() async throws -> [QueuedChange] {
        let store = PostgresMonitorStore(client: self)
        var byId: [Int64: (String, StoredTransfer)] = [:]
        for network in try await texts("SELECT DISTINCT network FROM chain_transfers") {
            for stored in try await store.transfers(network: network) { byId[stored.id] = (network, stored) }
        }
        var out: [QueuedChange] = []
        let rows = try await query("SELECT transfer_id, state FROM transfer_changes ORDER BY id")
        for try await (id, state) in rows.decode((Int64, String).self) {
            guard let (network, stored) = byId[id], let state = TransferState(rawValue: state) else { continue }
            out.append(QueuedChange(network: network, transfer: stored.transfer, state: state))
        }
        return out
    }

    func count(_ sql: String) async throws -> Int64 {
        var value: Int64 = -1
        for try await count in try await query(PostgresQuery(unsafeSQL: sql)).decode(Int64.self) { value = count }
        return value
    }

    func texts(_ sql: String) async throws -> [String] {
        var out: [String] = []
        for try await text in try await query(PostgresQuery(unsafeSQL: sql)).decode(String.self) { out.append(text) }
        return out
    }
}

/// The queue entries expected for `transfers` changing to `state`.
func expectedChanges(_ stored: [StoredTransfer], state: TransferState, network: String = Fixture.network) -> [QueuedChange] {
    stored.map { QueuedChange(network: network, transfer: $0.transfer, state: state) }
}
