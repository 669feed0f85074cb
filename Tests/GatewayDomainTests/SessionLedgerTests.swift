import EthereumCore
import GatewayDomain
import Testing

/// The ledger binds, updates and saves sessions in memory; these check what it asks the store
/// to write.
@Suite struct SessionLedgerTests {
    static let now = Timestamp(unixSeconds: 2_000)

    @Test func anExactTransferIsBoundAndTheSessionConfirms() throws {
        var ledger = SessionLedger(sessions: [Build.session("ps_a")], now: Self.now, lateWindowSeconds: 60)
        let transfer = Build.transfer(id: 5, amount: 12_500_001)
        #expect(try ledger.apply(transfer: transfer, boundTo: nil) == .bound(sessionId: "ps_a", by: .amount))
        let change = try #require(ledger.changes.first)
        #expect(ledger.changes.count == 1)
        #expect(change.events == [.confirming])
        #expect(change.after.status == .confirming)
        #expect(change.added.map(\.transfer.id) == [5])
        #expect(change.added.first?.credited == 12_500_001)
        #expect(change.added.first?.createdAt == Self.now)
        #expect(change.sessionChanged)
        #expect(change.changedPayments.isEmpty)
    }

    @Test func aConfirmedTransferBindsAsConfirmedAndCompletes() throws {
        var ledger = SessionLedger(sessions: [Build.session("ps_a")], now: Self.now, lateWindowSeconds: 60)
        _ = try ledger.apply(transfer: Build.transfer(id: 5, amount: 12_500_001, state: .confirmed), boundTo: nil)
        let change = try #require(ledger.changes.first)
        #expect(change.events == [.confirming, .completed])
        #expect(change.added.first?.transfer.state == .confirmed)
        #expect(change.after.timeline == SessionTimeline(completedAt: Self.now, monitorUntil: Timestamp(unixSeconds: 2_060)))
    }

    @Test func aBoundTransferMovesItsPaymentAndTheSession() throws {
        let session = Build.session("ps_a", status: .confirming, payments: [Build.payment(12_500_001, id: 5)])
        var ledger = SessionLedger(sessions: [session], now: Self.now, lateWindowSeconds: 60)
        let confirmed = Build.transfer(id: 5, amount: 12_500_001, tx: 5, state: .confirmed)
        #expect(try ledger.apply(transfer: confirmed, boundTo: "ps_a") == .updated(sessionId: "ps_a"))
        let change = try #require(ledger.changes.first)
        #expect(change.events == [.completed])
        #expect(change.changedPayments.map(\.transfer.state) == [.confirmed])
        #expect(change.added.isEmpty)

        // The same state again changes nothing.
        var again = SessionLedger(sessions: [change.after], now: Self.now, lateWindowSeconds: 60)
        #expect(try again.apply(transfer: confirmed, boundTo: "ps_a") == .unchanged)
        #expect(again.changes.isEmpty)
    }

    @Test func aRemovalMovesACompletedSessionBack() throws {
        let session = Build.session("ps_a", status: .completed, payments: [Build.payment(12_500_001, id: 5, state: .confirmed)])
        var ledger = SessionLedger(sessions: [session], now: Self.now, lateWindowSeconds: 60)
        _ = try ledger.apply(transfer: Build.transfer(id: 5, amount: 12_500_001, tx: 5, state: .removed), boundTo: "ps_a")
        let change = try #require(ledger.changes.first)
        #expect(change.events == [.reorged])
        #expect(change.after.status == .pending)
        #expect(change.after.statusReason?.contains("reorg") == true)
    }

    @Test func twoTransfersToOneSessionInOneBatch() throws {
        var ledger = SessionLedger(sessions: [Build.session("ps_a")], now: Self.now, lateWindowSeconds: 60)
        #expect(try ledger.apply(transfer: Build.transfer(id: 1, amount: 10_000_000, tx: 1), boundTo: nil) == .unchanged)
        // Nothing bound: the first is not the amount due and nothing is partially paid yet.
        #expect(ledger.changes.isEmpty)
        #expect(
            try ledger.apply(transfer: Build.transfer(id: 2, amount: 12_500_001, tx: 2), boundTo: nil)
                == .bound(sessionId: "ps_a", by: .amount))
        #expect(try ledger.apply(transfer: Build.transfer(id: 3, amount: 7, tx: 3), boundTo: nil) == .unchanged)
        #expect(ledger.changes.first?.added.count == 1)
    }

    @Test func theRemainderHeldCompletesThePartialPayment() throws {
        let session = Build.session("ps_a", payments: [Build.payment(10_000_000, id: 1)], remainder: 2_500_001)
        #expect(session.remaindersWanted.map(\.amount) == [2_500_001])
        var ledger = SessionLedger(sessions: [session], now: Self.now, lateWindowSeconds: 60)
        #expect(
            try ledger.apply(transfer: Build.transfer(id: 2, amount: 2_500_001, tx: 2), boundTo: nil)
                == .bound(sessionId: "ps_a", by: .amount))
        let change = try #require(ledger.changes.first)
        #expect(change.events == [.confirming])
        #expect(change.remaindersChanged, "confirming: the remainder is no longer held")
        #expect(change.after.remaindersWanted.isEmpty)
    }

    @Test func aPartialPaymentAsksForItsRemainder() throws {
        var ledger = SessionLedger(sessions: [Build.session("ps_a")], now: Self.now, lateWindowSeconds: 60)
        let session = try #require(ledger.session("ps_a"))
        try ledger.bind(Build.transfer(id: 3, amount: 10_000_000, tx: 3), to: session, by: .attach)
        let change = try #require(ledger.changes.first)
        #expect(change.events == [.partiallyPaid])
        #expect(change.remaindersChanged)
        #expect(change.after.remaindersWanted.map(\.amount) == [2_500_001])
    }

    @Test func lateIsDecidedByTheBlocksTime() throws {
        // Mined before expiry, processed after the clock expired the session: it counts.
        var ledger = SessionLedger(
            sessions: [Build.session("ps_a", status: .expired, expiresAt: 1_500)], now: Self.now, lateWindowSeconds: 60)
        #expect(
            try ledger.apply(transfer: Build.transfer(id: 4, amount: 12_500_001, tx: 4, minedAt: 1_499), boundTo: nil)
                == .bound(sessionId: "ps_a", by: .amount))
        var change = try #require(ledger.changes.first)
        #expect(change.events == [.confirming])
        #expect(change.added.first?.late == false)
        // Mined after expiry, processed while the session still looks pending: late.
        ledger = SessionLedger(sessions: [Build.session("ps_b", expiresAt: 1_500)], now: Self.now, lateWindowSeconds: 60)
        _ = try ledger.apply(transfer: Build.transfer(id: 5, amount: 12_500_001, tx: 5, minedAt: 1_501), boundTo: nil)
        change = try #require(ledger.changes.first)
        #expect(change.events == [.latePayment])
        #expect(change.added.first?.late == true)
        #expect(change.after.status == .pending)
    }

    @Test func aRemovalAndARevivalInOneBatchAreBothApplied() throws {
        let session = Build.session("ps_a", status: .completed, payments: [Build.payment(12_500_001, id: 5, state: .confirmed)])
        var ledger = SessionLedger(sessions: [session], now: Self.now, lateWindowSeconds: 60)
        let outcomes = try ledger.apply(
            transfer: Build.transfer(id: 5, amount: 12_500_001, tx: 5), states: [.removed, .seen], boundTo: "ps_a")
        #expect(outcomes == [.updated(sessionId: "ps_a"), .updated(sessionId: "ps_a")])
        let change = try #require(ledger.changes.first)
        #expect(change.events == [.reorged, .confirming])
        #expect(change.after.status == .confirming, "back to confirming until the revived block is deep again")
        #expect(change.changedPayments.map(\.transfer.state) == [.seen])
    }

    @Test func expiryAndCancellation() throws {
        var ledger = SessionLedger(sessions: [Build.session("ps_a"), Build.session("ps_b", due: 7)], now: Self.now, lateWindowSeconds: 60)
        try ledger.apply(.expire, to: "ps_a")
        try ledger.apply(.cancel, to: "ps_b")
        #expect(ledger.changes.map(\.events) == [[.expired], [.canceled]])
        #expect(ledger.changes.map(\.after.timeline.monitorUntil) == [Timestamp(unixSeconds: 2_060), Timestamp(unixSeconds: 2_060)])
        #expect(throws: SessionTransitionError.self) { try ledger.apply(.cancel, to: "ps_a") }
    }

    @Test func bindingAfterExpiryIsLate() throws {
        var ledger = SessionLedger(sessions: [Build.session("ps_a", status: .expired)], now: Self.now, lateWindowSeconds: 60)
        let session = try #require(ledger.session("ps_a"))
        try ledger.bind(Build.transfer(id: 9, amount: 12_500_001, tx: 9, minedAt: 6_000), to: session, by: .attach)
        let change = try #require(ledger.changes.first)
        #expect(change.events == [.latePayment])
        #expect(change.added.first?.late == true)
        #expect(change.added.first?.matchedBy == .attach)
        #expect(change.after.status == .expired)
    }
}
