import ChainConfig
import EthereumCore
import Foundation
import GatewayAPI
import GatewayDomain
import GatewayStore
import Logging
import PostgresNIO

/// The release this build is, as `gateway_build_info` and `gateway --version` name it.
public enum GatewayVersion {
    public static let current = "0.1.0-dev"
}

/// When each network's safe head was last seen to advance, in this process.
actor HeadWatch {
    var last: [String: (head: UInt64, at: Int64)] = [:]

    /// Records `head` at `now`; returns when the head last advanced.
    func observe(network: String, head: UInt64, now: Int64) -> Int64? {
        if let previous = last[network], previous.head >= head { return previous.at }
        last[network] = (head, now)
        return now
    }
}

/// Reads what the operator pages need from the database: the monitors' checkpoints and
/// halts, whether every bundled migration is applied, and the webhook queue. It reads;
/// ``OperatorSnapshot`` decides.
struct OperatorReader {
    let client: PostgresClient
    let logger: Logger

    struct Checkpoint {
        let number: UInt64
        /// Unix seconds of its last move.
        let updatedAt: Int64
    }

    struct State {
        var checkpoints: [String: Checkpoint] = [:]
        var halts: [String: String] = [:]
        var migrated = false
        var webhooks = OperatorSnapshot.Webhooks(pending: 0, oldestPendingAgeSeconds: 0, failingEndpoints: 0)
        /// Refunds by status, and the age of the oldest pending one (seconds, 0 if none).
        var refunds: [String: Int64] = [:]
        var oldestPendingRefund: Int64 = 0
        /// The stored balances of the hot wallets: network → asset (`native` or the token's
        /// lowercase address) → amount and when it was read (unix seconds).
        var walletBalances: [String: [String: (amount: UInt256, readAt: Int64)]] = [:]
    }

    /// Nil when the database could not be read. `wallets`: each network's hot wallet.
    func read(wallets: [String: Address] = [:]) async -> State? {
        do {
            var state = State()
            let checkpoints = try await client.query(
                "SELECT network, number, extract(epoch FROM updated_at)::bigint FROM monitor_checkpoints", logger: logger)
            for try await (network, number, updatedAt) in checkpoints.decode((String, Int64, Int64).self) {
                if let number = UInt64(exactly: number) { state.checkpoints[network] = Checkpoint(number: number, updatedAt: updatedAt) }
            }
            state.halts = try await PostgresMonitorStore(client: client, logger: logger).halts()
            var applied = Set<Int>()
            let versions = try await client.query("SELECT version FROM schema_migrations", logger: logger)
            for try await version in versions.decode(Int.self) { applied.insert(version) }
            state.migrated = Migration.bundled.allSatisfy { applied.contains($0.version) }
            let webhooks = try await client.query(
                """
                SELECT (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'),
                       (SELECT COALESCE(extract(epoch FROM now() - min(created_at)), 0)::bigint
                        FROM webhook_deliveries WHERE status = 'pending'),
                       (SELECT count(DISTINCT endpoint_id) FROM webhook_deliveries
                        WHERE (status = 'failed' AND created_at > now() - interval '1 day') OR (status = 'pending' AND attempts >= 2))
                """, logger: logger)
            for try await (pending, oldest, failing) in webhooks.decode((Int64, Int64, Int64).self) {
                state.webhooks = OperatorSnapshot.Webhooks(
                    pending: pending, oldestPendingAgeSeconds: max(0, oldest), failingEndpoints: failing)
            }
            let refunds = try await client.query("SELECT status, count(*) FROM refunds GROUP BY status", logger: logger)
            for try await (status, count) in refunds.decode((String, Int64).self) { state.refunds[status] = count }
            let oldest = try await client.query(
                "SELECT COALESCE(extract(epoch FROM now() - min(created_at)), 0)::bigint FROM refunds WHERE status = 'pending'",
                logger: logger)
            for try await age in oldest.decode(Int64.self) { state.oldestPendingRefund = max(0, age) }
            if !wallets.isEmpty {
                let pairs = wallets.sorted { $0.key < $1.key }
                let balances = try await client.query(
                    """
                    SELECT b.network, b.asset, b.amount::text, extract(epoch FROM b.updated_at)::bigint
                    FROM address_balances b
                    JOIN unnest(\(pairs.map(\.key))::text[], \(pairs.map(\.value.lowercased))::text[]) AS w(network, address)
                      ON b.network = w.network AND b.address = w.address
                    """, logger: logger)
                for try await (network, asset, amount, readAt) in balances.decode((String, String, String, Int64).self) {
                    guard let amount = try? UInt256(decimal: amount) else { continue }
                    state.walletBalances[network, default: [:]][asset] = (amount, readAt)
                }
            }
            return state
        } catch {
            logger.warning("operator snapshot: the database could not be read", metadata: ["error": "\(describeDatabaseError(error))"])
            return nil
        }
    }
}

extension OperatorReader {
    /// A network's hot wallet as `/readyz?verbose` and `gateway status` show it: each asset's
    /// stored balance (network → asset as ``State/walletBalances`` keeps it) beside its
    /// thresholds, and the gas runway this process's sender last reported (nil while unknown
    /// here). Nil without a hot wallet.
    static func hotWallet(
        _ network: NetworkConfig, address: Address?, thresholds: HotWalletThresholds?, stored: [String: (amount: UInt256, readAt: Int64)]?,
        registry: MetricsRegistry
    ) -> OperatorSnapshot.HotWallet? {
        guard let address, let thresholds else { return nil }
        let balances = thresholds.assets.map { asset in
            let key = asset.token == "native" ? "native" : network.token(symbol: asset.token)?.address?.lowercased
            let reading = key.flatMap { stored?[$0] }
            return OperatorSnapshot.HotWallet.Balance(
                token: asset.token, decimals: asset.decimals, amount: reading?.amount, readAt: reading?.readAt, warning: asset.warning,
                critical: asset.critical)
        }
        let runway = registry.value("gateway_hot_wallet_gas_runway_refunds", ["network": network.name]).flatMap { value in
            value.isFinite && value >= 0 && value < 0x1p64 ? UInt64(value) : nil
        }
        return OperatorSnapshot.HotWallet(address: address.checksummed, balances: balances, gasRunwayRefunds: runway)
    }
}
