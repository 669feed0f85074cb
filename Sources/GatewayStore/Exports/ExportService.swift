import Foundation
import GatewayDomain
import Logging
import PostgresNIO

/// One export file: its name (docs/EXPORTS.md), its bytes (UTF-8 CSV) and, for bank files,
/// which part of how many it is.
public struct ExportFile: Sendable, Hashable {
    public let name: String
    public let bytes: [UInt8]
    /// Data rows (the header not counted).
    public let rows: Int
    /// 1-based; always 1 of 1 for `payments` and `ledger`.
    public let part: Int
    public let parts: Int
    /// The bank files' network and token; nil for `payments` and `ledger`.
    public let account: LedgerAccount?

    public static let contentType = "text/csv; charset=utf-8"
}

/// The accounting exports of one merchant, as the API, the CLI and the web console make them:
/// reads the records (``ExportStore``), builds the rows (``ExportTables``), splits bank files
/// (``ExportTable/parts(maxRows:)``) and encodes CSV (``CSVEncoding``).
///
/// Errors the caller should show as they are: `RequestError` (a bad date, an unknown merchant,
/// time zone, network or token, a part past the last, a range too large).
public struct ExportService: Sendable {
    let store: ExportStore

    public init(client: PostgresClient, logger: Logger = Logger(label: "gateway.exports")) {
        store = ExportStore(client: client, logger: logger)
    }

    /// Every file of `kind` for the range: one for `payments` and `ledger`; for bank files one
    /// per part of each network and token with entries in the range (none when there are none).
    public func files(merchantId: String, livemode: Bool, kind: ExportKind, range: ExportDateRange) async throws -> [ExportFile] {
        let data = try await read(merchantId: merchantId, livemode: livemode, kind: kind, range: range)
        guard kind.isBankFile else { return [try single(kind, data: data, range: range)] }
        return try ExportTables.accounts(payments: data.payments, refunds: data.refunds).flatMap { account in
            try bankParts(kind, account: account, data: data, range: range)
        }
    }

    /// One file: `payments` or `ledger` (`network`, `token` and `part` ignored), or one part
    /// (1-based) of the bank file of `network` and `token` (a network and token without entries
    /// give one part holding only the header).
    public func file(
        merchantId: String, livemode: Bool, kind: ExportKind, range: ExportDateRange, network: String? = nil, token: String? = nil,
        part: Int = 1
    ) async throws -> ExportFile {
        guard kind.isBankFile else {
            return try single(
                kind, data: try await read(merchantId: merchantId, livemode: livemode, kind: kind, range: range), range: range)
        }
        guard let network, !network.isEmpty else {
            throw RequestError(code: "parameter_missing", param: "network", "a bank file is made per network: give network")
        }
        guard let token, !token.isEmpty else {
            throw RequestError(code: "parameter_missing", param: "token", "a bank file is made per token: give token (USDC, USDT)")
        }
        let data = try await read(merchantId: merchantId, livemode: livemode, kind: kind, range: range)
        let parts = try bankParts(kind, account: LedgerAccount(network: network, token: token), data: data, range: range)
        guard part >= 1, part <= parts.count else {
            throw RequestError(
                .notFound, code: "part_not_found", param: "part", "this export has \(parts.count) part(s): part is 1 to \(parts.count)")
        }
        return parts[part - 1]
    }

    /// Sets the merchant's time zone (an IANA name Foundation knows, such as `Europe/Paris`);
    /// every export reads its dates in it.
    public func setTimeZone(merchantId: String, identifier: String) async throws {
        _ = try Self.zone(identifier)
        guard try await store.setTimeZone(merchantId: merchantId, name: identifier) else {
            throw RequestError(.notFound, code: "resource_missing", "no merchant \(merchantId.prefix(80))")
        }
    }

    /// The merchant's time zone name (`UTC` until set).
    public func timeZone(merchantId: String) async throws -> String {
        guard let name = try await store.timeZoneName(merchantId: merchantId) else {
            throw RequestError(.notFound, code: "resource_missing", "no merchant \(merchantId.prefix(80))")
        }
        return name
    }

    /// A time zone of Foundation's database, by IANA name.
    public static func zone(_ identifier: String) throws(RequestError) -> FoundationZone {
        // Only the characters of IANA names, and no `..`: the name is never a path the time
        // zone database would read outside its directory.
        let allowed = identifier.unicodeScalars.allSatisfy {
            $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "/_-+".unicodeScalars.contains($0))
        }
        guard identifier.utf8.count <= 64, allowed, !identifier.contains(".."), let zone = TimeZone(identifier: identifier) else {
            throw RequestError(code: "time_zone_invalid", param: "time_zone", "'\(identifier.prefix(64))' is not an IANA time zone name")
        }
        return FoundationZone(zone: zone)
    }

    struct Records {
        let zone: FoundationZone
        let payments: [PaymentRecord]
        let refunds: [RefundRecord]
        let opening: [LedgerAccount: SignedUnits]
    }

    func read(merchantId: String, livemode: Bool, kind: ExportKind, range: ExportDateRange) async throws -> Records {
        let name = try await timeZone(merchantId: merchantId)
        let zone: FoundationZone
        do throws(RequestError) { zone = try Self.zone(name) } catch {
            // The request is fine; the stored setting is not: the merchant has to set it again.
            throw RequestError(.unprocessable, code: error.code, "the merchant's time zone \(error.message); set it again")
        }
        let (start, end) = range.window(in: zone)
        let payments = try await store.payments(merchantId: merchantId, livemode: livemode, start: start, end: end)
        let refunds = kind == .payments ? [] : try await store.refunds(merchantId: merchantId, livemode: livemode, start: start, end: end)
        let opening = kind == .ledger ? try await store.openingBalances(merchantId: merchantId, livemode: livemode, start: start) : [:]
        return Records(zone: zone, payments: payments, refunds: refunds, opening: opening)
    }

    func single(_ kind: ExportKind, data: Records, range: ExportDateRange) throws -> ExportFile {
        let table =
            kind == .payments
            ? ExportTables.payments(data.payments, zone: data.zone)
            : try ExportTables.ledger(payments: data.payments, refunds: data.refunds, opening: data.opening, zone: data.zone)
        return ExportFile(
            name: ExportFileName.name(kind, range: range), bytes: try CSVEncoding.encode(table), rows: table.rows.count, part: 1, parts: 1,
            account: nil)
    }

    func bankParts(_ kind: ExportKind, account: LedgerAccount, data: Records, range: ExportDateRange) throws -> [ExportFile] {
        let format: ExportTables.BankFormat = kind == .xero ? .xero : .quickbooks
        let parts = ExportTables.bank(format, account: account, payments: data.payments, refunds: data.refunds, zone: data.zone).parts()
        return try parts.enumerated().map { index, table in
            ExportFile(
                name: ExportFileName.name(kind, range: range, account: account, part: index + 1), bytes: try CSVEncoding.encode(table),
                rows: table.rows.count, part: index + 1, parts: parts.count, account: account)
        }
    }
}

/// Foundation's time zone (IANA rules, daylight saving) as the exports ask it.
public struct FoundationZone: ExportTimeZone {
    public let zone: TimeZone

    public func secondsFromUTC(at instant: Timestamp) -> Int {
        // Whole seconds well inside 2^53: the conversion to Date's seconds is exact.
        zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant.unixSeconds)))
    }
}
