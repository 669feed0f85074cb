import Foundation
import GatewayDomain
import Logging
import PostgresNIO

/// Stored responses of POST requests that carried an `Idempotency-Key`, per API key, kept
/// for 24 hours: the same key with the same body replays the first response; with another
/// body it is a conflict.
public struct IdempotencyStore: Sendable {
    public let client: PostgresClient
    /// A request still "in progress" after this long is taken to have died with its process:
    /// the next request with the key runs it (a request cannot outlive the request timeout).
    public let inProgressLease: Duration
    let logger: Logger

    public init(client: PostgresClient, inProgressLease: Duration = .seconds(60), logger: Logger = Logger(label: "gateway.idempotency")) {
        self.client = client
        self.inProgressLease = inProgressLease
        self.logger = logger
    }

    public enum Begin: Sendable, Equatable {
        /// First use: run the request, then ``finish(apiKeyId:key:status:body:)``.
        case proceed
        case replay(status: Int, body: [UInt8])
        /// The key was used with another request body.
        case mismatch
        /// The first request with this key has not finished.
        case inProgress
    }

    public func begin(apiKeyId: String, key: String, request: IdempotentRequest) async throws -> Begin {
        let hash = Data(request.digest)
        // A new key is one statement; an expired one (older than 24 hours) is removed and
        // inserted again.
        func insert() async throws -> Bool {
            let inserted = try await client.query(
                """
                INSERT INTO idempotency_keys (api_key_id, key, request_hash) VALUES (\(apiKeyId), \(key), \(hash))
                ON CONFLICT (api_key_id, key) DO NOTHING RETURNING 1
                """, logger: logger)
            return try await !inserted.decode(Int32.self).all().isEmpty
        }
        if try await insert() { return .proceed }
        let expired = try await client.query(
            """
            DELETE FROM idempotency_keys WHERE api_key_id = \(apiKeyId) AND key = \(key) AND created_at < now() - interval '24 hours'
            RETURNING 1
            """, logger: logger)
        if try await !expired.decode(Int32.self).all().isEmpty, try await insert() { return .proceed }
        // The first request died before it finished (its process crashed): take the key over.
        let lease = Int64(inProgressLease.components.seconds)
        let taken = try await client.query(
            """
            UPDATE idempotency_keys SET created_at = now()
            WHERE api_key_id = \(apiKeyId) AND key = \(key) AND request_hash = \(hash) AND status IS NULL
              AND created_at < now() - make_interval(secs => \(lease))
            RETURNING 1
            """, logger: logger)
        if try await !taken.decode(Int32.self).all().isEmpty { return .proceed }
        let rows = try await client.query(
            "SELECT request_hash, status, body FROM idempotency_keys WHERE api_key_id = \(apiKeyId) AND key = \(key)", logger: logger)
        guard let (storedHash, status, stored) = try await rows.decode((Data, Int32?, Data?).self).all().first else { return .inProgress }
        guard storedHash == hash else { return .mismatch }
        guard let status, let stored else { return .inProgress }
        return .replay(status: Int(status), body: Array(stored))
    }

    /// The response to store with the work that produced it, in that work's transaction: a crash
    /// can then never leave the work done and the key "in progress".
    public struct Response: Sendable {
        public let apiKeyId: String
        public let key: String

        public init(apiKeyId: String, key: String) {
            self.apiKeyId = apiKeyId
            self.key = key
        }

        /// Stores `status` and `body` on `connection`, in the caller's transaction.
        public func store(status: Int, body: [UInt8], on connection: PostgresConnection, logger: Logger) async throws {
            try await connection.query(
                """
                UPDATE idempotency_keys SET status = \(Int32(status)), body = \(Data(body))
                WHERE api_key_id = \(apiKeyId) AND key = \(key)
                """, logger: logger)
        }
    }

    /// Stores the response to replay (unless the work already stored it in its transaction).
    /// Server errors are not stored: the key is freed so the client can retry.
    public func finish(apiKeyId: String, key: String, status: Int, body: [UInt8]) async throws {
        if status >= 500 {
            try await client.query("DELETE FROM idempotency_keys WHERE api_key_id = \(apiKeyId) AND key = \(key)", logger: logger)
        } else {
            try await client.query(
                """
                UPDATE idempotency_keys SET status = \(Int32(status)), body = \(Data(body))
                WHERE api_key_id = \(apiKeyId) AND key = \(key) AND status IS NULL
                """, logger: logger)
        }
    }
}
