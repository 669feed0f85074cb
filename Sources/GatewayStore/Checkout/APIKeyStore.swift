import Foundation
import GatewayDomain
import Logging
import PostgresNIO

/// API keys: only the SHA-256 of a secret and its visible prefix are stored.
public struct APIKeyStore: Sendable {
    public let client: PostgresClient
    let logger: Logger
    /// Keys by the SHA-256 of the presented secret, while nothing changed (`gateway serve`).
    let cache: CachedReads<[UInt8], APIKey>?
    /// When this process last marked each key used.
    let touched = TouchLog()

    public init(client: PostgresClient, logger: Logger = Logger(label: "gateway.keys"), cache: CachedReads<[UInt8], APIKey>? = nil) {
        self.client = client
        self.logger = logger
        self.cache = cache
    }

    static let columns = "id, merchant_id, prefix, livemode, scopes, description, created_at, last_used_at, revoked_at"

    static func decode(_ rows: PostgresRowSequence) async throws -> [APIKey] {
        var out: [APIKey] = []
        for try await (id, merchantId, prefix, livemode, scopes, description, created, used, revoked) in rows.decode(
            (String, String, String, Bool, [String], String?, Timestamp, Timestamp?, Timestamp?).self)
        {
            out.append(
                APIKey(
                    id: id, merchantId: merchantId, prefix: prefix, livemode: livemode,
                    scopes: scopes.compactMap(APIScope.init(rawValue:)).sorted(), description: description, createdAt: created,
                    lastUsedAt: used, revokedAt: revoked))
        }
        return out
    }

    /// Creates a key; the secret is returned once and only its SHA-256 is stored.
    public func create(merchantId: String, mode: APIMode, scopes: [APIScope], description: String?) async throws -> (APIKey, String) {
        let description = try APIKey.validatedDescription(description)
        let secret = APIKeySecret(mode: mode)
        let id = ObjectID.make("key")
        let rows = try await client.query(
            """
            INSERT INTO api_keys (id, merchant_id, prefix, secret_sha256, livemode, scopes, description)
            VALUES (\(id), \(merchantId), \(secret.prefix), \(Data(APIKeySecret.digest(secret.secret))), \(mode.livemode),
                    \(scopes.map(\.rawValue))::text[], \(description))
            RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        guard let key = try await Self.decode(rows).first else { throw StoreError.corruptRow(table: "api_keys", reason: "\(id) vanished") }
        return (key, secret.secret)
    }

    /// The key a request presents, if it exists and is not revoked: looked up by its prefix,
    /// then its SHA-256 compared in constant time. Marks it used (at most once a minute).
    public func authenticate(_ presented: String) async throws -> APIKey? {
        guard let prefix = APIKeySecret.prefix(of: presented) else { return nil }
        let digest = APIKeySecret.digest(presented)
        if let cached = await cache?.value(for: digest) {
            try await touch(cached)
            return cached
        }
        let mark = await cache?.mark()
        let rows = try await client.query(
            "SELECT secret_sha256, \(unescaped: Self.columns) FROM api_keys WHERE prefix = \(prefix) AND revoked_at IS NULL", logger: logger
        )
        var match: APIKey?
        for try await (hash, id, merchantId, keyPrefix, livemode, scopes, description, created, used, revoked) in rows.decode(
            (Data, String, String, String, Bool, [String], String?, Timestamp, Timestamp?, Timestamp?).self)
        where APIKeySecret.constantTimeEqual(Array(hash), digest) {
            match = APIKey(
                id: id, merchantId: merchantId, prefix: keyPrefix, livemode: livemode,
                scopes: scopes.compactMap(APIScope.init(rawValue:)).sorted(), description: description, createdAt: created,
                lastUsedAt: used,
                revokedAt: revoked)
        }
        guard let key = match else { return nil }
        await cache?.store(key, for: digest, mark: mark)
        try await touch(key)
        return key
    }

    /// Marks `key` used, at most once a minute from this process (and in the database at most
    /// once a minute in all).
    func touch(_ key: APIKey) async throws {
        guard await touched.due(key.id) else { return }
        try await client.query(
            """
            UPDATE api_keys SET last_used_at = now()
            WHERE id = \(key.id) AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
            """, logger: logger)
    }

    /// A merchant's keys, newest first (or the one with `id`).
    public func keys(merchantId: String, id: String? = nil) async throws -> [APIKey] {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.columns)
            FROM api_keys WHERE merchant_id = \(merchantId) AND (\(id)::text IS NULL OR id = \(id))
            ORDER BY created_at DESC, id DESC
            """, logger: logger)
        return try await Self.decode(rows)
    }

    /// Revokes a key of the merchant; nil when it has no such key.
    public func revoke(merchantId: String, id: String) async throws -> APIKey? {
        let rows = try await client.query(
            """
            UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = \(id) AND merchant_id = \(merchantId)
            RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        let revoked = try await Self.decode(rows).first
        // This process refuses the key at once; the others when the change notice arrives.
        await cache?.invalidate()
        return revoked
    }
}

/// When this process last marked each key used: one write a minute per key at most.
actor TouchLog {
    private var last: [String: ContinuousClock.Instant] = [:]
    private let clock = ContinuousClock()

    func due(_ id: String) -> Bool {
        let now = clock.now
        if let previous = last[id], now - previous < .seconds(60) { return false }
        if last.count >= 10_000 { last.removeAll(keepingCapacity: true) }
        last[id] = now
        return true
    }
}
