import ChainMonitor
import PostgresNIO

/// Why the store refused a write or could not read a row.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A value does not fit its column (a block number above Int64.max, a log index above
    /// Int32.max, a chain id of 0).
    case valueOutOfRange(field: String, value: String)
    /// `commitBlock` was given a transfer that does not belong to the block.
    case transferNotInBlock(block: String, transfer: String)
    /// `commitRange` was given a transfer above its new checkpoint.
    case transferAboveCheckpoint(checkpoint: String, transfer: String)
    /// `commitBlock` would not append: the window already holds a block above it, or another
    /// block at its height (a reorg must go through `rollback` first).
    case windowConflict(network: String, reason: String)
    /// `commitBlock` needs a window of at least one block.
    case invalidWindowSize(Int)
    /// A stored row does not parse (it was written by something else than this store).
    case corruptRow(table: String, reason: String)
    /// The monitor's lease was taken by another holder: this monitor must stop writing.
    case leaseLost(network: String, epoch: Int64, current: Int64?)
    /// The hot wallet's refund-sender lease moved on: this sender's pass was abandoned (or
    /// another process holds the wallet) and must not write.
    case refundLeaseLost(network: String, wallet: String, epoch: Int64, current: Int64?)

    public var description: String {
        switch self {
        case .valueOutOfRange(let field, let value): return "\(field) \(value) is out of range"
        case .transferNotInBlock(let block, let transfer): return "transfer \(transfer) is not in block \(block)"
        case .transferAboveCheckpoint(let checkpoint, let transfer):
            return "transfer \(transfer) is above the new checkpoint \(checkpoint)"
        case .windowConflict(let network, let reason): return "cannot append to the window of \(network): \(reason)"
        case .invalidWindowSize(let size): return "the window size must be at least 1, got \(size)"
        case .corruptRow(let table, let reason): return "a row of \(table) does not parse: \(reason)"
        case .leaseLost(let network, let epoch, let current):
            return
                "the monitor lease of \(network) moved on (ours \(epoch), now \(current.map(String.init) ?? "none")): another process runs it"
        case .refundLeaseLost(let network, let wallet, let epoch, let current):
            return
                "the refund-sender lease of \(wallet) on \(network) moved on (ours \(epoch), now \(current.map(String.init) ?? "none")): "
                + "a newer pass writes for the wallet"
        }
    }
}

/// A readable, secret-free account of an error from PostgresNIO (whose own descriptions are
/// deliberately generic): the server's message, SQLSTATE, detail and hint, or the connection
/// failure. Other errors are described as they describe themselves.
public func describeDatabaseError(_ error: any Error) -> String {
    if let error = error as? PSQLError {
        if let info = error.serverInfo {
            var text = info[.message] ?? "server error"
            if let state = info[.sqlState] { text += " (SQLSTATE \(state))" }
            if let detail = info[.detail] { text += "; \(detail)" }
            if let hint = info[.hint] { text += "; hint: \(hint)" }
            return text
        }
        switch error.code {
        case .connectionError:
            return "cannot connect to the database" + (error.underlying.map { ": \($0)" } ?? "")
        case .serverClosedConnection: return "the database closed the connection"
        case .poolClosed: return "the database client is not running"
        case .sslUnsupported: return "the database server does not support TLS (use sslmode=disable or prefer)"
        case .authMechanismRequiresPassword: return "the database asks for a password and DATABASE_URL has none"
        default: return "database error: \(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
        }
    }
    if let error = error as? PostgresTransactionError {
        if let inner = error.closureError ?? error.commitError ?? error.beginError { return describeDatabaseError(inner) }
        return "transaction failed"
    }
    if let error = error as? PostgresDecodingError {
        return "cannot decode column \(error.columnName) (\(error.postgresType)) as \(error.targetType): \(error.code)"
    }
    return String(describing: error)
}

/// The SQLSTATE of a server error, if `error` is one.
public func databaseErrorCode(_ error: any Error) -> String? {
    (error as? PSQLError)?.serverInfo?[.sqlState]
}

extension StoreError {
    /// The refund sender's lease moved on: its pass must stop.
    public var isRefundLeaseLost: Bool {
        if case .refundLeaseLost = self { return true }
        return false
    }
}

extension StoreError: StopsMonitor {
    public var stopsMonitor: Bool {
        if case .leaseLost = self { return true }
        return false
    }
}

/// Whether `error` means the database cannot be reached right now (refused or dropped
/// connections, a pool that gave up connecting), as opposed to a query it refused.
public func isDatabaseUnavailable(_ error: any Error) -> Bool {
    if let error = error as? PSQLError {
        switch error.code {
        case .connectionError, .serverClosedConnection, .poolClosed: return true
        default: return error.serverInfo?[.sqlState].map { $0.hasPrefix("57P") || $0.hasPrefix("08") } ?? false
        }
    }
    if let error = error as? PostgresTransactionError {
        return (error.closureError ?? error.beginError ?? error.commitError).map(isDatabaseUnavailable) ?? false
    }
    // The pool's own errors (its connection circuit breaker tripped, for one).
    return String(reflecting: type(of: error)).contains("ConnectionPoolError")
}
