import ChainRPC
import EthereumCore
import Foundation
import GatewayAPI
import GatewayDomain
import GatewayStore
import HTTPTypes
import PostgresNIO
import TestSupport
import Testing

/// What a customer, a merchant or a stranger could send to crash the gateway, stall it for
/// others or get around its limits, through the same app `gateway serve` runs.
@Suite(.serialized) struct ResilienceTests {
    @Test("text Postgres cannot hold is a 400 naming the field")
    func textPostgresCannotHold() async throws {
        let f = try await CheckoutFixture()
        let cases: [(String, String)] = [
            (#"{"amount":"1.00","currency":"USDC","description":"a\u0000b"}"#, "description"),
            (#"{"amount":"1.00","currency":"USDC","metadata":{"order":"x\ud800"}}"#, "metadata"),
            (#"{"amount":"1.00","currency":"USDC","success_url":"https://a.example/\u0000"}"#, "success_url"),
        ]
        for (body, field) in cases {
            let reply = try await f.call(.post, "/v1/payment_sessions", body: body)
            #expect(reply.status == 400, "\(body)")
            #expect(reply.errorParam == field)
        }
        var invalid = Array(#"{"amount":"1.00","currency":"USDC","description":"a"#.utf8)
        invalid += [0xFF, 0xFE] + Array(#""}"#.utf8)
        let reply = try await f.call(.post, "/v1/payment_sessions", bytes: invalid)
        #expect(reply.status == 400)
        #expect(reply.errorParam == "description")
        #expect(try await f.call(.get, "/v1/payment_sessions").json["data"]?.array?.isEmpty == true, "nothing was created")
    }

    @Test("creation limits hold by route (a trailing slash counts), per merchant across keys, and for anonymous callers")
    func rateLimitsCannotBeBypassed() async throws {
        var configuration = APIConfiguration.unlimited
        configuration.createRateLimit = 1
        configuration.merchantRateLimit = 5
        configuration.anonymousRateLimit = 2
        let f = try await CheckoutFixture(configuration: configuration)
        let body = #"{"amount":"1.00","currency":"USDC"}"#
        #expect(try await f.call(.post, "/v1/payment_sessions", body: body).status == 201)
        let slash = try await f.call(.post, "/v1/payment_sessions/", body: body)
        #expect(slash.status == 429, "\(slash.status) \(slash.body)")
        // A second key of the same merchant shares the merchant's limit (5 in all).
        let minted = try await f.call(.post, "/v1/api_keys", body: #"{"scopes":["read"]}"#).json.string("secret")!
        for _ in 0..<2 { _ = try await f.call(.get, "/v1/merchant", key: .some(minted)) }
        let over = try await f.call(.get, "/v1/merchant", key: .some(minted))
        #expect(over.status == 429)
        #expect(over.headers[.retryAfter] != nil)
        // Requests without a valid key are limited per client address.
        #expect(try await f.call(.get, "/v1/merchant", key: .some(nil)).status == 401)
        #expect(try await f.call(.get, "/v1/merchant", key: .some("sk_test_" + String(repeating: "x", count: 32))).status == 401)
        #expect(try await f.call(.get, "/v1/merchant", key: .some(nil)).status == 429)
    }

    @Test("the public checkout is limited per client address, and claims per session")
    func checkoutLimits() async throws {
        var configuration = APIConfiguration.unlimited
        configuration.claimRateLimit = 2
        configuration.checkoutRateLimit = 8
        let f = try await CheckoutFixture(configuration: configuration)
        let session = try await f.createSession()
        for _ in 0..<2 { #expect(try await f.claim(session, tx: TxHash(raw: Bytes32(9, 9, 9, 9))).status == 202) }
        let third = try await f.claim(session, tx: TxHash(raw: Bytes32(9, 9, 9, 9)))
        #expect(third.status == 429)
        var last = 0
        for _ in 0..<8 { last = try await f.call(.get, "/checkout/\(session.id)", key: .some(nil)).status }
        #expect(last == 429, "the 11th checkout request from one address this minute")
    }

    @Test("a claim of a transaction with 2,000 transfers finishes, binds at most the cap, and the rest stay unmatched")
    func claimOfAHugeTransaction() async throws {
        let f = try await CheckoutFixture()
        let session = try await f.createSession()
        let payer = f.chain.keys[1].address
        let tx = TxHash(raw: Keccak256.hash(text: "a transaction with many transfers"))
        // What the monitor would record for a transaction of 2,000 one-unit transfers (mined now).
        try await f.execute(
            """
            INSERT INTO chain_transfers (network, chain_id, block_number, block_hash, tx_hash, log_index, token, from_address, to_address,
                amount, state, block_timestamp)
            SELECT 'devnet', 1337, 1000000, '0x\(String(repeating: "ab", count: 32))', '\(tx.hex)', i, '\(f.chain.usdc.lowercased)',
                   '\(payer.lowercased)', '\(CheckoutFixture.merchantAddress.lowercased)', 1, 'seen', now() + interval '1 minute'
            FROM generate_series(0, 1999) AS i
            """)
        try await f.tick()
        let started = ContinuousClock.now
        let claim = try await f.claim(session, tx: tx, signedBy: 1)
        #expect(claim.status == 202)
        try await f.tick()
        #expect(ContinuousClock.now - started < .seconds(60), "finished (no connection deadlocked)")
        let paid = try await f.session(session.id)
        #expect(paid.payments.count == PaymentSession.maxPayments)
        let unmatched = try await f.call(.get, "/v1/transfers?matched=false&limit=100").json
        #expect(unmatched["data"]?.array?.count == 100)
        #expect(unmatched["has_more"] == .bool(true))
        // Every event carries the whole session: the cap keeps each payload small.
        let sizes = try await f.client.query(
            "SELECT count(*), coalesce(max(octet_length(payload::text)), 0)::bigint FROM outbox_events WHERE payload -> 'object' ->> 'id' = \(session.id)",
            logger: CheckoutFixture.logger)
        for try await (count, largest) in sizes.decode((Int, Int).self) {
            #expect(count >= 2)
            #expect(largest < 64 * 1024, "the largest event is \(largest) bytes")
            print("events of the capped session: \(count), the largest \(largest) bytes")
        }
        // The API still answers everyone else.
        #expect(try await f.call(.get, "/v1/merchant").status == 200)
    }

    @Test("event streams: a few per session, and a stream ends when its session has ended")
    func eventStreams() async throws {
        var configuration = APIConfiguration.unlimited
        configuration.eventStreamsPerSession = 1
        let f = try await CheckoutFixture(configuration: configuration)
        let session = try await f.createSession()
        _ = try await f.call(.post, "/v1/payment_sessions/\(session.id)/cancel", body: "{}")
        // Ended: the stream sends the final state and closes (the call returns).
        let ended = try await f.call(.get, "/checkout/\(session.id)/events", key: .some(nil))
        #expect(ended.status == 200)
        #expect(ended.body.contains(#""status":"canceled""#))
        // Its slot was given back.
        let again = try await f.call(.get, "/checkout/\(session.id)/events", key: .some(nil))
        #expect(again.status == 200)
    }

    @Test("overload: beyond the requests in flight a request is refused at once; probes still answer; the admitted ones finish")
    func admissionBound() async throws {
        var configuration = APIConfiguration.unlimited
        configuration.maxInFlight = 2
        let f = try await CheckoutFixture(configuration: configuration)
        let session = try await f.createSession()
        // Another connection locks the sessions table: reads of a session wait for it.
        try await f.client.withConnection { blocker in
            try await blocker.query("BEGIN", logger: CheckoutFixture.logger)
            try await blocker.query("LOCK TABLE payment_sessions IN ACCESS EXCLUSIVE MODE", logger: CheckoutFixture.logger)
            async let first = f.call(.get, "/v1/payment_sessions/\(session.id)")
            async let second = f.call(.get, "/v1/payment_sessions/\(session.id)")
            // Both have taken their place once both wait for the lock.
            for _ in 0..<300 where try await f.lockWaiters() < 2 { try await Task.sleep(for: .milliseconds(100)) }
            #expect(try await f.lockWaiters() == 2)
            let refused = try await f.call(.get, "/v1/merchant")
            #expect(refused.status == 503)
            #expect(refused.errorCode == "overloaded")
            #expect(refused.headers[.retryAfter] == "1")
            #expect(try await f.call(.get, "/livez", key: .some(nil)).status == 200)
            try await blocker.query("ROLLBACK", logger: CheckoutFixture.logger)
            #expect(try await first.status == 200)
            #expect(try await second.status == 200)
        }
        // The places were given back.
        #expect(try await f.call(.get, "/v1/merchant").status == 200)
    }

    @Test("requests holding every API connection do not hold up the background: a payment made meanwhile completes")
    func backgroundPoolOfItsOwn() async throws {
        let f = try await CheckoutFixture(apiPoolSize: 2)
        let session = try await f.createSession()
        try await f.pay(session.options[0], amount: session.amountDue)
        func background(_ sql: String) async throws -> String? {
            let rows = try await f.backgroundClient.query(PostgresQuery(unsafeSQL: sql), logger: CheckoutFixture.logger)
            for try await value in rows.decode(String.self) { return value }
            return nil
        }
        // Another connection locks the idempotency keys, which only requests use: two creations
        // wait on it, each holding one of the API's two connections.
        try await f.backgroundClient.withConnection { blocker in
            try await blocker.query("BEGIN", logger: CheckoutFixture.logger)
            try await blocker.query("LOCK TABLE idempotency_keys IN ACCESS EXCLUSIVE MODE", logger: CheckoutFixture.logger)
            let body = #"{"amount":"3.00","currency":"USDC"}"#
            async let first = f.call(.post, "/v1/payment_sessions", body: body, headers: [.init("Idempotency-Key")!: "held-1"])
            async let second = f.call(.post, "/v1/payment_sessions", body: body, headers: [.init("Idempotency-Key")!: "held-2"])
            let waiting = "SELECT count(*)::text FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            for _ in 0..<300 where try await background(waiting) != "2" { try await Task.sleep(for: .milliseconds(100)) }
            #expect(try await background(waiting) == "2")
            // The monitor, the matcher and the clock run on their own pool meanwhile.
            try await f.sync()
            try await f.advance(f.confirmations)
            #expect(try await background("SELECT status FROM payment_sessions WHERE id = '\(session.id)'") == "completed")
            try await blocker.query("ROLLBACK", logger: CheckoutFixture.logger)
            #expect(try await first.status == 201)
            #expect(try await second.status == 201)
        }
        #expect(try await f.session(session.id).string("status") == "completed")
    }

    @Test("webhook endpoints: the admin scope to manage them, and a cap per merchant")
    func webhookEndpoints() async throws {
        var configuration = APIConfiguration.unlimited
        configuration.maxWebhookEndpoints = 2
        configuration.allowPrivateWebhookTargets = true
        let f = try await CheckoutFixture(configuration: configuration)
        let writer = try await f.call(.post, "/v1/api_keys", body: #"{"scopes":["read","write"]}"#).json.string("secret")!
        let body = #"{"url":"http://127.0.0.1:9/hook"}"#
        let refused = try await f.call(.post, "/v1/webhook_endpoints", body: body, key: .some(writer))
        #expect(refused.status == 403)
        #expect(refused.errorCode == "scope_missing")
        #expect(try await f.call(.post, "/v1/webhook_endpoints", body: body).status == 201)
        #expect(try await f.call(.post, "/v1/webhook_endpoints", body: body).status == 201)
        let third = try await f.call(.post, "/v1/webhook_endpoints", body: body)
        #expect(third.status == 409)
        #expect(third.errorCode == "endpoints_limit")
    }

    @Test("idempotency: a key left in progress by a dead request is taken over; a creation stores its response with the session")
    func idempotencyLeases() async throws {
        let f = try await CheckoutFixture()
        let headers: HTTPFields = [.init("Idempotency-Key")!: "order-42"]
        let body = #"{"amount":"4.00","currency":"USDC"}"#
        // A request began and died (its process crashed): the key looks in progress.
        let keyId = try #require(try await f.call(.get, "/v1/api_keys").json["data"]?.array?.first?.object?.string("id"))
        let digest = IdempotentRequest(method: "POST", path: "/v1/payment_sessions", body: Array(body.utf8)).digest
        let hex = digest.map { String(format: "%02x", $0) }.joined()
        try await f.execute(
            """
            INSERT INTO idempotency_keys (api_key_id, key, request_hash, created_at)
            VALUES ('\(keyId)', 'order-42', '\\x\(hex)'::bytea, now() - interval '2 minutes')
            """)
        let first = try await f.call(.post, "/v1/payment_sessions", body: body, headers: headers)
        #expect(first.status == 201, "\(first.body)")
        let replay = try await f.call(.post, "/v1/payment_sessions", body: body, headers: headers)
        #expect(replay.body == first.body)
        #expect(replay.headers[.init("Idempotent-Replayed")!] == "true")
        // The stored response was written by the creation's own transaction.
        let stored = try await f.client.query(
            "SELECT status, convert_from(body, 'UTF8') FROM idempotency_keys WHERE key = 'order-42'", logger: CheckoutFixture.logger)
        for try await (status, text) in stored.decode((Int32, String).self) {
            #expect(status == 201)
            #expect(text == first.body)
        }
        // Within 24 hours another body under the key is a conflict; after them the key is new.
        let other = #"{"amount":"5.00","currency":"USDC"}"#
        let mismatch = try await f.call(.post, "/v1/payment_sessions", body: other, headers: headers)
        #expect(mismatch.status == 409)
        #expect(mismatch.errorCode == "idempotency_key_reused")
        try await f.execute("UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'order-42'")
        let fresh = try await f.call(.post, "/v1/payment_sessions", body: other, headers: headers)
        #expect(fresh.status == 201, "\(fresh.body)")
        #expect(fresh.json.string("amount") == "5.00")
        #expect(fresh.headers[.init("Idempotent-Replayed")!] == nil)
    }

    @Test("a key revoked by another process is refused once its change notice arrives; by this process at once")
    func cachedKeysFollowRevocations() async throws {
        let f = try await CheckoutFixture()
        let listener = Task { await f.app.changes.listen(client: f.client, logger: CheckoutFixture.logger) }
        defer { listener.cancel() }
        while await f.app.changes.lastChange(of: .credentials) == nil { try await Task.sleep(for: .milliseconds(20)) }
        let created = try await f.call(.post, "/v1/api_keys", body: #"{"scopes":["read"]}"#).json
        let secret = try #require(created.string("secret"))
        let id = try #require(created.string("id"))
        // Read twice: the second comes from the cache.
        #expect(try await f.call(.get, "/v1/merchant", key: .some(secret)).status == 200)
        #expect(try await f.call(.get, "/v1/merchant", key: .some(secret)).status == 200)
        // Another process revokes it: the notice drops the cached key.
        try await f.execute("UPDATE api_keys SET revoked_at = now() WHERE id = '\(id)'")
        var status = 200
        for _ in 0..<250 where status == 200 {
            status = try await f.call(.get, "/v1/merchant", key: .some(secret)).status
            if status == 200 { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(status == 401)
        // This process revokes a key: refused with the next request.
        let second = try await f.call(.post, "/v1/api_keys", body: #"{"scopes":["read"]}"#).json
        let secondSecret = try #require(second.string("secret"))
        #expect(try await f.call(.get, "/v1/merchant", key: .some(secondSecret)).status == 200)
        #expect(try await f.call(.delete, "/v1/api_keys/\(try #require(second.string("id")))").status == 200)
        #expect(try await f.call(.get, "/v1/merchant", key: .some(secondSecret)).status == 401)
        // A merchant changed by another process: the cached merchant is dropped too.
        #expect(try await f.call(.get, "/v1/merchant").json.string("name") != "Renamed Shop")
        try await f.execute("UPDATE merchants SET name = 'Renamed Shop' WHERE id = '\(f.merchant.id)'")
        var name: String? = nil
        for _ in 0..<250 where name != "Renamed Shop" {
            name = try await f.call(.get, "/v1/merchant").json.string("name")
            if name != "Renamed Shop" { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(name == "Renamed Shop")
    }
}
