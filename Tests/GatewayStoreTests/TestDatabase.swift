import ChainMonitor
import EthereumCore
import Foundation
import GatewayStore
import PostgresNIO
import Testing

/// A fresh database per test, on the server that `DATABASE_URL` names (Scripts/test starts
/// one with Scripts/dev-postgres): created as `test_<random>` before the test, dropped after it.
enum TestDatabase {
    struct NotConfigured: Error, CustomStringConvertible {
        let reason: String
        var description: String {
            "\(reason): these tests need a real PostgreSQL. Run `Scripts/dev-postgres start` and "
                + "`export DATABASE_URL=\"$(Scripts/dev-postgres url)\"` (Scripts/test does both)."
        }
    }

    /// The server's configuration from `DATABASE_URL`; a missing variable fails the test.
    static func server() throws -> DatabaseConfiguration {
        guard let text = ProcessInfo.processInfo.environment["DATABASE_URL"], !text.isEmpty else {
            throw NotConfigured(reason: "DATABASE_URL is not set")
        }
        do { return try DatabaseConfiguration(url: text) } catch { throw NotConfigured(reason: "DATABASE_URL is invalid: \(error)") }
    }

    /// Creates a database, runs `body` with its configuration, then drops it (also when `body` throws).
    static func withFresh<Result: Sendable>(_ body: (DatabaseConfiguration) async throws -> Result) async throws -> Result {
        let server = try server()
        let name = "test_" + (0..<12).map { _ in String("0123456789abcdefghijklmnopqrstuvwxyz".randomElement()!) }.joined()
        try await admin(server) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        do {
            let result = try await body(server.with(database: name))
            try await drop(name, server)
            return result
        } catch {
            try? await drop(name, server)
            throw error
        }
    }

    /// A fresh database with the shipped migrations applied, and a running client on it.
    static func withMigrated<Result: Sendable>(_ body: (PostgresClient, DatabaseConfiguration) async throws -> Result) async throws
        -> Result
    {
        try await withFresh { database in
            try await withPostgresClient(database) { client in
                try await Migrator(client: client).migrate()
                return try await body(client, database)
            }
        }
    }

    static let logger = Logger(label: "gateway.store.tests")

    private static func drop(_ name: String, _ server: DatabaseConfiguration) async throws {
        try await admin(server) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
        }
    }

    private static func admin(_ server: DatabaseConfiguration, _ body: (PostgresConnection) async throws -> Void) async throws {
        let connection: PostgresConnection
        do {
            connection = try await server.connect(logger: logger)
        } catch {
            throw NotConfigured(reason: "cannot connect to \(server.redactedURL): \(describeDatabaseError(error))")
        }
        do {
            try await body(connection)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
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

/// One row of `outbox_events`.
struct OutboxRow: Sendable {
    let id: Int64
    let eventId: String
    let type: String
    let payloadJSON: String
    let delivered: Bool

    var payload: TransferEventPayload { get throws { try JSONDecoder().decode(TransferEventPayload.self, from: Data(payloadJSON.utf8)) } }
    var object: [String: Any] { get throws { try JSONSerialization.jsonObject(with: Data(payloadJSON.utf8)) as? [String: Any] ?? [:] } }
}

extension PostgresClient {
    func outbox() async throws -> [OutboxRow] {
        var out: [OutboxRow] = []
        let rows = try await query("SELECT id, event_id, type, payload::text, delivered_at IS NOT NULL FROM outbox_events ORDER BY id")
        for try await (id, eventId, type, payload, delivered) in rows.decode((Int64, String, String, String, Bool).self) {
            out.append(OutboxRow(id: id, eventId: eventId, type: type, payloadJSON: payload, delivered: delivered))
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

/// The payloads expected for `transfers` changing to `state`.
func expectedPayloads(_ stored: [StoredTransfer], state: TransferState, network: String = Fixture.network) -> [TransferEventPayload] {
    stored.map { TransferEventPayload(network: network, transfer: $0.transfer, state: state) }
}
