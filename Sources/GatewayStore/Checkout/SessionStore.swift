import ChainMonitor
import EthereumCore
import Foundation
import GatewayDomain
import Logging
import PostgresNIO

/// Payment sessions on Postgres: creation with a unique amount due, reads and lists scoped by
/// merchant and mode, and the one write path (``save(_:on:)``) that stores what a
/// ``SessionLedger`` decided together with the outbox events that announce it.
public struct SessionStore: Sendable {
    public let client: PostgresClient
    /// The networks the gateway runs.
    public let networks: [PayableNetwork]
    /// The gateway's public base URL, for `checkout_url` (no trailing slash).
    public let publicBaseURL: String
    /// How long options stay reserved, and later transfers matched, after a session ends.
    public let lateWindowSeconds: Int64
    let logger: Logger

    public init(
        client: PostgresClient, networks: [PayableNetwork], publicBaseURL: String, lateWindowSeconds: Int64 = 86_400,
        logger: Logger = Logger(label: "gateway.sessions")
    ) {
        self.client = client
        self.networks = networks
        self.publicBaseURL = publicBaseURL.hasSuffix("/") ? String(publicBaseURL.dropLast()) : publicBaseURL
        self.lateWindowSeconds = lateWindowSeconds
        self.logger = logger
    }

    public func transaction<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await withTransaction(client: client, logger: logger, body)
    }

    /// The API's JSON of a session.
    public func json(_ session: PaymentSession) -> JSONValue { ResourceJSON.session(session, publicBaseURL: publicBaseURL) }

    // MARK: Creating

    /// Stores a planned session: picks one offset free in every option (the amounts held decide
    /// races), and writes `payment.created` and, when the request carried an idempotency key,
    /// the response to replay, all in one transaction.
    public func create(
        merchantId: String, livemode: Bool, plan: SessionPlan, idempotency: IdempotencyStore.Response? = nil
    ) async throws -> PaymentSession {
        let id = ObjectID.make("ps")
        let clientSecret = ObjectID.make("cs")
        let metadataJSON = JSONValue.object(
            JSONObject(members: plan.metadata.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: .string($0.value)) })
        ).serialized
        return try await transaction { connection in
            try await connection.query(
                """
                INSERT INTO payment_sessions (id, merchant_id, livemode, amount, currency, scale, price_units, offset_units,
                    description, metadata, success_url, cancel_url, client_secret, expires_at)
                VALUES (\(id), \(merchantId), \(livemode), \(plan.amount), \(plan.currency), \(plan.scale), \(plan.priceUnits), 1,
                    \(plan.description), \(metadataJSON)::jsonb, \(plan.successURL), \(plan.cancelURL), \(clientSecret),
                    now() + make_interval(secs => \(plan.expiresIn)))
                """, logger: logger)
            let offset = try await allocateOffset(sessionId: id, plan: plan, on: connection)
            try await connection.query("UPDATE payment_sessions SET offset_units = \(Int64(offset)) WHERE id = \(id)", logger: logger)
            guard let session = try await load(ids: [id], on: connection).first else {
                throw StoreError.corruptRow(table: "payment_sessions", reason: "\(id) vanished")
            }
            try await writeEvents([(session, [.created])], on: connection)
            try await idempotency?.store(status: 201, body: Array(json(session).serialized.utf8), on: connection, logger: logger)
            return session
        }
    }

    /// The amount due is `price + offset` in the session's scale for every option; tries the
    /// free offsets in random order until every option's amount is held for the session
    /// (`reserved_amounts`, whose primary key decides races), then stores the options.
    func allocateOffset(sessionId: String, plan: SessionPlan, on connection: PostgresConnection) async throws -> UInt64 {
        let allocator = AmountDueAllocator()
        var taken = Set<UInt256>()
        for option in plan.options {
            let low = option.amountDue(priceUnits: plan.priceUnits, offset: 1)
            let high = option.amountDue(priceUnits: plan.priceUnits, offset: allocator.maxOffset)
            let rows = try await connection.query(
                """
                SELECT amount FROM reserved_amounts
                WHERE network = \(option.network) AND token_address = \(option.tokenAddress) AND pay_to = \(option.payTo)
                  AND amount BETWEEN \(low) AND \(high)
                """, logger: logger)
            // Back to the session's scale: the price plus the offset taken.
            for try await due in rows.decode(UInt256.self) { taken.insert(option.scale.toSession(due)) }
        }
        var generator = SystemRandomNumberGenerator()
        let options = plan.options
        for candidate in allocator.candidates(price: plan.priceUnits, taken: taken, using: &generator) {
            guard let offset = (candidate - plan.priceUnits).uint64 else { continue }
            let amounts = options.map { $0.amountDue(priceUnits: plan.priceUnits, offset: offset).decimalString }
            let rows = try await connection.query(
                """
                INSERT INTO reserved_amounts (network, token_address, pay_to, amount, session_id, kind)
                SELECT u.network, u.token_address, u.pay_to, u.amount::numeric, \(sessionId), 'amount_due'
                FROM unnest(\(options.map(\.network))::text[], \(options.map(\.tokenAddress))::text[], \(options.map(\.payTo))::text[],
                            \(amounts)::text[]) AS u(network, token_address, pay_to, amount)
                ON CONFLICT DO NOTHING
                RETURNING amount
                """, logger: logger)
            guard try await rows.decode(UInt256.self).all().count == options.count else {
                try await connection.query("DELETE FROM reserved_amounts WHERE session_id = \(sessionId)", logger: logger)
                continue
            }
            try await connection.query(
                """
                INSERT INTO session_options (session_id, position, network, chain_id, token, token_address, decimals, pay_to, amount_due,
                    confirmations)
                SELECT \(sessionId), u.position, u.network, u.chain_id, u.token, u.token_address, u.decimals, u.pay_to, u.amount_due::numeric,
                    u.confirmations
                FROM unnest(\(options.indices.map { Int32($0) })::int[], \(options.map(\.network))::text[],
                            \(options.map { Int64(clamping: $0.chainId) })::bigint[], \(options.map(\.token))::text[],
                            \(options.map(\.tokenAddress))::text[], \(options.map { Int32($0.decimals) })::int[],
                            \(options.map(\.payTo))::text[], \(amounts)::text[], \(options.map { Int32($0.confirmations) })::int[])
                     AS u(position, network, chain_id, token, token_address, decimals, pay_to, amount_due, confirmations)
                """, logger: logger)
            return offset
        }
        throw RequestError(
            .conflict, code: "amounts_exhausted",
            "every amount due near this price is taken by open sessions to the same address; try again later or change the amount slightly")
    }

    // MARK: Reading

    /// Sessions with their options, payments and claims, in no particular order; with `lock`,
    /// their rows are locked for the transaction (in id order, so concurrent lockers never
    /// deadlock).
    func load(ids: [String], lock: Bool = false, on connection: PostgresConnection) async throws -> [PaymentSession] {
        guard !ids.isEmpty else { return [] }
        let rows = try await connection.query(
            """
            SELECT \(unescaped: SessionRows.columns) FROM payment_sessions s WHERE s.id = ANY(\(ids)::text[])
            ORDER BY s.id \(unescaped: lock ? "FOR UPDATE OF s" : "")
            """, logger: logger)
        return try await SessionRows.decode(rows)
    }

    /// One session of the merchant, in the key's mode.
    public func session(merchantId: String, livemode: Bool, id: String) async throws -> PaymentSession? {
        guard ObjectID.isWellFormed(id, prefix: "ps") else { return nil }
        return try await client.withConnection { connection in
            try await load(ids: [id], on: connection).first { $0.merchantId == merchantId && $0.livemode == livemode }
        }
    }

    /// A session by id alone, for the public checkout page (whose id is the capability), with
    /// its merchant's name.
    public func publicSession(id: String) async throws -> (PaymentSession, merchantName: String)? {
        guard ObjectID.isWellFormed(id, prefix: "ps") else { return nil }
        let rows = try await client.query(
            """
            SELECT \(unescaped: SessionRows.columns), m.name FROM payment_sessions s JOIN merchants m ON m.id = s.merchant_id
            WHERE s.id = \(id)
            """, logger: logger)
        for try await row in rows {
            return (try SessionRows.decode(row), try row.makeRandomAccess()["name"].decode(String.self))
        }
        return nil
    }

    public struct Filter: Sendable {
        public var limit: Int = 20
        public var startingAfter: String?
        public var endingBefore: String?
        public var status: SessionStatus?
        public var createdGte: Int64?
        public var createdLte: Int64?

        public init() {}
    }

    /// A page of the merchant's sessions, newest first, and whether more follow.
    public func list(merchantId: String, livemode: Bool, filter: Filter) async throws -> ([PaymentSession], hasMore: Bool) {
        try await client.withConnection { connection in
            func seq(of id: String?) async throws -> Int64? {
                guard let id else { return nil }
                let rows = try await connection.query(
                    "SELECT seq FROM payment_sessions WHERE id = \(id) AND merchant_id = \(merchantId) AND livemode = \(livemode)",
                    logger: logger)
                guard let value = try await rows.decode(Int64.self).all().first else {
                    throw RequestError(
                        .notFound, code: "resource_missing", param: filter.startingAfter == id ? "starting_after" : "ending_before",
                        "no payment session \(id)")
                }
                return value
            }
            let after = try await seq(of: filter.startingAfter)
            let before = try await seq(of: filter.endingBefore)
            let status = filter.status?.rawValue
            // ending_before pages backwards: oldest first from the cursor, then reversed.
            let backwards = before != nil && after == nil
            let rows = try await connection.query(
                """
                SELECT \(unescaped: SessionRows.columns) FROM payment_sessions s
                WHERE s.merchant_id = \(merchantId) AND s.livemode = \(livemode)
                  AND (\(after)::bigint IS NULL OR s.seq < \(after))
                  AND (\(before)::bigint IS NULL OR s.seq > \(before))
                  AND (\(status)::text IS NULL OR s.status = \(status))
                  AND (\(filter.createdGte)::bigint IS NULL OR s.created_at >= to_timestamp(\(filter.createdGte)))
                  AND (\(filter.createdLte)::bigint IS NULL OR s.created_at < to_timestamp(\(filter.createdLte) + 1))
                ORDER BY s.seq \(unescaped: backwards ? "ASC" : "DESC") LIMIT \(filter.limit + 1)
                """, logger: logger)
            var sessions = try await SessionRows.decode(rows)
            let hasMore = sessions.count > filter.limit
            sessions = Array(sessions.prefix(filter.limit))
            if backwards { sessions.reverse() }
            return (sessions, hasMore)
        }
    }

    // MARK: Writing

    /// Writes what a ledger decided, in the caller's transaction: new payment rows, payment
    /// states, session rows, and one outbox event per emitted event with the session as it
    /// now stands.
    public func save(_ changes: [SessionChange], on connection: PostgresConnection) async throws {
        let added = changes.flatMap { change in change.added.map { (change.after.id, $0) } }
        if !added.isEmpty {
            try await connection.query(
                """
                INSERT INTO session_payments (transfer_id, session_id, credited, late, matched_by, state)
                SELECT u.transfer_id, u.session_id, u.credited::numeric, u.late, u.matched_by, u.state
                FROM unnest(\(added.map { $0.1.transfer.id })::bigint[], \(added.map(\.0))::text[],
                            \(added.map { $0.1.credited.decimalString })::text[], \(added.map { $0.1.late })::boolean[],
                            \(added.map { $0.1.matchedBy.rawValue })::text[], \(added.map { $0.1.transfer.state.rawValue })::text[])
                     AS u(transfer_id, session_id, credited, late, matched_by, state)
                """, logger: logger)
        }
        let moved = changes.flatMap(\.changedPayments)
        if !moved.isEmpty {
            try await connection.query(
                """
                UPDATE session_payments p SET state = u.state
                FROM unnest(\(moved.map(\.transfer.id))::bigint[], \(moved.map { $0.transfer.state.rawValue })::text[]) AS u(transfer_id, state)
                WHERE p.transfer_id = u.transfer_id
                """, logger: logger)
        }
        let sessions = changes.filter(\.sessionChanged).map(\.after)
        if !sessions.isEmpty {
            // One row per session; JSON carries the NULLs that arrays of optionals cannot.
            let rows = JSONValue.array(
                sessions.map { session in
                    .object(
                        JSONObject([
                            "id": .string(session.id), "status": .string(session.status.rawValue), "reason": .string(session.statusReason),
                            "completed_at": .string(session.timeline.completedAt?.rfc3339),
                            "monitor_until": .string(session.timeline.monitorUntil?.rfc3339),
                        ]))
                }
            ).serialized
            try await connection.query(
                """
                UPDATE payment_sessions s SET status = u.status, status_reason = u.reason, completed_at = u.completed_at,
                    monitor_until = u.monitor_until, updated_at = now()
                FROM jsonb_to_recordset(\(rows)::jsonb) AS u(id text, status text, reason text, completed_at timestamptz, monitor_until timestamptz)
                WHERE s.id = u.id
                """, logger: logger)
        }
        try await holdRemainders(changes.filter(\.remaindersChanged).map(\.after), on: connection)
        try await writeEvents(changes.map { ($0.after, $0.events) }, on: connection)
    }

    /// Sets the remainders the sessions hold to what they still ask: each one unique among the
    /// amounts held for its network, token and address, raised by up to 999 units of the
    /// session's scale when the exact rest is taken (the customer then overpays that little).
    func holdRemainders(_ sessions: [PaymentSession], on connection: PostgresConnection) async throws {
        guard !sessions.isEmpty else { return }
        try await connection.query(
            "DELETE FROM reserved_amounts WHERE kind = 'remainder' AND session_id = ANY(\(sessions.map(\.id))::text[])", logger: logger)
        for session in sessions {
            for (option, rest) in session.remaindersWanted {
                let step = session.scale(of: option).factor
                let candidates = (0..<UInt64(1_000)).map { (rest + UInt256($0) * step).decimalString }
                for _ in 0..<2 {
                    let rows = try await connection.query(
                        """
                        INSERT INTO reserved_amounts (network, token_address, pay_to, amount, session_id, kind)
                        SELECT \(option.network), \(option.tokenAddress), \(option.payTo), c.amount::numeric, \(session.id), 'remainder'
                        FROM unnest(\(candidates)::text[]) WITH ORDINALITY AS c(amount, ord)
                        WHERE NOT EXISTS (
                            SELECT 1 FROM reserved_amounts r
                            WHERE r.network = \(option.network) AND r.token_address = \(option.tokenAddress) AND r.pay_to = \(option.payTo)
                              AND r.amount = c.amount::numeric)
                        ORDER BY c.ord LIMIT 1
                        ON CONFLICT DO NOTHING
                        RETURNING amount
                        """, logger: logger)
                    if try await !rows.decode(UInt256.self).all().isEmpty { break }
                }
            }
        }
    }

    /// One outbox row per event, carrying the session as it stands after the change.
    func writeEvents(_ events: [(PaymentSession, [SessionEventType])], on connection: PostgresConnection) async throws {
        var types: [String] = []
        var payloads: [String] = []
        var merchants: [String] = []
        var modes: [Bool] = []
        for (session, emitted) in events where !emitted.isEmpty {
            let payload = WebhookEnvelope.payload(object: json(session))
            for event in emitted {
                types.append(event.rawValue)
                payloads.append(payload)
                merchants.append(session.merchantId)
                modes.append(session.livemode)
            }
        }
        guard !types.isEmpty else { return }
        try await connection.query(
            """
            INSERT INTO outbox_events (type, payload, merchant_id, livemode)
            SELECT u.type, u.payload::jsonb, u.merchant_id, u.livemode
            FROM unnest(\(types)::text[], \(payloads)::text[], \(merchants)::text[], \(modes)::boolean[]) WITH ORDINALITY
                 AS u(type, payload, merchant_id, livemode, ord)
            ORDER BY u.ord
            """, logger: logger)
    }

    /// The database's clock at the start of the current transaction, which every decision in
    /// that transaction uses.
    func now(on connection: PostgresConnection) async throws -> Timestamp {
        let rows = try await connection.query("SELECT now()", logger: logger)
        for try await now in rows.decode(Timestamp.self) { return now }
        throw StoreError.corruptRow(table: "now()", reason: "no row")
    }
}
