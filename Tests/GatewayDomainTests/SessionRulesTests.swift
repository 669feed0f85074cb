import EthereumCore
import GatewayDomain
import Testing

@Suite struct AmountScaleTests {
    struct Case: Sendable {
        let decimals: Int
        let scale: Int
        let tokenUnits: UInt256
        let sessionUnits: UInt256
    }

    @Test(arguments: [
        Case(decimals: 6, scale: 6, tokenUnits: 12_500_137, sessionUnits: 12_500_137),
        Case(decimals: 18, scale: 6, tokenUnits: 12_500_137_000_000_000_000, sessionUnits: 12_500_137),
        // Base units below the scale are not credited.
        Case(decimals: 18, scale: 6, tokenUnits: 12_500_137_999_999_999_999, sessionUnits: 12_500_137),
        Case(decimals: 8, scale: 6, tokenUnits: 99, sessionUnits: 0),
        Case(decimals: 0, scale: 0, tokenUnits: 5, sessionUnits: 5),
    ])
    func convertsBothWays(_ row: Case) {
        let scale = AmountScale(tokenDecimals: row.decimals, sessionScale: row.scale)
        #expect(scale.toSession(row.tokenUnits) == row.sessionUnits)
        #expect(scale.toToken(row.sessionUnits) == row.sessionUnits * UInt256.powerOfTen(row.decimals - row.scale))
        #expect(scale.factor == UInt256.powerOfTen(row.decimals - row.scale))
    }
}

@Suite struct SessionStatusRulesTests {
    struct Case: Sendable {
        let status: SessionStatus
        let open: Bool
        let refuses: Bool
    }

    @Test(arguments: [
        Case(status: .pending, open: true, refuses: false),
        Case(status: .confirming, open: true, refuses: false),
        Case(status: .completed, open: false, refuses: false),
        Case(status: .expired, open: false, refuses: false),
        Case(status: .canceled, open: false, refuses: true),
        Case(status: .failed, open: false, refuses: true),
        Case(status: .refunded, open: false, refuses: false),
        Case(status: .partiallyRefunded, open: false, refuses: false),
    ])
    func rules(_ row: Case) {
        #expect(row.status.isOpen == row.open)
        #expect(row.status.hasEnded == !row.open)
        #expect(row.status.refusesPayments == row.refuses)
    }
}

@Suite struct SessionTimelineTests {
    static let now = Timestamp(unixSeconds: 10_000)
    static func at(_ seconds: Int64) -> Timestamp { Timestamp(unixSeconds: seconds) }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let before: SessionTimeline
        let from: SessionStatus
        let to: SessionStatus
        let after: SessionTimeline
        var testDescription: String { name }
    }

    static let empty = SessionTimeline(completedAt: nil, monitorUntil: nil)

    @Test(arguments: [
        Case(name: "an open session is not monitored past its life", before: empty, from: .pending, to: .confirming, after: empty),
        Case(
            name: "completing stamps the time and starts the late window", before: empty, from: .confirming, to: .completed,
            after: SessionTimeline(completedAt: now, monitorUntil: at(10_100))),
        Case(
            name: "staying completed keeps both times", before: SessionTimeline(completedAt: at(5), monitorUntil: at(105)),
            from: .completed,
            to: .completed, after: SessionTimeline(completedAt: at(5), monitorUntil: at(105))),
        Case(
            name: "a reorg back to confirming clears both", before: SessionTimeline(completedAt: at(5), monitorUntil: at(105)),
            from: .completed, to: .confirming, after: empty),
        Case(
            name: "expiry starts the late window", before: empty, from: .pending, to: .expired,
            after: SessionTimeline(completedAt: nil, monitorUntil: at(10_100))),
        Case(
            name: "a late payment keeps the window", before: SessionTimeline(completedAt: nil, monitorUntil: at(105)), from: .expired,
            to: .expired, after: SessionTimeline(completedAt: nil, monitorUntil: at(105))),
        Case(
            name: "an ended session without a window gets one", before: empty, from: .canceled, to: .canceled,
            after: SessionTimeline(completedAt: nil, monitorUntil: at(10_100))),
    ])
    func follows(_ row: Case) {
        #expect(row.before.after(previous: row.from, status: row.to, now: Self.now, lateWindowSeconds: 100) == row.after)
    }
}
