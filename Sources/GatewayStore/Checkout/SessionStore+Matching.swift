import GatewayDomain
import PostgresNIO

/// The queries of the session matcher and the session clock. They fetch and lock; the
/// decisions are ``SessionLedger``'s.
extension SessionStore {
    /// A recorded transfer that changed, the states it moved through (in order), and the
    /// session it already pays.
    public struct TransferChange: Sendable, Hashable {
        public let transfer: ChainTransfer
        public let states: [ChainTransfer.State]
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
                ) RETURNING id, transfer_id, state
            ), firsts AS (
                SELECT transfer_id, min(id) AS first, array_agg(coalesce(state, '') ORDER BY id) AS states FROM taken GROUP BY transfer_id
            )
            SELECT now(), (SELECT count(*) FROM taken), \(unescaped: TransferRow.json("t")), p.session_id, f.states
            FROM firsts f JOIN chain_transfers t ON t.id = f.transfer_id LEFT JOIN session_payments p ON p.transfer_id = t.id
            ORDER BY f.first
            """, logger: logger)
        var changes: [TransferChange] = []
        var taken = 0
        var now = Timestamp(unixSeconds: 0)
        // Every queue entry names a transfer, so no row means nothing was taken.
        for try await (clock, count, row, sessionId, stateTexts) in rows.decode((Timestamp, Int64, TransferRow, String?, [String]).self) {
            now = clock
            taken = Int(count)
            let transfer = try row.transfer()
            // Entries queued before states were recorded stand for the transfer's state now.
            let states = stateTexts.map { ChainTransfer.State(rawValue: $0) ?? transfer.state }
            changes.append(TransferChange(transfer: transfer, states: states, boundTo: sessionId))
        }
        return (changes, taken, now)
    }

    /// Locks and loads, in one statement, the sessions that `bound` names and every session a
    /// transfer in `unbound` might pay: those holding its exact amount for its network, token and
    /// address, and those whose claim of its transaction its sender signed (no other claim can
    /// bind it, so strangers' reports of a transaction never widen the set locked).
    public func lockCandidates(bound: [String], unbound: [ChainTransfer], on connection: PostgresConnection) async throws
        -> [PaymentSession]
    {
        guard !bound.isEmpty || !unbound.isEmpty else { return [] }
        let rows = try await connection.query(
            """
            SELECT \(unescaped: SessionRows.columns) FROM payment_sessions s
            WHERE s.id IN (
                SELECT unnest(\(bound)::text[])
                UNION
                SELECT c.session_id FROM checkout_claims c
                JOIN unnest(\(unbound.map(\.network))::text[], \(unbound.map(\.transactionHash))::text[], \(unbound.map(\.from))::text[])
                  AS u(network, tx_hash, from_address)
                  ON c.network = u.network AND c.tx_hash = u.tx_hash AND c.signer = u.from_address
                UNION
                SELECT r.session_id FROM reserved_amounts r
                JOIN unnest(\(unbound.map(\.network))::text[], \(unbound.map(\.token))::text[], \(unbound.map(\.to))::text[],
                            \(unbound.map(\.amount.decimalString))::text[]) AS u(network, token, pay_to, amount)
                  ON r.network = u.network AND r.token_address = u.token AND r.pay_to = u.pay_to AND r.amount = u.amount::numeric
            )
            ORDER BY s.id FOR UPDATE OF s
            """, logger: logger)
        return try await SessionRows.decode(rows)
    }

    /// Locks and loads pending sessions whose time ran out on the chains that pay them (at most
    /// `limit`, skipping those another process holds), with the transaction's clock. A session
    /// expires only once the monitor of every network it can be paid on has recorded a block
    /// mined after its expiry, and no transfer to its addresses waits for the matcher: a payment
    /// mined in time is always applied before the session can expire.
    public func lockExpired(limit: Int, on connection: PostgresConnection) async throws -> (sessions: [PaymentSession], now: Timestamp) {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: SessionRows.columns) FROM payment_sessions s
            WHERE s.id IN (
                SELECT p.id FROM payment_sessions p
                WHERE p.status = 'pending' AND p.expires_at <= now()
                  AND NOT EXISTS (
                      SELECT 1 FROM session_options o LEFT JOIN monitor_checkpoints c ON c.network = o.network
                      WHERE o.session_id = p.id AND (c.block_timestamp IS NULL OR c.block_timestamp <= p.expires_at))
                  AND NOT EXISTS (
                      SELECT 1 FROM transfer_changes q JOIN chain_transfers t ON t.id = q.transfer_id
                      JOIN session_options o ON o.session_id = p.id AND o.network = t.network AND o.pay_to = t.to_address)
                ORDER BY p.expires_at LIMIT \(limit) FOR UPDATE OF p SKIP LOCKED
            )
            """, logger: logger)
        let sessions = try await SessionRows.decode(rows)
        return (sessions, try await now(on: connection))
    }

    /// Frees the amounts held by sessions whose monitoring window has passed; returns how many
    /// it freed.
    @discardableResult
    public func releaseReservations() async throws -> Int {
        let rows = try await client.query(
            """
            WITH released AS (
                DELETE FROM reserved_amounts r USING payment_sessions s
                WHERE r.session_id = s.id AND s.monitor_until IS NOT NULL AND s.monitor_until <= now()
                RETURNING 1
            ) SELECT count(*) FROM released
            """, logger: logger)
        return Int(try await rows.decode(Int64.self).all().first ?? 0)
    }
}
