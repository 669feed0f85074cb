import EthereumCore
import Foundation
import GatewayDomain
import HTTPTypes
import TestSupport
import Testing

/// The same merchant's payments, run once as they are and again with hostile requests drawn at
/// random between their steps: malformed and oversized bodies, text Postgres cannot hold,
/// claims of other customers' transactions, wrong secrets, reused idempotency keys, another
/// merchant's reads, cancels and attaches. Each hostile request must be refused or change
/// nothing, and the sessions, their payments and their events after the run must be exactly
/// those of the run without them: nothing lost, doubled, moved or added.
@Suite(.serialized) struct AttackPropertyTests {
    @Test("hostile requests between a merchant's steps leave every session, payment and event as they are without them")
    func attacksChangeNothing() async throws {
        let reference = try await Script(seed: nil).run()
        #expect(reference.attacks.isEmpty)
        // Every session ended as the script intends, in the run without attacks.
        #expect(reference.sessions.map(\.status) == ["completed", "completed", "canceled", "completed", "completed"])
        for seed: UInt64 in [1, 2, 3, 4] {
            let attacked = try await Script(seed: seed).run()
            #expect(attacked.attacks.values.reduce(0, +) >= 10, "seed \(seed): \(attacked.attacks)")
            #expect(attacked.sessions == reference.sessions, "seed \(seed)")
            #expect(attacked.counts == reference.counts, "seed \(seed)")
            print("seed \(seed): \(attacked.attacks.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        }
    }

    /// A session as the run left it, with every value a run draws at random (ids, the offsets
    /// of amounts due, transaction hashes) replaced by its place in the script.
    struct SessionOutcome: Equatable {
        var status: String
        /// Per payment: the script's transaction, its state, and whether its amount is the one
        /// the script sent.
        var payments: [String]
        var events: [String]
    }

    struct Outcome {
        var sessions: [SessionOutcome]
        /// Rows per table (money, sessions, events), which must not differ either.
        var counts: [String: Int]
        /// Hostile requests sent, by kind.
        var attacks: [String: Int]
    }

    /// Five sessions of two merchants: one paid in full, one in two parts, one canceled
    /// unpaid, one created under an idempotency key and overpaid, one of the other merchant.
    final class Script: @unchecked Sendable {
        let seed: UInt64?
        var random: SeededGenerator
        var f: CheckoutFixture!
        var sessions: [JSONObject] = []
        /// The key of each session's merchant.
        var keys: [String] = []
        /// Each transaction the script sent: its session and amount.
        var sent: [(tx: TxHash, session: Int, amount: UInt256)] = []
        var attacks: [String: Int] = [:]
        /// How many of `sent` the monitor and the matcher have taken in.
        var bound = 0
        let idempotencyHeaders: HTTPFields = [.init("Idempotency-Key")!: "order-7"]

        init(seed: UInt64?) {
            self.seed = seed
            random = SeededGenerator(seed: seed ?? 0)
        }

        func run() async throws -> Outcome {
            f = try await CheckoutFixture(confirmations: 2)
            try await create(#"{"amount":"12.50","currency":"USDC"}"#, key: f.key)
            try await create(#"{"amount":"7.25","currency":"USDC"}"#, key: f.key)
            try await create(#"{"amount":"3.00","currency":"USDC"}"#, key: f.key)
            try await create(#"{"amount":"4.00","currency":"USDC"}"#, key: f.key, headers: idempotencyHeaders)
            // The same request again is the same session.
            let replay = try await f.call(
                .post, "/v1/payment_sessions", body: #"{"amount":"4.00","currency":"USDC"}"#, headers: idempotencyHeaders)
            #expect(replay.json.string("id") == sessions[3].id)
            try await hostile()
            try await create(#"{"amount":"2.00","currency":"USDC"}"#, key: f.otherKey)
            try await pay(0, sessions[0].amountDue, from: 1)
            // Amounts no session holds bind through the payer's signed claim, as the checkout page sends it.
            try await pay(1, UInt256(5_000_000), from: 2, claim: true)
            try await sync()
            try await pay(1, sessions[1].amountDue - UInt256(5_000_000), from: 2, claim: true)
            try await pay(4, sessions[4].amountDue, from: 3)
            try await step {
                let canceled = try await self.f.call(.post, "/v1/payment_sessions/\(self.sessions[2].id)/cancel", body: "{}")
                #expect(canceled.status == 200, "\(canceled.body)")
            }
            try await pay(3, sessions[3].amountDue + UInt256(2_000_000), from: 4, claim: true)
            for _ in 0..<(f.confirmations + 1) {
                try await f.chain.mine(1)
                try await sync()
            }
            return try await outcome()
        }

        func create(_ body: String, key: String, headers: HTTPFields = [:]) async throws {
            let reply = try await f.call(.post, "/v1/payment_sessions", body: body, key: .some(key), headers: headers)
            #expect(reply.status == 201, "\(reply.body)")
            sessions.append(reply.json)
            keys.append(key)
            try await hostile()
        }

        func pay(_ session: Int, _ amount: UInt256, from account: Int, claim: Bool = false) async throws {
            let tx = try await f.pay(sessions[session].options[0], amount: amount, from: account)
            sent.append((tx, session, amount))
            try await hostile()
            if claim {
                // Seen in the mempool: reported first for a stranger's checkout.
                if seed != nil { try await attack(.frontRunClaim) }
                let reply = try await f.claim(sessions[session], tx: tx, signedBy: account)
                #expect(reply.status == 202, "\(reply.body)")
                try await hostile()
            }
        }

        /// The monitor and the matcher take in what was sent: every transaction so far pays its session.
        func sync() async throws {
            try await f.sync()
            bound = sent.count
            // Each bound transfer is a chance to count one payment twice.
            if seed != nil { try await attack(.attachMatchedTransfer) }
            try await hostile()
        }

        func step(_ body: () async throws -> Void) async throws {
            try await body()
            try await hostile()
        }

        /// Zero to three hostile requests, drawn from the seed (none in the reference run).
        func hostile() async throws {
            guard seed != nil else { return }
            for _ in 0..<Int.random(in: 0...3, using: &random) {
                try await attack(Attack.allCases.randomElement(using: &random)!)
            }
        }

        enum Attack: String, CaseIterable {
            case nulInText, invalidUTF8, loneSurrogate, malformedJSON, wrongTypes, oversizedBody
            case claimOthersTransaction, claimSignedByStranger, frontRunClaim, claimWithWrongSecret, claimUnknownTransaction,
                claimOnOtherNetwork
            case reuseIdempotencyKey, readOtherMerchant, cancelOtherMerchant, attachOtherMerchantsTransfer, attachMatchedTransfer
        }

        /// Sends one hostile request of `kind` (none when the run so far offers no target for it)
        /// and checks its answer; counted in `attacks`.
        func attack(_ kind: Attack) async throws {
            let any = Int.random(in: 0..<sessions.count, using: &random)
            let target = sessions[any]
            var expected: ClosedRange<Int> = 400...499
            let reply: CheckoutFixture.Reply
            switch kind {
            case .nulInText:
                reply = try await f.call(
                    .post, "/v1/payment_sessions", body: #"{"amount":"1.00","currency":"USDC","description":"x\u0000"}"#)
                #expect(reply.errorParam == "description")
            case .invalidUTF8:
                var bytes = Array(#"{"amount":"1.00","currency":"USDC","metadata":{"k":""#.utf8)
                bytes += [0xC3, 0x28] + Array(#""}}"#.utf8)
                reply = try await f.call(.post, "/v1/payment_sessions", bytes: bytes)
            case .loneSurrogate:
                reply = try await f.call(
                    .post, "/v1/payment_sessions/", body: #"{"amount":"1.00","currency":"USDC","description":"\udc00"}"#)
            case .malformedJSON:
                reply = try await f.call(.post, "/v1/payment_sessions", body: #"{"amount":"1.00","currency":"#)
            case .wrongTypes:
                reply = try await f.call(.post, "/v1/payment_sessions", body: #"{"amount":1e400,"currency":["USDC"]}"#)
            case .oversizedBody:
                let padding = String(repeating: "a", count: 2 << 20)
                reply = try await f.call(
                    .post, "/v1/payment_sessions", body: #"{"amount":"1.00","currency":"USDC","description":"\#(padding)"}"#)
            case .claimOthersTransaction, .claimSignedByStranger:
                // A transaction another session's customer sent, reported for this session
                // (before or after the monitor saw it): it is recorded as a report and binds nothing.
                guard let paid = sent.randomElement(using: &random), paid.session != any else {
                    return
                }
                reply = try await f.claim(target, tx: paid.tx, signedBy: kind == .claimSignedByStranger ? 6 : nil)
                expected = 202...202
            case .frontRunClaim:
                // The transaction just sent, reported for another session before its payer's own claim.
                guard let paid = sent.last, let other = sessions.indices.first(where: { $0 != paid.session }) else {
                    return
                }
                reply = try await f.claim(sessions[other], tx: paid.tx, signedBy: 6)
                expected = 202...202
            case .claimWithWrongSecret:
                var forged = target
                forged.replace("client_secret", with: .string(sessions[(any + 1) % sessions.count].string("client_secret")!))
                reply = try await f.claim(forged, tx: sent.first?.tx ?? TxHash(raw: Bytes32(1, 2, 3, 4)))
            case .claimUnknownTransaction:
                reply = try await f.claim(target, tx: TxHash(raw: Bytes32(UInt64.random(in: 1...UInt64.max, using: &random), 7, 7, 7)))
                expected = 202...202
            case .claimOnOtherNetwork:
                reply = try await f.claim(target, tx: sent.first?.tx ?? TxHash(raw: Bytes32(5, 5, 5, 5)), network: "ethereum")
            case .reuseIdempotencyKey:
                // Another body under the key of the fourth session: never a second session.
                guard sessions.count > 3 else {
                    return
                }
                reply = try await f.call(
                    .post, "/v1/payment_sessions", body: #"{"amount":"400.00","currency":"USDC"}"#, headers: idempotencyHeaders)
                #expect(reply.errorCode == "idempotency_key_reused")
            case .readOtherMerchant:
                reply = try await f.call(.get, "/v1/payment_sessions/\(target.id)", key: .some(keys[any] == f.key ? f.otherKey : f.key))
                expected = 404...404
            case .cancelOtherMerchant:
                reply = try await f.call(
                    .post, "/v1/payment_sessions/\(target.id)/cancel", body: "{}", key: .some(keys[any] == f.key ? f.otherKey : f.key))
                expected = 404...404
            case .attachOtherMerchantsTransfer:
                // The other merchant attaches a transfer to this merchant's address to its own session.
                guard let paid = sent.first(where: { keys[$0.session] == f.key }), let own = keys.firstIndex(of: f.otherKey) else {
                    return
                }
                reply = try await f.call(
                    .post, "/v1/payment_sessions/\(sessions[own].id)/attach", body: #"{"tx_hash":"\#(paid.tx.hex)","log_index":0}"#,
                    key: .some(f.otherKey))
            case .attachMatchedTransfer:
                // A transfer that pays one session, attached by its merchant to another: never counted twice.
                guard let paid = sent.prefix(bound).filter({ keys[$0.session] == f.key }).randomElement(using: &random),
                    let other = sessions.indices.first(where: { $0 != paid.session && keys[$0] == f.key })
                else { return }
                reply = try await f.call(
                    .post, "/v1/payment_sessions/\(sessions[other].id)/attach", body: #"{"tx_hash":"\#(paid.tx.hex)","log_index":0}"#)
            }
            #expect(expected.contains(reply.status), "\(kind): \(reply.status) \(reply.body.prefix(300))")
            attacks[kind.rawValue, default: 0] += 1
        }

        func outcome() async throws -> Outcome {
            var outcomes: [SessionOutcome] = []
            for (index, session) in sessions.enumerated() {
                let now = try await f.call(.get, "/v1/payment_sessions/\(session.id)", key: .some(keys[index])).json
                let payments = now.payments.map { payment -> String in
                    guard let place = sent.firstIndex(where: { $0.tx.hex == payment.string("tx_hash") }) else {
                        return "a transaction the script did not send: \(payment.string("tx_hash") ?? "?")"
                    }
                    let exact = payment.string("amount") == AmountText.format(sent[place].amount, scale: 6)
                    return "tx \(place) of session \(sent[place].session) \(payment.string("status") ?? "?")\(exact ? "" : " wrong amount")"
                }
                outcomes.append(
                    SessionOutcome(status: now.string("status") ?? "?", payments: payments, events: try await f.events(of: session.id)))
            }
            var counts: [String: Int] = [:]
            for table in [
                "payment_sessions", "session_options", "session_payments", "reserved_amounts", "outbox_events", "idempotency_keys",
            ] {
                counts[table] = try await count("SELECT count(*)::int FROM \(table)")
            }
            for state in ["seen", "confirmed", "removed"] {
                counts["chain_transfers \(state)"] = try await count("SELECT count(*)::int FROM chain_transfers WHERE state = '\(state)'")
            }
            return Outcome(sessions: outcomes, counts: counts, attacks: attacks)
        }

        func count(_ sql: String) async throws -> Int {
            let rows = try await f.client.query(.init(unsafeSQL: sql), logger: CheckoutFixture.logger)
            for try await value in rows.decode(Int.self) { return value }
            return -1
        }
    }
}
