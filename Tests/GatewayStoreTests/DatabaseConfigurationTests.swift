import Foundation
import GatewayStore
import Testing

@Suite struct DatabaseConfigurationTests {
    @Test func parsesAFullURL() throws {
        let config = try DatabaseConfiguration(
            url: "postgres://gateway:pa%2Fss%40word@db.example.com:6543/payments?sslmode=disable&application_name=gw&connect_timeout=7")
        #expect(config.host == "db.example.com")
        #expect(config.port == 6543)
        #expect(config.username == "gateway")
        #expect(config.password == "pa/ss@word")
        #expect(config.database == "payments")
        #expect(config.sslMode == .disable)
        #expect(config.applicationName == "gw")
        #expect(config.connectTimeout == 7)
        let client = config.clientConfiguration
        #expect(client.host == "db.example.com")
        #expect(client.port == 6543)
        #expect(client.username == "gateway")
        #expect(client.password == "pa/ss@word")
        #expect(client.database == "payments")
        #expect(client.options.connectTimeout == .seconds(7))
    }

    @Test func poolSettingsReachTheClient() throws {
        let config = try DatabaseConfiguration(url: "postgres://gateway@db.example.com/payments")
        var pool = DatabasePoolSettings()
        pool.maximumConnections = 12
        let defaults = config.clientConfiguration(pool: pool)
        #expect(defaults.options.maximumConnections == 12)
        // Connections on demand (a minimum trips PostgresNIO's pool after an outage), with
        // short timers: each one's memory is held until it would have fired.
        #expect(defaults.options.minimumConnections == 0)
        #expect(defaults.options.connectionIdleTimeout == .seconds(15))
        #expect(defaults.options.keepAliveBehavior?.frequency == .seconds(10))
        pool.idleTimeout = .seconds(30)
        pool.keepAliveInterval = .seconds(4)
        let set = config.clientConfiguration(pool: pool)
        #expect(set.options.connectionIdleTimeout == .seconds(30))
        #expect(set.options.keepAliveBehavior?.frequency == .seconds(4))
        let statementTimeout = set.options.additionalStartupParameters.first { $0.0 == "statement_timeout" }?.1
        #expect(statementTimeout == "15000")
    }

    @Test func defaultsAndForms() throws {
        let plain = try DatabaseConfiguration(url: "postgresql://postgres@127.0.0.1/gateway")
        #expect(plain.port == 5432)
        #expect(plain.password == nil)
        #expect(plain.sslMode == .prefer)
        #expect(plain.redactedURL == "postgres://postgres@127.0.0.1:5432/gateway?sslmode=prefer")

        let unencodedAt = try DatabaseConfiguration(url: "postgres://u:p@ss:w0rd@localhost:5433/db")
        #expect(unencodedAt.password == "p@ss:w0rd")
        #expect(unencodedAt.host == "localhost")

        let ipv6 = try DatabaseConfiguration(url: "postgres://u@[::1]:5544/db?sslmode=verify-full")
        #expect(ipv6.host == "::1")
        #expect(ipv6.port == 5544)
        #expect(ipv6.sslMode == .verifyFull)
        #expect(ipv6.redactedURL == "postgres://u@[::1]:5544/db?sslmode=verify-full")

        let socket = try DatabaseConfiguration(url: "postgres://u@%2Fvar%2Frun%2Fpostgresql:5432/db")
        #expect(socket.host == "/var/run/postgresql")
        #expect(socket.clientConfiguration.unixSocketPath == "/var/run/postgresql/.s.PGSQL.5432")

        let env = try DatabaseConfiguration.fromEnvironment(["DATABASE_URL": "postgres://a@h:1/d"])
        #expect(env.database == "d")
        #expect(env.with(database: "other").database == "other")
    }

    @Test(arguments: [
        ("mysql://u@h/db", DatabaseURLError.notAPostgresURL),
        ("postgres://h:5432/db", .missingUser),
        ("postgres://:secret@h/db", .missingUser),
        ("postgres://u:secret@/db", .missingHost),
        ("postgres://u:secret@h:99999/db", .invalidPort),
        ("postgres://u:secret@h:port/db", .invalidPort),
        ("postgres://u:secret@[::1/db", .invalidHost),
        ("postgres://u:secret@h:5432", .missingDatabase),
        ("postgres://u:secret@h/", .missingDatabase),
        ("postgres://u:sec%zzret@h/db", .invalidPercentEncoding(part: "password")),
        (
            "postgres://u:secret@h/db?sslmode=sometimes",
            .invalidParameter(name: "sslmode", expected: "one of disable, allow, prefer, require, verify-ca, verify-full")
        ),
        (
            "postgres://u:secret@h/db?connect_timeout=-1",
            .invalidParameter(name: "connect_timeout", expected: "a positive number of seconds")
        ),
        ("postgres://u:secret@h/db?sslmdoe=disable", .unsupportedParameter("sslmdoe")),
        ("postgres://u:secret@h/db#frag", .fragmentNotAllowed),
    ])
    func refusesMalformedURLs(url: String, expected: DatabaseURLError) {
        #expect(throws: expected) { try DatabaseConfiguration(url: url) }
        do {
            _ = try DatabaseConfiguration(url: url)
        } catch {
            #expect(!String(describing: error).contains("secret"), "the password never appears in an error")
        }
    }

    @Test func missingVariableIsAClearError() {
        #expect(throws: DatabaseURLError.notSet("DATABASE_URL")) { try DatabaseConfiguration.fromEnvironment([:]) }
        #expect(DatabaseURLError.notSet("DATABASE_URL").description.contains("DATABASE_URL is not set"))
    }

    @Test func passwordNeverAppearsInDescriptions() throws {
        let config = try DatabaseConfiguration(url: "postgres://gateway:hunter2-Secret@db:5432/gateway?sslmode=require")
        #expect(config.redactedURL == "postgres://gateway:***@db:5432/gateway?sslmode=require")
        var dumped = ""
        dump(config, to: &dumped)
        for text in [
            config.description, config.debugDescription, String(describing: config), String(reflecting: config), "\(config)", dumped,
        ] {
            #expect(!text.contains("hunter2"), "\(text)")
        }
        #expect(dumped.contains("***"))
    }
}
