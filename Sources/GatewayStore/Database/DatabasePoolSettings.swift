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
    /// A connection idle for this long is closed (the pool opens connections on demand). The
    /// pool starts this timer, and the keep-alive's, each time a connection goes back to it,
    /// and a timer's memory stays held until it would have fired even when the next lease calls
    /// it off: at 1,000 requests a second PostgresNIO's defaults (60 s and 30 s) held about
    /// 50 MiB. Not a multiple of the keep-alive interval, so that a keep-alive and the close
    /// never fall due together. (Keeping every connection open instead, PostgresNIO's
    /// `minimumConnections`, trips an assertion in its pool after a database outage.)
    public var idleTimeout: Duration = .seconds(15)
    /// How long a connection may sit idle before the pool checks it with `SELECT 1`.
    public var keepAliveInterval: Duration = .seconds(10)

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
