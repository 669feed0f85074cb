import GatewayDomain
import PostgresNIO

/// The queries of the session matcher and the session clock. They fetch and lock; the
/// decisions are ``SessionLedger``'s.
extension SessionStore {
    /// A recorded transfer that changed, with the session it already pays.
    public struct TransferChange: Sendable, Hashable {
        public let transfer: ChainTransfer
        public let boundTo: String?
    }

    /// Takes up to `limit` queued transfer changes (skipping those another matcher holds) and
    /// deletes them, in the caller's transaction. Returns each changed transfer once, in queue
    /// order, as it stands now; how many queue entries were taken; and the transaction's clock.
    public func takeTransferChanges(limit: Int, on connection: PostgresConnection) async throws
        -> (changes: [TransferChange], taken: Int, now: Timestamp)
    {
        let rows = try await connection.query(
            """
            WITH taken AS (
                DELETE FROM transfer_changes WHERE id IN (
                    SELECT id FROM transfer_changes ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
                ) RETURNING id, transfer_id
            ), firsts AS (
                SELECT transfer_id, min(id) AS first FROM taken GROUP BY transfer_id
            )
            SELECT now(), (SELECT count(*) FROM taken), \(unescaped: TransferRow.json("t")), p.session_id
            FROM firsts f JOIN chain_transfers t ON t.id = f.transfer_id LEFT JOIN session_payments p ON p.transfer_id = t.id
            ORDER BY f.first
            """, logger: logger)
        var changes: [TransferChange] = []
        var taken = 0
        var now = Timestamp(unixSeconds: 0)
        // Every queue entry names a transfer, so no row means nothing was taken.
        for try await (clock, count, row, sessionId) in rows.decode((Timestamp, Int64, TransferRow, String?).self) {
            now = clock
            taken = Int(count)
            changes.append(TransferChange(transfer: try row.transfer(), boundTo: sessionId))
        }
        return (changes, taken, now)
    }

    /// Locks and loads, in one statement, the sessions that `bound` names and every session a
    /// transfer in `unbound` might pay: those that claimed its transaction, and those with a
    /// reserved option to its network, token and address whose amount due equals it or that
    /// are pending with payments (a remainder).
    public func lockCandidates(bound: [String], unbound: [ChainTransfer], on connection: PostgresConnection) async throws
        -> [PaymentSession]
    {
        guard !bound.isEmpty || !unbound.isEmpty else { return [] }
        let rows = try await connection.query(
            """
            SELECT \(unescaped: SessionRows.columns) FROM payment_sessions s
            WHERE s.id = ANY(\(bound)::text[]) OR s.id IN (
                SELECT c.session_id FROM checkout_claims c
                JOIN unnest(\(unbound.map(\.network))::text[], \(unbound.map(\.transactionHash))::text[]) AS u(network, tx_hash)
                  ON c.network = u.network AND c.tx_hash = u.tx_hash
                UNION
                SELECT o.session_id FROM session_options o
                JOIN unnest(\(unbound.map(\.network))::text[], \(unbound.map(\.token))::text[], \(unbound.map(\.to))::text[],
                            \(unbound.map(\.amount.decimalString))::text[]) AS u(network, token, pay_to, amount)
                  ON o.reserved AND o.network = u.network AND o.token_address = u.token AND o.pay_to = u.pay_to
                JOIN payment_sessions ps ON ps.id = o.session_id
                WHERE o.amount_due = u.amount::numeric
                   OR (ps.status = 'pending' AND EXISTS (SELECT 1 FROM session_payments sp WHERE sp.session_id = ps.id))
            )
            ORDER BY s.id FOR UPDATE OF s
            """, logger: logger)
        return try await SessionRows.decode(rows)
    }

    /// Locks and loads pending sessions whose time ran out (at most `limit`, skipping those
    /// another process holds), with the transaction's clock.
    public func lockExpired(limit: Int, on connection: PostgresConnection) async throws -> (sessions: [PaymentSession], now: Timestamp) {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: SessionRows.columns) FROM payment_sessions s
            WHERE s.id IN (
                SELECT id FROM payment_sessions WHERE status = 'pending' AND expires_at <= now()
                ORDER BY expires_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
            )
            """, logger: logger)
        let sessions = try await SessionRows.decode(rows)
        return (sessions, try await now(on: connection))
    }

    /// Frees the amounts due of sessions whose monitoring window has passed; returns how many
    /// options it freed.
    @discardableResult
    public func releaseReservations() async throws -> Int {
        let rows = try await client.query(
            """
            WITH released AS (
                UPDATE session_options o SET reserved = false FROM payment_sessions s
                WHERE o.session_id = s.id AND o.reserved AND s.monitor_until IS NOT NULL AND s.monitor_until <= now()
                RETURNING 1
            ) SELECT count(*) FROM released
            """, logger: logger)
        return Int(try await rows.decode(Int64.self).all().first ?? 0)
    }
}
