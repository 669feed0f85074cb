import EthereumCore
import GatewayDomain
import PostgresNIO

/// What merchants and customers do to a session: cancel, attach an unmatched transfer, and
/// the checkout page's report of a transaction. Each locks the session, decides with a
/// ``SessionLedger`` and saves in one transaction.
extension SessionStore {
    /// Locks one session of the merchant (in the key's mode) and returns it with the
    /// transaction's clock, or throws a 404 that names it.
    func lockOwned(id: String, merchantId: String, livemode: Bool, on connection: PostgresConnection) async throws -> PaymentSession {
        guard ObjectID.isWellFormed(id, prefix: "ps"),
            let session = try await load(ids: [id], lock: true, on: connection).first,
            session.merchantId == merchantId, session.livemode == livemode
        else { throw RequestError(.notFound, code: "resource_missing", param: "id", "no payment session \(id)") }
        return session
    }

    /// Cancels a pending session without payments.
    public func cancel(merchantId: String, livemode: Bool, id: String) async throws -> PaymentSession {
        try await transaction { connection in
            let session = try await lockOwned(id: id, merchantId: merchantId, livemode: livemode, on: connection)
            var ledger = SessionLedger(sessions: [session], now: try await now(on: connection), lateWindowSeconds: lateWindowSeconds)
            do throws(SessionTransitionError) {
                try ledger.apply(.cancel, to: id)
            } catch {
                throw RequestError(.conflict, code: "session_not_cancelable", error.description)
            }
            try await save(ledger.changes, on: connection)
            return ledger.session(id) ?? session
        }
    }

    /// Binds an unmatched transfer to the session (the merchant's decision).
    public func attach(merchantId: String, livemode: Bool, id: String, txHash: TxHash, logIndex: UInt64) async throws -> PaymentSession {
        try await transaction { connection in
            let session = try await lockOwned(id: id, merchantId: merchantId, livemode: livemode, on: connection)
            guard session.status != .canceled else {
                throw RequestError(.conflict, code: "session_canceled", "a canceled session takes no payments")
            }
            guard session.acceptsMorePayments else {
                throw RequestError(.conflict, code: "payments_limit", "a session takes at most \(PaymentSession.maxPayments) payments")
            }
            let candidates = try await transfers(txHash: txHash, logIndex: logIndex, on: connection)
            // Only a transfer to this session's options counts: it is to the merchant's own address.
            guard
                let (transfer, boundTo) = candidates.first(where: {
                    session.option(network: $0.0.network, token: $0.0.token, to: $0.0.to) != nil
                })
            else {
                throw RequestError(
                    .notFound, code: "transfer_missing", param: "tx_hash",
                    "no transfer \(txHash.hex) log \(logIndex) to one of this session's payment options has been seen on chain")
            }
            guard transfer.state != .removed else {
                throw RequestError(.conflict, code: "transfer_removed", param: "tx_hash", "that transfer left the canonical chain (reorg)")
            }
            guard boundTo == nil else {
                throw RequestError(
                    .conflict, code: "transfer_already_matched", param: "tx_hash",
                    "that transfer already pays \(boundTo == id ? "this" : "another") session")
            }
            var ledger = SessionLedger(sessions: [session], now: try await now(on: connection), lateWindowSeconds: lateWindowSeconds)
            try ledger.bind(transfer, to: session, by: .attach)
            try await save(ledger.changes, on: connection)
            return ledger.session(id) ?? session
        }
    }

    /// Transfers with this transaction hash and log index (on any network), each with the
    /// session it pays: live ones first, newest first. Their rows are locked, so that the state
    /// read is the state bound: a confirmation or removal the monitor commits meanwhile waits for
    /// this transaction, then reaches the session through the matcher.
    func transfers(txHash: TxHash, logIndex: UInt64, on connection: PostgresConnection) async throws -> [(ChainTransfer, String?)] {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: TransferRow.json("t")), p.session_id
            FROM chain_transfers t LEFT JOIN session_payments p ON p.transfer_id = t.id
            WHERE t.tx_hash = \(txHash) AND t.log_index = \(Int32(clamping: logIndex))
            ORDER BY (t.state = 'removed'), t.id DESC
            FOR UPDATE OF t
            """, logger: logger)
        var out: [(ChainTransfer, String?)] = []
        for try await (row, sessionId) in rows.decode((TransferRow, String?).self) { out.append((try row.transfer(), sessionId)) }
        return out
    }

    public enum ClaimResult: String, Sendable {
        /// A transfer of the transaction already pays the session.
        case matched
        /// Recorded: the matcher decides when the monitor has the transfer (at once if it has).
        case pendingVerification = "pending_verification"
    }

    /// Records the transaction the customer's wallet reported for the session, with the address
    /// that signed the claim when the wallet proved it sent it. The claim itself binds nothing:
    /// if the monitor already recorded an unbound transfer of that transaction, it is queued for
    /// the matcher again, which lets ``PaymentMatch`` decide with every session it concerns (an
    /// amount another session holds always wins over a claim).
    public func claim(sessionId: String, clientSecret: String, network: String, txHash: TxHash, signer: Address?) async throws
        -> ClaimResult
    {
        try await transaction { connection in
            guard let session = try await load(ids: [sessionId], lock: true, on: connection).first,
                APIKeySecret.constantTimeEqual(Array(session.clientSecret.utf8), Array(clientSecret.utf8))
            else { throw RequestError(.notFound, code: "resource_missing", "no checkout \(sessionId) with that client secret") }
            guard session.options.contains(where: { $0.network == network }) else {
                throw RequestError(code: "network_invalid", param: "network", "this session is not paid on \(network)")
            }
            // One report per checkout and transaction: a stranger's report of the same
            // transaction for another checkout does not keep this one out.
            try await connection.query(
                """
                INSERT INTO checkout_claims (session_id, network, tx_hash, signer) VALUES (\(sessionId), \(network), \(txHash), \(signer))
                ON CONFLICT (network, tx_hash, session_id) DO UPDATE SET signer = coalesce(checkout_claims.signer, EXCLUDED.signer)
                """, logger: logger)
            if session.payments.contains(where: { $0.transfer.transactionHash == txHash && $0.transfer.state != .removed }) {
                return .matched
            }
            try await connection.query(
                """
                INSERT INTO transfer_changes (transfer_id, state)
                SELECT t.id, t.state FROM chain_transfers t
                WHERE t.network = \(network) AND t.tx_hash = \(txHash) AND t.state <> 'removed'
                  AND NOT EXISTS (SELECT 1 FROM session_payments p WHERE p.transfer_id = t.id)
                """, logger: logger)
            return .pendingVerification
        }
    }
}
