import EthereumCore
import Foundation
import GatewayDomain
import Testing

@testable import GatewayStore

/// Payment sessions end to end on the devchain and a real PostgreSQL: the monitor finds the
/// transfers, the matcher applies them, the API shows the result, the outbox has the events.
@Suite("Payment flows on the devchain", .serialized)
struct PaymentFlowTests {
    @Test("an exact payment: confirming when seen, completed at depth, one event per step")
    func exactPayment() async throws {
        let f = try await CheckoutFixture(confirmations: 3)
        let created = try await f.createSession()
        #expect(created.string("status") == "pending")
        let due = created.amountDue
        #expect(due > UInt256(12_500_000) && due <= UInt256(12_500_999))

        let tx = try await f.pay(created.options[0], amount: due)
        try await f.sync()
        var session = try await f.session(created.id)
        #expect(session.string("status") == "confirming")
        #expect(session.payments.count == 1)
        #expect(session.payments[0].string("tx_hash") == tx.hex)
        #expect(session.payments[0].string("matched_by") == "amount")
        #expect(session.payments[0]["confirmations"]?.intValue == 1)
        #expect(session.string("amount_received") == session.string("amount_due"))

        try await f.advance(1)
        #expect(try await f.session(created.id).string("status") == "confirming")
        try await f.advance(1)
        session = try await f.session(created.id)
        #expect(session.string("status") == "completed")
        #expect(session.payments[0].string("status") == "confirmed")
        #expect(session.string("amount_confirmed") == session.string("amount_due"))
        #expect(session.string("amount_overpaid") == "0.00")
        #expect(session.string("completed_at") != nil)
        #expect(try await f.events(of: created.id) == ["payment.created", "payment.confirming", "payment.completed"])
    }

    @Test("an underpayment reported (and signed) by the paying wallet, then a top-up of exactly the rest, completes")
    func underpaymentThenTopUp() async throws {
        let f = try await CheckoutFixture(confirmations: 2)
        let created = try await f.createSession()
        let due = created.amountDue

        let partial = try await f.pay(created.options[0], amount: UInt256(5_000_000))
        let claim = try await f.claim(created, tx: partial, signedBy: 1)
        #expect(claim.status == 202)
        // The monitor has not seen it yet: the claim alone counts for nothing.
        #expect(claim.json.string("status") == "pending_verification")
        #expect(try await f.session(created.id).string("amount_received") == "0.00")

        try await f.sync()
        var session = try await f.session(created.id)
        #expect(session.string("status") == "pending")
        #expect(session.string("amount_received") == "5.00")
        #expect(session.string("amount_remaining") == AmountText.format(due - UInt256(5_000_000), scale: 6))
        #expect(session.payments[0].string("matched_by") == "transaction")
        // The rest is held for this session alone, and shown as what to send.
        #expect(session.options[0].string("amount_remaining_due_base_units") == (due - UInt256(5_000_000)).decimalString)

        try await f.pay(created.options[0], amount: due - UInt256(5_000_000), from: 2)
        try await f.sync()
        session = try await f.session(created.id)
        #expect(session.string("status") == "confirming")
        #expect(session.payments.count == 2)
        #expect(session.payments[1].string("matched_by") == "amount")
        try await f.advance(2)
        session = try await f.session(created.id)
        #expect(session.string("status") == "completed")
        #expect(session.string("amount_received") == AmountText.format(due, scale: 6))
        #expect(
            try await f.events(of: created.id) == ["payment.created", "payment.partially_paid", "payment.confirming", "payment.completed"])
    }

    @Test("a payment after expiry is recorded as late and does not complete the session")
    func latePayment() async throws {
        let f = try await CheckoutFixture(confirmations: 2)
        let created = try await f.createSession()
        // Expiring at the chain's newest block: the chain has not passed it yet.
        try await f.execute(
            """
            UPDATE payment_sessions SET expires_at = (SELECT block_timestamp FROM monitor_checkpoints WHERE network = 'devnet')
            WHERE id = '\(created.id)'
            """)
        try await f.tick()
        #expect(try await f.session(created.id).string("status") == "pending", "the chain has not passed the expiry yet")
        try await f.advance(1)
        // The devchain's clock may run a few seconds ahead of the wall clock: the session
        // expires once both have passed its expiry.
        var status = try await f.session(created.id).string("status")
        for _ in 0..<40 where status != "expired" {
            try await Task.sleep(for: .milliseconds(250))
            try await f.tick()
            status = try await f.session(created.id).string("status")
        }
        #expect(status == "expired")

        try await f.pay(created.options[0], amount: created.amountDue)
        try await f.sync()
        try await f.advance(2)
        let session = try await f.session(created.id)
        #expect(session.string("status") == "expired")
        #expect(session.string("amount_received") == "0.00")
        #expect(session.string("amount_late") == AmountText.format(created.amountDue, scale: 6))
        #expect(session.payments[0]["late"]?.boolValue == true)
        #expect(session.payments[0].string("status") == "confirmed")
        #expect(try await f.events(of: created.id) == ["payment.created", "payment.expired", "payment.late_payment"])
    }

    @Test("a reorg that removes the payment moves the session back; re-inclusion completes it")
    func reorgAndReinclusion() async throws {
        let f = try await CheckoutFixture(confirmations: 3)
        let created = try await f.createSession()
        let snapshot = try await f.chain.snapshot()
        let raw = try await f.chain.signedTransfer(
            token: f.chain.usdc, from: 1, to: CheckoutFixture.merchantAddress, amount: created.amountDue)
        try await f.chain.send(raw)
        try await f.sync()
        #expect(try await f.session(created.id).string("status") == "confirming")

        // A longer fork without the transaction.
        try await f.chain.revert(snapshot)
        try await f.chain.mine(3)
        try await f.sync()
        var session = try await f.session(created.id)
        #expect(session.string("status") == "pending")
        #expect(session.string("amount_received") == "0.00")
        #expect(session.payments[0].string("status") == "removed")
        #expect(session.string("status_reason")?.contains("reorg") == true)

        // The same transaction is mined again, in another block: a new transfer, matched again.
        try await f.chain.send(raw)
        try await f.sync()
        #expect(try await f.session(created.id).string("status") == "confirming")
        try await f.advance(2)
        session = try await f.session(created.id)
        #expect(session.string("status") == "completed")
        #expect(session.payments.count == 2)
        #expect(session.payments.map { $0.string("status") } == ["removed", "confirmed"])
        #expect(
            try await f.events(of: created.id) == [
                "payment.created", "payment.confirming", "payment.reorged", "payment.confirming", "payment.completed",
            ])
    }

    @Test("a transfer that matches nothing is listed as unmatched and can be attached by the merchant")
    func unmatchedAndAttach() async throws {
        let f = try await CheckoutFixture(confirmations: 2)
        let created = try await f.createSession()
        // An exchange withdrawal short by a fee: no session asks for this amount.
        let tx = try await f.pay(created.options[0], amount: UInt256(12_000_000))
        try await f.sync()
        var list = try await f.call(.get, "/v1/transfers?matched=false").json
        let unmatched = list["data"]?.array?.compactMap(\.object) ?? []
        #expect(unmatched.count == 1)
        #expect(unmatched.first?.string("tx_hash") == tx.hex)
        #expect(unmatched.first?.string("amount") == "12.00")
        #expect(unmatched.first?.string("amount_base_units") == "12000000")
        #expect(unmatched.first?["payment_session"] == .null)

        let attached = try await f.call(
            .post, "/v1/payment_sessions/\(created.id)/attach", body: #"{"tx_hash":"\#(tx.hex)","log_index":0}"#)
        #expect(attached.status == 200)
        #expect(attached.json.string("amount_received") == "12.00")
        #expect(attached.json.payments.first?.string("matched_by") == "attach")
        list = try await f.call(.get, "/v1/transfers?matched=false").json
        #expect(list["data"]?.array?.isEmpty == true)
        let again = try await f.call(.post, "/v1/payment_sessions/\(created.id)/attach", body: #"{"tx_hash":"\#(tx.hex)","log_index":0}"#)
        #expect(again.status == 409)
        #expect(again.errorCode == "transfer_already_matched")
    }

    @Test("a crash in the middle of matching loses nothing: the queued change is applied on the next pass")
    func crashWhileMatching() async throws {
        let f = try await CheckoutFixture(confirmations: 2)
        let created = try await f.createSession()
        try await f.pay(created.options[0], amount: created.amountDue)
        _ = try await f.monitor.pollOnce()

        struct Crash: Error {}
        await #expect(throws: Crash.self) {
            try await f.sessions.transaction { connection in
                #expect(try await f.matcher.process(on: connection) == 1)
                throw Crash()
            }
        }
        // Rolled back as a whole: the session is untouched and the change is still queued.
        #expect(try await f.session(created.id).string("status") == "pending")
        #expect(try await f.events(of: created.id) == ["payment.created"])
        #expect(try await f.matcher.processChanges() == 1)
        #expect(try await f.session(created.id).string("status") == "confirming")
        #expect(try await f.matcher.processChanges() == 0)
    }
}
