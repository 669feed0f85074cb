import Foundation
import GatewayDomain
import Logging
import PostgresNIO

/// The web console's rows: its users, its signed-in sessions (as opaque JSON, for the session
/// middleware's persist driver) and the lists its pages read.
public struct ConsoleStore: Sendable {
    public let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger = Logger(label: "gateway.console")) {
        self.client = client
        self.logger = logger
    }

    // MARK: Users

    /// Stores a user whose fields ``ConsoleCredentials/check(email:password:role:merchantId:)``
    /// accepted, with the bcrypt hash of its password.
    public func createUser(email: String, role: ConsoleUser.Role, merchantId: String?, passwordHash: String) async throws -> ConsoleUser {
        let id = ObjectID.make("usr")
        if let merchantId {
            let rows = try await client.query("SELECT 1 FROM merchants WHERE id = \(merchantId)", logger: logger)
            guard try await rows.decode(Int32.self).all().first != nil else {
                throw RequestError(.notFound, code: "resource_missing", param: "merchant", "no merchant \(merchantId.prefix(80))")
            }
        }
        do {
            try await client.query(
                """
                INSERT INTO console_users (id, email, role, merchant_id, password_hash)
                VALUES (\(id), \(email), \(role.rawValue), \(merchantId), \(passwordHash))
                """, logger: logger)
        } catch  where databaseErrorCode(error) == "23505" {
            throw RequestError(.conflict, code: "email_taken", param: "email", "a user with that email exists")
        }
        return ConsoleUser(id: id, email: email, role: role, merchantId: merchantId)
    }

    /// The enabled user with this (normalized) email and its password hash.
    public func user(email: String) async throws -> (ConsoleUser, passwordHash: String)? {
        let rows = try await client.query(
            "SELECT id, role, merchant_id, password_hash FROM console_users WHERE email = \(email) AND disabled_at IS NULL",
            logger: logger)
        for try await (id, role, merchantId, hash) in rows.decode((String, String, String?, String).self) {
            guard let role = ConsoleUser.Role(rawValue: role) else { throw StoreError.corruptRow(table: "console_users", reason: id) }
            return (ConsoleUser(id: id, email: email, role: role, merchantId: merchantId), hash)
        }
        return nil
    }

    /// The enabled user with this id.
    public func user(id: String) async throws -> ConsoleUser? {
        let rows = try await client.query(
            "SELECT email, role, merchant_id FROM console_users WHERE id = \(id) AND disabled_at IS NULL", logger: logger)
        for try await (email, role, merchantId) in rows.decode((String, String, String?).self) {
            guard let role = ConsoleUser.Role(rawValue: role) else { throw StoreError.corruptRow(table: "console_users", reason: id) }
            return ConsoleUser(id: id, email: email, role: role, merchantId: merchantId)
        }
        return nil
    }

    // MARK: Signed-in sessions

    /// The stored form of a session key: its SHA-256, so that the table alone lets nobody in.
    static func digest(_ key: String) -> ByteBuffer { ByteBuffer(bytes: ConsoleSessionKey.digest(key)) }

    /// Stores (or replaces) a session's JSON, kept for `expires` (nil: a replaced session keeps
    /// its expiry, a new one has none).
    public func setSession(key: String, json: [UInt8], expires: Duration?) async throws {
        _ = try await writeSession(key: key, json: json, expires: expires, replace: true)
    }

    /// Stores a new session; false when the key exists.
    public func createSession(key: String, json: [UInt8], expires: Duration?) async throws -> Bool {
        try await writeSession(key: key, json: json, expires: expires, replace: false)
    }

    private func writeSession(key: String, json: [UInt8], expires: Duration?, replace: Bool) async throws -> Bool {
        let seconds = expires.map { $0.components.seconds }
        let rows = try await client.query(
            """
            INSERT INTO console_sessions (key_sha256, value, expires_at)
            VALUES (\(Self.digest(key)), \(String(decoding: json, as: UTF8.self))::jsonb, now() + make_interval(secs => \(seconds)::int8))
            ON CONFLICT (key_sha256) DO UPDATE SET value = EXCLUDED.value,
                expires_at = CASE WHEN \(seconds)::int8 IS NULL THEN console_sessions.expires_at ELSE EXCLUDED.expires_at END
                WHERE \(replace)
            RETURNING 1
            """, logger: logger)
        return try await rows.decode(Int32.self).all().first != nil
    }

    /// A live session's JSON and the seconds it has left (nil: no expiry).
    public func session(key: String) async throws -> (json: [UInt8], secondsLeft: Int64?)? {
        let rows = try await client.query(
            """
            SELECT value::text, floor(extract(epoch FROM expires_at - now()))::int8 FROM console_sessions
            WHERE key_sha256 = \(Self.digest(key)) AND (expires_at IS NULL OR expires_at > now())
            """, logger: logger)
        for try await (value, left) in rows.decode((String, Int64?).self) { return (Array(value.utf8), left) }
        return nil
    }

    public func removeSession(key: String) async throws {
        try await client.query("DELETE FROM console_sessions WHERE key_sha256 = \(Self.digest(key))", logger: logger)
    }

    /// Deletes expired sessions; returns how many.
    @discardableResult
    public func sweepSessions() async throws -> Int {
        let rows = try await client.query("DELETE FROM console_sessions WHERE expires_at <= now() RETURNING 1", logger: logger)
        return try await rows.decode(Int32.self).all().count
    }

    // MARK: Pages

    /// One row of the console's session list.
    public struct SessionRow: Sendable, Hashable {
        public let id: String
        public let merchantId: String
        public let livemode: Bool
        public let status: String
        public let amount: String
        public let currency: String
        public let orderId: String?
        public let createdAt: Timestamp
    }

    /// The newest sessions (at most `limit`), of one merchant or all, filtered by status and
    /// searched by session id, `order_id` in the metadata, receiving address or transaction hash
    /// (exact matches; ids and hashes are matched lower-cased).
    public func sessions(merchantId: String?, status: String?, search: String?, limit: Int) async throws -> [SessionRow] {
        let term = search?.trimmingCharacters(in: .whitespaces)
        let query = (term?.isEmpty ?? true) ? nil : term
        let lowered = query?.lowercased()
        let rows = try await client.query(
            """
            SELECT s.id, s.merchant_id, s.livemode, s.status, s.amount, s.currency, s.metadata->>'order_id', s.created_at
            FROM payment_sessions s
            WHERE (\(merchantId)::text IS NULL OR s.merchant_id = \(merchantId))
              AND (\(status)::text IS NULL OR s.status = \(status))
              AND (\(query)::text IS NULL
                   OR s.id = \(query) OR s.metadata->>'order_id' = \(query)
                   OR EXISTS (SELECT 1 FROM session_options o WHERE o.session_id = s.id AND o.pay_to = \(lowered))
                   OR EXISTS (SELECT 1 FROM session_payments p JOIN chain_transfers t ON t.id = p.transfer_id
                              WHERE p.session_id = s.id AND t.tx_hash = \(lowered)))
            ORDER BY s.seq DESC LIMIT \(max(1, min(limit, 500)))
            """, logger: logger)
        var out: [SessionRow] = []
        for try await (id, merchant, livemode, status, amount, currency, orderId, created) in rows.decode(
            (String, String, Bool, String, String, String, String?, Timestamp).self)
        {
            out.append(
                SessionRow(
                    id: id, merchantId: merchant, livemode: livemode, status: status, amount: amount, currency: currency, orderId: orderId,
                    createdAt: created))
        }
        return out
    }

    /// The merchant and mode of a session, to check who may open it.
    public func sessionOwner(id: String) async throws -> (merchantId: String, livemode: Bool)? {
        guard ObjectID.isWellFormed(id, prefix: "ps") else { return nil }
        let rows = try await client.query("SELECT merchant_id, livemode FROM payment_sessions WHERE id = \(id)", logger: logger)
        for try await (merchant, livemode) in rows.decode((String, Bool).self) { return (merchant, livemode) }
        return nil
    }

    /// Sessions created in the last 24 hours, by status (of one merchant or all).
    public func sessionsByStatus(merchantId: String?) async throws -> [(status: String, count: Int64)] {
        let rows = try await client.query(
            """
            SELECT status, count(*) FROM payment_sessions
            WHERE created_at > now() - interval '24 hours' AND (\(merchantId)::text IS NULL OR merchant_id = \(merchantId))
            GROUP BY status ORDER BY status
            """, logger: logger)
        var out: [(String, Int64)] = []
        for try await (status, count) in rows.decode((String, Int64).self) { out.append((status, count)) }
        return out
    }

    /// One webhook delivery of a session's events.
    public struct DeliveryRow: Sendable, Hashable {
        public let id: String
        public let eventType: String
        public let url: String
        public let status: String
        public let attempts: Int
        public let lastStatusCode: Int?
        public let lastError: String?
    }

    /// The webhook deliveries of the events about a session, oldest first.
    public func deliveries(sessionId: String) async throws -> [DeliveryRow] {
        let rows = try await client.query(
            """
            SELECT d.public_id, e.type, w.url, d.status, d.attempts, d.last_status_code, d.last_error
            FROM outbox_events e JOIN webhook_deliveries d ON d.event_id = e.id JOIN webhook_endpoints w ON w.id = d.endpoint_id
            WHERE e.payload->'data'->'object'->>'id' = \(sessionId) OR e.payload->'data'->'object'->>'payment_session' = \(sessionId)
            ORDER BY d.id LIMIT 200
            """, logger: logger)
        var out: [DeliveryRow] = []
        for try await (id, type, url, status, attempts, code, error) in rows.decode(
            (String, String, String, String, Int32, Int32?, String?).self)
        {
            out.append(
                DeliveryRow(
                    id: id, eventType: type, url: url, status: status, attempts: Int(attempts), lastStatusCode: code.map(Int.init),
                    lastError: error))
        }
        return out
    }

    /// One refund waiting to be final, for the operator's queue.
    public struct QueuedRefund: Sendable, Hashable {
        public let id: String
        public let merchantId: String
        public let network: String
        public let status: String
        public let ageSeconds: Int64
        public let nonce: Int64?
        public let attempts: Int64
        public let lastError: String?
    }

    /// Refunds not yet final, oldest first (the stuck ones lead).
    public func refundQueue(limit: Int = 50) async throws -> [QueuedRefund] {
        let rows = try await client.query(
            """
            SELECT r.id, r.merchant_id, r.network, r.status, floor(extract(epoch FROM now() - r.created_at))::int8,
                   r.nonce,
                   (SELECT count(*) FROM refund_attempts a WHERE a.network = r.network AND a.address = r.hot_wallet AND a.nonce = r.nonce),
                   (SELECT a.last_error FROM refund_attempts a
                    WHERE a.network = r.network AND a.address = r.hot_wallet AND a.nonce = r.nonce ORDER BY a.created_at DESC LIMIT 1)
            FROM refunds r WHERE r.status NOT IN ('succeeded', 'failed', 'canceled')
            ORDER BY r.created_at LIMIT \(max(1, min(limit, 500)))
            """, logger: logger)
        var out: [QueuedRefund] = []
        for try await (id, merchant, network, status, age, nonce, attempts, error) in rows.decode(
            (String, String, String, String, Int64, Int64?, Int64, String?).self)
        {
            out.append(
                QueuedRefund(
                    id: id, merchantId: merchant, network: network, status: status, ageSeconds: age, nonce: nonce, attempts: attempts,
                    lastError: error))
        }
        return out
    }
}
