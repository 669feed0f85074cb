import EthereumCore
import Foundation
import GatewayDomain
import PostgresNIO

/// The refund sender's reads and writes. Nonces and signed bytes are written ahead, in the
/// transaction that reserves the nonce, before anything is broadcast; every later step updates
/// what is stored, so that a process killed at any point leaves the next one what to send again.
extension RefundStore {
    /// A transaction signed at a nonce, as stored.
    public struct Attempt: Sendable, Hashable {
        public let txHash: TxHash
        /// 1 for the first at its nonce, then one more per replacement.
        public let number: Int
        public let raw: [UInt8]
        public let gasLimit: UInt64
        public let fees: Fees
        /// The last broadcast's outcome (``BroadcastOutcome/name``), nil until first sent.
        public let lastOutcome: String?
        public let sentAtHead: UInt64?
        public let lastSentAt: Timestamp?

        public init(
            txHash: TxHash, number: Int, raw: [UInt8], gasLimit: UInt64, fees: Fees, lastOutcome: String?, sentAtHead: UInt64?,
            lastSentAt: Timestamp?
        ) {
            self.txHash = txHash
            self.number = number
            self.raw = raw
            self.gasLimit = gasLimit
            self.fees = fees
            self.lastOutcome = lastOutcome
            self.sentAtHead = sentAtHead
            self.lastSentAt = lastSentAt
        }
    }

    /// What the sender signs: the bytes, their hash and what they cost at most.
    public struct SignedAttempt: Sendable, Hashable {
        public let raw: [UInt8]
        public let hash: TxHash
        public let gasLimit: UInt64
        public let fees: Fees

        public init(raw: [UInt8], hash: TxHash, gasLimit: UInt64, fees: Fees) {
            self.raw = raw
            self.hash = hash
            self.gasLimit = gasLimit
            self.fees = fees
        }
    }

    /// A nonce of the wallet that is not final yet: its refund (or none for a filler), where it
    /// stands on chain, and every attempt at it, oldest first.
    public struct WalletNonce: Sendable, Hashable {
        public enum State: String, Sendable { case open, mined, final }

        public let nonce: UInt64
        public let refund: Refund?
        public let filler: Bool
        public let state: State
        public let minedHash: TxHash?
        public let blockNumber: UInt64?
        public let blockHash: BlockHash?
        public let verdict: String?
        public let unexplained: Int
        public let attempts: [Attempt]

        public var newest: Attempt? { attempts.last }
        /// Whether a pool ever took one of its attempts.
        public var everSent: Bool { attempts.contains { $0.lastOutcome == "accepted" || $0.lastOutcome == "maybe_sent" } }
        /// What it holds of the wallet's funds until mined (its newest attempt's cost at most).
        public var need: WalletFunds.Need? {
            guard let newest else { return nil }
            return WalletFunds.Need(
                gasLimit: newest.gasLimit, fees: newest.fees, token: filler ? nil : refund?.asset.tokenAddress,
                amount: filler ? .zero : refund?.amount ?? .zero)
        }
    }

    struct AttemptRow: Decodable, Sendable {
        let txHash: String
        let attempt: Int
        let raw: String
        let gasLimit: Int64
        let maxFee: String
        let tip: String
        let lastOutcome: String?
        let sentAtHead: Int64?
        let lastSentAt: Int64?

        enum CodingKeys: String, CodingKey {
            case txHash = "tx_hash"
            case attempt
            case raw
            case gasLimit = "gas_limit"
            case maxFee = "max_fee"
            case tip
            case lastOutcome = "last_outcome"
            case sentAtHead = "sent_at_head"
            case lastSentAt = "last_sent_at"
        }

        func attemptValue() throws -> Attempt {
            guard let hash = try? TxHash(hex: txHash), let raw = try? Hex.decode(raw, requirePrefix: true), !raw.isEmpty,
                let gasLimit = UInt64(exactly: gasLimit), let maxFee = try? UInt256(decimal: maxFee), let tip = try? UInt256(decimal: tip)
            else { throw StoreError.corruptRow(table: "refund_attempts", reason: "attempt \(txHash.prefix(66)) does not parse") }
            return Attempt(
                txHash: hash, number: attempt, raw: raw, gasLimit: gasLimit, fees: Fees(tip: tip, maxFee: maxFee), lastOutcome: lastOutcome,
                sentAtHead: sentAtHead.flatMap { UInt64(exactly: $0) }, lastSentAt: lastSentAt.map { Timestamp(unixSeconds: $0) })
        }
    }

    /// The database's clock.
    public func now() async throws -> Timestamp {
        try await client.withConnection { connection in try await sessions.now(on: connection) }
    }

    /// Every nonce of the wallet that is not final, lowest first, with the database's clock.
    public func unfinishedNonces(network: String, wallet: Address) async throws -> (nonces: [WalletNonce], now: Timestamp) {
        let rows = try await client.query(
            """
            SELECT now(), n.nonce, n.filler, n.state, n.tx_hash, n.block_number, n.block_hash, n.verdict, n.unexplained, n.refund_id,
                (SELECT coalesce(jsonb_agg(jsonb_build_object('tx_hash', a.tx_hash, 'attempt', a.attempt,
                        'raw', '0x' || encode(a.raw, 'hex'), 'gas_limit', a.gas_limit, 'max_fee', a.max_fee::text, 'tip', a.tip::text,
                        'last_outcome', a.last_outcome, 'sent_at_head', a.sent_at_head,
                        'last_sent_at', floor(extract(epoch FROM a.last_sent_at))::bigint) ORDER BY a.attempt), '[]')
                 FROM refund_attempts a WHERE a.network = n.network AND a.address = n.address AND a.nonce = n.nonce)
            FROM hot_wallet_nonces n
            WHERE n.network = \(network) AND n.address = \(wallet) AND n.state <> 'final'
            ORDER BY n.nonce
            """, logger: logger)
        var out: [WalletNonce] = []
        var refundIds: [String] = []
        var clock = Timestamp(unixSeconds: 0)
        var pending: [(Int64, Bool, String, TxHash?, Int64?, BlockHash?, String?, Int32, String?, JSONRows<AttemptRow>)] = []
        for try await row in rows.decode(
            (Timestamp, Int64, Bool, String, TxHash?, Int64?, BlockHash?, String?, Int32, String?, JSONRows<AttemptRow>).self)
        {
            clock = row.0
            pending.append((row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10))
            if let id = row.9 { refundIds.append(id) }
        }
        if pending.isEmpty { return ([], try await now()) }
        let refunds = try await client.withConnection { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: RefundRows.columns) FROM refunds r WHERE r.id = ANY(\(refundIds)::text[])", logger: logger)
            return try await RefundRows.decode(rows)
        }
        let byId = Dictionary(refunds.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for (nonce, filler, stateText, minedHash, blockNumber, blockHash, verdict, unexplained, refundId, attempts) in pending {
            guard let nonce = UInt64(exactly: nonce), let state = WalletNonce.State(rawValue: stateText) else {
                throw StoreError.corruptRow(table: "hot_wallet_nonces", reason: "nonce \(nonce)")
            }
            out.append(
                WalletNonce(
                    nonce: nonce, refund: refundId.flatMap { byId[$0] }, filler: filler, state: state, minedHash: minedHash,
                    blockNumber: blockNumber.flatMap { UInt64(exactly: $0) }, blockHash: blockHash, verdict: verdict,
                    unexplained: Int(unexplained), attempts: try attempts.items.map { try $0.attemptValue() }))
        }
        return (out, clock)
    }

    /// Moves the network's refunds that waited for a hot wallet to the queue: one runs now.
    public func adoptWaitingForWallet(network: String) async throws {
        try await transaction { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: RefundRows.columns) FROM refunds r
                WHERE r.network = \(network) AND r.status = 'requires_action' AND r.status_reason = 'hot_wallet_missing'
                ORDER BY r.seq FOR UPDATE SKIP LOCKED
                """, logger: logger)
            let now = try await sessions.now(on: connection)
            for refund in try await RefundRows.decode(rows) {
                var state = refund.state
                let events = (try? state.apply(.walletFound)) ?? []
                try await save(refund.applying(state, now: now), events: events, on: connection)
            }
        }
    }

    /// Unsigned refunds of the network the sender may sign now, oldest first.
    public func readyToSign(network: String, limit: Int) async throws -> [Refund] {
        let rows = try await client.query(
            """
            SELECT \(unescaped: RefundRows.columns) FROM refunds r
            WHERE r.network = \(network) AND r.nonce IS NULL AND r.status = 'pending'
              AND r.status_reason IN ('queued', 'insufficient_funds', 'fee_above_cap', 'wallet_daily_limit') AND r.next_check_at <= now()
            ORDER BY r.seq LIMIT \(limit)
            """, logger: logger)
        return try await RefundRows.decode(rows).filter { $0.state.isReadyToSign }
    }

    /// What the wallet signed in the last 24 hours for refunds that are not failed, in units.
    public func walletRecentTotal(network: String, wallet: Address) async throws -> UnitAmount {
        let rows = try await client.query(
            """
            SELECT amount, decimals FROM refunds
            WHERE network = \(network) AND hot_wallet = \(wallet) AND created_at > now() - interval '24 hours'
              AND status NOT IN ('failed', 'canceled')
            """, logger: logger)
        return try await Self.total(rows)
    }

    /// An unsigned refund waits (`reason`) and is looked at again after `seconds`.
    public func postpone(_ refundId: String, reason: RefundStatusReason, seconds: Int) async throws {
        try await transaction { connection in
            guard let refund = try await load(id: refundId, lock: true, on: connection), refund.state.isReadyToSign else { return }
            var state = refund.state
            let events = try state.apply(.wait(reason))
            try await save(refund.applying(state, now: try await sessions.now(on: connection)), events: events, on: connection)
            try await connection.query(
                "UPDATE refunds SET next_check_at = now() + make_interval(secs => \(Int32(clamping: seconds))) WHERE id = \(refundId)",
                logger: logger)
        }
    }

    /// An unsigned refund that can never be sent (its simulation reverted): failed.
    public func failUnsigned(_ refundId: String, reason: RefundStatusReason) async throws {
        try await transaction { connection in
            guard let refund = try await load(id: refundId, lock: true, on: connection), refund.state.isReadyToSign else { return }
            var state = refund.state
            let events = try state.apply(.fail(reason))
            try await save(refund.applying(state, now: try await sessions.now(on: connection)), events: events, on: connection)
        }
    }

    /// Reserves the wallet's next nonce for the refund and writes the transaction `sign` makes
    /// for it, in one transaction: the nonce is max(largest stored + 1, `pendingCount`)
    /// (``NonceRule``), and the refund never gets a second nonce (a unique index says so too).
    /// Returns nil when the refund is no longer ready (canceled, or signed by another process).
    /// `checkpoint` is called between the steps (the test failpoints).
    public func reserveAndWrite(
        refundId: String, network: String, wallet: Address, pendingCount: UInt64, checkpoint: @Sendable (String) -> Void,
        sign: @Sendable (UInt64) throws -> SignedAttempt
    ) async throws -> (nonce: UInt64, attempt: SignedAttempt)? {
        try await transaction { connection in
            guard let refund = try await load(id: refundId, lock: true, on: connection), refund.state.isReadyToSign else { return nil }
            let rows = try await connection.query(
                "SELECT max(nonce) FROM hot_wallet_nonces WHERE network = \(network) AND address = \(wallet)", logger: logger)
            let largest = try await rows.decode(Int64?.self).all().first ?? nil
            guard let nonce = NonceRule.next(largestStored: largest.flatMap { UInt64(exactly: $0) }, pendingCount: pendingCount) else {
                throw StoreError.valueOutOfRange(field: "nonce", value: "\(pendingCount)")
            }
            try await connection.query(
                "INSERT INTO hot_wallet_nonces (network, address, nonce, refund_id) VALUES (\(network), \(wallet), \(Int64(nonce)), \(refundId))",
                logger: logger)
            checkpoint("refund.after_reserve")
            let signed = try sign(nonce)
            checkpoint("refund.after_sign")
            try await insertAttempt(signed, network: network, wallet: wallet, nonce: nonce, number: 1, on: connection)
            var state = refund.state
            let events = try state.apply(.signed)
            let changed = refund.with(hotWallet: wallet, nonce: nonce, txHash: nil).applying(
                state, now: try await sessions.now(on: connection))
            try await save(changed, events: events, on: connection)
            return (nonce, signed)
        }
    }

    func insertAttempt(
        _ signed: SignedAttempt, network: String, wallet: Address, nonce: UInt64, number: Int, on connection: PostgresConnection
    )
        async throws
    {
        try await connection.query(
            """
            INSERT INTO refund_attempts (tx_hash, network, address, nonce, attempt, raw, gas_limit, max_fee, tip)
            VALUES (\(signed.hash), \(network), \(wallet), \(Int64(nonce)), \(Int32(number)), \(Data(signed.raw)),
                \(Int64(signed.gasLimit)), \(signed.fees.maxFee), \(signed.fees.tip))
            """, logger: logger)
    }

    /// Writes a replacement (or a filler) at a nonce the wallet already holds, before it is sent.
    public func writeReplacement(_ signed: SignedAttempt, network: String, wallet: Address, nonce: UInt64) async throws {
        try await transaction { connection in
            let rows = try await connection.query(
                """
                SELECT coalesce(max(attempt), 0) FROM refund_attempts WHERE network = \(network) AND address = \(wallet) AND nonce = \(Int64(nonce))
                """, logger: logger)
            let last = try await rows.decode(Int32.self).all().first ?? 0
            try await insertAttempt(signed, network: network, wallet: wallet, nonce: nonce, number: Int(last) + 1, on: connection)
        }
    }

    /// Records what a broadcast of an attempt came to, and what it means for its refund.
    public func recordBroadcast(txHash: TxHash, outcome: BroadcastOutcome, error: String?, head: UInt64?) async throws {
        try await transaction { connection in
            let taken = outcome.mayBeInPool
            let rows = try await connection.query(
                """
                UPDATE refund_attempts SET last_outcome = \(outcome.name), last_error = \(error.map { String($0.prefix(500)) }),
                    sends = sends + 1, last_sent_at = now(),
                    sent_at_head = CASE WHEN \(taken) THEN coalesce(sent_at_head, \(head.map { Int64(clamping: $0) })) ELSE sent_at_head END
                WHERE tx_hash = \(txHash)
                RETURNING (SELECT refund_id FROM hot_wallet_nonces n
                           WHERE n.network = refund_attempts.network AND n.address = refund_attempts.address AND n.nonce = refund_attempts.nonce
                             AND NOT n.filler)
                """, logger: logger)
            guard let refundId = try await rows.decode(String?.self).all().first ?? nil,
                let refund = try await load(id: refundId, lock: true, on: connection)
            else { return }
            let input: RefundInput?
            switch outcome {
            case .accepted, .maybeSent: input = .broadcast
            case .insufficientFunds: input = .wait(.insufficientFunds)
            default: input = nil
            }
            guard let input else { return }
            var state = refund.state
            let events = try state.apply(input)
            guard state != refund.state else { return }
            try await save(refund.applying(state, now: try await sessions.now(on: connection)), events: events, on: connection)
        }
    }

    /// What the providers last said against an attempt, as stored.
    public func lastError(txHash: TxHash) async throws -> String? {
        let rows = try await client.query("SELECT last_error FROM refund_attempts WHERE tx_hash = \(txHash)", logger: logger)
        return try await rows.decode(String?.self).all().first ?? nil
    }

    /// A signed refund must wait (its replacement would pass the fee cap, or the wallet lacks
    /// funds to send it again): shown in its status reason.
    public func noteWaiting(refundId: String, reason: RefundStatusReason) async throws {
        try await transaction { connection in
            guard let refund = try await load(id: refundId, lock: true, on: connection) else { return }
            var state = refund.state
            let events = (try? state.apply(.wait(reason))) ?? []
            guard state != refund.state else { return }
            try await save(refund.applying(state, now: try await sessions.now(on: connection)), events: events, on: connection)
        }
    }

    /// One of the nonce's attempts is mined: records it and what its receipt means
    /// (`transferred`, `reverted`, `mismatch`); the refund shows `mined` until the block is final.
    public func markMined(
        network: String, wallet: Address, nonce: UInt64, txHash: TxHash, blockNumber: UInt64, blockHash: BlockHash, verdict: String
    ) async throws {
        try await transaction { connection in
            let rows = try await connection.query(
                """
                UPDATE hot_wallet_nonces SET state = 'mined', tx_hash = \(txHash), block_number = \(Int64(clamping: blockNumber)),
                    block_hash = \(blockHash), verdict = \(verdict), unexplained = 0, updated_at = now()
                WHERE network = \(network) AND address = \(wallet) AND nonce = \(Int64(nonce)) AND state = 'open'
                RETURNING CASE WHEN filler THEN NULL ELSE refund_id END
                """, logger: logger)
            guard let refundId = try await rows.decode(String?.self).all().first ?? nil,
                let refund = try await load(id: refundId, lock: true, on: connection)
            else { return }
            var state = refund.state
            let events = try state.apply(.mined)
            try await save(
                refund.with(txHash: txHash).applying(state, now: try await sessions.now(on: connection)), events: events, on: connection)
        }
    }

    /// The block that held the nonce's mined attempt left the canonical chain: the nonce is open
    /// again (its bytes are sent again) and the refund shows `reorged`.
    public func reopen(network: String, wallet: Address, nonce: UInt64) async throws {
        try await transaction { connection in
            let rows = try await connection.query(
                """
                UPDATE hot_wallet_nonces SET state = 'open', tx_hash = NULL, block_number = NULL, block_hash = NULL, verdict = NULL,
                    updated_at = now()
                WHERE network = \(network) AND address = \(wallet) AND nonce = \(Int64(nonce)) AND state = 'mined'
                RETURNING CASE WHEN filler THEN NULL ELSE refund_id END
                """, logger: logger)
            guard let refundId = try await rows.decode(String?.self).all().first ?? nil,
                let refund = try await load(id: refundId, lock: true, on: connection)
            else { return }
            var state = refund.state
            let events = try state.apply(.reorged)
            try await save(
                refund.with(txHash: nil).applying(state, now: try await sessions.now(on: connection)), events: events, on: connection)
        }
    }

    /// The nonce's mined attempt is final. Its refund ends as its receipt said: `succeeded` (and
    /// the session's refunded amount, status and `payment.*refunded` event, in the same
    /// transaction), or `failed`.
    public func finalize(network: String, wallet: Address, nonce: UInt64) async throws -> Refund? {
        try await transaction { connection in
            let rows = try await connection.query(
                """
                UPDATE hot_wallet_nonces SET state = 'final', updated_at = now()
                WHERE network = \(network) AND address = \(wallet) AND nonce = \(Int64(nonce)) AND state = 'mined'
                RETURNING CASE WHEN filler THEN NULL ELSE refund_id END, verdict
                """, logger: logger)
            guard let (refundIdOrNil, verdict) = try await rows.decode((String?, String?).self).all().first,
                let refundId = refundIdOrNil, let refund = try await load(id: refundId, lock: true, on: connection)
            else { return nil }
            let now = try await sessions.now(on: connection)
            var state = refund.state
            let input: RefundInput
            switch verdict {
            case "transferred": input = .finalized
            case "reverted": input = .fail(.reverted)
            default: input = .fail(.transferMismatch)
            }
            let events = try state.apply(input)
            let changed = refund.applying(state, now: now)
            try await save(changed, events: events, on: connection)
            if changed.status == .succeeded { try await settleSession(changed.sessionId, now: now, on: connection) }
            return changed
        }
    }

    /// Brings the session's refunded amount up to its succeeded refunds, with the status and
    /// event that follow.
    func settleSession(_ sessionId: String, now: Timestamp, on connection: PostgresConnection) async throws {
        guard let session = try await sessions.load(ids: [sessionId], lock: true, on: connection).first else { return }
        let total = session.refundedUnits(try await refunds(sessionId: sessionId, on: connection))
        var ledger = SessionLedger(sessions: [session], now: now, lateWindowSeconds: sessions.lateWindowSeconds)
        try ledger.apply(.refunded(total: total), to: sessionId)
        try await connection.query(
            "UPDATE payment_sessions SET amount_refunded = \(total), updated_at = now() WHERE id = \(sessionId)", logger: logger)
        try await sessions.save(ledger.changes, on: connection)
    }

    /// Every provider refused the nonce's transaction for good, and no pool ever took one of its
    /// attempts: the refund fails (`rejected`) and the nonce becomes a filler, so that it is not
    /// left as a gap (the driver signs and sends the filler).
    public func abandonNonce(network: String, wallet: Address, nonce: UInt64) async throws {
        try await transaction { connection in
            let rows = try await connection.query(
                """
                UPDATE hot_wallet_nonces SET filler = true, updated_at = now()
                WHERE network = \(network) AND address = \(wallet) AND nonce = \(Int64(nonce)) AND state = 'open' AND NOT filler
                RETURNING refund_id
                """, logger: logger)
            guard let refundId = try await rows.decode(String?.self).all().first ?? nil,
                let refund = try await load(id: refundId, lock: true, on: connection)
            else { return }
            var state = refund.state
            let events = try state.apply(.fail(.rejected))
            try await save(refund.applying(state, now: try await sessions.now(on: connection)), events: events, on: connection)
        }
    }

    /// The chain counts the nonce as used but none of its attempts has a receipt: counted, and
    /// after `limit` rounds the refund waits for an operator (`nonce_conflict`).
    public func noteUnexplained(network: String, wallet: Address, nonce: UInt64, limit: Int) async throws {
        try await transaction { connection in
            let rows = try await connection.query(
                """
                UPDATE hot_wallet_nonces SET unexplained = unexplained + 1, updated_at = now()
                WHERE network = \(network) AND address = \(wallet) AND nonce = \(Int64(nonce)) AND state = 'open'
                RETURNING unexplained, CASE WHEN filler THEN NULL ELSE refund_id END
                """, logger: logger)
            guard let (count, refundIdOrNil) = try await rows.decode((Int32, String?).self).all().first, Int(count) >= limit,
                let refundId = refundIdOrNil, let refund = try await load(id: refundId, lock: true, on: connection)
            else { return }
            var state = refund.state
            let events = try state.apply(.nonceConflict)
            guard state != refund.state else { return }
            try await save(refund.applying(state, now: try await sessions.now(on: connection)), events: events, on: connection)
        }
    }
}
