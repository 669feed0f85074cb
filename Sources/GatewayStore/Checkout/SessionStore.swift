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
    /// races), and writes the session, its held amounts and options, `payment.created` and, when
    /// the request carried an idempotency key, the response to replay, in one statement (so one
    /// round trip and one implicit transaction: all of it or none). The first attempt draws its
    /// offset without reading what is taken (most prices have few open sessions); when one of
    /// its amounts is held already, the statement fails on the held amounts' key, writes
    /// nothing, and each later attempt first reads the amounts taken near the price. The
    /// answer is built from the values written, not read back: the session, and its JSON as the
    /// statement stored it (the response to replay and the event's object), which the API sends
    /// as it is, so the JSON is built once.
    public func create(
        merchantId: String, livemode: Bool, plan: SessionPlan, idempotency: IdempotencyStore.Response? = nil
    ) async throws -> (session: PaymentSession, json: String) {
        let id = ObjectID.make("ps")
        let clientSecret = ObjectID.make("cs")
        // Another creation may take the offset picked between the read and the insert; the
        // held amounts' primary key refuses the second, which then picks again.
        for attempt in 0..<Self.offsetAttempts {
            do {
                let offset: UInt64
                if attempt == 0 {
                    offset = try pickOffset(plan: plan, taken: nil)
                } else {
                    offset = try await pickOffsetReadingTaken(plan: plan)
                }
                return try await insert(
                    id: id, merchantId: merchantId, livemode: livemode, plan: plan, offset: offset, clientSecret: clientSecret,
                    idempotency: idempotency)
            } catch is OffsetTaken {
                continue
            }
        }
        throw amountsExhausted
    }

    static let offsetAttempts = 5

    /// `to_char`'s pattern for ``Timestamp/rfc3339`` (it truncates to the second, as the
    /// timestamps' decoding does).
    public static let rfc3339Format = #"YYYY-MM-DD"T"HH24:MI:SS"Z""#

    /// Another creation held one of the amounts first.
    struct OffsetTaken: Error {}

    var amountsExhausted: RequestError {
        RequestError(
            .conflict, code: "amounts_exhausted",
            "every amount due near this price is taken by open sessions to the same address; try again later or change the amount slightly")
    }

    /// The amount due is `price + offset` in the session's scale for every option: a free offset
    /// drawn at random among those not `taken`, or, without what is taken, drawn blind.
    func pickOffset(plan: SessionPlan, taken: Set<UInt256>?) throws -> UInt64 {
        let allocator = AmountDueAllocator()
        var generator = SystemRandomNumberGenerator()
        guard let taken else { return UInt64.random(in: 1...allocator.maxOffset, using: &generator) }
        if let offset = allocator.offset(price: plan.priceUnits, taken: taken, using: &generator) { return offset }
        throw amountsExhausted
    }

    /// A free offset after one read of the amounts held near the price, for every option at once.
    func pickOffsetReadingTaken(plan: SessionPlan) async throws -> UInt64 {
        let allocator = AmountDueAllocator()
        let options = plan.options
        let rows = try await client.query(
            """
            SELECT u.i, r.amount
            FROM unnest(\(options.map(\.network))::text[], \(options.map(\.tokenAddress))::text[], \(options.map(\.payTo))::text[],
                        \(options.map { $0.amountDue(priceUnits: plan.priceUnits, offset: 1).decimalString })::text[],
                        \(options.map { $0.amountDue(priceUnits: plan.priceUnits, offset: allocator.maxOffset).decimalString })::text[])
                 WITH ORDINALITY AS u(network, token_address, pay_to, low, high, i)
            JOIN reserved_amounts r ON r.network = u.network AND r.token_address = u.token_address AND r.pay_to = u.pay_to
                 AND r.amount BETWEEN u.low::numeric AND u.high::numeric
            """, logger: logger)
        var taken = Set<UInt256>()
        // Back to the session's scale: the price plus the offset taken.
        for try await (position, due) in rows.decode((Int, UInt256).self) where (1...options.count).contains(position) {
            taken.insert(options[position - 1].scale.toSession(due))
        }
        return try pickOffset(plan: plan, taken: taken)
    }

    /// One statement: the session, the amounts it holds, its options, its `payment.created`
    /// event and the response to replay. The session's JSON is built here with a random token
    /// in place of each of its two times, which the statement replaces with the times it
    /// stored, printed as the API prints them; the session returned carries the same times, so
    /// the answer equals the stored response byte for byte. Throws ``OffsetTaken`` when
    /// another session holds one of the amounts (the statement then wrote nothing).
    func insert(
        id: String, merchantId: String, livemode: Bool, plan: SessionPlan, offset: UInt64, clientSecret: String,
        idempotency: IdempotencyStore.Response?
    ) async throws -> (session: PaymentSession, json: String) {
        let options = plan.options
        let amounts = options.map { $0.amountDue(priceUnits: plan.priceUnits, offset: offset).decimalString }
        let metadataJSON = JSONValue.object(
            JSONObject(members: plan.metadata.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: .string($0.value)) })
        ).serialized
        let created = "@created-\(ObjectID.make("t"))@"
        let expires = "@expires-\(ObjectID.make("t"))@"
        // The tokens with their quotes: the statement replaces these whole JSON strings.
        let createdToken = JSONValue.string(created).serialized
        let expiresToken = JSONValue.string(expires).serialized
        let drafted = plan.session(
            id: id, merchantId: merchantId, livemode: livemode, offset: offset, clientSecret: clientSecret,
            createdAt: Timestamp(unixSeconds: 0), expiresAt: Timestamp(unixSeconds: 0))
        guard case .object(var object) = json(drafted) else { preconditionFailure("a session's JSON is an object") }
        object.replace("created_at", with: .string(created))
        object.replace("expires_at", with: .string(expires))
        let template = JSONValue.object(object).serialized
        let payloadTemplate = WebhookEnvelope.payload(serializedObject: template)
        do {
            let rows = try await client.query(
                """
                WITH session AS (
                    INSERT INTO payment_sessions (id, merchant_id, livemode, amount, currency, scale, price_units, offset_units,
                        description, metadata, success_url, cancel_url, client_secret, expires_at)
                    VALUES (\(id), \(merchantId), \(livemode), \(plan.amount), \(plan.currency), \(plan.scale), \(plan.priceUnits),
                        \(Int64(offset)), \(plan.description), \(metadataJSON)::jsonb, \(plan.successURL), \(plan.cancelURL),
                        \(clientSecret), now() + make_interval(secs => \(plan.expiresIn)))
                    RETURNING created_at, expires_at
                ), held AS (
                    INSERT INTO reserved_amounts (network, token_address, pay_to, amount, session_id, kind)
                    SELECT u.network, u.token_address, u.pay_to, u.amount::numeric, \(id), 'amount_due'
                    FROM unnest(\(options.map(\.network))::text[], \(options.map(\.tokenAddress))::text[],
                                \(options.map(\.payTo))::text[], \(amounts)::text[]) AS u(network, token_address, pay_to, amount)
                    RETURNING 1
                ), stored_options AS (
                    INSERT INTO session_options (session_id, position, network, chain_id, token, token_address, decimals, pay_to,
                        amount_due, confirmations)
                    SELECT \(id), u.position, u.network, u.chain_id, u.token, u.token_address, u.decimals, u.pay_to,
                        u.amount_due::numeric, u.confirmations
                    FROM unnest(\(options.indices.map { Int32($0) })::int[], \(options.map(\.network))::text[],
                                \(options.map { Int64(clamping: $0.chainId) })::bigint[], \(options.map(\.token))::text[],
                                \(options.map(\.tokenAddress))::text[], \(options.map { Int32($0.decimals) })::int[],
                                \(options.map(\.payTo))::text[], \(amounts)::text[], \(options.map { Int32($0.confirmations) })::int[])
                         AS u(position, network, chain_id, token, token_address, decimals, pay_to, amount_due, confirmations)
                ), times AS (
                    SELECT created_at, expires_at,
                        '"' || to_char(created_at AT TIME ZONE 'UTC', \(Self.rfc3339Format)) || '"' AS created_text,
                        '"' || to_char(expires_at AT TIME ZONE 'UTC', \(Self.rfc3339Format)) || '"' AS expires_text
                    FROM session
                ), answer AS (
                    SELECT created_at, expires_at,
                        replace(replace(\(template), \(createdToken), created_text), \(expiresToken), expires_text) AS text,
                        replace(replace(\(payloadTemplate), \(createdToken), created_text), \(expiresToken), expires_text) AS payload
                    FROM times
                ), event AS (
                    INSERT INTO outbox_events (type, payload, merchant_id, livemode)
                    SELECT \(SessionEventType.created.rawValue), payload::jsonb, \(merchantId), \(livemode)
                    FROM answer
                ), replay AS (
                    UPDATE idempotency_keys SET status = 201, body = convert_to(answer.text, 'UTF8') FROM answer
                    WHERE \(idempotency != nil) AND api_key_id = \(idempotency?.apiKeyId) AND key = \(idempotency?.key)
                )
                SELECT created_at, expires_at, text, (SELECT count(*) FROM held) FROM answer
                """, logger: logger)
            for try await (createdAt, expiresAt, text, held) in rows.decode((Timestamp, Timestamp, String, Int).self) {
                guard held == options.count else {
                    throw StoreError.corruptRow(table: "reserved_amounts", reason: "\(id) holds \(held) of \(options.count) amounts")
                }
                let session = plan.session(
                    id: id, merchantId: merchantId, livemode: livemode, offset: offset, clientSecret: clientSecret,
                    createdAt: createdAt, expiresAt: expiresAt)
                return (session, text)
            }
        } catch let error as PSQLError
            where error.serverInfo?[.sqlState] == "23505" && error.serverInfo?[.constraintName] == "reserved_amounts_pkey"
        {
            throw OffsetTaken()
        }
        throw StoreError.corruptRow(table: "payment_sessions", reason: "\(id) was not inserted")
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
        var rows: [OutboxRow] = []
        for (session, emitted) in events where !emitted.isEmpty {
            let payload = WebhookEnvelope.payload(object: json(session))
            rows += emitted.map {
                OutboxRow(type: $0.rawValue, payload: payload, merchantId: session.merchantId, livemode: session.livemode)
            }
        }
        try await Outbox.insert(rows, on: connection, logger: logger)
    }

    /// The database's clock at the start of the current transaction, which every decision in
    /// that transaction uses.
    func now(on connection: PostgresConnection) async throws -> Timestamp {
        let rows = try await connection.query("SELECT now()", logger: logger)
        for try await now in rows.decode(Timestamp.self) { return now }
        throw StoreError.corruptRow(table: "now()", reason: "no row")
    }
}
