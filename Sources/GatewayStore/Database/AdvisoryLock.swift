import Logging
import PostgresNIO

/// A Postgres session-level advisory lock, held on one connection while work runs: the way
/// several gateway processes on one database agree that only one of them runs a network's
/// monitor. The lock ends with the connection, so a process that dies frees it.
public struct AdvisoryLock: Sendable {
    /// The lock's name; its key is `hashtext(name)`.
    public let name: String

    public init(name: String) { self.name = name }

    /// The lock of one network's chain monitor.
    public static func monitor(network: String) -> AdvisoryLock { AdvisoryLock(name: "gateway.monitor." + network) }

    /// Runs `body` while holding the lock on a connection of `client`, then releases it; returns
    /// nil at once, without running `body`, when another session holds it.
    public func withLock<Result: Sendable>(
        client: PostgresClient, logger: Logger, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result? {
        try await client.withConnection { connection in
            let rows = try await connection.query("SELECT pg_try_advisory_lock(hashtext(\(name))::bigint)", logger: logger)
            guard try await rows.decode(Bool.self).all().first == true else { return nil }
            // The unlock has a deadline: after a database restart the lock's connection may be
            // one whose calls never answer (and the lock went with the old server anyway).
            let name = self.name
            let unlock: @Sendable () async -> Void = {
                _ = try? await withDeadline(.seconds(10)) {
                    try await connection.query("SELECT pg_advisory_unlock(hashtext(\(name))::bigint)", logger: logger)
                }
            }
            do {
                let result = try await body(connection)
                await unlock()
                return result
            } catch {
                await unlock()
                throw error
            }
        }
    }
}
