import EthereumCore
import Foundation
import GatewayDomain
import Logging
import PostgresNIO

/// Reads what the exports need, scoped to one merchant and mode: its time zone, its payments
/// and succeeded refunds between two instants, and its balances before them. It decides
/// nothing: the rows are built by ``ExportTables`` (GatewayDomain).
struct ExportStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// The most payments or refunds one export reads; a range holding more is refused with a
    /// request to narrow it, so that one request's memory stays bounded.
    static let maxRecords = 200_000

    /// The merchant's time zone name, nil when there is no such merchant.
    func timeZoneName(merchantId: String) async throws -> String? {
        let rows = try await client.query("SELECT time_zone FROM merchants WHERE id = \(merchantId)", logger: logger)
        for try await name in rows.decode(String.self) { return name }
        return nil
    }

    func setTimeZone(merchantId: String, name: String) async throws -> Bool {
        let rows = try await client.query(
            "UPDATE merchants SET time_zone = \(name) WHERE id = \(merchantId) RETURNING id", logger: logger)
        for try await _ in rows.decode(String.self) { return true }
        return false
    }

    /// The payments (transfers bound to the merchant's sessions, not reorganised away) mined in
    /// [start, end): by the block's time, or when first seen for rows recorded before it was kept.
    func payments(merchantId: String, livemode: Bool, start: Timestamp, end: Timestamp) async throws -> [PaymentRecord] {
        let limit = Self.maxRecords + 1
        let rows = try await client.query(
            """
            SELECT p.session_id, s.metadata ->> 'order_id', s.description, t.network, o.token, o.decimals, t.amount, t.tx_hash,
                   t.log_index::bigint, t.block_number, t.from_address, t.to_address, t.state = 'confirmed', s.status,
                   coalesce(t.block_timestamp, t.seen_at)
            FROM session_payments p
            JOIN payment_sessions s ON s.id = p.session_id
            JOIN chain_transfers t ON t.id = p.transfer_id
            JOIN session_options o ON o.session_id = p.session_id AND o.network = t.network AND o.token_address = t.token
            WHERE s.merchant_id = \(merchantId) AND s.livemode = \(livemode) AND t.state <> 'removed'
              AND coalesce(t.block_timestamp, t.seen_at) >= \(start) AND coalesce(t.block_timestamp, t.seen_at) < \(end)
            ORDER BY coalesce(t.block_timestamp, t.seen_at), t.tx_hash, t.log_index
            LIMIT \(limit)
            """, logger: logger)
        var records: [PaymentRecord] = []
        for try await row in rows.decode(
            (String, String?, String?, String, String, Int, UInt256, TxHash, Int64, Int64, Address, Address, Bool, String, Timestamp).self)
        {
            let (session, order, description, network, token, decimals, amount, hash, logIndex, block, from, to, confirmed, status, at) =
                row
            guard let logIndex = Int(exactly: logIndex), (0...TokenAmount.maxDecimals).contains(decimals) else {
                throw StoreError.corruptRow(table: "chain_transfers", reason: "\(hash.hex): log index or decimals out of range")
            }
            records.append(
                PaymentRecord(
                    sessionId: session, orderId: order, description: description, network: network, token: token, decimals: decimals,
                    amount: amount, txHash: hash, logIndex: logIndex, blockNumber: block, from: from, to: to, confirmed: confirmed,
                    sessionStatus: status, at: at))
        }
        try Self.checkCount(records.count)
        return records
    }

    /// The merchant's refunds that succeeded in [start, end).
    func refunds(merchantId: String, livemode: Bool, start: Timestamp, end: Timestamp) async throws -> [RefundRecord] {
        let limit = Self.maxRecords + 1
        let rows = try await client.query(
            """
            SELECT r.id, r.session_id, s.metadata ->> 'order_id', r.network, r.token, r.decimals, r.amount, r.tx_hash, r.destination,
                   r.succeeded_at
            FROM refunds r JOIN payment_sessions s ON s.id = r.session_id
            WHERE r.merchant_id = \(merchantId) AND r.livemode = \(livemode) AND r.status = 'succeeded'
              AND r.succeeded_at >= \(start) AND r.succeeded_at < \(end)
            ORDER BY r.succeeded_at, r.id
            LIMIT \(limit)
            """, logger: logger)
        var records: [RefundRecord] = []
        for try await row in rows.decode((String, String, String?, String, String, Int, UInt256, TxHash?, Address?, Timestamp).self) {
            let (id, session, order, network, token, decimals, amount, hash, destination, at) = row
            guard (0...TokenAmount.maxDecimals).contains(decimals) else {
                throw StoreError.corruptRow(table: "refunds", reason: "\(id): decimals \(decimals)")
            }
            records.append(
                RefundRecord(
                    refundId: id, sessionId: session, orderId: order, network: network, token: token, decimals: decimals, amount: amount,
                    txHash: hash, destination: destination, at: at))
        }
        try Self.checkCount(records.count)
        return records
    }

    /// Each account's balance before `start`: confirmed payments in less succeeded refunds out,
    /// summed by Postgres as NUMERIC and read back as text (a sum may pass NUMERIC(78,0)).
    func openingBalances(merchantId: String, livemode: Bool, start: Timestamp) async throws -> [LedgerAccount: SignedUnits] {
        let rows = try await client.query(
            """
            SELECT network, token, sum(paid)::text, sum(refunded)::text FROM (
                SELECT t.network, o.token, t.amount AS paid, 0 AS refunded
                FROM session_payments p
                JOIN payment_sessions s ON s.id = p.session_id
                JOIN chain_transfers t ON t.id = p.transfer_id
                JOIN session_options o ON o.session_id = p.session_id AND o.network = t.network AND o.token_address = t.token
                WHERE s.merchant_id = \(merchantId) AND s.livemode = \(livemode) AND t.state = 'confirmed'
                  AND coalesce(t.block_timestamp, t.seen_at) < \(start)
                UNION ALL
                SELECT r.network, r.token, 0, r.amount
                FROM refunds r
                WHERE r.merchant_id = \(merchantId) AND r.livemode = \(livemode) AND r.status = 'succeeded' AND r.succeeded_at < \(start)
            ) entries GROUP BY network, token
            """, logger: logger)
        var balances: [LedgerAccount: SignedUnits] = [:]
        for try await (network, token, paid, refunded) in rows.decode((String, String, String, String).self) {
            guard let paid = try? UInt256(decimal: paid), let refunded = try? UInt256(decimal: refunded),
                let balance = SignedUnits.positive(paid).adding(.negative(refunded))
            else { throw RequestError(.unprocessable, code: "export_overflow", "the balance of \(network) \(token) does not fit 256 bits") }
            balances[LedgerAccount(network: network, token: token)] = balance
        }
        return balances
    }

    static func checkCount(_ count: Int) throws {
        guard count <= maxRecords else {
            throw RequestError(
                .unprocessable, code: "export_too_large", param: "to",
                "the range holds more than \(maxRecords) payments or refunds; export a shorter range")
        }
    }
}
