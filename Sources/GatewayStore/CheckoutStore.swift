import ChainMonitor
import Crypto
import EthereumCore
import Foundation
import GatewayDomain
import Logging
import PostgresNIO

/// The checkout API's data on Postgres: merchants, API keys, payment sessions and their
/// payments. Every change of a session and the outbox events that announce it are written in
/// one transaction. Reads and writes are scoped by merchant and mode by the caller's key.
public struct CheckoutStore: Sendable {
    public let client: PostgresClient
    /// The networks the gateway runs (receiving addresses are per merchant).
    public let networks: [PayableNetwork]
    /// The gateway's public base URL, for `checkout_url` (no trailing slash).
    public let publicBaseURL: String
    /// How long options stay reserved, and later transfers matched, after a session ends.
    public let lateWindowSeconds: Int
    let logger: Logger

    public init(
        client: PostgresClient, networks: [PayableNetwork], publicBaseURL: String, lateWindowSeconds: Int = 86_400,
        logger: Logger = Logger(label: "gateway.checkout")
    ) {
        self.client = client
        self.networks = networks
        self.publicBaseURL = publicBaseURL.hasSuffix("/") ? String(publicBaseURL.dropLast()) : publicBaseURL
        self.lateWindowSeconds = lateWindowSeconds
        self.logger = logger
    }

    func network(_ name: String) -> PayableNetwork? { networks.first { $0.name == name } }

    public func token(network name: String, address: Address) -> (symbol: String, decimals: Int)? {
        guard let token = network(name)?.tokens.first(where: { $0.address == address }) else { return nil }
        return (token.symbol, token.decimals)
    }

    // MARK: Merchants

    /// Creates a merchant with its receiving addresses and watches them.
    public func createMerchant(name: String, addresses: [ReceiveAddress]) async throws -> MerchantRecord {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard (1...200).contains(name.count) else {
            throw RequestError(code: "name_invalid", param: "name", "a merchant's name is 1 to 200 characters")
        }
        var seen = Set<String>()
        for address in addresses {
            guard network(address.network) != nil else {
                throw RequestError(
                    code: "network_invalid", param: "receive_address",
                    "'\(address.network)' is not a configured network; use one of \(networks.map(\.name).sorted().joined(separator: ", "))")
            }
            guard seen.insert(address.network).inserted else {
                throw RequestError(code: "receive_address_invalid", param: "receive_address", "give one receiving address per network; \(address.network) appears twice")
            }
        }
        let id = ObjectID.make("mer")
        do {
            try await transaction { connection in
                try await connection.query("INSERT INTO merchants (id, name) VALUES (\(id), \(name))", logger: logger)
                for address in addresses {
                    try await connection.query(
                        "INSERT INTO merchant_addresses (merchant_id, network, address) VALUES (\(id), \(address.network), \(address.address.lowercased))",
                        logger: logger)
                    if let watch = PostgresMonitorStore.addWatchedQuery(network: address.network, addresses: [address.address]) {
                        try await connection.query(watch, logger: logger)
                    }
                }
            }
        } catch where databaseErrorCode(error) == "23505" {
            throw RequestError(.conflict, code: "receive_address_taken", param: "receive_address", "that receiving address already belongs to another merchant on that network")
        }
        guard let merchant = try await merchant(id: id) else { throw StoreError.corruptRow(table: "merchants", reason: "\(id) vanished") }
        return merchant
    }

    public func merchant(id: String) async throws -> MerchantRecord? {
        let rows = try await client.query(
            "SELECT name, floor(extract(epoch FROM created_at))::bigint FROM merchants WHERE id = \(id)", logger: logger)
        guard let (name, created) = try await rows.decode((String, Int64).self).all().first else { return nil }
        let addressRows = try await client.query(
            "SELECT network, address FROM merchant_addresses WHERE merchant_id = \(id) ORDER BY network", logger: logger)
        var addresses: [ReceiveAddress] = []
        for try await (network, address) in addressRows.decode((String, String).self) {
            addresses.append(ReceiveAddress(network: network, address: try PostgresMonitorStore.address(address, table: "merchant_addresses")))
        }
        return MerchantRecord(id: id, name: name, addresses: addresses, createdAt: Timestamp(unixSeconds: created))
    }

    /// The networks a merchant can be paid on, with its address on each.
    public func payableNetworks(merchant: MerchantRecord) -> [PayableNetwork] {
        networks.map { network in
            PayableNetwork(
                name: network.name, chainId: network.chainId, livemode: network.livemode, confirmations: network.confirmations,
                tokens: network.tokens, payTo: merchant.addresses.first { $0.network == network.name }?.address)
        }
    }

    // MARK: API keys

    /// Creates a key; the secret is returned once and only its SHA-256 is stored.
    public func createApiKey(merchantId: String, mode: ApiMode, scopes: [ApiScope], description: String?) async throws -> (ApiKeyRecord, String) {
        if let description, description.count > 500 {
            throw RequestError(code: "description_invalid", param: "description", "description is at most 500 characters")
        }
        let secret = ApiKeySecret(mode: mode)
        let id = ObjectID.make("key")
        let hash = Data(SHA256.hash(data: Data(secret.secret.utf8)))
        let scopeNames = scopes.map(\.rawValue)
        try await client.query(
            """
            INSERT INTO api_keys (id, merchant_id, prefix, secret_sha256, livemode, scopes, description)
            VALUES (\(id), \(merchantId), \(secret.prefix), \(hash), \(mode.livemode), \(scopeNames)::text[], \(description))
            """, logger: logger)
        guard let key = try await apiKeys(merchantId: merchantId, id: id).first else {
            throw StoreError.corruptRow(table: "api_keys", reason: "\(id) vanished")
        }
        return (key, secret.secret)
    }

    /// The key a request presents, if it exists and is not revoked: looked up by its prefix,
    /// then its SHA-256 compared in constant time.
    public func authenticate(_ presented: String) async throws -> ApiKeyRecord? {
        guard let prefix = ApiKeySecret.prefix(of: presented) else { return nil }
        let digest = Array(SHA256.hash(data: Data(presented.utf8)))
        let rows = try await client.query(
            """
            SELECT secret_sha256, \(unescaped: Self.apiKeyColumns) FROM api_keys WHERE prefix = \(prefix) AND revoked_at IS NULL
            """, logger: logger)
        var match: ApiKeyRecord?
        for try await row in rows {
            let cells = row.makeRandomAccess()
            if Self.constantTimeEqual(Array(try cells[0].decode(Data.self)), digest) { match = try Self.decodeApiKey(cells, from: 1) }
        }
        guard let key = match else { return nil }
        try await client.query(
            """
            UPDATE api_keys SET last_used_at = now()
            WHERE id = \(key.id) AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
            """, logger: logger)
        return key
    }

    static let apiKeyColumns = """
        id, merchant_id, prefix, livemode, scopes, description, floor(extract(epoch FROM created_at))::bigint,
        floor(extract(epoch FROM last_used_at))::bigint, floor(extract(epoch FROM revoked_at))::bigint
        """

    static func decodeApiKey(_ cells: PostgresRandomAccessRow, from first: Int) throws -> ApiKeyRecord {
        ApiKeyRecord(
            id: try cells[first].decode(String.self), merchantId: try cells[first + 1].decode(String.self),
            prefix: try cells[first + 2].decode(String.self), livemode: try cells[first + 3].decode(Bool.self),
            scopes: try cells[first + 4].decode([String].self).compactMap(ApiScope.init(rawValue:)).sorted(),
            description: try cells[first + 5].decode(String?.self), createdAt: Timestamp(unixSeconds: try cells[first + 6].decode(Int64.self)),
            lastUsedAt: try cells[first + 7].decode(Int64?.self).map(Timestamp.init(unixSeconds:)),
            revokedAt: try cells[first + 8].decode(Int64?.self).map(Timestamp.init(unixSeconds:)))
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// A merchant's keys, newest first (or the one with `id`).
    public func apiKeys(merchantId: String, id: String? = nil) async throws -> [ApiKeyRecord] {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.apiKeyColumns)
            FROM api_keys WHERE merchant_id = \(merchantId) AND (\(id)::text IS NULL OR id = \(id))
            ORDER BY created_at DESC, id DESC
            """, logger: logger)
        var out: [ApiKeyRecord] = []
        for try await row in rows { out.append(try Self.decodeApiKey(row.makeRandomAccess(), from: 0)) }
        return out
    }

    /// Revokes a key of the merchant; nil when it has no such key.
    public func revokeApiKey(merchantId: String, id: String) async throws -> ApiKeyRecord? {
        try await client.query(
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = \(id) AND merchant_id = \(merchantId)", logger: logger)
        return try await apiKeys(merchantId: merchantId, id: id).first
    }

    // MARK: Sessions

    /// Stores a planned session: picks one offset free in every option (the partial unique
    /// index decides races), and writes `payment.created`, all in one transaction.
    public func createSession(merchantId: String, livemode: Bool, plan: SessionPlan) async throws -> SessionRecord {
        let id = ObjectID.make("ps")
        let clientSecret = ObjectID.make("cs")
        let metadataJSON = JSONValue.object(JSONObject(members: plan.metadata.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: .string($0.value)) })).serialized
        return try await transaction { connection in
            try await connection.query(
                """
                INSERT INTO payment_sessions (id, merchant_id, livemode, amount, currency, scale, price_units, offset_units,
                    description, metadata, success_url, cancel_url, client_secret, expires_at)
                VALUES (\(id), \(merchantId), \(livemode), \(plan.amount), \(plan.currency), \(plan.scale), \(plan.priceUnits.decimalString)::numeric, 1,
                    \(plan.description), \(metadataJSON)::jsonb, \(plan.successURL), \(plan.cancelURL), \(clientSecret),
                    now() + make_interval(secs => \(plan.expiresIn)))
                """, logger: logger)
            let offset = try await allocateOffset(sessionId: id, plan: plan, on: connection)
            try await connection.query("UPDATE payment_sessions SET offset_units = \(Int64(offset)) WHERE id = \(id)", logger: logger)
            guard let session = try await loadSessions(ids: [id], on: connection).first else {
                throw StoreError.corruptRow(table: "payment_sessions", reason: "\(id) vanished")
            }
            try await writeEvents([.created], session: session, on: connection)
            return session
        }
    }

    /// The amount due is `price + offset` in the session's scale for every option; tries the
    /// free offsets in random order until all options insert.
    func allocateOffset(sessionId: String, plan: SessionPlan, on connection: PostgresConnection) async throws -> UInt64 {
        let allocator = AmountDueAllocator()
        var taken = Set<UInt256>()
        for option in plan.options {
            let low = option.amountDue(priceUnits: plan.priceUnits, offset: 1)
            let high = option.amountDue(priceUnits: plan.priceUnits, offset: allocator.maxOffset)
            let rows = try await connection.query(
                """
                SELECT amount_due::text FROM session_options
                WHERE reserved AND network = \(option.network) AND token_address = \(option.tokenAddress.lowercased)
                  AND pay_to = \(option.payTo.lowercased) AND amount_due BETWEEN \(low.decimalString)::numeric AND \(high.decimalString)::numeric
                """, logger: logger)
            for try await text in rows.decode(String.self) {
                let due = try PostgresMonitorStore.amount(text, table: "session_options")
                // Back to the session's scale: the price plus the offset taken.
                taken.insert(due / option.factor)
            }
        }
        var generator = SystemRandomNumberGenerator()
        let candidates = allocator.candidates(price: plan.priceUnits, taken: taken, using: &generator)
        for candidate in candidates {
            let offset = (candidate - plan.priceUnits).uint64!
            var positions: [Int32] = []
            var networks: [String] = []
            var chainIds: [Int64] = []
            var tokens: [String] = []
            var tokenAddresses: [String] = []
            var decimals: [Int32] = []
            var payTos: [String] = []
            var amounts: [String] = []
            var confirmations: [Int32] = []
            for (position, option) in plan.options.enumerated() {
                positions.append(Int32(position))
                networks.append(option.network)
                chainIds.append(Int64(option.chainId))
                tokens.append(option.token)
                tokenAddresses.append(option.tokenAddress.lowercased)
                decimals.append(Int32(option.decimals))
                payTos.append(option.payTo.lowercased)
                amounts.append(option.amountDue(priceUnits: plan.priceUnits, offset: offset).decimalString)
                confirmations.append(Int32(option.confirmations))
            }
            let rows = try await connection.query(
                """
                INSERT INTO session_options (session_id, position, network, chain_id, token, token_address, decimals, pay_to, amount_due, confirmations)
                SELECT \(sessionId), u.position, u.network, u.chain_id, u.token, u.token_address, u.decimals, u.pay_to, u.amount_due::numeric, u.confirmations
                FROM unnest(\(positions)::int[], \(networks)::text[], \(chainIds)::bigint[], \(tokens)::text[], \(tokenAddresses)::text[],
                            \(decimals)::int[], \(payTos)::text[], \(amounts)::text[], \(confirmations)::int[])
                     AS u(position, network, chain_id, token, token_address, decimals, pay_to, amount_due, confirmations)
                ON CONFLICT (network, token_address, pay_to, amount_due) WHERE reserved DO NOTHING
                RETURNING position
                """, logger: logger)
            let inserted = try await rows.decode(Int32.self).all().count
            if inserted == plan.options.count { return offset }
            try await connection.query("DELETE FROM session_options WHERE session_id = \(sessionId)", logger: logger)
        }
        throw RequestError(
            .conflict, code: "amounts_exhausted",
            "every amount due near this price is taken by open sessions to the same address; try again later or change the amount slightly")
    }

    /// One session of the merchant, in the key's mode.
    public func session(merchantId: String, livemode: Bool, id: String) async throws -> SessionRecord? {
        guard ObjectID.isWellFormed(id, prefix: "ps") else { return nil }
        return try await client.withConnection { connection in
            try await loadSessions(ids: [id], on: connection).first { $0.merchantId == merchantId && $0.livemode == livemode }
        }
    }

    /// A session by id alone, for the public checkout page (whose id is the capability).
    public func publicSession(id: String) async throws -> (SessionRecord, merchantName: String)? {
        guard ObjectID.isWellFormed(id, prefix: "ps") else { return nil }
        return try await client.withConnection { connection in
            guard let session = try await loadSessions(ids: [id], on: connection).first else { return nil }
            let rows = try await connection.query("SELECT name FROM merchants WHERE id = \(session.merchantId)", logger: logger)
            let name = try await rows.decode(String.self).all().first ?? ""
            return (session, name)
        }
    }

    public struct SessionFilter: Sendable {
        public var limit: Int = 20
        public var startingAfter: String?
        public var endingBefore: String?
        public var status: SessionStatus?
        public var createdGte: Int64?
        public var createdLte: Int64?

        public init() {}
    }

    /// A page of the merchant's sessions, newest first, and whether more follow.
    public func listSessions(merchantId: String, livemode: Bool, filter: SessionFilter) async throws -> ([SessionRecord], hasMore: Bool) {
        try await client.withConnection { connection in
            func seq(of id: String?) async throws -> Int64? {
                guard let id else { return nil }
                let rows = try await connection.query(
                    "SELECT seq FROM payment_sessions WHERE id = \(id) AND merchant_id = \(merchantId) AND livemode = \(livemode)", logger: logger)
                guard let value = try await rows.decode(Int64.self).all().first else {
                    throw RequestError(.notFound, code: "resource_missing", param: filter.startingAfter == id ? "starting_after" : "ending_before", "no payment session \(id)")
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
                SELECT id FROM payment_sessions
                WHERE merchant_id = \(merchantId) AND livemode = \(livemode)
                  AND (\(after)::bigint IS NULL OR seq < \(after))
                  AND (\(before)::bigint IS NULL OR seq > \(before))
                  AND (\(status)::text IS NULL OR status = \(status))
                  AND (\(filter.createdGte)::bigint IS NULL OR created_at >= to_timestamp(\(filter.createdGte)))
                  AND (\(filter.createdLte)::bigint IS NULL OR created_at < to_timestamp(\(filter.createdLte) + 1))
                ORDER BY seq \(unescaped: backwards ? "ASC" : "DESC") LIMIT \(filter.limit + 1)
                """, logger: logger)
            var ids = try await rows.decode(String.self).all()
            let hasMore = ids.count > filter.limit
            ids = Array(ids.prefix(filter.limit))
            if backwards { ids.reverse() }
            let sessions = try await loadSessions(ids: ids, on: connection)
            let order = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
            return (sessions.sorted { order[$0.id]! < order[$1.id]! }, hasMore)
        }
    }

    /// Cancels a pending session without payments.
    public func cancel(merchantId: String, livemode: Bool, id: String) async throws -> SessionRecord {
        try await transaction { connection in
            guard let session = try await lockSession(id: id, merchantId: merchantId, livemode: livemode, on: connection) else {
                throw RequestError(.notFound, code: "resource_missing", param: "id", "no payment session \(id)")
            }
            do {
                return try await apply([.cancel], to: session, on: connection)
            } catch let error as SessionTransitionError {
                throw RequestError(.conflict, code: "session_not_cancelable", error.description)
            }
        }
    }

    /// Binds an unmatched transfer to the session (the merchant's decision).
    public func attach(merchantId: String, livemode: Bool, id: String, txHash: TxHash, logIndex: UInt64) async throws -> SessionRecord {
        try await transaction { connection in
            guard let session = try await lockSession(id: id, merchantId: merchantId, livemode: livemode, on: connection) else {
                throw RequestError(.notFound, code: "resource_missing", param: "id", "no payment session \(id)")
            }
            guard session.status != .canceled else {
                throw RequestError(.conflict, code: "session_canceled", "a canceled session takes no payments")
            }
            let rows = try await connection.query(
                """
                SELECT t.id, t.network, t.token, t.to_address, t.state, p.session_id
                FROM chain_transfers t LEFT JOIN session_payments p ON p.transfer_id = t.id
                WHERE t.tx_hash = \(txHash.hex) AND t.log_index = \(Int32(clamping: logIndex))
                ORDER BY (t.state = 'removed'), t.id DESC
                """, logger: logger)
            let candidates = try await rows.decode((Int64, String, String, String, String, String?).self).all()
            // Only a transfer to this session's options counts: it is to the merchant's own address.
            guard
                let (transferId, _, _, _, state, boundTo) = candidates.first(where: { row in
                    session.options.contains { $0.network == row.1 && $0.tokenAddress.lowercased == row.2 && $0.payTo.lowercased == row.3 }
                })
            else {
                throw RequestError(
                    .notFound, code: "transfer_missing", param: "tx_hash",
                    "no transfer \(txHash.hex) log \(logIndex) to one of this session's payment options has been seen on chain")
            }
            guard state != TransferState.removed.rawValue else {
                throw RequestError(.conflict, code: "transfer_removed", param: "tx_hash", "that transfer left the canonical chain (reorg)")
            }
            guard boundTo == nil else {
                throw RequestError(.conflict, code: "transfer_already_matched", param: "tx_hash", "that transfer already pays \(boundTo == id ? "this" : "another") session")
            }
            return try await bind(transferId: transferId, to: session, matchedBy: .attach, on: connection)
        }
    }

    public enum ClaimResult: String, Sendable {
        /// The transfer is on chain and now pays the session.
        case matched
        /// The monitor has not seen it yet (or it does not pay this session): it binds when it
        /// arrives and passes the checks.
        case pendingVerification = "pending_verification"
    }

    /// Records the transaction hash the customer's wallet reported for the session. It binds
    /// a transfer only when the monitor finds that transaction paying one of the session's
    /// options: the claim alone never counts as payment.
    public func claim(sessionId: String, clientSecret: String, network: String, txHash: TxHash) async throws -> ClaimResult {
        try await transaction { connection in
            let rows = try await connection.query(
                "SELECT client_secret FROM payment_sessions WHERE id = \(sessionId) FOR UPDATE", logger: logger)
            guard let secret = try await rows.decode(String.self).all().first,
                Self.constantTimeEqual(Array(secret.utf8), Array(clientSecret.utf8))
            else {
                throw RequestError(.notFound, code: "resource_missing", "no checkout \(sessionId) with that client secret")
            }
            guard let session = try await loadSessions(ids: [sessionId], on: connection).first else {
                throw RequestError(.notFound, code: "resource_missing", "no checkout \(sessionId)")
            }
            guard session.options.contains(where: { $0.network == network }) else {
                throw RequestError(code: "network_invalid", param: "network", "this session is not paid on \(network)")
            }
            let inserted = try await connection.query(
                """
                INSERT INTO checkout_claims (session_id, network, tx_hash) VALUES (\(sessionId), \(network), \(txHash.hex))
                ON CONFLICT (network, tx_hash) DO NOTHING RETURNING session_id
                """, logger: logger)
            if try await inserted.decode(String.self).all().isEmpty {
                let owner = try await connection.query(
                    "SELECT session_id FROM checkout_claims WHERE network = \(network) AND tx_hash = \(txHash.hex)", logger: logger)
                guard try await owner.decode(String.self).all().first == sessionId else {
                    throw RequestError(.conflict, code: "transaction_claimed", param: "tx_hash", "that transaction was reported for another checkout")
                }
            }
            // Already on chain and unbound: bind it now.
            let transfers = try await connection.query(
                """
                SELECT t.id, t.token, t.to_address FROM chain_transfers t
                WHERE t.network = \(network) AND t.tx_hash = \(txHash.hex) AND t.state <> 'removed'
                  AND NOT EXISTS (SELECT 1 FROM session_payments p WHERE p.transfer_id = t.id)
                ORDER BY t.log_index
                """, logger: logger)
            var current = session
            var matched = session.payments.contains { $0.transfer.transfer.transactionHash == txHash }
            for try await (transferId, token, to) in transfers.decode((Int64, String, String).self)
            where current.options.contains(where: { $0.network == network && $0.tokenAddress.lowercased == token && $0.payTo.lowercased == to }) {
                current = try await bind(transferId: transferId, to: current, matchedBy: .transaction, on: connection)
                matched = true
            }
            return matched ? .matched : .pendingVerification
        }
    }

    // MARK: Transfers

    public struct TransferFilter: Sendable {
        public var limit: Int = 20
        public var startingAfter: Int64?
        public var matched: Bool?

        public init() {}
    }

    /// Transfers to the merchant's addresses on the networks of the key's mode, newest first.
    public func transfers(merchantId: String, livemode: Bool, filter: TransferFilter) async throws -> ([TransferRecord], hasMore: Bool) {
        let modeNetworks = networks.filter { $0.livemode == livemode }.map(\.name)
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.transferColumns), p.session_id
            FROM chain_transfers t
            JOIN merchant_addresses a ON a.network = t.network AND a.address = t.to_address AND a.merchant_id = \(merchantId)
            LEFT JOIN session_payments p ON p.transfer_id = t.id
            LEFT JOIN monitor_checkpoints c ON c.network = t.network
            WHERE t.network = ANY(\(modeNetworks)::text[])
              AND (\(filter.startingAfter)::bigint IS NULL OR t.id < \(filter.startingAfter))
              AND (\(filter.matched)::boolean IS NULL OR (p.transfer_id IS NOT NULL) = \(filter.matched))
              AND (\(filter.matched)::boolean IS DISTINCT FROM false OR t.state <> 'removed')
            ORDER BY t.id DESC LIMIT \(filter.limit + 1)
            """, logger: logger)
        var out: [TransferRecord] = []
        for try await row in rows {
            let cells = row.makeRandomAccess()
            out.append(try Self.decodeTransfer(cells, livemode: livemode, sessionId: try cells[Self.transferColumnCount].decode(String?.self)))
        }
        let hasMore = out.count > filter.limit
        return (Array(out.prefix(filter.limit)), hasMore)
    }

    static let transferColumns = """
        t.id, t.network, t.chain_id, t.block_number, t.block_hash, t.tx_hash, t.log_index, t.token, t.from_address, t.to_address,
        t.amount::text, t.state, floor(extract(epoch FROM t.seen_at))::bigint, coalesce(c.number, -1)
        """
    static let transferColumnCount = 14

    static func decodeTransfer(_ cells: PostgresRandomAccessRow, livemode: Bool, sessionId: String?) throws -> TransferRecord {
        let table = "chain_transfers"
        let id = try cells[0].decode(Int64.self)
        let network = try cells[1].decode(String.self)
        let blockNumber = try cells[3].decode(Int64.self)
        guard let blockHash = try? BlockHash(hex: try cells[4].decode(String.self)), let txHash = try? TxHash(hex: try cells[5].decode(String.self))
        else { throw StoreError.corruptRow(table: table, reason: "row \(id) has a malformed hash") }
        let stateText = try cells[11].decode(String.self)
        guard let state = TransferState(rawValue: stateText) else { throw StoreError.corruptRow(table: table, reason: "state '\(stateText)'") }
        let checkpoint = try cells[13].decode(Int64.self)
        let transfer = ObservedTransfer(
            chainId: try PostgresMonitorStore.uint64(try cells[2].decode(Int64.self), table: table),
            blockNumber: try PostgresMonitorStore.uint64(blockNumber, table: table), blockHash: blockHash, transactionHash: txHash,
            logIndex: UInt64(max(0, try cells[6].decode(Int32.self))),
            token: try PostgresMonitorStore.address(try cells[7].decode(String.self), table: table),
            from: try PostgresMonitorStore.address(try cells[8].decode(String.self), table: table),
            to: try PostgresMonitorStore.address(try cells[9].decode(String.self), table: table),
            amount: try PostgresMonitorStore.amount(try cells[10].decode(String.self), table: table))
        let confirmations = state == .removed || checkpoint < blockNumber ? 0 : Int(checkpoint - blockNumber + 1)
        return TransferRecord(
            id: id, network: network, livemode: livemode, transfer: transfer, state: state, confirmations: confirmations,
            sessionId: sessionId, createdAt: Timestamp(unixSeconds: try cells[12].decode(Int64.self)))
    }

    // MARK: Loading and changing sessions

    func lockSession(id: String, merchantId: String?, livemode: Bool?, on connection: PostgresConnection) async throws -> SessionRecord? {
        guard ObjectID.isWellFormed(id, prefix: "ps") else { return nil }
        let rows = try await connection.query(
            """
            SELECT id FROM payment_sessions
            WHERE id = \(id) AND (\(merchantId)::text IS NULL OR merchant_id = \(merchantId)) AND (\(livemode)::boolean IS NULL OR livemode = \(livemode))
            FOR UPDATE
            """, logger: logger)
        guard try await rows.decode(String.self).all().first != nil else { return nil }
        return try await loadSessions(ids: [id], on: connection).first
    }

    /// Sessions with their options and payments, in no particular order.
    func loadSessions(ids: [String], on connection: PostgresConnection) async throws -> [SessionRecord] {
        guard !ids.isEmpty else { return [] }
        let table = "payment_sessions"
        var options: [String: [SessionOptionRecord]] = [:]
        let optionRows = try await connection.query(
            """
            SELECT session_id, position, network, chain_id, token, token_address, decimals, pay_to, amount_due::text, confirmations
            FROM session_options WHERE session_id = ANY(\(ids)::text[]) ORDER BY session_id, position
            """, logger: logger)
        for try await (sessionId, position, network, chainId, token, tokenAddress, decimals, payTo, amountDue, confirmations) in optionRows.decode(
            (String, Int32, String, Int64, String, String, Int32, String, String, Int32).self)
        {
            options[sessionId, default: []].append(
                SessionOptionRecord(
                    position: Int(position), network: network, chainId: try PostgresMonitorStore.uint64(chainId, table: table), token: token,
                    tokenAddress: try PostgresMonitorStore.address(tokenAddress, table: table), decimals: Int(decimals),
                    payTo: try PostgresMonitorStore.address(payTo, table: table),
                    amountDue: try PostgresMonitorStore.amount(amountDue, table: table), confirmations: Int(confirmations)))
        }

        var payments: [String: [SessionPaymentRecord]] = [:]
        let paymentRows = try await connection.query(
            """
            SELECT \(unescaped: Self.transferColumns), p.session_id, p.credited::text, p.late, p.matched_by, p.state,
                   floor(extract(epoch FROM p.created_at))::bigint, s.livemode
            FROM session_payments p
            JOIN chain_transfers t ON t.id = p.transfer_id
            JOIN payment_sessions s ON s.id = p.session_id
            LEFT JOIN monitor_checkpoints c ON c.network = t.network
            WHERE p.session_id = ANY(\(ids)::text[])
            ORDER BY p.created_at, t.id
            """, logger: logger)
        for try await row in paymentRows {
            let cells = row.makeRandomAccess()
            let base = Self.transferColumnCount
            let sessionId = try cells[base].decode(String.self)
            let stored = try Self.decodeTransfer(cells, livemode: try cells[base + 6].decode(Bool.self), sessionId: sessionId)
            // The session counts the state it last accounted for.
            guard let applied = TransferState(rawValue: try cells[base + 4].decode(String.self)),
                let matchedBy = MatchedBy(rawValue: try cells[base + 3].decode(String.self))
            else { throw StoreError.corruptRow(table: "session_payments", reason: "state or matched_by of transfer \(stored.id)") }
            let transfer = TransferRecord(
                id: stored.id, network: stored.network, livemode: stored.livemode, transfer: stored.transfer, state: applied,
                confirmations: applied == .removed ? 0 : stored.confirmations, sessionId: sessionId, createdAt: stored.createdAt)
            let option = options[sessionId]?.first { $0.network == stored.network && $0.tokenAddress == stored.transfer.token }
            let token = option.map { ($0.token, $0.decimals) } ?? token(network: stored.network, address: stored.transfer.token) ?? ("?", 0)
            payments[sessionId, default: []].append(
                SessionPaymentRecord(
                    transfer: transfer, token: token.0, decimals: token.1,
                    credited: try PostgresMonitorStore.amount(try cells[base + 1].decode(String.self), table: "session_payments"),
                    late: try cells[base + 2].decode(Bool.self), matchedBy: matchedBy,
                    confirmationsRequired: option?.confirmations ?? network(stored.network)?.confirmations ?? 1,
                    createdAt: Timestamp(unixSeconds: try cells[base + 5].decode(Int64.self))))
        }

        let rows = try await connection.query(
            """
            SELECT id, merchant_id, livemode, status, status_reason, amount, currency, scale, price_units::text, offset_units,
                   description, metadata::text, success_url, cancel_url, client_secret, floor(extract(epoch FROM expires_at))::bigint,
                   floor(extract(epoch FROM completed_at))::bigint, floor(extract(epoch FROM created_at))::bigint
            FROM payment_sessions WHERE id = ANY(\(ids)::text[])
            """, logger: logger)
        var out: [SessionRecord] = []
        for try await row in rows {
            let cells = row.makeRandomAccess()
            let id = try cells[0].decode(String.self)
            let statusText = try cells[3].decode(String.self)
            guard let status = SessionStatus(rawValue: statusText) else { throw StoreError.corruptRow(table: table, reason: "status '\(statusText)'") }
            let metadataText = try cells[11].decode(String.self)
            let metadata = (try? JSONDecoder().decode([String: String].self, from: Data(metadataText.utf8))) ?? [:]
            out.append(
                SessionRecord(
                    id: id, merchantId: try cells[1].decode(String.self), livemode: try cells[2].decode(Bool.self), status: status,
                    statusReason: try cells[4].decode(String?.self), amount: try cells[5].decode(String.self),
                    currency: try cells[6].decode(String.self), scale: Int(try cells[7].decode(Int32.self)),
                    priceUnits: try PostgresMonitorStore.amount(try cells[8].decode(String.self), table: table),
                    offsetUnits: UInt64(max(0, try cells[9].decode(Int32.self))), description: try cells[10].decode(String?.self),
                    metadata: metadata.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                    successURL: try cells[12].decode(String?.self), cancelURL: try cells[13].decode(String?.self),
                    clientSecret: try cells[14].decode(String.self), expiresAt: Timestamp(unixSeconds: try cells[15].decode(Int64.self)),
                    completedAt: try cells[16].decode(Int64?.self).map(Timestamp.init(unixSeconds:)),
                    createdAt: Timestamp(unixSeconds: try cells[17].decode(Int64.self)), options: options[id] ?? [],
                    payments: payments[id] ?? []))
        }
        return out
    }

    /// Binds a transfer to a session and applies it (seen, and confirmed if it already is).
    func bind(transferId: Int64, to session: SessionRecord, matchedBy: MatchedBy, on connection: PostgresConnection) async throws -> SessionRecord {
        let rows = try await connection.query(
            "SELECT network, token, tx_hash, log_index, block_hash, amount::text, state FROM chain_transfers WHERE id = \(transferId)",
            logger: logger)
        guard let (network, token, txText, logIndex, blockText, amountText, stateText) = try await rows.decode(
            (String, String, String, Int32, String, String, String).self
        ).all().first, let txHash = try? TxHash(hex: txText), let blockHash = try? BlockHash(hex: blockText),
            let transferState = TransferState(rawValue: stateText)
        else { throw StoreError.corruptRow(table: "chain_transfers", reason: "transfer \(transferId)") }
        let amount = try PostgresMonitorStore.amount(amountText, table: "chain_transfers")
        guard let option = session.options.first(where: { $0.network == network && $0.tokenAddress.lowercased == token }) else {
            throw StoreError.corruptRow(table: "session_options", reason: "transfer \(transferId) pays no option of \(session.id)")
        }
        let factor = UInt256.powerOfTen(option.decimals - session.scale)
        let credited = amount / factor
        let key = PaymentKey(transactionHash: txHash, logIndex: UInt64(max(0, logIndex)), blockHash: blockHash)
        var inputs: [SessionInput] = [.transferSeen(key, amount: credited)]
        if transferState == .confirmed { inputs.append(.transferConfirmed(key)) }
        var state = session.state
        var events: [SessionEventType] = []
        for input in inputs { events += try state.apply(input) }
        guard let payment = state.payments.last(where: { $0.key == key }) else {
            throw StoreError.corruptRow(table: "session_payments", reason: "transfer \(transferId) was not applied")
        }
        try await connection.query(
            """
            INSERT INTO session_payments (transfer_id, session_id, credited, late, matched_by, state)
            VALUES (\(transferId), \(session.id), \(credited.decimalString)::numeric, \(payment.late), \(matchedBy.rawValue), \(payment.state.rawValue))
            """, logger: logger)
        return try await save(state, events: events, previous: session, on: connection)
    }

    /// Applies inputs to a locked session and saves the result with its events.
    func apply(_ inputs: [SessionInput], to session: SessionRecord, on connection: PostgresConnection) async throws -> SessionRecord {
        var state = session.state
        var events: [SessionEventType] = []
        for input in inputs { events += try state.apply(input) }
        // Payment states the inputs changed.
        for payment in state.payments {
            guard let before = session.payments.first(where: { $0.key == payment.key }), before.transfer.state.rawValue != payment.state.rawValue
            else { continue }
            try await connection.query(
                "UPDATE session_payments SET state = \(payment.state.rawValue) WHERE transfer_id = \(before.transfer.id)", logger: logger)
        }
        return try await save(state, events: events, previous: session, on: connection)
    }

    func save(_ state: PaymentSessionState, events: [SessionEventType], previous: SessionRecord, on connection: PostgresConnection) async throws
        -> SessionRecord
    {
        let ended: Set<SessionStatus> = [.completed, .expired, .canceled, .failed]
        let status = state.status.rawValue
        let nowEnded = ended.contains(state.status)
        let newlyCompleted = state.status == .completed && previous.status != .completed
        try await connection.query(
            """
            UPDATE payment_sessions SET
                status = \(status), status_reason = \(state.reason), updated_at = now(),
                completed_at = CASE WHEN \(newlyCompleted) THEN now() WHEN \(state.status == .completed) THEN completed_at ELSE NULL END,
                monitor_until = CASE WHEN NOT \(nowEnded) THEN NULL
                                     WHEN monitor_until IS NULL OR \(state.status != previous.status) THEN now() + make_interval(secs => \(lateWindowSeconds))
                                     ELSE monitor_until END
            WHERE id = \(previous.id)
            """, logger: logger)
        guard let session = try await loadSessions(ids: [previous.id], on: connection).first else {
            throw StoreError.corruptRow(table: "payment_sessions", reason: "\(previous.id) vanished")
        }
        try await writeEvents(events, session: session, on: connection)
        return session
    }

    func writeEvents(_ events: [SessionEventType], session: SessionRecord, on connection: PostgresConnection) async throws {
        guard !events.isEmpty else { return }
        let payload = JSONValue.object(JSONObject(["object": ResourceJSON.session(session, publicBaseURL: publicBaseURL)])).serialized
        for event in events {
            try await connection.query(
                """
                INSERT INTO outbox_events (type, payload, merchant_id, livemode)
                VALUES (\(event.rawValue), \(payload)::jsonb, \(session.merchantId), \(session.livemode))
                """, logger: logger)
        }
    }

    func transaction<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await withTransaction(client: client, logger: logger, body)
    }
}
