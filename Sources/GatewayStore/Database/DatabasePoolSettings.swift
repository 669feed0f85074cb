/// How the gateway uses its database: the pool's size and connect timeout, and timeouts every
/// session carries so that no statement, lock wait or forgotten transaction can hold a
/// connection for ever. The defaults are what `gateway serve` runs with.
public struct DatabasePoolSettings: Sendable, Hashable {
    /// Connections in the pool.
    public var maximumConnections = 20
    /// How long opening one connection may take (the URL's `connect_timeout` wins).
    public var connectTimeout: Duration = .seconds(3)
    /// A statement running longer is cancelled by the server.
    public var statementTimeout: Duration = .seconds(15)
    /// Waiting longer for a lock fails the statement.
    public var lockTimeout: Duration = .seconds(5)
    /// A session idle inside a transaction for longer is ended by the server.
    public var idleInTransactionTimeout: Duration = .seconds(30)

    public init() {}

    /// The startup parameters that set the timeouts (milliseconds).
    var sessionParameters: [(String, String)] {
        [
            ("statement_timeout", Self.milliseconds(statementTimeout)), ("lock_timeout", Self.milliseconds(lockTimeout)),
            ("idle_in_transaction_session_timeout", Self.milliseconds(idleInTransactionTimeout)),
        ]
    }

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return String(max(1, seconds &* 1000 &+ attoseconds / 1_000_000_000_000_000))
    }
}
