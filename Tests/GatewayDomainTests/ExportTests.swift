import EthereumCore
import GatewayDomain
import Testing

/// A zone whose offset changes once, like Paris on 2026-03-29 at 01:00 UTC (+1 h to +2 h).
struct SwitchingZone: ExportTimeZone {
    let before: Int
    let after: Int
    let at: Int64
    func secondsFromUTC(at instant: Timestamp) -> Int { instant.unixSeconds < at ? before : after }
}

/// The exports' pure parts: dates and time zones, cells (amounts and the formula rule),
/// splitting, file names, and the rows of every file.
@Suite struct ExportTests {
    static let paris = SwitchingZone(before: 3600, after: 7200, at: 1_774_746_000)

    @Test(
        arguments: [
            ("2026-03-31", "2026-03-31"), ("1970-01-01", "1970-01-01"), ("2024-02-29", "2024-02-29"), ("2026-02-29", nil),
            ("2026-13-01", nil), ("2026-00-10", nil), ("2026-04-31", nil), ("2026-3-31", nil), ("26-03-31", nil), ("2026/03/31", nil),
            ("+026-03-31", nil), ("1969-12-31", nil), ("9999-01-01", nil), ("2026-03-31T00", nil), ("", nil), ("２０２６-03-31", nil),
        ] as [(String, String?)])
    func datesParseStrictly(text: String, expected: String?) {
        #expect(LocalDate(text)?.description == expected)
    }

    @Test(arguments: [("1970-01-01", 0), ("2000-03-01", 11_017), ("2024-02-29", 19_782), ("9998-12-31", 2_932_531)] as [(String, Int64)])
    func dayCounts(text: String, days: Int64) throws {
        let date = try #require(LocalDate(text))
        #expect(date.daysSinceEpoch == days)
        #expect(date.next?.daysSinceEpoch == (text == "9998-12-31" ? nil : days + 1))
    }

    @Test(
        arguments: [
            ("2026-03-01", "2026-03-31", nil), ("2026-03-31", "2026-03-01", "to"), ("2026-03-01", "2027-03-02", "to"),
            ("2026-03-01", "2027-03-01", nil),
            ("2026-01-01", "2026-12-31", nil), ("2026-3-1", "2026-03-31", "from"), ("2026-03-01", "yesterday", "to"),
        ] as [(String, String, String?)])
    func rangesAreChecked(from: String, to: String, faultyParam: String?) {
        do throws(RequestError) {
            _ = try ExportDateRange(from: from, to: to)
            #expect(faultyParam == nil)
        } catch {
            #expect(error.param == faultyParam)
            #expect(error.code == "parameter_invalid")
        }
    }

    @Test(
        arguments: [
            (0, 1_772_323_200, 1_775_001_600), (3600, 1_772_319_600, 1_774_998_000), (-18_000, 1_772_341_200, 1_775_019_600),
        ] as [(Int, Int64, Int64)])
    func windowsStartAtLocalMidnight(offset: Int, start: Int64, end: Int64) throws {
        let range = try ExportDateRange(from: "2026-03-01", to: "2026-03-31")
        let window = range.window(in: FixedOffsetZone(seconds: offset))
        #expect(window.start == Timestamp(unixSeconds: start))
        #expect(window.end == Timestamp(unixSeconds: end))
    }

    @Test func aWindowAcrossDaylightSavingEndsAtTheNewOffset() throws {
        let window = try ExportDateRange(from: "2026-03-01", to: "2026-03-31").window(in: Self.paris)
        #expect(window.start == Timestamp(unixSeconds: 1_772_319_600))  // 2026-02-28T23:00Z
        #expect(window.end == Timestamp(unixSeconds: 1_774_994_400))  // 2026-03-31T22:00Z
    }

    @Test(
        arguments: [
            (1_774_999_800, 0, "2026-03-31", "23:30:00", "03/31/2026", "31/03/2026"),
            (1_774_999_800, 3600, "2026-04-01", "00:30:00", "04/01/2026", "01/04/2026"),
            (1_772_323_200, -18_000, "2026-02-28", "19:00:00", "02/28/2026", "28/02/2026"),
            (0, 0, "1970-01-01", "00:00:00", "01/01/1970", "01/01/1970"),
        ] as [(Int64, Int, String, String, String, String)])
    func localTimes(seconds: Int64, offset: Int, date: String, time: String, us: String, dayFirst: String) {
        let local = LocalTime(Timestamp(unixSeconds: seconds), in: FixedOffsetZone(seconds: offset))
        #expect(local.isoDate == date)
        #expect(local.time == time)
        #expect(local.monthDayYear == us)
        #expect(local.dayMonthYear == dayFirst)
    }

    @Test(
        arguments: [
            ("=HYPERLINK(\"http://evil.example\",\"pay\")", "'=HYPERLINK(\"http://evil.example\",\"pay\")"), ("+1+2", "'+1+2"),
            ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("\r\n=1", "'\r\n=1"),
            ("order 1001", "order 1001"), ("1=2", "1=2"), ("", ""), ("'quoted", "'quoted"), (" =1", " =1"), ("ps_abc", "ps_abc"),
        ] as [(String, String)])
    func textThatCouldRunAsAFormulaIsNeutralised(text: String, cell: String) {
        #expect(ExportCell.text(text) == cell)
    }

    @Test(
        arguments: [
            (12_500_000, false, 6, "12.50"), (12_500_001, false, 6, "12.500001"), (0, false, 6, "0.00"), (12_500_000, true, 6, "-12.50"),
            (1, true, 6, "-0.000001"), (0, true, 6, "0.00"), (5, false, 0, "5"), (5, true, 1, "-0.5"), (100, false, 2, "1.00"),
            (1_000_000_000_000_000_000, false, 18, "1.00"),
        ] as [(UInt64, Bool, Int, String)])
    func amountsAreExactDecimals(units: UInt64, negative: Bool, decimals: Int, text: String) {
        #expect(ExportCell.amount(SignedUnits(magnitude: UInt256(units), isNegative: negative), decimals: decimals) == text)
    }

    @Test(
        arguments: [
            (5, false, 3, false, "8"), (5, false, 3, true, "2"), (3, false, 5, true, "-2"), (5, true, 5, false, "0"),
            (2, true, 3, true, "-5"),
            (0, true, 0, false, "0"),
        ] as [(UInt64, Bool, UInt64, Bool, String)])
    func signedSums(a: UInt64, aNegative: Bool, b: UInt64, bNegative: Bool, sum: String) {
        let left = SignedUnits(magnitude: UInt256(a), isNegative: aNegative)
        let right = SignedUnits(magnitude: UInt256(b), isNegative: bNegative)
        #expect(left.adding(right)?.description == sum)
    }

    @Test func sumsThatOverflowAreReported() {
        #expect(SignedUnits.positive(.max).adding(.positive(1)) == nil)
        #expect(SignedUnits.negative(.max).adding(.negative(1)) == nil)
        #expect(SignedUnits.positive(.max).adding(.negative(1))?.magnitude == UInt256.max - 1)
    }

    @Test(arguments: [(0, [0]), (1, [1]), (999, [999]), (1000, [1000]), (1001, [1000, 1]), (2500, [1000, 1000, 500])] as [(Int, [Int])])
    func bankFilesSplitAtAThousandRows(rows: Int, parts: [Int]) {
        let table = ExportTable(header: ["Date", "Description", "Amount"], rows: (0..<rows).map { ["\($0)", "x", "1.00"] })
        let split = table.parts()
        #expect(split.map(\.rows.count) == parts)
        #expect(split.allSatisfy { $0.header == table.header })
        #expect(split.flatMap(\.rows) == table.rows)
    }

    @Test(
        arguments: [
            (ExportKind.payments, nil, 1, "payments_2026-03-01_2026-03-31.csv"), (.ledger, nil, 1, "ledger_2026-03-01_2026-03-31.csv"),
            (.quickbooks, LedgerAccount(network: "polygon", token: "USDC"), 2, "quickbooks_polygon_USDC_2026-03-01_2026-03-31_part2.csv"),
            (.xero, LedgerAccount(network: "../etc", token: "US DT"), 1, "xero_---etc_US-DT_2026-03-01_2026-03-31_part1.csv"),
        ] as [(ExportKind, LedgerAccount?, Int, String)])
    func fileNames(kind: ExportKind, account: LedgerAccount?, part: Int, name: String) throws {
        let range = try ExportDateRange(from: "2026-03-01", to: "2026-03-31")
        #expect(ExportFileName.name(kind, range: range, account: account, part: part) == name)
    }

    // MARK: Rows

    static let payer = try! Address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
    static let merchant = try! Address("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359")
    static func hash(_ byte: UInt8) -> TxHash { try! TxHash(bytes: [UInt8](repeating: byte, count: 32)) }

    static func payment(
        _ session: String, _ amount: UInt64, at: Int64, network: String = "polygon", token: String = "USDC", order: String? = nil,
        confirmed: Bool = true, hash: UInt8 = 1, log: Int = 0
    ) -> PaymentRecord {
        PaymentRecord(
            sessionId: session, orderId: order, description: "Order", network: network, token: token, decimals: 6, amount: UInt256(amount),
            txHash: Self.hash(hash), logIndex: log, blockNumber: 42, from: payer, to: merchant, confirmed: confirmed,
            sessionStatus: confirmed ? "completed" : "confirming", at: Timestamp(unixSeconds: at))
    }

    static func refund(_ id: String, of session: String, _ amount: UInt64, at: Int64, order: String? = nil) -> RefundRecord {
        RefundRecord(
            refundId: id, sessionId: session, orderId: order, network: "polygon", token: "USDC", decimals: 6, amount: UInt256(amount),
            txHash: hash(9), destination: payer, at: Timestamp(unixSeconds: at))
    }

    @Test func paymentRowsNeutraliseTheMerchantsText() {
        let records = [
            Self.payment("ps_b", 2_000_000, at: 1_774_999_800, confirmed: false, hash: 2),
            Self.payment("ps_a", 12_500_001, at: 1_773_576_000, order: "=HYPERLINK(\"http://evil.example\",\"x\")"),
        ]
        let table = ExportTables.payments(records, zone: FixedOffsetZone(seconds: 3600))
        #expect(table.header == ExportTables.paymentsHeader)
        #expect(
            table.rows == [
                [
                    "2026-03-15", "13:00:00", "2026-03-15T12:00:00Z", "ps_a", "'=HYPERLINK(\"http://evil.example\",\"x\")", "Order",
                    "polygon",
                    "USDC", "12.500001", Self.hash(1).hex, "0", "42", Self.payer.checksummed, Self.merchant.checksummed, "confirmed",
                    "completed",
                ],
                [
                    "2026-04-01", "00:30:00", "2026-03-31T23:30:00Z", "ps_b", "", "Order", "polygon", "USDC", "2.00", Self.hash(2).hex, "0",
                    "42", Self.payer.checksummed, Self.merchant.checksummed, "pending", "confirming",
                ],
            ])
    }

    @Test func theLedgerRunsABalancePerAccountFromTheOpeningBalance() throws {
        let payments = [
            Self.payment("ps_a", 10_000_000, at: 1_773_576_000, order: "1001"),
            Self.payment("ps_b", 5_000_000, at: 1_773_576_100, network: "ethereum", hash: 3),
            Self.payment("ps_c", 7_000_000, at: 1_773_576_200, confirmed: false, hash: 4),
        ]
        let refunds = [Self.refund("re_a", of: "ps_a", 12_000_000, at: 1_773_576_050, order: "1001")]
        let opening = [LedgerAccount(network: "polygon", token: "USDC"): SignedUnits.positive(1_500_000)]
        let table = try ExportTables.ledger(payments: payments, refunds: refunds, opening: opening, zone: FixedOffsetZone(seconds: 0))
        #expect(table.header == ExportTables.ledgerHeader)
        #expect(
            table.rows == [
                [
                    "2026-03-15", "12:01:40", "2026-03-15T12:01:40Z", "ethereum", "USDC", "payment", "ps_b", "", "", Self.hash(3).hex, "0",
                    Self.payer.checksummed, "5.00", "5.00",
                ],
                [
                    "2026-03-15", "12:00:00", "2026-03-15T12:00:00Z", "polygon", "USDC", "payment", "ps_a", "", "1001", Self.hash(1).hex,
                    "0",
                    Self.payer.checksummed, "10.00", "11.50",
                ],
                [
                    "2026-03-15", "12:00:50", "2026-03-15T12:00:50Z", "polygon", "USDC", "refund", "ps_a", "re_a", "1001", Self.hash(9).hex,
                    "",
                    Self.payer.checksummed, "-12.00", "-0.50",
                ],
            ])
    }

    @Test func bankFilesHoldOneAccountWithSignedAmounts() {
        let payments = [
            Self.payment("ps_a", 10_000_000, at: 1_773_576_000, order: "@evil"),
            Self.payment("ps_b", 5_000_000, at: 1_773_576_100, network: "ethereum", hash: 3),
        ]
        let refunds = [Self.refund("re_a", of: "ps_a", 2_500_000, at: 1_773_576_050, order: "@evil")]
        let account = LedgerAccount(network: "polygon", token: "USDC")
        #expect(
            ExportTables.accounts(payments: payments, refunds: refunds) == [LedgerAccount(network: "ethereum", token: "USDC"), account])
        let quickbooks = ExportTables.bank(
            .quickbooks, account: account, payments: payments, refunds: refunds, zone: FixedOffsetZone(seconds: 0))
        #expect(quickbooks.header == ["Date", "Description", "Amount"])
        #expect(
            quickbooks.rows == [
                ["03/15/2026", "Payment ps_a order @evil tx \(Self.hash(1).hex)", "10.00"],
                ["03/15/2026", "Refund re_a of ps_a order @evil tx \(Self.hash(9).hex)", "-2.50"],
            ])
        let xero = ExportTables.bank(.xero, account: account, payments: payments, refunds: refunds, zone: FixedOffsetZone(seconds: 0))
        #expect(xero.header == ["Date", "Amount", "Payee", "Description", "Reference"])
        #expect(
            xero.rows == [
                ["15/03/2026", "10.00", Self.payer.checksummed, "Payment ps_a tx \(Self.hash(1).hex)", "'@evil"],
                ["15/03/2026", "-2.50", Self.payer.checksummed, "Refund re_a of ps_a tx \(Self.hash(9).hex)", "'@evil"],
            ])
    }
}
