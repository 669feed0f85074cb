import ArgumentParser
import Foundation
import GatewayStore
import PostgresNIO

/// Database options shared by the commands that need Postgres.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL (default: $DATABASE_URL).") var databaseURL: String?
    @Flag(help: "Do not apply pending migrations at start-up.") var skipMigrations = false

    func configuration() throws -> DatabaseConfiguration {
        guard let url = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] else {
            throw CLIError("no database: set DATABASE_URL or pass --database-url (Scripts/dev-postgres url prints a local one)")
        }
        do { return try DatabaseConfiguration(url: url) } catch { throw CLIError("\(error)") }
    }

    /// Applies pending migrations unless told not to.
    func migrate(_ client: PostgresClient) async throws {
        guard !skipMigrations else { return }
        do { _ = try await Migrator(client: client).migrate() } catch { throw CLIError("migrations failed: \(error)") }
    }

    /// Runs `body` with a connected client and the monitor store, migrating first unless told not to.
    func withStore(_ body: (PostgresClient, PostgresMonitorStore) async throws -> Void) async throws {
        try await withPostgresClient(try configuration()) { client in
            try await migrate(client)
            try await body(client, PostgresMonitorStore(client: client))
        }
    }
}
