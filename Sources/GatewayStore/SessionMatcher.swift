import ChainMonitor
import EthereumCore
import GatewayDomain
import Logging
import PostgresNIO
import ServiceLifecycle

/// Turns the monitor's transfers into session payments, and runs the sessions' clock.
///
/// The monitor's writes queue every new transfer and state change in `transfer_changes` (by
/// trigger, in the monitor's own transaction). The matcher takes a batch with
/// `FOR UPDATE SKIP LOCKED`, applies it to the sessions and deletes it, all in one
/// transaction: a crash repeats a batch and loses nothing, and several gateway processes can
/// run matchers side by side.
public struct SessionMatcher: Service {
    public let store: CheckoutStore
    public let interval: Duration
    public let batchSize: Int
    let logger: Logger

    public init(store: CheckoutStore, interval: Duration = .milliseconds(250), batchSize: Int = 200, logger: Logger = Logger(label: "gateway.matcher")) {
        self.store = store
        self.interval = interval
        self.batchSize = batchSize
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await tick()
            } catch is CancellationError {
                return
            } catch {
                logger.error("matcher pass failed; retrying", metadata: ["error": "\(describeDatabaseError(error))"])
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// One pass: matches queued transfer changes until the queue is empty, expires sessions
    /// whose time ran out, and releases reservations past their monitoring window.
    public func tick() async throws {
        while try await processChanges() == batchSize {}
        _ = try await expireDue()
        _ = try await releaseReservations()
    }

    /// Applies one batch of queued transfer changes; returns how many it took.
    @discardableResult
    public func processChanges() async throws -> Int {
        try await store.transaction { connection in
            let rows = try await connection.query(
                """
                DELETE FROM transfer_changes WHERE id IN (
                    SELECT id FROM transfer_changes ORDER BY id LIMIT \(batchSize) FOR UPDATE SKIP LOCKED
                ) RETURNING id, transfer_id
                """, logger: logger)
            let changes = try await rows.decode((Int64, Int64).self).all().sorted { $0.0 < $1.0 }
            var done = Set<Int64>()
            for (_, transferId) in changes where done.insert(transferId).inserted {
                try await match(transferId: transferId, on: connection)
            }
            return changes.count
        }
    }

    /// Brings one transfer's session up to date with the transfer's current state, or binds
    /// a new transfer to the session it pays.
    func match(transferId: Int64, on connection: PostgresConnection) async throws {
        let rows = try await connection.query(
            """
            SELECT t.network, t.token, t.to_address, t.tx_hash, t.log_index, t.block_hash, t.amount::text, t.state, p.session_id
            FROM chain_transfers t LEFT JOIN session_payments p ON p.transfer_id = t.id WHERE t.id = \(transferId)
            """, logger: logger)
        guard let (network, token, to, txText, logIndex, blockText, amount, stateText, boundTo) = try await rows.decode(
            (String, String, String, String, Int32, String, String, String, String?).self
        ).all().first, let state = TransferState(rawValue: stateText), let txHash = try? TxHash(hex: txText),
            let blockHash = try? BlockHash(hex: blockText)
        else { return }

        if let sessionId = boundTo {
            guard let session = try await store.lockSession(id: sessionId, merchantId: nil, livemode: nil, on: connection) else { return }
            let key = PaymentKey(transactionHash: txHash, logIndex: UInt64(max(0, logIndex)), blockHash: blockHash)
            // The session already accounts for this state (a change applied twice, or undone and redone).
            guard let payment = session.payments.first(where: { $0.transfer.id == transferId }), payment.transfer.state != state else { return }
            let inputs: [SessionInput]
            switch state {
            case .seen: inputs = [.transferSeen(key, amount: payment.credited)]
            case .confirmed: inputs = [.transferSeen(key, amount: payment.credited), .transferConfirmed(key)]
            case .removed: inputs = [.transferRemoved(key)]
            }
            let updated = try await store.apply(inputs, to: session, on: connection)
            logger.info(
                "payment updated",
                metadata: ["session": "\(sessionId)", "transfer": "\(transferId)", "state": "\(state.rawValue)", "status": "\(updated.status.rawValue)"])
            return
        }

        guard state != .removed else { return }
        guard let (sessionId, matchedBy) = try await findSession(network: network, token: token, to: to, txHash: txText, amount: amount, on: connection),
            let session = try await store.lockSession(id: sessionId, merchantId: nil, livemode: nil, on: connection)
        else {
            logger.info("transfer matches no session", metadata: ["transfer": "\(transferId)", "network": "\(network)", "amount": "\(amount)"])
            return
        }
        let updated = try await store.bind(transferId: transferId, to: session, matchedBy: matchedBy, on: connection)
        logger.info(
            "transfer matched",
            metadata: ["session": "\(sessionId)", "transfer": "\(transferId)", "by": "\(matchedBy.rawValue)", "status": "\(updated.status.rawValue)"])
    }

    /// The session a new transfer pays: a checkout claim of its transaction, else an exact
    /// amount due of a reserved option, else the exact remaining amount of the one partially
    /// paid session to that address.
    func findSession(network: String, token: String, to: String, txHash: String, amount: String, on connection: PostgresConnection) async throws
        -> (String, MatchedBy)?
    {
        let claimed = try await connection.query(
            """
            SELECT c.session_id FROM checkout_claims c
            JOIN session_options o ON o.session_id = c.session_id AND o.network = c.network AND o.token_address = \(token) AND o.pay_to = \(to)
            JOIN payment_sessions s ON s.id = c.session_id
            WHERE c.network = \(network) AND c.tx_hash = \(txHash) AND s.status <> 'canceled'
            """, logger: logger)
        if let id = try await claimed.decode(String.self).all().first { return (id, .transaction) }

        let exact = try await connection.query(
            """
            SELECT session_id FROM session_options
            WHERE reserved AND network = \(network) AND token_address = \(token) AND pay_to = \(to) AND amount_due = \(amount)::numeric
            """, logger: logger)
        if let id = try await exact.decode(String.self).all().first { return (id, .amount) }

        let remainder = try await connection.query(
            """
            SELECT s.id FROM payment_sessions s
            JOIN session_options o ON o.session_id = s.id AND o.reserved AND o.network = \(network) AND o.token_address = \(token) AND o.pay_to = \(to)
            JOIN LATERAL (
                SELECT sum(p.credited) AS received FROM session_payments p WHERE p.session_id = s.id AND p.state <> 'removed' AND NOT p.late
            ) r ON r.received IS NOT NULL
            WHERE s.status = 'pending'
              AND (s.price_units + s.offset_units - r.received) * (o.amount_due / (s.price_units + s.offset_units)) = \(amount)::numeric
            LIMIT 2
            """, logger: logger)
        let ids = try await remainder.decode(String.self).all()
        if ids.count == 1 { return (ids[0], .amount) }
        return nil
    }

    /// Marks pending sessions whose time ran out as expired; returns how many.
    @discardableResult
    public func expireDue() async throws -> Int {
        try await store.transaction { connection in
            let rows = try await connection.query(
                """
                SELECT id FROM payment_sessions WHERE status = 'pending' AND expires_at <= now()
                ORDER BY expires_at LIMIT 200 FOR UPDATE SKIP LOCKED
                """, logger: logger)
            let ids = try await rows.decode(String.self).all()
            for session in try await store.loadSessions(ids: ids, on: connection) {
                _ = try await store.apply([.expire], to: session, on: connection)
                logger.info("session expired", metadata: ["session": "\(session.id)"])
            }
            return ids.count
        }
    }

    /// Frees the amounts due of sessions whose monitoring window has passed.
    @discardableResult
    public func releaseReservations() async throws -> Int {
        let rows = try await store.client.query(
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
