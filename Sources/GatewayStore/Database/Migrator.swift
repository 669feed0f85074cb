import EthereumCore
import Foundation
import Logging
import PostgresNIO

/// Why migrating a database failed.
public enum MigrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The list of migrations is not in order, or a file name is not `NNNN_name.sql`.
    case invalidMigrationList(String)
    /// A migration recorded as applied has a different checksum (or name) in this build: its
    /// file was edited after it ran. Applied migrations are never edited; add a new one.
    case checksumMismatch(version: Int, name: String, recordedName: String, recorded: String, expected: String)
    /// The database records a migration this build does not have (it was migrated by a newer
    /// build).
    case unknownAppliedMigration(version: Int, name: String)
    /// A statement of a migration failed; the migration was rolled back.
    case failed(migration: String, statement: Int, reason: String)

    public var description: String {
        switch self {
        case .invalidMigrationList(let reason): return "invalid migrations: \(reason)"
        case .checksumMismatch(let version, let name, let recordedName, let recorded, let expected):
            let names = name == recordedName ? name : "\(recordedName) (now \(name))"
            return "migration \(version) \(names) was applied with checksum \(recorded), but this build's file has checksum \(expected): "
                + "an applied migration must not be edited (add a new migration instead)"
        case .unknownAppliedMigration(let version, let name):
            return "the database has migration \(version) \(name), which this build does not know: it was migrated by a newer gateway"
        case .failed(let migration, let statement, let reason):
            return "migration \(migration) failed at statement \(statement) and was rolled back: \(reason)"
        }
    }
}

/// A migration as recorded in `schema_migrations`.
public struct AppliedMigration: Sendable, Hashable {
    public let version: Int
    public let name: String
    public let checksum: String
    public let appliedAt: Date
}

/// What ``Migrator/migrate()`` did.
public struct MigrationResult: Sendable, Hashable {
    /// The migrations applied by this run, in order (empty when the schema was up to date).
    public let applied: [Migration]
    /// The highest version applied to the database after this run (0 for none).
    public let current: Int
}

/// Applies the pending migrations to a database, in order, each in its own transaction, and
/// records them in `schema_migrations(version, name, checksum, applied_at)`.
///
/// The whole run holds a connection-level Postgres advisory lock (``lockKey``), so processes that
/// migrate the same database at the same time take turns: the first applies what is pending,
/// the others then find nothing to do. Before applying anything the run checks what is
/// recorded: an applied migration whose script changed, or one this build does not know, is an
/// error and nothing is applied.
public struct Migrator: Sendable {
    /// The advisory lock key: the first 8 bytes of keccak256("gateway.schema_migrations").
    public static let lockKey = Int64(bitPattern: Keccak256.hash(text: "gateway.schema_migrations").w0)

    /// Where the migrations go.
    enum Target: Sendable {
        case client(PostgresClient)
        case database(DatabaseConfiguration)
    }

    public let migrations: [Migration]
    let target: Target
    let logger: Logger

    /// Migrates through `client` (whose `run()` must be running), on one leased connection.
    /// - Parameter migrations: the migrations to apply, in order; by default the ones shipped.
    public init(client: PostgresClient, migrations: [Migration] = Migration.bundled, logger: Logger = Logger(label: "gateway.migrations")) {
        self.target = .client(client)
        self.migrations = migrations
        self.logger = logger
    }

    /// Migrates `database` on a connection of its own, opened for each call and closed after
    /// it: a server that cannot be reached fails at once (no pool retries).
    /// - Parameter migrations: the migrations to apply, in order; by default the ones shipped.
    public init(
        database: DatabaseConfiguration, migrations: [Migration] = Migration.bundled, logger: Logger = Logger(label: "gateway.migrations")
    ) {
        self.target = .database(database)
        self.migrations = migrations
        self.logger = logger
    }

    /// Applies every pending migration and tells which ones it applied.
    @discardableResult
    public func migrate() async throws -> MigrationResult {
        try Migration.validate(migrations)
        return try await withConnection { connection in try await migrate(on: connection) }
    }

    /// The migrations recorded in the database, in order (empty before the first run).
    public func applied() async throws -> [AppliedMigration] {
        try await withConnection { connection in
            var exists = false
            for try await value in try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger)
                .decode(Bool.self)
            {
                exists = value
            }
            guard exists else { return [] }
            return try await Self.readApplied(connection, logger: logger)
        }
    }

    private func withConnection<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        switch target {
        case .client(let client):
            return try await client.withConnection { connection in try await body(connection) }
        case .database(let database):
            let connection = try await database.connect(logger: logger)
            do {
                let result = try await body(connection)
                try? await connection.close()
                return result
            } catch {
                try? await connection.close()
                throw error
            }
        }
    }

    private func migrate(on connection: PostgresConnection) async throws -> MigrationResult {
        try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
        do {
            let result = try await migrateLocked(connection)
            try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
            return result
        } catch {
            // If the connection broke, the server released the lock when it closed.
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
            throw error
        }
    }

    private func migrateLocked(_ connection: PostgresConnection) async throws -> MigrationResult {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    bigint      PRIMARY KEY CHECK (version > 0),
                name       text        NOT NULL,
                checksum   text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
        let recorded = try await Self.readApplied(connection, logger: logger)
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for entry in recorded {
            guard let migration = known[entry.version] else {
                throw MigrationError.unknownAppliedMigration(version: entry.version, name: entry.name)
            }
            guard migration.checksum == entry.checksum, migration.name == entry.name else {
                throw MigrationError.checksumMismatch(
                    version: entry.version, name: migration.name, recordedName: entry.name, recorded: entry.checksum,
                    expected: migration.checksum)
            }
        }
        let done = Set(recorded.map(\.version))
        var applied: [Migration] = []
        for migration in migrations where !done.contains(migration.version) {
            try await apply(migration, on: connection)
            applied.append(migration)
        }
        let current = max(recorded.map(\.version).max() ?? 0, applied.map(\.version).max() ?? 0)
        return MigrationResult(applied: applied, current: current)
    }

    private func apply(_ migration: Migration, on connection: PostgresConnection) async throws {
        logger.debug("applying migration", metadata: ["migration": "\(migration.name)"])
        try await connection.query("BEGIN", logger: logger)
        var index = 0
        do {
            for statement in migration.statements {
                index += 1
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            index += 1
            try await connection.query(
                """
                INSERT INTO schema_migrations (version, name, checksum)
                VALUES (\(Int64(migration.version)), \(migration.name), \(migration.checksum))
                """, logger: logger)
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw MigrationError.failed(migration: migration.name, statement: index, reason: describeDatabaseError(error))
        }
    }

    private static func readApplied(_ connection: PostgresConnection, logger: Logger) async throws -> [AppliedMigration] {
        var out: [AppliedMigration] = []
        let rows = try await connection.query(
            "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version", logger: logger)
        for try await (version, name, checksum, appliedAt) in rows.decode((Int64, String, String, Date).self) {
            out.append(AppliedMigration(version: Int(version), name: name, checksum: checksum, appliedAt: appliedAt))
        }
        return out
    }
}
