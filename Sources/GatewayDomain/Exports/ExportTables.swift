import EthereumCore

/// Builds the cells of every export from the records the store read: which rows, in which
/// order, with which columns. Pure, so that each file is a table test (docs/EXPORTS.md
/// documents the same columns).
public enum ExportTables {
    public static let paymentsHeader = [
        "date", "time", "timestamp_utc", "session_id", "order_id", "description", "network", "token", "amount", "tx_hash",
        "log_index", "block_number", "from_address", "to_address", "confirmation", "session_status",
    ]
    public static let ledgerHeader = [
        "date", "time", "timestamp_utc", "network", "token", "type", "session_id", "refund_id", "order_id", "tx_hash", "log_index",
        "counterparty", "amount", "balance",
    ]
    public static let quickbooksHeader = ["Date", "Description", "Amount"]
    public static let xeroHeader = ["Date", "Amount", "Payee", "Description", "Reference"]

    /// One row per payment, in the order they were mined; unconfirmed payments are included
    /// and say so (`confirmation` is `pending`).
    public static func payments(_ records: [PaymentRecord], zone: some ExportTimeZone) -> ExportTable {
        let sorted = records.sorted { ($0.at, $0.txHash.hex, $0.logIndex) < ($1.at, $1.txHash.hex, $1.logIndex) }
        let rows = sorted.map { record -> [String] in
            let local = LocalTime(record.at, in: zone)
            return [
                local.isoDate, local.time, record.at.rfc3339, ExportCell.text(record.sessionId), ExportCell.text(record.orderId),
                ExportCell.text(record.description), ExportCell.text(record.network), ExportCell.text(record.token),
                ExportCell.amount(.positive(record.amount), decimals: record.decimals), record.txHash.hex, String(record.logIndex),
                String(record.blockNumber), record.from.checksummed, record.to.checksummed,
                record.confirmed ? "confirmed" : "pending", ExportCell.text(record.sessionStatus),
            ]
        }
        return ExportTable(header: paymentsHeader, rows: rows)
    }

    /// Money that moved for good: a confirmed payment in, or a succeeded refund out.
    public struct Entry: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable {
            case payment
            case refund
        }

        public let kind: Kind
        public let account: LedgerAccount
        public let decimals: Int
        public let amount: SignedUnits
        public let at: Timestamp
        public let sessionId: String
        public let refundId: String?
        public let orderId: String?
        public let txHash: TxHash?
        public let logIndex: Int?
        public let counterparty: Address?
    }

    /// The ledger's entries in order: by account, then time, payments before refunds at the same
    /// second, then transaction. Unconfirmed payments are left out (they may yet vanish).
    public static func entries(payments: [PaymentRecord], refunds: [RefundRecord]) -> [Entry] {
        let incoming = payments.filter(\.confirmed).map { payment in
            Entry(
                kind: .payment, account: LedgerAccount(network: payment.network, token: payment.token), decimals: payment.decimals,
                amount: .positive(payment.amount), at: payment.at, sessionId: payment.sessionId, refundId: nil,
                orderId: payment.orderId, txHash: payment.txHash, logIndex: payment.logIndex, counterparty: payment.from)
        }
        let outgoing = refunds.map { refund in
            Entry(
                kind: .refund, account: LedgerAccount(network: refund.network, token: refund.token), decimals: refund.decimals,
                amount: .negative(refund.amount), at: refund.at, sessionId: refund.sessionId, refundId: refund.refundId,
                orderId: refund.orderId, txHash: refund.txHash, logIndex: nil, counterparty: refund.destination)
        }
        return (incoming + outgoing).sorted { a, b in
            if a.account != b.account { return a.account < b.account }
            if a.at != b.at { return a.at < b.at }
            if a.kind != b.kind { return a.kind == .payment }
            return (a.txHash?.hex ?? "", a.logIndex ?? -1, a.refundId ?? "") < (b.txHash?.hex ?? "", b.logIndex ?? -1, b.refundId ?? "")
        }
    }

    /// The accounts that have entries, in order: one bank file each.
    public static func accounts(payments: [PaymentRecord], refunds: [RefundRecord]) -> [LedgerAccount] {
        Array(Set(entries(payments: payments, refunds: refunds).map(\.account))).sorted()
    }

    /// The ledger: every entry with the account's balance after it. Each account's balance
    /// starts from `opening` (everything before the range), so the balance column agrees with
    /// the merchant's whole history.
    public static func ledger(
        payments: [PaymentRecord], refunds: [RefundRecord], opening: [LedgerAccount: SignedUnits], zone: some ExportTimeZone
    ) throws(RequestError) -> ExportTable {
        var balances = opening
        var rows: [[String]] = []
        for entry in entries(payments: payments, refunds: refunds) {
            guard let balance = (balances[entry.account] ?? .zero).adding(entry.amount) else {
                throw RequestError(.unprocessable, code: "export_overflow", "the balance of \(entry.account) does not fit 256 bits")
            }
            balances[entry.account] = balance
            let local = LocalTime(entry.at, in: zone)
            rows.append([
                local.isoDate, local.time, entry.at.rfc3339, ExportCell.text(entry.account.network), ExportCell.text(entry.account.token),
                entry.kind.rawValue, ExportCell.text(entry.sessionId), ExportCell.text(entry.refundId), ExportCell.text(entry.orderId),
                entry.txHash?.hex ?? "", entry.logIndex.map(String.init) ?? "", entry.counterparty?.checksummed ?? "",
                ExportCell.amount(entry.amount, decimals: entry.decimals), ExportCell.amount(balance, decimals: entry.decimals),
            ])
        }
        return ExportTable(header: ledgerHeader, rows: rows)
    }

    /// The bank formats of accounting software.
    public enum BankFormat: Sendable, Hashable {
        case quickbooks
        case xero
    }

    /// A bank file of one account, in the ledger's order (not yet split into parts).
    public static func bank(
        _ format: BankFormat, account: LedgerAccount, payments: [PaymentRecord], refunds: [RefundRecord], zone: some ExportTimeZone
    ) -> ExportTable {
        let entries = entries(payments: payments, refunds: refunds).filter { $0.account == account }
        switch format {
        case .quickbooks:
            return ExportTable(
                header: quickbooksHeader,
                rows: entries.map { entry in
                    [
                        LocalTime(entry.at, in: zone).monthDayYear, ExportCell.text(bankDescription(entry, withOrder: true)),
                        ExportCell.amount(entry.amount, decimals: entry.decimals),
                    ]
                })
        case .xero:
            return ExportTable(
                header: xeroHeader,
                rows: entries.map { entry in
                    [
                        LocalTime(entry.at, in: zone).dayMonthYear, ExportCell.amount(entry.amount, decimals: entry.decimals),
                        entry.counterparty?.checksummed ?? "", ExportCell.text(bankDescription(entry, withOrder: false)),
                        ExportCell.text(entry.orderId ?? entry.sessionId),
                    ]
                })
        }
    }

    /// `Payment ps_… order 1001 tx 0x…` or `Refund re_… of ps_… tx 0x…`: what the accountant
    /// matches against the gateway (Xero has a Reference column for the order instead).
    static func bankDescription(_ entry: Entry, withOrder: Bool) -> String {
        var parts: [String]
        switch entry.kind {
        case .payment: parts = ["Payment", entry.sessionId]
        case .refund: parts = ["Refund", entry.refundId ?? "", "of", entry.sessionId]
        }
        if withOrder, let order = entry.orderId { parts += ["order", order] }
        if let hash = entry.txHash { parts += ["tx", hash.hex] }
        return parts.joined(separator: " ")
    }
}
