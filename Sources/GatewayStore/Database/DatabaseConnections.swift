import Logging
import PostgresNIO

extension DatabaseConfiguration {
    /// The configuration of a single `PostgresConnection` (for one-off work such as migrating,
    /// where a refused connection should fail at once rather than wait for the pool's retries).
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if host.hasPrefix("/") {
            let directory = host.hasSuffix("/") ? String(host.dropLast()) : host
            configuration = .init(
                unixSocketPath: "\(directory)/.s.PGSQL.\(port)", username: username, password: password, database: database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            switch sslMode {
            case .disable: tls = .disable
            case .allow, .prefer: tls = .prefer(try NIOSSLContext(configuration: tlsConfiguration))
            case .require, .verifyCA, .verifyFull: tls = .require(try NIOSSLContext(configuration: tlsConfiguration))
            }
            configuration = .init(host: host, port: port, username: username, password: password, database: database, tls: tls)
        }
        if let applicationName { configuration.options.additionalStartupParameters.append(("application_name", applicationName)) }
        if let connectTimeout { configuration.options.connectTimeout = .seconds(Int64(connectTimeout)) }
        return configuration
    }

    /// Opens one connection; close it with `close()`.
    public func connect(logger: Logger = Logger(label: "gateway.database")) async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration: connectionConfiguration(), id: 1, logger: logger)
    }
}

/// Runs `body` with a `PostgresClient` (a pool) for `configuration` whose `run()` goes on
/// beside it, and shuts the client down when `body` returns or throws. The pool's own
/// background messages go to `backgroundLogger`, or nowhere.
public func withPostgresClient<Result: Sendable>(
    _ configuration: DatabaseConfiguration, backgroundLogger: Logger? = nil, _ body: (PostgresClient) async throws -> Result
) async throws -> Result {
    let client =
        if let backgroundLogger {
            PostgresClient(configuration: configuration.clientConfiguration, backgroundLogger: backgroundLogger)
        } else {
            PostgresClient(configuration: configuration.clientConfiguration)
        }
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        do {
            let result = try await body(client)
            group.cancelAll()
            return result
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

extension AsyncSequence {
    /// Every element, in order.
    func all() async throws -> [Element] {
        var out: [Element] = []
        for try await element in self { out.append(element) }
        return out
    }
}

/// Runs `body` in a transaction on one connection of `client`: committed when it returns,
/// rolled back when it throws (the error is rethrown as is). A cancelled caller rolls back
/// instead of committing: a call abandoned at its deadline (``withDeadline(_:_:)``) must not
/// commit behind the back of the retry that replaces it.
func withTransaction<Result: Sendable>(
    client: PostgresClient, logger: Logger, _ body: (PostgresConnection) async throws -> Result
) async throws -> Result {
    try await client.withConnection { connection in
        try await connection.query("BEGIN", logger: logger)
        do {
            let result = try await body(connection)
            try Task.checkCancellation()
            try await connection.query("COMMIT", logger: logger)
            return result
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }
}
