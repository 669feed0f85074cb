import ArgumentParser
import Foundation
import GatewayStore

/// `gateway migrate`: brings the database schema up to date.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the pending database migrations; prints {\"applied\":[names],\"current\":version}.",
        discussion: """
            Each migration runs in its own transaction, under a Postgres advisory lock, so that two \
            processes migrating at once take turns. A migration already applied whose file has changed \
            is an error.
            """
    )

    @Option(help: "postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=disable (default: the DATABASE_URL environment variable).")
    var databaseURL: String?

    func run() async throws {
        let database: DatabaseConfiguration
        do {
            if let databaseURL {
                database = try DatabaseConfiguration(url: databaseURL)
            } else if let text = ProcessInfo.processInfo.environment["DATABASE_URL"], !text.isEmpty {
                database = try DatabaseConfiguration(url: text)
            } else {
                throw CLIError("no database: pass --database-url postgres://USER:PASSWORD@HOST:PORT/DATABASE or set DATABASE_URL")
            }
        } catch let error as DatabaseURLError {
            throw CLIError("\(error)")
        }
        let result: MigrationResult
        do {
            result = try await Migrator(database: database).migrate()
        } catch {
            throw CLIError("migrating \(database.redactedURL) failed: \(describeDatabaseError(error))")
        }
        let object: [String: Any] = ["applied": result.applied.map(\.name), "current": result.current]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
    }
}
