import EthereumCore

/// The exports a merchant can download: their names are the API's and the CLI's `--kind`.
public enum ExportKind: String, Sendable, Hashable, CaseIterable {
    /// One row per payment received.
    case payments
    /// Money in and out per network and token, with a running balance.
    case ledger
    /// QuickBooks bank file, one per network and token: `Date,Description,Amount`.
    case quickbooks
    /// Xero bank statement, one per network and token: `Date,Amount,Payee,Description,Reference`.
    case xero

    /// Bank files are made per network and token, and split into parts.
    public var isBankFile: Bool { self == .quickbooks || self == .xero }
}

/// One transfer that paid a session, as the store reads it for the exports.
public struct PaymentRecord: Sendable, Hashable {
    public let sessionId: String
    /// The merchant's `order_id` metadata of the session, when it set one: free text.
    public let orderId: String?
    /// The session's description: free text.
    public let description: String?
    public let network: String
    /// The token's symbol (`USDC`).
    public let token: String
    public let decimals: Int
    /// Base units of the token.
    public let amount: UInt256
    public let txHash: TxHash
    public let logIndex: Int
    public let blockNumber: Int64
    public let from: Address
    public let to: Address
    /// At the network's confirmation depth; false while it may still be reorganised away.
    public let confirmed: Bool
    /// The session's status now (`completed`, `partially_refunded`, …).
    public let sessionStatus: String
    /// When the transfer was mined (the block's time), or first seen when that is unknown.
    public let at: Timestamp

    public init(
        sessionId: String, orderId: String?, description: String?, network: String, token: String, decimals: Int, amount: UInt256,
        txHash: TxHash, logIndex: Int, blockNumber: Int64, from: Address, to: Address, confirmed: Bool, sessionStatus: String,
        at: Timestamp
    ) {
        self.sessionId = sessionId
        self.orderId = orderId
        self.description = description
        self.network = network
        self.token = token
        self.decimals = decimals
        self.amount = amount
        self.txHash = txHash
        self.logIndex = logIndex
        self.blockNumber = blockNumber
        self.from = from
        self.to = to
        self.confirmed = confirmed
        self.sessionStatus = sessionStatus
        self.at = at
    }
}

/// One refund that succeeded (final on chain), as the store reads it for the exports.
public struct RefundRecord: Sendable, Hashable {
    public let refundId: String
    public let sessionId: String
    /// The refunded session's `order_id` metadata: free text.
    public let orderId: String?
    public let network: String
    public let token: String
    public let decimals: Int
    /// Base units of the token sent back.
    public let amount: UInt256
    public let txHash: TxHash?
    public let destination: Address?
    /// When the refund succeeded.
    public let at: Timestamp

    public init(
        refundId: String, sessionId: String, orderId: String?, network: String, token: String, decimals: Int, amount: UInt256,
        txHash: TxHash?, destination: Address?, at: Timestamp
    ) {
        self.refundId = refundId
        self.sessionId = sessionId
        self.orderId = orderId
        self.network = network
        self.token = token
        self.decimals = decimals
        self.amount = amount
        self.txHash = txHash
        self.destination = destination
        self.at = at
    }
}

/// A network and token: the ledger keeps one balance per account, and bank files are made per
/// account.
public struct LedgerAccount: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let network: String
    public let token: String

    public init(network: String, token: String) {
        self.network = network
        self.token = token
    }

    public static func < (lhs: LedgerAccount, rhs: LedgerAccount) -> Bool { (lhs.network, lhs.token) < (rhs.network, rhs.token) }

    public var description: String { "\(network) \(token)" }
}

/// The cells of one CSV file, already safe (``ExportCell``): a header row and data rows of the
/// same width. Encoding to bytes is the store's.
public struct ExportTable: Sendable, Hashable {
    public let header: [String]
    public let rows: [[String]]

    public init(header: [String], rows: [[String]]) {
        self.header = header
        self.rows = rows
    }

    /// The most data rows of one bank file: the bank imports of accounting software take
    /// files of about a thousand lines.
    public static let maxRowsPerPart = 1_000

    /// The table split into parts of at most `maxRows` data rows, each with the header; an
    /// empty table is one part holding only the header.
    public func parts(maxRows: Int = ExportTable.maxRowsPerPart) -> [ExportTable] {
        let size = max(1, maxRows)
        guard !rows.isEmpty else { return [self] }
        return stride(from: 0, to: rows.count, by: size).map { start in
            ExportTable(header: header, rows: Array(rows[start..<min(start + size, rows.count)]))
        }
    }
}

/// The names of the export files (docs/EXPORTS.md): `payments_2026-01-01_2026-01-31.csv`,
/// `ledger_…`, and per account and part `quickbooks_polygon_USDC_2026-01-01_2026-01-31_part1.csv`.
public enum ExportFileName {
    public static func name(_ kind: ExportKind, range: ExportDateRange, account: LedgerAccount? = nil, part: Int = 1) -> String {
        var parts = [kind.rawValue]
        if kind.isBankFile, let account { parts += [safe(account.network), safe(account.token)] }
        parts += [range.from.description, range.to.description]
        if kind.isBankFile { parts.append("part\(part)") }
        return parts.joined(separator: "_") + ".csv"
    }

    /// Letters, digits, `-` and `.` only (network and token names come from the configuration,
    /// but a file name must never climb out of its folder).
    static func safe(_ text: String) -> String {
        let kept = String(
            text.unicodeScalars.map { scalar -> Character in
                scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-")
                    ? Character(scalar) : "-"
            })
        return kept.isEmpty ? "-" : kept
    }
}
