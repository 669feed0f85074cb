import ChainRPC
import EthereumCore
import Foundation
import GatewayDomain
import GatewayServer
import GatewayStore
import PostgresNIO
import TestSupport
import Testing

/// Everything a customer, a reorg or a gateway outage could do to take, fake, double or lose
/// a payment, on the devchain and a real Postgres, through the same app `gateway serve` runs.
@Suite(.serialized) struct PaymentIntegrityTests {
    @Test("front-running: another customer's claim of a payment's transaction does not take it")
    func frontRunningClaim() async throws {
        let f = try await CheckoutFixture(confirmations: 2)
        let payer = try await f.createSession()
        let thief = try await f.createSession(#"{"amount":"1.00","currency":"USDC"}"#)
        let tx = try await f.pay(payer.options[0], amount: payer.amountDue, from: 1)
        // Seen in the mempool (or on chain) before the matcher: claimed, unsigned and signed by the thief's own wallet.
        #expect(try await f.claim(thief, tx: tx).status == 202)
        #expect(try await f.claim(thief, tx: tx, signedBy: 3).status == 202)
        try await f.sync()
        #expect(try await f.session(payer.id).string("status") == "confirming")
        let stolen = try await f.session(thief.id)
        #expect(stolen.string("status") == "pending")
        #expect(stolen.string("amount_received") == "0.00")
        #expect(stolen.payments.isEmpty)
    }

    @Test("harvesting: a stray transfer is not taken by a stranger's claim, and one older than the session never by a claim")
    func strayTransfersAreNotHarvested() async throws {
        let f = try await CheckoutFixture(confirmations: 2)
        // An exchange withdrawal short by its fee: it pays no session.
        let stray = try await f.pay(try await f.createSession().options[0], amount: UInt256(11_990_000), from: 4)
        try await f.sync()
        // The session is created after the block was mined (the devchain's clock may run ahead).
        let block = try #require(try await f.chain.client().request(.receipt(stray), parse: RPCParse.receipt)).blockNumber
        let minedAt = try #require(try await f.chain.client().request(.block(.number(block)), parse: RPCParse.block)).timestamp
        while UInt64(Date().timeIntervalSince1970) <= minedAt + 1 { try await Task.sleep(for: .milliseconds(200)) }
        let session = try await f.createSession(#"{"amount":"11.99","currency":"USDC"}"#)
        #expect(try await f.claim(session, tx: stray).json.string("status") == "pending_verification")
        try await f.sync()
        #expect(try await f.session(session.id).payments.isEmpty, "an unsigned claim binds nothing")
        // Even signed by the real sender: the transfer was mined before the session existed.
        #expect(try await f.claim(session, tx: stray, signedBy: 4).status == 202)
        try await f.sync()
        #expect(try await f.session(session.id).payments.isEmpty)
        // The merchant sees the claims beside the unmatched transfer, to attach it if it agrees.
        let unmatched = try await f.call(.get, "/v1/transfers?matched=false").json["data"]?.array?.compactMap(\.object) ?? []
        let listed = try #require(unmatched.first { $0.string("tx_hash") == stray.hex })
        #expect(listed["claims"]?.array?.compactMap(\.object).map { $0.string("payment_session") } == [session.id])
        #expect(listed["claims"]?.array?.first?.object?["signed"]?.boolValue == true)
    }

    @Test(
        "a stranger who reports a transaction first does not keep its sender's signed claim out: the payment binds to the sender's session")
    func reportedFirstByAStranger() async throws {
        let f = try await CheckoutFixture(confirmations: 2)
        let customer = try await f.createSession()
        let stranger = try await f.createSession(#"{"amount":"1.00","currency":"USDC"}"#)
        // An amount no session holds (short by an exchange's fee): only a signed claim can bind it.
        let tx = try await f.pay(customer.options[0], amount: UInt256(12_400_000), from: 4)
        // Seen in the mempool: reported for the stranger's own session, unsigned and signed by the stranger.
        #expect(try await f.claim(stranger, tx: tx).status == 202)
        #expect(try await f.claim(stranger, tx: tx, signedBy: 5).status == 202)
        let signed = try await f.claim(customer, tx: tx, signedBy: 4)
        #expect(signed.status == 202, "\(signed.body)")
        #expect(signed.json.string("status") == "pending_verification")
        try await f.sync()
        let paid = try await f.session(customer.id)
        #expect(paid.payments.map { $0.string("tx_hash") } == [tx.hex])
        #expect(paid.payments.first?.string("amount") == AmountText.format(UInt256(12_400_000), scale: 6))
        #expect(try await f.session(stranger.id).payments.isEmpty)
        // Reported again once bound: the customer's report says so, the stranger's binds nothing.
        #expect(try await f.claim(customer, tx: tx, signedBy: 4).json.string("status") == "matched")
        #expect(try await f.claim(stranger, tx: tx, signedBy: 5).json.string("status") == "pending_verification")
        try await f.sync()
        #expect(try await f.session(stranger.id).payments.isEmpty)
        #expect(try await f.session(customer.id).payments.count == 1)
    }

    @Test("a remainder equal to another session's amount due is held apart: each top-up pays its own session")
    func remainderCollision() async throws {
        let f = try await CheckoutFixture(confirmations: 2)
        let small = try await f.createSession(#"{"amount":"2.50","currency":"USDC"}"#)
        let big = try await f.createSession()
        // A partial payment that leaves exactly the small session's amount due to pay.
        let partial = big.amountDue - small.amountDue
        let first = try await f.pay(big.options[0], amount: partial, from: 1)
        _ = try await f.claim(big, tx: first, signedBy: 1)
        try await f.sync()
        let waiting = try await f.session(big.id)
        #expect(waiting.string("amount_remaining") == AmountText.format(small.amountDue, scale: 6))
        let held = try UInt256(decimal: try #require(waiting.options[0].string("amount_remaining_due_base_units")))
        #expect(held != small.amountDue, "the exact rest is taken by the small session: another amount is asked")
        #expect(held > small.amountDue && held < small.amountDue + 1_000)

        // The small session's customer pays its amount due: it pays the small session.
        try await f.pay(small.options[0], amount: small.amountDue, from: 2)
        // The big session's customer pays what the page shows: it pays the big session.
        try await f.pay(big.options[0], amount: held, from: 1)
        try await f.sync()
        let paidSmall = try await f.session(small.id)
        let paidBig = try await f.session(big.id)
        #expect(paidSmall.string("amount_received") == AmountText.format(small.amountDue, scale: 6))
        #expect(paidSmall.payments.count == 1)
        #expect(paidBig.string("amount_remaining") == "0.00")
        #expect(paidBig.payments.count == 2)
        #expect(paidBig.string("amount_overpaid") == AmountText.format(held - small.amountDue, scale: 6))
    }

    @Test("paid in time while the gateway was down: completed after the restart")
    func paidInTimeWhileDown() async throws {
        let f = try await CheckoutFixture(confirmations: 2)
        let created = try await f.createSession()
        try await f.execute("UPDATE payment_sessions SET expires_at = now() + interval '2 seconds' WHERE id = '\(created.id)'")
        // The gateway is down: nothing polls while the customer pays in time and the time runs out.
        try await f.pay(created.options[0], amount: created.amountDue)
        try await Task.sleep(for: .milliseconds(2_500))
        try await f.chain.mine(1)
        // Restarted, its clock runs before the monitor catches up: nothing expires yet.
        try await f.tick()
        #expect(try await f.session(created.id).string("status") == "pending")
        try await f.sync()
        try await f.advance(2)
        let session = try await f.session(created.id)
        #expect(session.string("status") == "completed")
        #expect(session.string("amount_late") == "0.00")
        #expect(try await f.events(of: created.id) == ["payment.created", "payment.confirming", "payment.completed"])
    }

    @Test("paid before the monitor's first block (the database was away as the gateway started): completed, not skipped")
    func paidBeforeTheMonitorsFirstBlock() async throws {
        let f = try await CheckoutFixture(confirmations: 2, startMonitor: false)
        let created = try await f.createSession()
        let tx = try await f.pay(created.options[0], amount: created.amountDue)
        try await f.chain.mine(3)
        let head = try await f.chain.head()
        // The first poll starts at the block of the oldest open session, not at the head.
        let report = try await f.monitor.pollOnce()
        #expect(report.tip == head)
        try await f.tick()
        let session = try await f.session(created.id)
        #expect(session.string("status") == "completed")
        #expect(session.payments.map { $0.string("tx_hash") } == [tx.hex])
        #expect(try await f.events(of: created.id) == ["payment.created", "payment.confirming", "payment.completed"])
    }

    @Test("paid after expiry while the gateway was down: expired with the late amount, never completed")
    func paidAfterExpiryWhileDown() async throws {
        let f = try await CheckoutFixture(confirmations: 2)
        let created = try await f.createSession()
        try await f.execute("UPDATE payment_sessions SET expires_at = now() + interval '1 second' WHERE id = '\(created.id)'")
        try await Task.sleep(for: .milliseconds(2_100))
        try await f.pay(created.options[0], amount: created.amountDue)
        try await f.sync()
        try await f.advance(2)
        let session = try await f.session(created.id)
        #expect(session.string("status") == "expired")
        #expect(session.string("amount_received") == "0.00")
        #expect(session.string("amount_late") == AmountText.format(created.amountDue, scale: 6))
        #expect(try await f.events(of: created.id) == ["payment.created", "payment.late_payment", "payment.expired"])
    }

    @Test("a payment orphaned while the gateway was down, far behind: removed on restart, credited once when mined again")
    func reorgWhileFarBehind() async throws {
        let f = try await CheckoutFixture(confirmations: 3)
        let created = try await f.createSession()
        let snapshot = try await f.chain.snapshot()
        let raw = try await f.chain.signedTransfer(
            token: f.chain.usdc, from: 1, to: CheckoutFixture.merchantAddress, amount: created.amountDue)
        try await f.chain.send(raw)
        try await f.sync()
        #expect(try await f.session(created.id).string("status") == "confirming")
        // Killed. The block is orphaned and the chain moves on twice the window without the gateway.
        try await f.chain.revert(snapshot)
        try await f.chain.mine(200)
        let restarted = f.app.makeMonitor(f.app.chains[0])
        _ = try await restarted.pollOnce()
        try await f.tick()
        var session = try await f.session(created.id)
        #expect(session.string("status") == "pending")
        #expect(session.payments.map { $0.string("status") } == ["removed"])
        // Mined again: a new transfer, credited once.
        try await f.chain.send(raw)
        for _ in 0..<4 {
            try await f.chain.mine(1)
            _ = try await restarted.pollOnce()
            try await f.tick()
        }
        session = try await f.session(created.id)
        #expect(session.string("status") == "completed")
        #expect(session.string("amount_received") == AmountText.format(created.amountDue, scale: 6))
        #expect(session.payments.map { $0.string("status") } == ["removed", "confirmed"])
    }

    @Test("attach reads the transfer under its lock: a confirmation committed meanwhile is never lost")
    func attachWaitsForTheMonitor() async throws {
        let f = try await CheckoutFixture(confirmations: 2)
        let created = try await f.createSession()
        let tx = try await f.pay(created.options[0], amount: UInt256(12_000_000))
        try await f.sync()
        let database = try await TestDatabase.server().with(database: try await f.databaseName())
        let logger = CheckoutFixture.logger
        // Hold the attach between reading the transfer and committing: its outbox write waits.
        let holder = try await database.connect()
        try await holder.query("BEGIN", logger: logger)
        try await holder.query("LOCK TABLE outbox_events IN EXCLUSIVE MODE", logger: logger)
        let attach = Task {
            try await f.call(.post, "/v1/payment_sessions/\(created.id)/attach", body: #"{"tx_hash":"\#(tx.hex)","log_index":0}"#)
        }
        try await Task.sleep(for: .milliseconds(400))
        // Meanwhile the monitor confirms the transfer, and the matcher runs.
        let monitor = Task {
            let connection = try await database.connect()
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: "UPDATE chain_transfers SET state = 'confirmed', confirmed_at = now() WHERE tx_hash = '\(tx.hex)'"),
                logger: logger)
            try await connection.close()
        }
        try await Task.sleep(for: .milliseconds(400))
        try await f.tick()
        try await holder.query("COMMIT", logger: logger)
        try await holder.close()
        #expect(try await attach.value.status == 200)
        try await monitor.value
        try await f.tick()
        let session = try await f.session(created.id)
        #expect(session.payments.map { $0.string("status") } == ["confirmed"], "the confirmation reached the session")
        #expect(session.string("amount_confirmed") == "12.00")
    }

    @Test("a removal and a revival of the same block inside one matcher batch move the session back, then on")
    func flipInsideOneBatch() async throws {
        let f = try await CheckoutFixture(confirmations: 2)
        let created = try await f.createSession()
        let tx = try await f.pay(created.options[0], amount: created.amountDue)
        try await f.sync()
        try await f.advance(2)
        #expect(try await f.session(created.id).string("status") == "completed")
        // A→B→A between two matcher passes: removed, then the same block canonical again.
        try await f.execute("UPDATE chain_transfers SET state = 'removed', removed_at = now() WHERE tx_hash = '\(tx.hex)'")
        try await f.execute("UPDATE chain_transfers SET state = 'seen', removed_at = NULL, confirmed_at = NULL WHERE tx_hash = '\(tx.hex)'")
        try await f.tick()
        let session = try await f.session(created.id)
        #expect(session.string("status") == "confirming", "not completed until the block is deep again")
        #expect(try await f.events(of: created.id).suffix(2) == ["payment.reorged", "payment.confirming"])
        try await f.advance(2)
        #expect(try await f.session(created.id).string("status") == "completed")
    }
}
