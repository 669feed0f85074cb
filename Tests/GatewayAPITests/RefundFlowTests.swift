import ChainRPC
import EthereumCore
import Foundation
import GatewayDomain
import HTTPTypes
import Synchronization
import Testing

@testable import GatewayServer
@testable import GatewayStore

/// Refunds end to end on the devchain and a real PostgreSQL: the API, the refund store, the
/// sender driven one pass at a time, and the chain's own receipts and logs.
@Suite("Refunds on the devchain", .serialized)
struct RefundFlowTests {
    static let customer = try! Address("0x2000000000000000000000000000000000000a02")

    @Test("a partial refund to an address, then the rest to the payer: one exact Transfer each, session refunded")
    func partialThenFull() async throws {
        let (f, key) = try await CheckoutFixture.withHotWallet()
        let session = try await f.completedSession()
        let created = try await f.createRefund(
            #"{"payment_session":"\#(session.id)","amount":"5.00","destination":"\#(Self.customer.lowercased)","reason":"requested_by_customer"}"#
        )
        #expect(created.status == 201, "\(created.body)")
        let id = created.json.id
        #expect(id.hasPrefix("re_"))
        #expect(created.json.string("status") == "pending")
        #expect(created.json.string("status_reason") == "queued")
        #expect(created.json.string("destination") == Self.customer.checksummed)
        #expect(created.json.string("amount") == "5.00")

        let done = try await f.drive(id, to: "succeeded")
        #expect(done.string("status_reason") == "final")
        #expect(done.string("succeeded_at") != nil)
        let tx = try #require(done.string("tx_hash"))
        #expect(
            try await f.transfers(in: tx) == [TransferEvent(token: f.chain.usdc, from: key.address, to: Self.customer, amount: 5_000_000)])
        var after = try await f.session(session.id)
        #expect(after.string("status") == "partially_refunded")
        #expect(after.string("amount_refunded") == "5.00")
        #expect(after.string("completed_at") == session.string("completed_at"))

        let rest = try await f.createRefund(#"{"payment_session":"\#(session.id)","destination":"payer"}"#)
        #expect(rest.status == 201, "\(rest.body)")
        #expect(rest.json.string("amount") == AmountText.format(session.amountDue - 5_000_000, scale: 6))
        #expect(rest.json.string("destination") == f.chain.keys[1].address.checksummed)
        let second = try await f.drive(rest.json.id, to: "succeeded")
        #expect(
            try await f.transfers(in: second.string("tx_hash")!) == [
                TransferEvent(token: f.chain.usdc, from: key.address, to: f.chain.keys[1].address, amount: session.amountDue - 5_000_000)
            ])
        after = try await f.session(session.id)
        #expect(after.string("status") == "refunded")
        #expect(after.string("amount_refunded") == after.string("amount_received"))
        #expect(
            try await f.events(of: session.id) == [
                "payment.created", "payment.confirming", "payment.completed", "payment.partially_refunded", "payment.refunded",
            ])
        #expect(try await f.events(of: id) == ["refund.created", "refund.succeeded"])
        // Nothing is left to refund.
        let more = try await f.createRefund(#"{"payment_session":"\#(session.id)","amount":"0.01","destination":"payer"}"#)
        #expect(more.status == 422)
        #expect(more.errorCode == "amount_exceeds_refundable")
        // Nonces 0 and 1, one attempt each, both final.
        #expect(try await f.attempts(of: id).map(\.nonce) == [0])
        #expect(try await f.attempts(of: rest.json.id).map(\.nonce) == [1])
    }

    @Test("concurrent refunds never pass what the session received")
    func cumulativeCap() async throws {
        let (f, _) = try await CheckoutFixture.withHotWallet()
        let session = try await f.completedSession("3.00")
        let replies = try await withThrowingTaskGroup(of: CheckoutFixture.Reply.self) { group in
            for index in 0..<12 {
                group.addTask {
                    try await f.createRefund(
                        #"{"payment_session":"\#(session.id)","amount":"0.50","destination":"\#(Self.customer.checksummed)","metadata":{"n":"\#(index)"}}"#
                    )
                }
            }
            var out: [CheckoutFixture.Reply] = []
            for try await reply in group { out.append(reply) }
            return out
        }
        // 3.00 plus the offset (< 0.001) holds six refunds of 0.50.
        #expect(replies.filter { $0.status == 201 }.count == 6)
        #expect(replies.filter { $0.status == 422 }.allSatisfy { $0.errorCode == "amount_exceeds_refundable" })
        #expect(replies.filter { $0.status == 422 }.count == 6)
    }

    @Test("scopes, tenants and idempotent retries")
    func scopesTenantsAndIdempotency() async throws {
        let (f, _) = try await CheckoutFixture.withHotWallet()
        let session = try await f.completedSession()
        let body = #"{"payment_session":"\#(session.id)","amount":"1.00","destination":"payer"}"#

        let readOnly = try await f.app.stores.keys.create(
            merchantId: f.merchant.id, mode: .test, scopes: [.read, .write], description: nil
        ).1
        let denied = try await f.createRefund(body, key: readOnly)
        #expect(denied.status == 403)
        #expect(denied.errorCode == "scope_missing")

        // Another merchant cannot refund, read, cancel or approve this merchant's objects.
        let foreign = try await f.createRefund(body, key: f.otherKey)
        #expect(foreign.status == 404)
        #expect(foreign.errorParam == "payment_session")

        let first = try await f.createRefund(body, headers: [HTTPField.Name("Idempotency-Key")!: "refund-1"])
        #expect(first.status == 201)
        let again = try await f.createRefund(body, headers: [HTTPField.Name("Idempotency-Key")!: "refund-1"])
        #expect(again.status == 201)
        #expect(again.json.id == first.json.id)
        #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
        let changed = try await f.createRefund(
            #"{"payment_session":"\#(session.id)","amount":"2.00","destination":"payer"}"#,
            headers: [HTTPField.Name("Idempotency-Key")!: "refund-1"])
        #expect(changed.status == 409)
        let list = try await f.call(.get, "/v1/refunds?payment_session=\(session.id)").json
        #expect(list["data"]?.array?.count == 1, "the retry made no second refund")

        let id = first.json.id
        #expect(try await f.call(.get, "/v1/refunds/\(id)", key: .some(f.otherKey)).status == 404)
        #expect(try await f.call(.post, "/v1/refunds/\(id)/cancel", key: .some(f.otherKey)).status == 404)
        #expect(try await f.call(.post, "/v1/refunds/\(id)/approve", key: .some(f.otherKey)).status == 404)
        #expect(try await f.call(.get, "/v1/refunds", key: .some(f.otherKey)).json["data"]?.array?.count == 0)
        #expect(try await f.call(.post, "/v1/refunds/\(id)/approve", key: .some(readOnly)).status == 403)
        #expect(try await f.call(.get, "/v1/refunds/re_doesnotexist0000000000").status == 404)
    }

    static let badRequests: [(body: String, status: Int, param: String)] = [
        (#"{"amount":"1.00"}"#, 400, "payment_session"),
        (#"{"payment_session":"ps_nope","amount":"1.00"}"#, 404, "payment_session"),
        (#"{"payment_session":"SESSION","amount":1}"#, 400, "amount"),
        (#"{"payment_session":"SESSION","amount":"1.5e2"}"#, 400, "amount"),
        (#"{"payment_session":"SESSION","amount":"1.0000001"}"#, 400, "amount"),
        (#"{"payment_session":"SESSION","destination":"0x123"}"#, 400, "destination"),
        (#"{"payment_session":"SESSION","destination":"0x0000000000000000000000000000000000000000"}"#, 400, "destination"),
        (#"{"payment_session":"SESSION","reason":"boredom"}"#, 400, "reason"),
        (#"{"payment_session":"SESSION","metadata":{"a":1}}"#, 400, "metadata"),
        (#"{"payment_session":"SESSION","surprise":true}"#, 400, "surprise"),
        (#"{"payment_session":"SESSION","token":"DAI"}"#, 422, "token"),
        (#"{"payment_session":"SESSION","amount":"100000"}"#, 422, "amount"),
    ]

    @Test("bad requests are refused naming the field")
    func validation() async throws {
        let (f, _) = try await CheckoutFixture.withHotWallet(funded: false)
        let session = try await f.completedSession()
        for case (let body, let status, let param) in Self.badRequests {
            let reply = try await f.createRefund(body.replacingOccurrences(of: "SESSION", with: session.id))
            #expect(reply.status == status, "\(body): \(reply.body)")
            #expect(reply.errorParam == param, "\(body): \(reply.body)")
        }
        #expect(try await f.call(.get, "/v1/refunds?status=lost").errorParam == "status")
        #expect(try await f.call(.get, "/v1/refunds?payment_session=re_1").errorParam == "payment_session")
        #expect(try await f.call(.get, "/v1/refunds?starting_after=ps_1").errorParam == "starting_after")
    }

    @Test("above the threshold a refund waits for an admin's approval; nothing is signed before")
    func approval() async throws {
        var refunds = RefundConfiguration()
        refunds.limits.approvalAbove = UnitAmount(decimal: "5")
        let (f, _) = try await CheckoutFixture.withHotWallet(refunds: refunds)
        let session = try await f.completedSession()
        let created = try await f.createRefund(#"{"payment_session":"\#(session.id)","amount":"6.00","destination":"payer"}"#)
        #expect(created.json.string("status") == "requires_action")
        #expect(created.json.string("status_reason") == "awaiting_approval")
        let summary = try await f.sender.pass()
        #expect(summary.signed == 0)
        #expect(try await f.attempts(of: created.json.id).isEmpty)
        let approved = try await f.call(.post, "/v1/refunds/\(created.json.id)/approve")
        #expect(approved.status == 200)
        #expect(approved.json.string("status") == "pending")
        #expect(approved.json.string("status_reason") == "queued")
        #expect(try await f.call(.post, "/v1/refunds/\(created.json.id)/approve").status == 409)
        try await f.drive(created.json.id, to: "succeeded")
    }

    @Test("cancel before anything is signed; a signed refund cannot be canceled")
    func cancel() async throws {
        let (f, _) = try await CheckoutFixture.withHotWallet()
        let session = try await f.completedSession()
        let asked = try await f.createRefund(#"{"payment_session":"\#(session.id)","amount":"1.00"}"#)
        #expect(asked.json.string("status_reason") == "awaiting_destination")
        #expect(asked.json.string("refund_url") == "https://pay.example/refund/\(asked.json.id)")
        let canceled = try await f.call(.post, "/v1/refunds/\(asked.json.id)/cancel")
        #expect(canceled.status == 200)
        #expect(canceled.json.string("status") == "canceled")
        #expect(try await f.events(of: asked.json.id) == ["refund.created", "refund.canceled"])

        let sent = try await f.createRefund(#"{"payment_session":"\#(session.id)","amount":"1.00","destination":"payer"}"#)
        try await f.sender.pass()
        let refused = try await f.call(.post, "/v1/refunds/\(sent.json.id)/cancel")
        #expect(refused.status == 409)
        #expect(refused.errorCode == "refund_not_cancelable")
        // The canceled refund's amount is refundable again.
        let list = try await f.call(.get, "/v1/refunds?status=canceled").json
        #expect(list["data"]?.array?.count == 1)
        let full = try await f.createRefund(#"{"payment_session":"\#(session.id)","destination":"payer"}"#)
        #expect(full.json.string("amount") == AmountText.format(session.amountDue - 1_000_000, scale: 6))
    }

    @Test("the customer's page: strict headers, a checked address confirmed in a second step")
    func customerPage() async throws {
        let (f, _) = try await CheckoutFixture.withHotWallet()
        let session = try await f.completedSession()
        let created = try await f.createRefund(#"{"payment_session":"\#(session.id)","amount":"2.00"}"#).json
        let page = try await f.call(.get, "/refund/\(created.id)", key: .some(nil))
        #expect(page.status == 200)
        #expect(page.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
        #expect(page.headers[.contentSecurityPolicy]?.contains("unsafe-inline") == false)
        #expect(page.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
        #expect(page.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
        #expect(page.headers[.cacheControl] == "no-store")
        #expect(!page.body.contains("<script>"), "no inline script")
        let secret = try #require(page.body.firstMatch(of: /name="client_secret" value="(rcs_[0-9A-Za-z]+)"/)?.1)

        func post(_ form: String) async throws -> CheckoutFixture.Reply {
            try await f.call(
                .post, "/refund/\(created.id)/destination", body: form, key: .some(nil),
                headers: [.contentType: "application/x-www-form-urlencoded"])
        }
        // A wrong secret is a wrong link.
        #expect(try await post("client_secret=rcs_wrong&step=confirm&address=\(Self.customer.lowercased)").status == 404)
        // A wrong checksum is refused, shown escaped.
        let bad = try await post("client_secret=\(secret)&step=review&address=0x2000000000000000000000000000000000000A0b%3Cb%3E")
        #expect(bad.status == 400)
        #expect(bad.body.contains("&lt;b&gt;") && !bad.body.contains("<b>"))
        // Review shows the checksummed address and asks to confirm; nothing is saved yet.
        let review = try await post("client_secret=\(secret)&step=review&address=\(Self.customer.lowercased)")
        #expect(review.status == 200)
        #expect(review.body.contains(Self.customer.checksummed))
        #expect(review.body.contains("id=\"confirm-form\""))
        #expect(try await f.refund(created.id).string("destination") == nil)
        let confirmed = try await post("client_secret=\(secret)&step=confirm&address=\(Self.customer.lowercased)")
        #expect(confirmed.status == 303)
        #expect(confirmed.headers[.location] == "/refund/\(created.id)")
        let refund = try await f.refund(created.id)
        #expect(refund.string("destination") == Self.customer.checksummed)
        #expect(refund.string("status") == "pending")
        #expect(try await post("client_secret=\(secret)&step=confirm&address=\(Self.customer.lowercased)").status == 409)
        try await f.drive(created.id, to: "succeeded")
        #expect(try await f.call(.get, "/refund/re_unknown000000000000000", key: .some(nil)).status == 404)
    }

    @Test("without a hot wallet a refund waits with a reason")
    func noHotWallet() async throws {
        let f = try await CheckoutFixture()
        let session = try await f.completedSession()
        let created = try await f.createRefund(#"{"payment_session":"\#(session.id)","destination":"payer"}"#)
        #expect(created.status == 201)
        #expect(created.json.string("status") == "requires_action")
        #expect(created.json.string("status_reason") == "hot_wallet_missing")
    }

    @Test("an empty hot wallet waits (insufficient_funds) and succeeds once funded")
    func emptyWalletThenFunded() async throws {
        let (f, key) = try await CheckoutFixture.withHotWallet(funded: false)
        let session = try await f.completedSession()
        let created = try await f.createRefund(#"{"payment_session":"\#(session.id)","amount":"3.00","destination":"payer"}"#)
        try await f.sender.pass()
        let waiting = try await f.refund(created.json.id)
        #expect(waiting.string("status") == "pending")
        #expect(waiting.string("status_reason") == "insufficient_funds")
        #expect(try await f.attempts(of: created.json.id).isEmpty, "nothing is signed without the funds")
        try await f.fund(key.address)
        // It is looked at again a few seconds later.
        try await f.execute("UPDATE refunds SET next_check_at = now()")
        try await f.drive(created.json.id, to: "succeeded")
        let balances = try await f.client.query(
            "SELECT count(*) FROM address_balances WHERE network = 'devnet' AND address = \(key.address)", logger: CheckoutFixture.logger)
        #expect(try await balances.decode(Int64.self).all().first == 3, "native, USDC and USDT are stored for operators")
    }

    @Test("a transaction written ahead but never sent (a crash) is sent with the same bytes, never signed again")
    func writtenAheadIsResent() async throws {
        let (f, key) = try await CheckoutFixture.withHotWallet()
        let session = try await f.completedSession()
        let created = try await f.createRefund(#"{"payment_session":"\#(session.id)","amount":"1.00","destination":"payer"}"#).json
        // What the sender does up to its commit, then nothing: the process died.
        let refunds = f.app.stores.refunds
        let tx = Transaction(
            type: .dynamicFee, chainId: f.chain.chainId, nonce: 0, maxPriorityFeePerGas: 2_000_000_000, maxFeePerGas: 50_000_000_000,
            gasLimit: 90_000, to: f.chain.usdc, data: ERC20.transferCallData(to: f.chain.keys[1].address, amount: 1_000_000))
        let signed = tx.signed(with: key)
        let written = try await refunds.reserveAndWrite(
            refundId: created.id, network: "devnet", wallet: key.address, pendingCount: 0, checkpoint: { _ in },
            sign: { nonce in
                #expect(nonce == 0)
                return RefundStore.SignedAttempt(
                    raw: signed.raw, hash: signed.hash, gasLimit: 90_000, fees: Fees(tip: 2_000_000_000, maxFee: 50_000_000_000))
            })
        #expect(written?.nonce == 0)
        let done = try await f.drive(created.id, to: "succeeded")
        #expect(done.string("tx_hash") == signed.hash.hex)
        #expect(try await f.attempts(of: created.id).map(\.hash) == [signed.hash.hex])
        // A second reservation for the same refund is refused by the database.
        await #expect(throws: (any Error).self) {
            try await f.execute(
                "INSERT INTO hot_wallet_nonces (network, address, nonce, refund_id) VALUES ('devnet', '\(key.address.lowercased)', 5, '\(created.id)')"
            )
        }
    }

    @Test("a transaction every provider refuses for good fails its refund, and its nonce is filled, never left as a gap")
    func refusedNonceIsFilled() async throws {
        let (f, key) = try await CheckoutFixture.withHotWallet()
        let session = try await f.completedSession()
        let refused = try await f.createRefund(#"{"payment_session":"\#(session.id)","amount":"1.00","destination":"payer"}"#).json
        // Written ahead with less gas than any transaction needs: the node refuses it ("intrinsic gas too low").
        let tx = Transaction(
            type: .dynamicFee, chainId: f.chain.chainId, nonce: 0, maxPriorityFeePerGas: 2_000_000_000, maxFeePerGas: 50_000_000_000,
            gasLimit: 20_000, to: f.chain.usdc, data: ERC20.transferCallData(to: f.chain.keys[1].address, amount: 1_000_000))
        let signed = tx.signed(with: key)
        _ = try await f.app.stores.refunds.reserveAndWrite(
            refundId: refused.id, network: "devnet", wallet: key.address, pendingCount: 0, checkpoint: { _ in },
            sign: { _ in
                RefundStore.SignedAttempt(
                    raw: signed.raw, hash: signed.hash, gasLimit: 20_000, fees: Fees(tip: 2_000_000_000, maxFee: 50_000_000_000))
            })
        let next = try await f.createRefund(#"{"payment_session":"\#(session.id)","amount":"2.00","destination":"payer"}"#).json
        let failed = try await f.drive(refused.id, to: "failed")
        #expect(failed.string("status_reason") == "rejected")
        #expect(try await f.events(of: refused.id) == ["refund.created", "refund.failed"])
        try await f.drive(next.id, to: "succeeded")
        // Nonce 0 holds a zero-value transaction to the wallet itself; the next refund is nonce 1.
        #expect(try await f.attempts(of: next.id).map(\.nonce) == [1])
        let rows = try await f.client.query(
            "SELECT a.raw FROM refund_attempts a WHERE a.nonce = 0 ORDER BY a.attempt", logger: CheckoutFixture.logger)
        let attempts = try await rows.decode(Data.self).all().map { try SignedTransaction.decode(raw: Array($0)) }
        #expect(attempts.count == 2)
        #expect(attempts.last?.transaction.to == key.address)
        #expect(attempts.last?.transaction.value == .zero)
        #expect(attempts.last?.transaction.data == [])
        #expect(try await f.chain.client().request(.transactionCount(key.address, .latest), parse: RPCParse.uint64) == 2)
    }

    @Test("a mined refund whose block is reorged out goes back to pending, is sent again and succeeds")
    func reorg() async throws {
        let (f, _) = try await CheckoutFixture.withHotWallet(confirmations: 3)
        let session = try await f.completedSession()
        let created = try await f.createRefund(#"{"payment_session":"\#(session.id)","amount":"4.00","destination":"payer"}"#).json
        let snapshot = try await f.chain.snapshot()
        try await f.sender.pass()  // signed, sent, mined (automine)
        try await f.sender.pass()  // its receipt
        let mined = try await f.refund(created.id)
        #expect(mined.string("status_reason") == "mined")
        let firstHash = try #require(mined.string("tx_hash"))
        // A longer fork without it.
        try await f.chain.revert(snapshot)
        try await f.chain.control("evm_setAutomine", [.bool(false)])
        try await f.chain.mine(3)
        try await f.sync()
        try await f.sender.pass()
        let reorged = try await f.refund(created.id)
        #expect(reorged.string("status") == "pending")
        #expect(reorged.string("status_reason") == "broadcast", "sent again at once")
        #expect(reorged.string("tx_hash") == nil)
        try await f.chain.control("evm_setAutomine", [.bool(true)])
        let done = try await f.drive(created.id, to: "succeeded")
        #expect(done.string("tx_hash") == firstHash, "the same bytes, mined again")
        #expect(try await f.attempts(of: created.id).count == 1)
    }

    @Test("a refund that reverts on chain ends failed (reverted), its nonce used, and is not retried")
    func revert() async throws {
        let (f, key) = try await CheckoutFixture.withHotWallet()
        let session = try await f.completedSession()
        // Before the gateway signs anything, the wallet lets account 4 spend its USDC (nonce 0).
        let spender = f.chain.keys[4].address
        let approve = Transaction(
            type: .dynamicFee, chainId: f.chain.chainId, nonce: 0, maxPriorityFeePerGas: 1, maxFeePerGas: 10_000_000_000,
            gasLimit: 100_000, to: f.chain.usdc, data: [0x09, 0x5e, 0xa7, 0xb3] + spender.word.bytes + UInt256.max.bigEndianBytes)
        try await f.chain.send(approve.signed(with: key).raw)
        try await f.chain.control("evm_setAutomine", [.bool(false)])
        // A drain waits in the pool ahead of the refund: the refund is estimated and signed
        // against the balance at the head, then executes after the drain.
        let sink = try Address("0x3000000000000000000000000000000000000003")
        let drainData = [0x23, 0xb8, 0x72, 0xdd] + key.address.word.bytes + sink.word.bytes + UInt256(1_000_000_000).bigEndianBytes
        let nonce = try await f.chain.client().request(.transactionCount(spender, .pending), parse: RPCParse.uint64)
        let drain = Transaction(
            type: .dynamicFee, chainId: f.chain.chainId, nonce: nonce, maxPriorityFeePerGas: 1, maxFeePerGas: 10_000_000_000,
            gasLimit: 100_000, to: f.chain.usdc, data: drainData)
        try await f.chain.send(drain.signed(with: f.chain.keys[4]).raw)
        let created = try await f.createRefund(#"{"payment_session":"\#(session.id)","amount":"3.00","destination":"payer"}"#).json
        let summary = try await f.sender.pass()
        #expect(summary.signed == 1)
        let failed = try await f.drive(created.id, to: "failed")
        #expect(failed.string("status_reason") == "reverted")
        let tx = try #require(failed.string("tx_hash"))
        #expect(try await f.transfers(in: tx).isEmpty)
        let receipt = try await f.chain.client().request(.receipt(try TxHash(hex: tx)), parse: RPCParse.receipt)
        #expect(receipt?.status == 0)
        #expect(try await f.events(of: created.id) == ["refund.created", "refund.failed"])
        // The nonce is used; nothing is signed again for it.
        for _ in 0..<3 {
            try await f.sender.pass()
            try await f.chain.mine(1)
        }
        #expect(try await f.attempts(of: created.id).map(\.nonce) == [1])
        #expect(try await f.chain.client().request(.transactionCount(key.address, .latest), parse: RPCParse.uint64) == 2)
        // Its amount is refundable again; the session did not change.
        #expect(try await f.session(session.id).string("status") == "completed")
        let again = try await f.createRefund(#"{"payment_session":"\#(session.id)","destination":"payer"}"#)
        #expect(again.json.string("amount") == AmountText.format(session.amountDue, scale: 6))
    }

    @Test("a transaction under the pool's tip floor is replaced with higher fees and the replacement is mined")
    func underpricedIsReplaced() async throws {
        let (f, key) = try await CheckoutFixture.withHotWallet()
        let session = try await f.completedSession()
        // The pool now asks 3 gwei; the gateway starts at its devnet floor of 1 gwei.
        try await f.chain.control("devchain_setMinTip", [.string("3000000000")])
        let created = try await f.createRefund(#"{"payment_session":"\#(session.id)","amount":"1.00","destination":"payer"}"#).json
        let done = try await f.drive(created.id, to: "succeeded")
        let attempts = try await f.attempts(of: created.id)
        #expect(attempts.count == 2)
        #expect(Set(attempts.map(\.nonce)) == [0])
        #expect(done.string("tx_hash") == attempts[1].hash)
        let first = try SignedTransaction.decode(raw: attempts[0].raw)
        let second = try SignedTransaction.decode(raw: attempts[1].raw)
        #expect(try first.sender() == key.address && second.sender() == key.address)
        #expect(second.transaction.maxPriorityFeePerGas >= 3_000_000_000)
        #expect(second.transaction.maxFeePerGas * 100 >= first.transaction.maxFeePerGas * 110)
        #expect(second.transaction.data == first.transaction.data)
    }

    @Test("a sender pass fenced out by a newer lease writes nothing: no nonce, no signature, no status change")
    func abandonedPassIsFencedOut() async throws {
        let (f, key) = try await CheckoutFixture.withHotWallet()
        let session = try await f.completedSession()
        let created = try await f.createRefund(#"{"payment_session":"\#(session.id)","amount":"1.00","destination":"payer"}"#).json
        let store = f.app.stores.refunds
        let old = try await store.acquireSenderLease(network: "devnet", wallet: key.address, holder: "abandoned")
        let new = try await store.acquireSenderLease(network: "devnet", wallet: key.address, holder: "current")
        #expect(new.epoch == old.epoch + 1)
        let lost = StoreError.refundLeaseLost(network: "devnet", wallet: key.address.lowercased, epoch: old.epoch, current: new.epoch)
        let abandoned = store.fenced(by: old)
        let signs = Counter()
        await #expect(throws: lost) {
            _ = try await abandoned.reserveAndWrite(
                refundId: created.id, network: "devnet", wallet: key.address, pendingCount: 0, checkpoint: { _ in },
                sign: { _ in
                    signs.add()
                    throw CancellationError()
                })
        }
        await #expect(throws: lost) { try await abandoned.postpone(created.id, reason: .feeAboveCap, seconds: 15) }
        await #expect(throws: lost) { try await abandoned.adoptWaitingForWallet(network: "devnet") }
        #expect(signs.value == 0)
        #expect(try await f.attempts(of: created.id).isEmpty)
        #expect(try await f.refund(created.id).string("status_reason") == "queued")
        // The newest lease writes.
        try await store.fenced(by: new).postpone(created.id, reason: .feeAboveCap, seconds: 15)
        #expect(try await f.refund(created.id).string("status_reason") == "fee_above_cap")
    }

    @Test("a pass keeps the store of the lease it began under: after a new lease it is refused, and the next pass signs")
    func passKeepsItsLease() async throws {
        let (f, _) = try await CheckoutFixture.withHotWallet()
        let session = try await f.completedSession()
        let created = try await f.createRefund(#"{"payment_session":"\#(session.id)","amount":"1.00","destination":"payer"}"#).json
        let sender = f.sender
        try await sender.takeLease()
        let abandoned = await sender.refunds
        try await sender.takeLease()
        // A pass bound to the first lease's store (as an abandoned pass stays bound) writes nothing.
        await #expect(throws: StoreError.self) { try await RefundSender.$passRefunds.withValue(abandoned) { try await sender.pass() } }
        #expect(try await f.attempts(of: created.id).isEmpty)
        #expect(try await f.refund(created.id).string("status_reason") == "queued")
        // A pass under the current lease signs and sends it.
        try await f.drive(created.id, to: "succeeded")
    }

    @Test("a sender whose passes outlive their deadline lets go and starts again under a new lease each time")
    func passDeadlineTakesNewLeases() async throws {
        var configuration = RefundConfiguration()
        configuration.passDeadline = .zero
        let (f, key) = try await CheckoutFixture.withHotWallet(refunds: configuration)
        let running = Task { try await f.sender.run() }
        defer { running.cancel() }
        var epoch: Int64 = 0
        for _ in 0..<300 where epoch < 3 {
            try await Task.sleep(for: .milliseconds(100))
            let rows = try await f.client.query(
                "SELECT epoch FROM refund_sender_leases WHERE network = 'devnet' AND address = \(key.address.lowercased)",
                logger: CheckoutFixture.logger)
            epoch = try await rows.decode(Int64.self).all().first ?? 0
        }
        #expect(epoch >= 3)
        // The sender writes through the store of its newest lease.
        #expect((await f.sender.refunds.lease?.epoch ?? 0) >= 3)
        running.cancel()
        _ = await running.result
    }
}

/// Counts calls from any task.
final class Counter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
