import Foundation
import GatewayStore
import PostgresNIO
import TestSupport
import Testing

@Suite struct MigratorTests {
    /// Three migrations where each needs the one before it.
    static let chain = [
        Migration(version: 1, name: "0001_create", sql: "CREATE TABLE items (id bigint PRIMARY KEY);"),
        Migration(version: 2, name: "0002_column", sql: "ALTER TABLE items ADD COLUMN label text NOT NULL DEFAULT 'x';"),
        Migration(
            version: 3, name: "0003_rows", sql: "INSERT INTO items (id, label) VALUES (1, 'one'); INSERT INTO items (id) VALUES (2);"),
    ]

    @Test func shippedMigrationsApplyOnceAndInOrder() async throws {
        try await TestDatabase.withFresh { database in
            try await withPostgresClient(database) { client in
                let migrator = Migrator(client: client)
                #expect(try await migrator.applied().isEmpty)

                let first = try await migrator.migrate()
                #expect(first.applied.map(\.name) == Migration.bundled.map(\.name))
                #expect(
                    first.applied.map(\.name) == [
                        "0001_monitor", "0002_checkout", "0003_webhooks", "0004_transfer_changes", "0005_payment_integrity",
                        "0006_refunds", "0007_change_notices", "0008_credential_notices", "0009_refund_notices", "0010_merchant_time_zone",
                        "0011_console", "0012_balance_history", "0013_notify_only_on_rows",
                        "0014_refund_sender_leases", "0015_claims_per_session",
                    ])
                #expect(first.current == Migration.bundled.last?.version)

                let recorded = try await migrator.applied()
                #expect(recorded.map(\.version) == Migration.bundled.map(\.version))
                #expect(recorded.map(\.name) == Migration.bundled.map(\.name))
                #expect(recorded.map(\.checksum) == Migration.bundled.map(\.checksum))

                let tables = try await client.texts(
                    "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")
                #expect(
                    tables == [
                        "address_balances", "api_keys", "balance_samples", "chain_transfers", "checkout_claims", "console_sessions",
                        "console_users",
                        "hot_wallet_nonces", "idempotency_keys",
                        "merchant_addresses", "merchants", "monitor_blocks", "monitor_checkpoints", "monitor_halts", "monitor_leases",
                        "outbox_events", "payment_sessions", "refund_attempts", "refund_sender_leases", "refunds", "reserved_amounts",
                        "schema_migrations",
                        "session_options", "session_payments", "transfer_changes", "watch_generations", "watched_addresses",
                        "webhook_attempts", "webhook_deliveries", "webhook_endpoints",
                    ])

                // Running again is a no-op.
                let second = try await migrator.migrate()
                #expect(second.applied.isEmpty)
                #expect(second.current == first.current)
                #expect(try await client.count("SELECT count(*) FROM schema_migrations") == Int64(Migration.bundled.count))
                #expect(try await migrator.applied() == recorded)
            }
        }
    }

    @Test func dependentMigrationsRunInOrderEachRecorded() async throws {
        try await TestDatabase.withFresh { database in
            try await withPostgresClient(database) { client in
                let partial = try await Migrator(client: client, migrations: Array(Self.chain.prefix(1))).migrate()
                #expect(partial.applied.map(\.name) == ["0001_create"])
                #expect(partial.current == 1)

                let rest = try await Migrator(client: client, migrations: Self.chain).migrate()
                #expect(rest.applied.map(\.name) == ["0002_column", "0003_rows"])
                #expect(rest.current == 3)
                #expect(try await client.texts("SELECT label FROM items ORDER BY id") == ["one", "x"])
                #expect(
                    try await client.texts("SELECT version::text || ' ' || name FROM schema_migrations ORDER BY applied_at, version")
                        == ["1 0001_create", "2 0002_column", "3 0003_rows"])

                let again = try await Migrator(client: client, migrations: Self.chain).migrate()
                #expect(again.applied.isEmpty)
                #expect(again.current == 3)
            }
        }
    }

    @Test func changedChecksumIsRefused() async throws {
        try await TestDatabase.withFresh { database in
            try await withPostgresClient(database) { client in
                try await Migrator(client: client, migrations: Array(Self.chain.prefix(2))).migrate()
                let edited = [
                    Self.chain[0],
                    Migration(version: 2, name: "0002_column", sql: "ALTER TABLE items ADD COLUMN label text NOT NULL DEFAULT 'y';"),
                    Self.chain[2],
                ]
                var caught: MigrationError?
                do {
                    try await Migrator(client: client, migrations: edited).migrate()
                } catch let error as MigrationError {
                    caught = error
                }
                guard case .checksumMismatch(let version, let name, _, let recorded, let expected) = caught else {
                    #expect(Bool(false), "expected a checksum mismatch, got \(String(describing: caught))")
                    return
                }
                #expect(version == 2)
                #expect(name == "0002_column")
                #expect(recorded == Self.chain[1].checksum)
                #expect(expected == edited[1].checksum)
                #expect(caught?.description.contains("must not be edited") == true)
                // Nothing was applied: migration 3 is still pending.
                #expect(try await client.count("SELECT count(*) FROM schema_migrations") == 2)
                #expect(try await client.count("SELECT count(*) FROM items") == 0)

                // A renamed file with the same version is refused too.
                let renamed = [Self.chain[0], Migration(version: 2, name: "0002_renamed", sql: Self.chain[1].sql)]
                await #expect(throws: MigrationError.self) { try await Migrator(client: client, migrations: renamed).migrate() }

                // A database migrated further than this build knows is refused.
                await #expect(throws: MigrationError.unknownAppliedMigration(version: 2, name: "0002_column")) {
                    try await Migrator(client: client, migrations: Array(Self.chain.prefix(1))).migrate()
                }
            }
        }
    }

    @Test func failingMigrationIsRolledBackWhole() async throws {
        try await TestDatabase.withFresh { database in
            try await withPostgresClient(database) { client in
                let broken = [
                    Self.chain[0],
                    Migration(version: 2, name: "0002_broken", sql: "CREATE TABLE half (id int); INSERT INTO missing_table VALUES (1);"),
                ]
                var caught: MigrationError?
                do { try await Migrator(client: client, migrations: broken).migrate() } catch let error as MigrationError { caught = error }
                guard case .failed(let name, let statement, let reason) = caught else {
                    #expect(Bool(false), "expected a failed migration, got \(String(describing: caught))")
                    return
                }
                #expect(name == "0002_broken")
                #expect(statement == 2)
                #expect(reason.contains("missing_table"))
                #expect(reason.contains("42P01"))
                // Migration 1 stays applied; nothing of migration 2 is left.
                #expect(try await client.texts("SELECT name FROM schema_migrations") == ["0001_create"])
                #expect(try await client.count("SELECT count(*) FROM information_schema.tables WHERE table_name = 'half'") == 0)
                // The lock was released: the fixed list applies.
                let fixed = try await Migrator(client: client, migrations: Self.chain).migrate()
                #expect(fixed.applied.map(\.version) == [2, 3])
            }
        }
    }

    @Test func concurrentMigratorsTakeTurns() async throws {
        try await TestDatabase.withFresh { database in
            // A slow last migration widens the window in which the runs overlap.
            let migrations = Migration.bundled + [Migration(version: 9000, name: "9000_slow", sql: "SELECT pg_sleep(0.3);")]
            let results = try await withThrowingTaskGroup(of: MigrationResult.self) { group in
                for _ in 0..<4 {
                    group.addTask { try await Migrator(database: database, migrations: migrations).migrate() }
                }
                var all: [MigrationResult] = []
                for try await result in group { all.append(result) }
                return all
            }
            #expect(results.count == 4)
            #expect(results.allSatisfy { $0.current == 9000 })
            let applied = results.flatMap(\.applied).map(\.name)
            #expect(applied.sorted() == migrations.map(\.name).sorted(), "each migration applied exactly once")
            #expect(results.filter { !$0.applied.isEmpty }.count == 1, "one run applied everything, the others found nothing to do")
            let recorded = try await withPostgresClient(database) { client in
                try await client.count("SELECT count(*) FROM schema_migrations")
            }
            #expect(recorded == Int64(migrations.count))
        }
    }

    @Test func statementsSplitOutsideQuotesAndComments() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE a (t text DEFAULT 'x;y', "we;ird" int); /* block; /* nested; */ still */
            CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;
            SELECT $$;$$, E'it\\'s;', 'it''s;', $1;
            ;
            -- trailing comment only
            """
        let statements = Migration(version: 1, name: "0001_x", sql: script).statements
        #expect(statements.count == 3)
        #expect(statements[0].hasSuffix(#"CREATE TABLE a (t text DEFAULT 'x;y', "we;ird" int)"#))
        #expect(statements[1].hasPrefix("/* block; /* nested; */ still */"))
        #expect(statements[1].hasSuffix("AS $body$ SELECT 1; $body$"))
        #expect(statements[2] == #"SELECT $$;$$, E'it\'s;', 'it''s;', $1"#)
    }

    @Test func shippedMigrationsAreTheFilesInTheRepository() throws {
        let folder = Paths.repositoryRoot.appendingPathComponent("Sources/GatewayStore/Database/Migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files.map { String($0.dropLast(4)) } == Migration.bundled.map(\.name), "every .sql file is listed in Migration.bundled")
        for (file, migration) in zip(files, Migration.bundled) {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            #expect(text == migration.sql, "\(file) is embedded as it is on disk")
            #expect(migration.checksum.count == 64)
        }
        #expect(throws: MigrationError.self) { try Migration(fileName: "monitor.sql", sql: "") }
        #expect(throws: MigrationError.self) { try Migration(fileName: "0002_x.txt", sql: "") }
        #expect(try Migration(fileName: "0042_more.sql", sql: "SELECT 1").version == 42)
    }

    @Test func migrateCommandPrintsAppliedAndCurrent() async throws {
        try await TestDatabase.withFresh { database in
            let url = try #require(ProcessInfo.processInfo.environment["DATABASE_URL"])
            // DATABASE_URL with the test database's name in place of the server's.
            let query = url.firstIndex(of: "?").map { String(url[$0...]) } ?? ""
            let base = url.dropLast(query.count)
            let target = base[...base.lastIndex(of: "/")!] + database.database + query
            let gateway = Paths.gatewayBinary
            try #require(
                FileManager.default.isExecutableFile(atPath: gateway.path),
                "the gateway binary is not built at \(gateway.path) (swift build --product gateway)")
            let first = try runProcess(gateway, ["migrate", "--database-url", target])
            #expect(first.status == 0, "\(first.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any]
            #expect(object?["applied"] as? [String] == Migration.bundled.map(\.name))
            #expect(object?["current"] as? Int == Migration.bundled.last?.version)

            let second = try runProcess(gateway, ["migrate"], environment: ["DATABASE_URL": target])
            #expect(second.status == 0, "\(second.stderr)")
            #expect(
                second.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                    == #"{"applied":[],"current":\#(Migration.bundled.last!.version)}"#)

            let missing = try runProcess(gateway, ["migrate"], environment: ["DATABASE_URL": ""])
            #expect(missing.status != 0)
            #expect(missing.stderr.contains("DATABASE_URL"))

            let secret = try runProcess(gateway, ["migrate", "--database-url", "postgres://postgres:s3cr3t-pw@127.0.0.1:1/nothing"])
            #expect(secret.status != 0)
            #expect(!secret.stderr.contains("s3cr3t-pw"))
            #expect(!secret.stdout.contains("s3cr3t-pw"))
        }
    }
}
