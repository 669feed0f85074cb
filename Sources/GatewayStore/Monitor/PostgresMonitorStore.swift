import ChainMonitor
import EthereumCore
import Foundation
import Logging
import PostgresNIO

/// The monitor's store in Postgres (the tables of migration `0001_monitor`).
///
/// Every method that changes state does so in one transaction. Each insert and state change of
/// a transfer is queued for the session matcher in that same transaction (the
/// `transfer_changes` trigger of migration 0002), so a change and its processing cannot be
/// separated by a crash. The caller owns the `PostgresClient` and runs it; the schema must be
/// migrated first (``Migrator``).
public struct PostgresMonitorStore: MonitorStore {
    public let client: PostgresClient
    /// When set, every write first checks that this lease is still the network's newest, so
    /// that a monitor that lost its lock (its connection dropped, another process took over)
    /// cannot write.
    public let lease: MonitorLease?
    let logger: Logger

    public init(client: PostgresClient, lease: MonitorLease? = nil, logger: Logger = Logger(label: "gateway.store")) {
        self.client = client
        self.lease = lease
        self.logger = logger
    }

    /// The same store, writing only while `lease` is the network's newest.
    public func fenced(by lease: MonitorLease) -> PostgresMonitorStore {
        PostgresMonitorStore(client: client, lease: lease, logger: logger)
    }

    // MARK: Window and checkpoint

    public func loadWindow(network: String) async throws -> [BlockRef] {
        let rows = try await client.query(
            "SELECT number, hash, parent_hash FROM monitor_blocks WHERE network = \(network) ORDER BY number", logger: logger)
        var out: [BlockRef] = []
        for try await (number, hash, parent) in rows.decode((Int64, BlockHash, BlockHash).self) {
            out.append(BlockRef(number: try Self.uint64(number, table: "monitor_blocks"), hash: hash, parentHash: parent))
        }
        return out
    }

    /// Records one canonical block: see ``MonitorStore/commitBlock(network:block:blockTimestamp:transfers:windowSize:)``.
    ///
    /// Replaying the block that is already the checkpoint (after a crash) changes nothing and
    /// writes no event for rows that exist. Refused with ``StoreError/windowConflict(network:reason:)``
    /// when the window holds a block above this one, or another block at its height (a reorg goes
    /// through `rollback` first); refused with ``StoreError/transferNotInBlock(block:transfer:)``
    /// when a transfer names another block.
    public func commitBlock(network: String, block: BlockRef, blockTimestamp: UInt64?, transfers: [ObservedTransfer], windowSize: Int)
        async throws -> [StoredTransfer]
    {
        guard windowSize >= 1 else { throw StoreError.invalidWindowSize(windowSize) }
        let number = try Self.int64(block.number, "block number")
        for transfer in transfers where transfer.blockNumber != block.number || transfer.blockHash != block.hash {
            throw StoreError.transferNotInBlock(block: block.description, transfer: Self.describe(transfer))
        }
        let rows = try Self.transferColumns(transfers)
        return try await transaction { connection in
            try await checkLease(on: connection)
            let above = try await connection.query(
                """
                SELECT number, hash FROM monitor_blocks
                WHERE network = \(network) AND number >= \(number) ORDER BY number FOR UPDATE
                """, logger: logger
            ).decode((Int64, String).self).all()
            for (existing, hash) in above {
                if existing > number {
                    throw StoreError.windowConflict(network: network, reason: "it holds block #\(existing), above \(block)")
                }
                if hash != block.hash.hex {
                    throw StoreError.windowConflict(network: network, reason: "it holds block #\(existing) \(hash), not \(block.hash)")
                }
            }
            let stored = try await upsertTransfers(network: network, rows, on: connection)
            try await connection.query(
                """
                INSERT INTO monitor_blocks (network, number, hash, parent_hash)
                VALUES (\(network), \(number), \(block.hash.hex), \(block.parentHash.hex))
                ON CONFLICT (network, number) DO NOTHING
                """, logger: logger)
            let (oldest, overflow) = number.subtractingReportingOverflow(Int64(windowSize))
            if !overflow, oldest >= 0 {
                try await connection.query(
                    "DELETE FROM monitor_blocks WHERE network = \(network) AND number <= \(oldest)", logger: logger)
            }
            try await setCheckpoint(network: network, number: number, hash: block.hash, timestamp: blockTimestamp, on: connection)
            return stored
        }
    }

    /// Records transfers from a ranged scan: see ``MonitorStore/commitRange(network:transfers:checkpoint:checkpointTimestamp:)``.
    /// With a checkpoint, a transfer above it is refused (``StoreError/transferAboveCheckpoint(checkpoint:transfer:)``).
    public func commitRange(network: String, transfers: [ObservedTransfer], checkpoint: BlockRef?, checkpointTimestamp: UInt64?)
        async throws -> [StoredTransfer]
    {
        if let checkpoint {
            for transfer in transfers where transfer.blockNumber > checkpoint.number {
                throw StoreError.transferAboveCheckpoint(checkpoint: checkpoint.description, transfer: Self.describe(transfer))
            }
        }
        let checkpointNumber = try checkpoint.map { try Self.int64($0.number, "block number") }
        let rows = try Self.transferColumns(transfers)
        return try await transaction { connection in
            try await checkLease(on: connection)
            let stored = try await upsertTransfers(network: network, rows, on: connection)
            if let checkpoint, let checkpointNumber {
                try await connection.query("DELETE FROM monitor_blocks WHERE network = \(network)", logger: logger)
                try await connection.query(
                    """
                    INSERT INTO monitor_blocks (network, number, hash, parent_hash)
                    VALUES (\(network), \(checkpointNumber), \(checkpoint.hash.hex), \(checkpoint.parentHash.hex))
                    """, logger: logger)
                try await setCheckpoint(
                    network: network, number: checkpointNumber, hash: checkpoint.hash, timestamp: checkpointTimestamp, on: connection)
            }
            return stored
        }
    }

    /// Rolls back to `ancestor`: see ``MonitorStore/rollback(network:to:)``. The ancestor is
    /// also written to the window (replacing any other block at its height), so that the last
    /// block of the window is always the checkpoint.
    public func rollback(network: String, to ancestor: BlockRef) async throws -> [StoredTransfer] {
        let number = try Self.int64(ancestor.number, "block number")
        return try await transaction { connection in
            try await checkLease(on: connection)
            let rows = try await connection.query(
                """
                UPDATE chain_transfers SET state = 'removed', removed_at = now()
                WHERE network = \(network) AND block_number > \(number) AND state IN ('seen', 'confirmed')
                RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            let removed = try await Self.decodeTransfers(rows).sorted(by: Self.chainOrder)
            try await connection.query("DELETE FROM monitor_blocks WHERE network = \(network) AND number > \(number)", logger: logger)
            try await connection.query(
                """
                INSERT INTO monitor_blocks (network, number, hash, parent_hash)
                VALUES (\(network), \(number), \(ancestor.hash.hex), \(ancestor.parentHash.hex))
                ON CONFLICT (network, number) DO UPDATE SET hash = EXCLUDED.hash, parent_hash = EXCLUDED.parent_hash
                """, logger: logger)
            // The ancestor's time is not known here: expiries wait for the next block.
            try await setCheckpoint(network: network, number: number, hash: ancestor.hash, timestamp: nil, on: connection)
            return removed.map(\.1)
        }
    }

    // MARK: Transfers

    public func unconfirmedTransfers(network: String) async throws -> [StoredTransfer] {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.columns) FROM chain_transfers
            WHERE network = \(network) AND state = 'seen' ORDER BY block_number, log_index, id
            """, logger: logger)
        return try await Self.decodeTransfers(rows).map(\.1)
    }

    public func confirm(ids: [Int64]) async throws -> [StoredTransfer] {
        let ids = Array(Set(ids)).sorted()
        guard !ids.isEmpty else { return [] }
        return try await transaction { connection in
            try await checkLease(on: connection)
            let rows = try await connection.query(
                """
                UPDATE chain_transfers SET state = 'confirmed', confirmed_at = now()
                WHERE id = ANY(\(ids)::bigint[]) AND state = 'seen'
                RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            let confirmed = try await Self.decodeTransfers(rows).sorted(by: Self.chainOrder)
            return confirmed.map(\.1)
        }
    }

    public func transfers(network: String) async throws -> [StoredTransfer] {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.columns) FROM chain_transfers
            WHERE network = \(network) ORDER BY block_number, log_index, id
            """, logger: logger)
        return try await Self.decodeTransfers(rows).map(\.1)
    }

    // MARK: Watched addresses

    public func watchedAddresses(network: String) async throws -> (generation: Int64, addresses: Set<Address>) {
        // One statement, so one snapshot: the generation matches the set.
        let rows = try await client.query(
            """
            SELECT coalesce((SELECT generation FROM watch_generations WHERE network = \(network)), 0),
                   coalesce((SELECT array_agg(address) FROM watched_addresses WHERE network = \(network)), '{}'::text[])
            """, logger: logger)
        for try await (generation, addresses) in rows.decode((Int64, [Address]).self) { return (generation, Set(addresses)) }
        return (0, [])
    }

    public func watchGeneration(network: String) async throws -> Int64 {
        let rows = try await client.query(
            "SELECT coalesce((SELECT generation FROM watch_generations WHERE network = \(network)), 0)", logger: logger)
        return try await rows.decode(Int64.self).all().first ?? 0
    }

    /// Adds addresses; the generation moves on when at least one was not watched yet.
    public func addWatched(network: String, addresses: [Address]) async throws {
        guard let query = Self.addWatchedQuery(network: network, addresses: addresses) else { return }
        try await client.query(query, logger: logger)
    }

    /// One statement, so that the insert and the generation bump commit together; nil when
    /// there is nothing to add. Also run inside other transactions (a new merchant's addresses).
    static func addWatchedQuery(network: String, addresses: [Address]) -> PostgresQuery? {
        let texts = Array(Set(addresses.map(\.lowercased))).sorted()
        guard !texts.isEmpty else { return nil }
        return """
            WITH added AS (
                INSERT INTO watched_addresses (network, address)
                SELECT \(network), a FROM unnest(\(texts)::text[]) AS a
                ON CONFLICT (network, address) DO NOTHING
                RETURNING 1
            )
            INSERT INTO watch_generations AS g (network, generation)
            SELECT \(network), 1 WHERE EXISTS (SELECT 1 FROM added)
            ON CONFLICT (network) DO UPDATE SET generation = g.generation + 1
            """
    }

    /// Removes addresses; the generation moves on when at least one was watched.
    public func removeWatched(network: String, addresses: [Address]) async throws {
        let texts = Array(Set(addresses.map(\.lowercased))).sorted()
        guard !texts.isEmpty else { return }
        try await client.query(
            """
            WITH removed AS (
                DELETE FROM watched_addresses WHERE network = \(network) AND address = ANY(\(texts)::text[])
                RETURNING 1
            )
            INSERT INTO watch_generations AS g (network, generation)
            SELECT \(network), 1 WHERE EXISTS (SELECT 1 FROM removed)
            ON CONFLICT (network) DO UPDATE SET generation = g.generation + 1
            """, logger: logger)
    }

    // MARK: Balances

    /// When the oldest session with an amount still reserved on `network` was created: see
    /// ``MonitorStore/earliestPaymentTime(network:)``.
    public func earliestPaymentTime(network: String) async throws -> UInt64? {
        let rows = try await client.query(
            """
            SELECT floor(extract(epoch FROM min(s.created_at)))::bigint
              FROM reserved_amounts r JOIN payment_sessions s ON s.id = r.session_id
             WHERE r.network = \(network)
            """, logger: logger)
        for try await seconds in rows.decode(Int64?.self) { return seconds.map { UInt64(clamping: $0) } }
        return nil
    }

    /// Stores the latest balances: each replaces the stored one for the same address and asset
    /// (the last one wins when the list names a pair twice).
    ///
    /// In the same statement it keeps the thinned history the console charts
    /// (`balance_samples`, migration 0012): a pair gets a new sample only when its newest one is
    /// at least 15 minutes old, so a monitor saving every 30 seconds adds about 700 samples per
    /// pair and week instead of 20,000; and the network's samples older than 8 days are deleted
    /// (the charts show 7).
    public func saveBalances(network: String, _ balances: [AddressBalance]) async throws {
        var latest: [String: (address: String, asset: String, amount: String, block: Int64)] = [:]
        var order: [String] = []
        for balance in balances {
            let asset = balance.token?.lowercased ?? "native"
            let key = balance.address.lowercased + "/" + asset
            if latest[key] == nil { order.append(key) }
            latest[key] = (
                balance.address.lowercased, asset, balance.amount.decimalString, try Self.int64(balance.blockNumber, "block number")
            )
        }
        guard !order.isEmpty else { return }
        let rows = order.map { latest[$0]! }
        try await client.query(
            """
            WITH given AS (
                SELECT address, asset, amount::numeric AS amount, block_number
                FROM unnest(\(rows.map(\.address))::text[], \(rows.map(\.asset))::text[], \(rows.map(\.amount))::text[],
                            \(rows.map(\.block))::bigint[]) AS u(address, asset, amount, block_number)
            ), latest AS (
                INSERT INTO address_balances AS b (network, address, asset, amount, block_number, updated_at)
                SELECT \(network), g.address, g.asset, g.amount, g.block_number, now() FROM given g
                ON CONFLICT (network, address, asset) DO UPDATE
                    SET amount = EXCLUDED.amount, block_number = EXCLUDED.block_number, updated_at = now()
            ), sampled AS (
                INSERT INTO balance_samples (network, address, asset, amount, block_number, sampled_at)
                SELECT \(network), g.address, g.asset, g.amount, g.block_number, now() FROM given g
                WHERE NOT EXISTS (
                    SELECT 1 FROM balance_samples s
                    WHERE s.network = \(network) AND s.address = g.address AND s.asset = g.asset
                      AND s.sampled_at > now() - interval '15 minutes')
            )
            DELETE FROM balance_samples WHERE network = \(network) AND sampled_at < now() - interval '8 days'
            """, logger: logger)
    }

    /// The stored balances of `network`, by address, native currency first, then by token.
    public func balances(network: String) async throws -> [AddressBalance] {
        let rows = try await client.query(
            """
            SELECT address, asset, amount, block_number FROM address_balances
            WHERE network = \(network) ORDER BY address, asset = 'native' DESC, asset
            """, logger: logger)
        var out: [AddressBalance] = []
        for try await (address, asset, amount, block) in rows.decode((Address, String, UInt256, Int64).self) {
            let token: Address?
            do { token = asset == "native" ? nil : try Address(asset) } catch {
                throw StoreError.corruptRow(table: "address_balances", reason: "asset '\(asset)'")
            }
            out.append(
                AddressBalance(
                    address: address, token: token, amount: amount, blockNumber: try Self.uint64(block, table: "address_balances")))
        }
        return out
    }

    // MARK: Halts and leases

    public func halt(network: String, reason: String) async throws {
        try await client.query(
            """
            INSERT INTO monitor_halts (network, reason) VALUES (\(network), \(reason))
            ON CONFLICT (network) DO UPDATE SET reason = EXCLUDED.reason, halted_at = now()
            """, logger: logger)
    }

    public func haltReason(network: String) async throws -> String? {
        let rows = try await client.query("SELECT reason FROM monitor_halts WHERE network = \(network)", logger: logger)
        return try await rows.decode(String.self).all().first
    }

    /// Every halted network with its reason.
    public func halts() async throws -> [String: String] {
        let rows = try await client.query("SELECT network, reason FROM monitor_halts", logger: logger)
        var out: [String: String] = [:]
        for try await (network, reason) in rows.decode((String, String).self) { out[network] = reason }
        return out
    }

    /// Takes the network's monitor lease for `holder`: a new epoch, which fences every earlier
    /// holder out of the store. Call it while holding the network's advisory lock.
    public func acquireLease(network: String, holder: String) async throws -> MonitorLease {
        let rows = try await client.query(
            """
            INSERT INTO monitor_leases AS l (network, epoch, holder) VALUES (\(network), 1, \(holder))
            ON CONFLICT (network) DO UPDATE SET epoch = l.epoch + 1, holder = EXCLUDED.holder, acquired_at = now()
            RETURNING epoch
            """, logger: logger)
        guard let epoch = try await rows.decode(Int64.self).all().first else {
            throw StoreError.corruptRow(table: "monitor_leases", reason: "no epoch for \(network)")
        }
        return MonitorLease(network: network, epoch: epoch)
    }

    /// In a write transaction: refuses to go on unless this store's lease is the newest. The
    /// row stays share-locked until the transaction ends, so a new holder's lease waits for it.
    func checkLease(on connection: PostgresConnection) async throws {
        guard let lease else { return }
        let rows = try await connection.query(
            "SELECT epoch FROM monitor_leases WHERE network = \(lease.network) FOR SHARE", logger: logger)
        let current = try await rows.decode(Int64.self).all().first
        guard current == lease.epoch else { throw StoreError.leaseLost(network: lease.network, epoch: lease.epoch, current: current) }
    }

    /// An operator's way out of a halt (after a reorg deeper than the window): every transfer
    /// above `block` becomes `removed`, the window restarts at `block` (which must be the
    /// chain's block at its height now), the halt is cleared, and any running monitor of the
    /// network is fenced out. Returns the removed transfers.
    public func rewind(network: String, to block: BlockRef, blockTimestamp: UInt64?, holder: String) async throws -> [StoredTransfer] {
        let number = try Self.int64(block.number, "block number")
        return try await transaction { connection in
            let rows = try await connection.query(
                """
                UPDATE chain_transfers SET state = 'removed', removed_at = now()
                WHERE network = \(network) AND block_number > \(number) AND state IN ('seen', 'confirmed')
                RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            let removed = try await Self.decodeTransfers(rows).sorted(by: Self.chainOrder)
            try await connection.query("DELETE FROM monitor_blocks WHERE network = \(network)", logger: logger)
            try await connection.query(
                """
                INSERT INTO monitor_blocks (network, number, hash, parent_hash)
                VALUES (\(network), \(number), \(block.hash.hex), \(block.parentHash.hex))
                """, logger: logger)
            try await setCheckpoint(network: network, number: number, hash: block.hash, timestamp: blockTimestamp, on: connection)
            try await connection.query("DELETE FROM monitor_halts WHERE network = \(network)", logger: logger)
            try await connection.query(
                """
                INSERT INTO monitor_leases AS l (network, epoch, holder) VALUES (\(network), 1, \(holder))
                ON CONFLICT (network) DO UPDATE SET epoch = l.epoch + 1, holder = EXCLUDED.holder, acquired_at = now()
                """, logger: logger)
            return removed.map(\.1)
        }
    }

    // MARK: Internals

    func transaction<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await withTransaction(client: client, logger: logger, body)
    }

    /// The columns of a transfer row, in the order ``decodeTransfers(_:)`` reads them.
    static let columns =
        """
        network, id, chain_id, block_number, block_hash, tx_hash, log_index, token, from_address, to_address, amount, state,
        floor(extract(epoch FROM block_timestamp))::bigint
        """

    /// Transfers as column arrays for `unnest`, without duplicates of one row key.
    struct TransferColumns {
        var chainId: [Int64] = []
        var blockNumber: [Int64] = []
        var blockHash: [BlockHash] = []
        var txHash: [TxHash] = []
        var logIndex: [Int32] = []
        var token: [Address] = []
        var from: [Address] = []
        var to: [Address] = []
        var amount: [String] = []
        /// Unix seconds, -1 when unknown.
        var blockTimestamp: [Int64] = []
        var isEmpty: Bool { chainId.isEmpty }
    }

    /// In chain order, so that rows are inserted, and their changes queued, in that order.
    static func transferColumns(_ transfers: [ObservedTransfer]) throws -> TransferColumns {
        var columns = TransferColumns()
        var keys = Set<String>()
        for transfer in transfers.sorted(by: { ($0.blockNumber, $0.logIndex) < ($1.blockNumber, $1.logIndex) }) {
            guard transfer.chainId > 0 else { throw StoreError.valueOutOfRange(field: "chain id", value: "0") }
            let key = "\(transfer.chainId)/\(transfer.transactionHash.hex)/\(transfer.logIndex)/\(transfer.blockHash.hex)"
            guard keys.insert(key).inserted else { continue }
            columns.chainId.append(try int64(transfer.chainId, "chain id"))
            columns.blockNumber.append(try int64(transfer.blockNumber, "block number"))
            columns.blockHash.append(transfer.blockHash)
            columns.txHash.append(transfer.transactionHash)
            guard let logIndex = Int32(exactly: transfer.logIndex) else {
                throw StoreError.valueOutOfRange(field: "log index", value: "\(transfer.logIndex)")
            }
            columns.logIndex.append(logIndex)
            columns.token.append(transfer.token)
            columns.from.append(transfer.from)
            columns.to.append(transfer.to)
            columns.amount.append(transfer.amount.decimalString)
            columns.blockTimestamp.append(transfer.blockTimestamp.flatMap { Int64(exactly: $0) } ?? -1)
        }
        return columns
    }

    /// Inserts new rows as `seen`, revives exact rows that are `removed`, leaves the others;
    /// returns the rows inserted or revived, in chain order.
    func upsertTransfers(network: String, _ rows: TransferColumns, on connection: PostgresConnection) async throws -> [StoredTransfer] {
        guard !rows.isEmpty else { return [] }
        let result = try await connection.query(
            """
            INSERT INTO chain_transfers AS t
                (network, chain_id, block_number, block_hash, tx_hash, log_index, token, from_address, to_address, amount, state, seen_at,
                 block_timestamp)
            SELECT \(network), u.chain_id, u.block_number, u.block_hash, u.tx_hash, u.log_index, u.token, u.from_address,
                   u.to_address, u.amount::numeric, 'seen', now(), CASE WHEN u.ts < 0 THEN NULL ELSE to_timestamp(u.ts) END
            FROM unnest(\(rows.chainId)::bigint[], \(rows.blockNumber)::bigint[], \(rows.blockHash)::text[], \(rows.txHash)::text[],
                        \(rows.logIndex)::int[], \(rows.token)::text[], \(rows.from)::text[], \(rows.to)::text[], \(rows.amount)::text[],
                        \(rows.blockTimestamp)::bigint[])
                 WITH ORDINALITY AS u(chain_id, block_number, block_hash, tx_hash, log_index, token, from_address, to_address, amount, ts, ord)
            ORDER BY u.ord
            ON CONFLICT ON CONSTRAINT chain_transfers_log_key DO UPDATE
                SET state = 'seen', seen_at = now(), confirmed_at = NULL, removed_at = NULL,
                    block_timestamp = coalesce(EXCLUDED.block_timestamp, t.block_timestamp)
                WHERE t.state = 'removed' AND t.network = EXCLUDED.network
            RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        return try await Self.decodeTransfers(result).sorted(by: Self.chainOrder).map(\.1)
    }

    func setCheckpoint(network: String, number: Int64, hash: BlockHash, timestamp: UInt64?, on connection: PostgresConnection) async throws
    {
        let seconds = timestamp.flatMap { Int64(exactly: $0) }
        try await connection.query(
            """
            INSERT INTO monitor_checkpoints (network, number, hash, block_timestamp, updated_at)
            VALUES (\(network), \(number), \(hash.hex), to_timestamp(\(seconds)), now())
            ON CONFLICT (network) DO UPDATE
                SET number = EXCLUDED.number, hash = EXCLUDED.hash, block_timestamp = EXCLUDED.block_timestamp, updated_at = now()
            """, logger: logger)
    }

    static func decodeTransfers(_ rows: PostgresRowSequence) async throws -> [(String, StoredTransfer)] {
        var out: [(String, StoredTransfer)] = []
        let table = "chain_transfers"
        for try await (network, id, chainId, blockNumber, blockHash, txHash, logIndex, token, from, to, amount, state, timestamp)
            in rows
            .decode((String, Int64, Int64, Int64, BlockHash, TxHash, Int32, Address, Address, Address, UInt256, String, Int64?).self)
        {
            guard let state = TransferState(rawValue: state) else { throw StoreError.corruptRow(table: table, reason: "state '\(state)'") }
            guard logIndex >= 0 else { throw StoreError.corruptRow(table: table, reason: "row \(id) has a negative log index") }
            let transfer = ObservedTransfer(
                chainId: try uint64(chainId, table: table), blockNumber: try uint64(blockNumber, table: table), blockHash: blockHash,
                transactionHash: txHash, logIndex: UInt64(logIndex), token: token, from: from, to: to, amount: amount,
                blockTimestamp: timestamp.flatMap { UInt64(exactly: $0) })
            out.append((network, StoredTransfer(id: id, transfer: transfer, state: state)))
        }
        return out
    }

    static func chainOrder(_ a: (String, StoredTransfer), _ b: (String, StoredTransfer)) -> Bool {
        (a.1.transfer.blockNumber, a.1.transfer.logIndex, a.1.id) < (b.1.transfer.blockNumber, b.1.transfer.logIndex, b.1.id)
    }

    static func int64(_ value: UInt64, _ field: String) throws -> Int64 {
        guard let value = Int64(exactly: value) else { throw StoreError.valueOutOfRange(field: field, value: "\(value)") }
        return value
    }

    static func uint64(_ value: Int64, table: String) throws -> UInt64 {
        guard let value = UInt64(exactly: value) else { throw StoreError.corruptRow(table: table, reason: "negative number \(value)") }
        return value
    }

    static func describe(_ transfer: ObservedTransfer) -> String {
        "\(transfer.transactionHash):\(transfer.logIndex) in #\(transfer.blockNumber) \(transfer.blockHash)"
    }
}
