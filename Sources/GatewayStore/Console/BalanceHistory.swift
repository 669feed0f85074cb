import EthereumCore
import PostgresNIO

/// One stored reading of a balance (a row of `balance_samples`, migration 0012).
public struct BalanceSample: Sendable, Hashable {
    /// Unix seconds of the sample.
    public let time: Int64
    /// Base units.
    public let amount: UInt256

    public init(time: Int64, amount: UInt256) {
        self.time = time
        self.amount = amount
    }
}

extension ConsoleStore {
    /// The samples that the monitor's balance saves keep, at most one per 15 minutes and
    /// asset (``PostgresMonitorStore/saveBalances(network:_:)``).
    public static let balanceHistoryDays = 7

    /// The last ``balanceHistoryDays`` days of samples of one address on `network`, by asset
    /// (`native` or the token's lowercase address), oldest first. At most `limit` samples in
    /// all, the newest kept: the 15-minute rule makes about 700 per asset, the limit guards
    /// against a history that did not follow it.
    public func balanceHistory(network: String, address: String, limit: Int = 20_000) async throws -> [String: [BalanceSample]] {
        let rows = try await client.query(
            """
            SELECT asset, t, amount FROM (
                SELECT asset, floor(extract(epoch FROM sampled_at))::int8 AS t, amount, sampled_at, id FROM balance_samples
                WHERE network = \(network) AND address = \(address.lowercased())
                  AND sampled_at > now() - make_interval(days => \(Int32(Self.balanceHistoryDays)))
                ORDER BY sampled_at DESC, id DESC LIMIT \(max(1, min(limit, 100_000)))
            ) recent ORDER BY sampled_at, id
            """, logger: logger)
        var out: [String: [BalanceSample]] = [:]
        for try await (asset, time, amount) in rows.decode((String, Int64, UInt256).self) {
            out[asset, default: []].append(BalanceSample(time: time, amount: amount))
        }
        return out
    }
}
