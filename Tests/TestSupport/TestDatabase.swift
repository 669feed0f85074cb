import Foundation
import GatewayStore
import Logging
import PostgresNIO

/// Fresh databases for tests, on the server that `DATABASE_URL` names (Scripts/test starts one
/// with Scripts/dev-postgres). Each is named `<prefix>_<random>`; the first use of a prefix in
/// a test process drops what earlier runs left with that prefix (never a database in use: a
/// running test holds a connection to it).
public enum TestDatabase {
    public struct NotConfigured: Error, CustomStringConvertible {
        public let reason: String
        public var description: String {
            "\(reason): these tests need a real PostgreSQL. Run `Scripts/dev-postgres start` and "
                + "`export DATABASE_URL=\"$(Scripts/dev-postgres url)\"` (Scripts/test does both)."
        }
    }

    public static let logger = Logger(label: "gateway.tests.database")

    /// The server's configuration from `DATABASE_URL`; a missing variable fails the test.
    public static func server() throws -> DatabaseConfiguration {
        guard let text = ProcessInfo.processInfo.environment["DATABASE_URL"], !text.isEmpty else {
            throw NotConfigured(reason: "DATABASE_URL is not set")
        }
        do { return try DatabaseConfiguration(url: text) } catch { throw NotConfigured(reason: "DATABASE_URL is invalid: \(error)") }
    }

    /// Creates a database and returns its configuration (migrated with the shipped migrations
    /// when `migrate`).
    public static func create(prefix: String, migrate: Bool = true) async throws -> DatabaseConfiguration {
        let server = try server()
        try await Prefixes.shared.cleanOnce(prefix) {
            try await admin(server) { connection in
                let rows = try await connection.query(
                    PostgresQuery(unsafeSQL: "SELECT datname FROM pg_database WHERE datname LIKE '\(prefix)\\_%'"), logger: logger)
                for name in try await collect(rows.decode(String.self)) {
                    _ = try? await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name)"), logger: logger)
                }
            }
        }
        let name = prefix + "_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        try await admin(server) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        let database = server.with(database: name)
        if migrate {
            try await withPostgresClient(database) { client in _ = try await Migrator(client: client).migrate() }
        }
        return database
    }

    /// A client on a fresh migrated database, running until the test process ends.
    public static func client(prefix: String) async throws -> PostgresClient {
        let client = PostgresClient(configuration: try await create(prefix: prefix).clientConfiguration, backgroundLogger: logger)
        Task { await client.run() }
        return client
    }

    /// Runs `body` with a fresh database, then drops it (also when `body` throws).
    public static func withFresh<Result: Sendable>(
        prefix: String = "test", migrate: Bool = false, _ body: (DatabaseConfiguration) async throws -> Result
    ) async throws -> Result {
        let database = try await create(prefix: prefix, migrate: migrate)
        do {
            let result = try await body(database)
            try await drop(database.database)
            return result
        } catch {
            try? await drop(database.database)
            throw error
        }
    }

    public static func drop(_ name: String) async throws {
        try await admin(try server()) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
        }
    }

    /// Runs `body` on a connection to the server's own database.
    public static func admin(_ server: DatabaseConfiguration, _ body: (PostgresConnection) async throws -> Void) async throws {
        let connection: PostgresConnection
        do {
            connection = try await server.connect(logger: logger)
        } catch {
            throw NotConfigured(reason: "cannot connect to \(server.redactedURL): \(describeDatabaseError(error))")
        }
        do {
            try await body(connection)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    static func collect<S: AsyncSequence>(_ sequence: S) async throws -> [S.Element] {
        var out: [S.Element] = []
        for try await element in sequence { out.append(element) }
        return out
    }
}

/// Leftovers of a prefix are cleaned once per process, before any test creates a database
/// with it: every caller waits for the same cleaning.
actor Prefixes {
    static let shared = Prefixes()
    private var cleanings: [String: Task<Void, any Error>] = [:]

    func cleanOnce(_ prefix: String, _ clean: @escaping @Sendable () async throws -> Void) async throws {
        let task = cleanings[prefix] ?? Task { try await clean() }
        cleanings[prefix] = task
        try await task.value
    }
}
