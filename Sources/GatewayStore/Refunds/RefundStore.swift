import EthereumCore
import GatewayDomain
import Logging
import PostgresNIO

/// The right to write for one hot wallet's refund sender: the epoch of the lease it took.
/// Writes under an older epoch are refused.
public struct RefundSenderLease: Sendable, Hashable {
    public let network: String
    public let wallet: Address
    public let epoch: Int64

    public init(network: String, wallet: Address, epoch: Int64) {
        self.network = network
        self.wallet = wallet
        self.epoch = epoch
    }
}

/// Refunds on Postgres: creation with the session's cumulative cap enforced in the inserting
/// transaction, reads and lists scoped by merchant and mode, and what merchants, admins and
/// customers do to a refund. Every change is written with its outbox events; every decision is
/// ``RefundPlan``'s, ``RefundState``'s or ``PaymentSessionState``'s.
public struct RefundStore: Sendable {
    public let client: PostgresClient
    public let sessions: SessionStore
    /// The operator's limits, checked at creation (per refund, per merchant per day) and by
    /// the sender (per wallet per day).
    public let limits: RefundLimits
    /// The hot wallet that signs each network's refunds, where one runs.
    public let hotWallets: [String: Address]
    /// When set, every write transaction first checks that this lease is still the wallet's
    /// newest (``fenced(by:)``): the refund sender's store.
    public let lease: RefundSenderLease?
    let logger: Logger

    public init(
        client: PostgresClient, sessions: SessionStore, limits: RefundLimits, hotWallets: [String: Address],
        lease: RefundSenderLease? = nil, logger: Logger = Logger(label: "gateway.refunds")
    ) {
        self.client = client
        self.sessions = sessions
        self.limits = limits
        self.hotWallets = hotWallets
        self.lease = lease
        self.logger = logger
    }

    /// The same store, writing only while `lease` is its wallet's newest.
    public func fenced(by lease: RefundSenderLease) -> RefundStore {
        RefundStore(client: client, sessions: sessions, limits: limits, hotWallets: hotWallets, lease: lease, logger: logger)
    }

    public var publicBaseURL: String { sessions.publicBaseURL }

    /// The API's JSON of a refund.
    public func json(_ refund: Refund) -> JSONValue { ResourceJSON.refund(refund, publicBaseURL: publicBaseURL) }

    /// A transaction; on a fenced store, one that goes on only while the lease is the newest.
    public func transaction<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await withTransaction(client: client, logger: logger) { connection in
            try await checkLease(on: connection)
            return try await body(connection)
        }
    }

    // MARK: The sender's lease

    /// Takes the wallet's refund-sender lease for `holder`: a new epoch, which fences every
    /// earlier holder (this process's abandoned calls included) out of the store's writes. It
    /// waits for any write transaction still holding the old epoch to end. Call it while
    /// holding the wallet's advisory lock.
    public func acquireSenderLease(network: String, wallet: Address, holder: String) async throws -> RefundSenderLease {
        let rows = try await client.query(
            """
            INSERT INTO refund_sender_leases AS l (network, address, epoch, holder) VALUES (\(network), \(wallet.lowercased), 1, \(holder))
            ON CONFLICT (network, address) DO UPDATE SET epoch = l.epoch + 1, holder = EXCLUDED.holder, acquired_at = now()
            RETURNING epoch
            """, logger: logger)
        guard let epoch = try await rows.decode(Int64.self).all().first else {
            throw StoreError.corruptRow(table: "refund_sender_leases", reason: "no epoch for \(wallet.lowercased) on \(network)")
        }
        return RefundSenderLease(network: network, wallet: wallet, epoch: epoch)
    }

    /// In a write transaction: refuses to go on unless this store's lease is the newest. The
    /// row stays share-locked until the transaction ends, so a new lease waits for it.
    func checkLease(on connection: PostgresConnection) async throws {
        guard let lease else { return }
        let rows = try await connection.query(
            "SELECT epoch FROM refund_sender_leases WHERE network = \(lease.network) AND address = \(lease.wallet.lowercased) FOR SHARE",
            logger: logger)
        let current = try await rows.decode(Int64.self).all().first
        guard current == lease.epoch else {
            throw StoreError.refundLeaseLost(network: lease.network, wallet: lease.wallet.lowercased, epoch: lease.epoch, current: current)
        }
    }

    // MARK: Creating

    /// Creates a refund of a session of the merchant. The merchant's row and the session's are
    /// locked first (in that order, the same for every creator), so that two concurrent refunds
    /// can pass neither the session's refundable amount nor the merchant's daily limit. When the
    /// request carried an idempotency key, the response to replay is stored in the same
    /// transaction.
    public func create(
        merchantId: String, livemode: Bool, request: NewRefundRequest, idempotency: IdempotencyStore.Response? = nil
    ) async throws -> Refund {
        guard ObjectID.isWellFormed(request.paymentSession, prefix: "ps") else {
            throw RequestError(
                .notFound, code: "resource_missing", param: "payment_session", "no payment session \(request.paymentSession.prefix(80))")
        }
        return try await transaction { connection in
            _ = try await connection.query("SELECT 1 FROM merchants WHERE id = \(merchantId) FOR UPDATE", logger: logger)
                .decode(Int32.self).all()
            guard let session = try await sessions.load(ids: [request.paymentSession], lock: true, on: connection).first,
                session.merchantId == merchantId, session.livemode == livemode
            else {
                throw RequestError(
                    .notFound, code: "resource_missing", param: "payment_session", "no payment session \(request.paymentSession)")
            }
            let existing = try await refunds(sessionId: session.id, on: connection)
            let recent = try await merchantRecentTotal(merchantId: merchantId, on: connection)
            let plan = try RefundPlan.plan(
                request, session: session, refunds: existing, limits: limits, merchantRecent: recent, hotWallets: hotWallets)
            let state = RefundState.new(
                approvalRequired: plan.approvalRequired, destination: plan.destination,
                walletAvailable: hotWallets[plan.asset.network] != nil)
            let id = ObjectID.make("re")
            let secret = ObjectID.secret("rcs", length: 32)
            let metadataJSON = JSONValue.object(
                JSONObject(members: plan.metadata.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: .string($0.value)) })
            ).serialized
            let asset = plan.asset
            try await connection.query(
                """
                INSERT INTO refunds (id, merchant_id, livemode, session_id, network, chain_id, token, token_address, decimals, pay_to, amount,
                    destination, destination_source, reason, metadata, status, status_reason, approval_required, client_secret)
                VALUES (\(id), \(merchantId), \(livemode), \(session.id), \(asset.network), \(Int64(clamping: asset.chainId)), \(asset.token),
                    \(asset.tokenAddress), \(Int32(asset.decimals)), \(asset.payTo), \(plan.amount), \(plan.destination),
                    \(plan.destinationSource.rawValue), \(plan.reason?.rawValue), \(metadataJSON)::jsonb, \(state.status.rawValue),
                    \(state.reason.rawValue), \(plan.approvalRequired), \(secret))
                """, logger: logger)
            guard let refund = try await load(id: id, on: connection) else {
                throw StoreError.corruptRow(table: "refunds", reason: "\(id) vanished")
            }
            try await writeEvents([(refund, [.created])], on: connection)
            try await idempotency?.store(status: 201, body: Array(json(refund).serialized.utf8), on: connection, logger: logger)
            return refund
        }
    }

    /// The merchant's refunds of the last 24 hours that are not failed or canceled, in units.
    func merchantRecentTotal(merchantId: String, on connection: PostgresConnection) async throws -> UnitAmount {
        let rows = try await connection.query(
            """
            SELECT amount, decimals FROM refunds
            WHERE merchant_id = \(merchantId) AND created_at > now() - interval '24 hours' AND status NOT IN ('failed', 'canceled')
            """, logger: logger)
        return try await Self.total(rows)
    }

    static func total(_ rows: PostgresRowSequence) async throws -> UnitAmount {
        var total = UnitAmount.zero
        for try await (amount, decimals) in rows.decode((UInt256, Int32).self) {
            total = total + UnitAmount(baseUnits: amount, decimals: Int(decimals))
        }
        return total
    }

    // MARK: Reading

    func load(id: String, lock: Bool = false, on connection: PostgresConnection) async throws -> Refund? {
        let rows = try await connection.query(
            "SELECT \(unescaped: RefundRows.columns) FROM refunds r WHERE r.id = \(id) \(unescaped: lock ? "FOR UPDATE" : "")",
            logger: logger)
        return try await RefundRows.decode(rows).first
    }

    func refunds(sessionId: String, on connection: PostgresConnection) async throws -> [Refund] {
        let rows = try await connection.query(
            "SELECT \(unescaped: RefundRows.columns) FROM refunds r WHERE r.session_id = \(sessionId) ORDER BY r.seq", logger: logger)
        return try await RefundRows.decode(rows)
    }

    /// One refund of the merchant, in the key's mode.
    public func refund(merchantId: String, livemode: Bool, id: String) async throws -> Refund? {
        guard ObjectID.isWellFormed(id, prefix: "re") else { return nil }
        return try await client.withConnection { connection in
            try await load(id: id, on: connection).flatMap { $0.merchantId == merchantId && $0.livemode == livemode ? $0 : nil }
        }
    }

    /// A refund by id alone, for the customer's page (whose link is the capability), with its
    /// merchant's name.
    public func publicRefund(id: String) async throws -> (Refund, merchantName: String)? {
        guard ObjectID.isWellFormed(id, prefix: "re") else { return nil }
        let rows = try await client.query(
            "SELECT \(unescaped: RefundRows.columns), m.name FROM refunds r JOIN merchants m ON m.id = r.merchant_id WHERE r.id = \(id)",
            logger: logger)
        for try await row in rows {
            return (try RefundRows.decode(row), try row.makeRandomAccess()["name"].decode(String.self))
        }
        return nil
    }

    public struct Filter: Sendable {
        public var limit = 20
        public var startingAfter: String?
        public var endingBefore: String?
        public var sessionId: String?
        public var status: RefundStatus?

        public init() {}
    }

    /// A page of the merchant's refunds, newest first, and whether more follow.
    public func list(merchantId: String, livemode: Bool, filter: Filter) async throws -> ([Refund], hasMore: Bool) {
        try await client.withConnection { connection in
            func seq(of id: String?, param: String) async throws -> Int64? {
                guard let id else { return nil }
                let rows = try await connection.query(
                    "SELECT seq FROM refunds WHERE id = \(id) AND merchant_id = \(merchantId) AND livemode = \(livemode)", logger: logger)
                guard let value = try await rows.decode(Int64.self).all().first else {
                    throw RequestError(.notFound, code: "resource_missing", param: param, "no refund \(id)")
                }
                return value
            }
            let after = try await seq(of: filter.startingAfter, param: "starting_after")
            let before = try await seq(of: filter.endingBefore, param: "ending_before")
            let status = filter.status?.rawValue
            let backwards = before != nil && after == nil
            let rows = try await connection.query(
                """
                SELECT \(unescaped: RefundRows.columns) FROM refunds r
                WHERE r.merchant_id = \(merchantId) AND r.livemode = \(livemode)
                  AND (\(after)::bigint IS NULL OR r.seq < \(after))
                  AND (\(before)::bigint IS NULL OR r.seq > \(before))
                  AND (\(filter.sessionId)::text IS NULL OR r.session_id = \(filter.sessionId))
                  AND (\(status)::text IS NULL OR r.status = \(status))
                ORDER BY r.seq \(unescaped: backwards ? "ASC" : "DESC") LIMIT \(filter.limit + 1)
                """, logger: logger)
            var refunds = try await RefundRows.decode(rows)
            let hasMore = refunds.count > filter.limit
            refunds = Array(refunds.prefix(filter.limit))
            if backwards { refunds.reverse() }
            return (refunds, hasMore)
        }
    }

    // MARK: Changing

    /// Locks one refund of the merchant (in the key's mode), or throws a 404 that names it.
    func lockOwned(id: String, merchantId: String, livemode: Bool, on connection: PostgresConnection) async throws -> Refund {
        guard ObjectID.isWellFormed(id, prefix: "re"), let refund = try await load(id: id, lock: true, on: connection),
            refund.merchantId == merchantId, refund.livemode == livemode
        else { throw RequestError(.notFound, code: "resource_missing", param: "id", "no refund \(id)") }
        return refund
    }

    /// Cancels a refund that nothing was signed for.
    public func cancel(merchantId: String, livemode: Bool, id: String) async throws -> Refund {
        try await change(merchantId: merchantId, livemode: livemode, id: id, code: "refund_not_cancelable") { _ in .cancel }
    }

    /// Approves a refund that waits for approval.
    public func approve(merchantId: String, livemode: Bool, id: String) async throws -> Refund {
        try await change(merchantId: merchantId, livemode: livemode, id: id, code: "refund_not_awaiting_approval") { refund in
            .approve(walletAvailable: hotWallets[refund.asset.network] != nil)
        }
    }

    private func change(
        merchantId: String, livemode: Bool, id: String, code: String, _ input: @Sendable (Refund) -> RefundInput
    ) async throws -> Refund {
        try await transaction { connection in
            let refund = try await lockOwned(id: id, merchantId: merchantId, livemode: livemode, on: connection)
            return try await apply(input(refund), to: refund, conflictCode: code, on: connection)
        }
    }

    /// Applies an input to a locked refund and saves it with its events; a refused input is a 409.
    func apply(_ input: RefundInput, to refund: Refund, conflictCode: String, on connection: PostgresConnection) async throws -> Refund {
        var state = refund.state
        let events: [RefundEventType]
        do throws(RefundTransitionError) {
            events = try state.apply(input)
        } catch {
            throw RequestError(.conflict, code: conflictCode, error.description)
        }
        let changed = refund.applying(state, now: try await sessions.now(on: connection))
        try await save(changed, events: events, on: connection)
        return changed
    }

    /// The destination the customer confirmed on the refund page, checked like every address.
    public func setDestination(id: String, clientSecret: String, destination text: String) async throws -> Refund {
        try await transaction { connection in
            guard ObjectID.isWellFormed(id, prefix: "re"), let refund = try await load(id: id, lock: true, on: connection),
                APIKeySecret.constantTimeEqual(Array(refund.clientSecret.utf8), Array(clientSecret.utf8))
            else { throw RequestError(.notFound, code: "resource_missing", "no refund \(id) with that secret") }
            guard refund.destinationSource == .customer else {
                throw RequestError(
                    .conflict, code: "destination_already_set", param: "destination", "this refund already has a destination")
            }
            let address = try RefundDestination.parse(
                text, asset: refund.asset, hotWallet: hotWallets[refund.asset.network], param: "destination")
            return try await apply(
                .setDestination(address, walletAvailable: hotWallets[refund.asset.network] != nil), to: refund,
                conflictCode: "destination_already_set", on: connection)
        }
    }

    /// Writes a refund's changed columns and its events, in the caller's transaction.
    func save(_ refund: Refund, events: [RefundEventType], on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            UPDATE refunds SET destination = \(refund.destination), status = \(refund.status.rawValue),
                status_reason = \(refund.statusReason.rawValue), approved_at = \(refund.approvedAt), hot_wallet = \(refund.hotWallet),
                nonce = \(refund.nonce.map { Int64(clamping: $0) }), tx_hash = \(refund.txHash), succeeded_at = \(refund.succeededAt),
                updated_at = now()
            WHERE id = \(refund.id)
            """, logger: logger)
        try await writeEvents([(refund, events)], on: connection)
    }

    /// One outbox row per event, carrying the refund as it stands after the change.
    func writeEvents(_ events: [(Refund, [RefundEventType])], on connection: PostgresConnection) async throws {
        var rows: [OutboxRow] = []
        for (refund, emitted) in events where !emitted.isEmpty {
            let payload = WebhookEnvelope.payload(object: json(refund))
            rows += emitted.map {
                OutboxRow(type: $0.rawValue, payload: payload, merchantId: refund.merchantId, livemode: refund.livemode)
            }
        }
        try await Outbox.insert(rows, on: connection, logger: logger)
    }
}
