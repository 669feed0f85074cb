import ChainMonitor
import Foundation
import GatewayStore
import Logging
import PostgresNIO

/// The store the scenario tests run on: a real Postgres (`DATABASE_URL`, started by
/// Scripts/test with Scripts/dev-postgres), a fresh migrated database for each call.
func makeStore() async throws -> any MonitorStore {
    try await PostgresTestDatabases.shared.freshStore()
}

actor PostgresTestDatabases {
    static let shared = PostgresTestDatabases()
    static let logger = Logger(label: "gateway.monitor.tests")
    private var cleaned = false
    /// Clients stay alive (and running) until the test process ends.
    private var clients: [PostgresClient] = []

    struct NotConfigured: Error, CustomStringConvertible {
        let description = "DATABASE_URL is not set: the monitor tests need a real PostgreSQL. Run Scripts/dev-postgres start and export DATABASE_URL=\"$(Scripts/dev-postgres url)\" (Scripts/test does both)."
    }

    func freshStore() async throws -> PostgresMonitorStore {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else { throw NotConfigured() }
        let server = try DatabaseConfiguration(url: url)
        let admin = try await server.connect(logger: Self.logger)
        if !cleaned {
            // Databases left by earlier runs of these tests (never those of a running one: they are in use).
            let rows = try await admin.query("SELECT datname FROM pg_database WHERE datname LIKE 'monitor_test_%'", logger: Self.logger)
            for try await name in rows.decode(String.self) {
                _ = try? await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name)"), logger: Self.logger)
            }
            cleaned = true
        }
        let name = "monitor_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: Self.logger)
        try await admin.close()
        let client = PostgresClient(configuration: server.with(database: String(name)).clientConfiguration, backgroundLogger: Self.logger)
        Task { await client.run() }
        clients.append(client)
        _ = try await Migrator(client: client).migrate()
        return PostgresMonitorStore(client: client)
    }
}
