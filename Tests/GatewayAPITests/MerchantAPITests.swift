import EthereumCore
import Foundation
import GatewayAPI
import GatewayDomain
import GatewayStore
import HTTPTypes
import PostgresNIO
import Testing

/// The merchant API's rules on a real PostgreSQL: validation, auth and scopes, tenant
/// isolation, idempotency, rate limits, pagination, and unique amounts under concurrency.
@Suite("Merchant API", .serialized)
struct MerchantAPITests {
    static let invalidBodies: [(String, Int, String, String?)] = [
        (#"{"amount":"12.50""#, 400, "json_invalid", nil),
        ("[1,2]", 400, "json_invalid", nil),
        (#"{"amount":12.5,"currency":"USDC"}"#, 400, "parameter_invalid_type", "amount"),
        (#"{"currency":"USDC"}"#, 400, "parameter_missing", "amount"),
        (#"{"amount":"-1","currency":"USDC"}"#, 400, "amount_invalid", "amount"),
        (#"{"amount":"0","currency":"USDC"}"#, 400, "amount_invalid", "amount"),
        (#"{"amount":"1.0000001","currency":"USDC"}"#, 400, "amount_invalid", "amount"),
        (#"{"amount":"1e3","currency":"USDC"}"#, 400, "amount_invalid", "amount"),
        (#"{"amount":"1","currency":"EUR"}"#, 400, "currency_invalid", "currency"),
        (#"{"amount":"1","currency":"USD","networks":["solana"]}"#, 400, "network_invalid", "networks"),
        (#"{"amount":"1","currency":"USD","networks":["ethereum"]}"#, 400, "network_not_allowed", "networks"),
        (#"{"amount":"1","currency":"USD","tokens":["DAI"]}"#, 400, "token_invalid", "tokens"),
        (#"{"amount":"1","currency":"USDC","tokens":["USDT"]}"#, 400, "tokens_invalid", "tokens"),
        (#"{"amount":"1","currency":"USDC","success_url":"javascript:alert(1)"}"#, 400, "url_invalid", "success_url"),
        (#"{"amount":"1","currency":"USDC","colour":"red"}"#, 400, "parameter_unknown", "colour"),
        (#"{"amount":"1","currency":"USDC","":"empty name"}"#, 400, "parameter_unknown", nil),
        (#"{"amount":"1","currency":"USDC","expires_in":10}"#, 400, "expires_in_invalid", "expires_in"),
        (#"{"amount":"1","currency":"USDC","expires_in":"3600"}"#, 400, "parameter_invalid_type", "expires_in"),
        (#"{"amount":"1","currency":"USDC","metadata":{"order":1}}"#, 400, "parameter_invalid_type", "metadata"),
        (#"{"amount":"1","currency":"USDC","networks":"devnet"}"#, 400, "parameter_invalid_type", "networks"),
    ]

    @Test("bad input gets a 4xx with the field at fault, and creates nothing")
    func invalidInput() async throws {
        let f = try await CheckoutFixture()
        for (body, status, code, param) in Self.invalidBodies {
            let reply = try await f.call(.post, "/v1/payment_sessions", body: body)
            #expect(reply.status == status, "\(body)")
            #expect(reply.errorCode == code, "\(body): \(reply.body)")
            #expect(reply.errorParam == param, "\(body)")
            #expect(reply.json["error"]?.object?.string("type") == "invalid_request_error")
            #expect(reply.json["error"]?.object?.string("request_id") == reply.headers[.init("X-Request-Id")!])
        }
        let huge = #"{"amount":"1","currency":"USDC","description":""# + String(repeating: "x", count: 70_000) + #""}"#
        let tooLarge = try await f.call(.post, "/v1/payment_sessions", body: huge)
        #expect(tooLarge.status == 413)
        #expect(tooLarge.errorCode == "body_too_large")
        let list = try await f.call(.get, "/v1/payment_sessions").json
        #expect(list["data"]?.array?.isEmpty == true)
    }

    @Test("keys: missing, unknown and revoked keys get 401; a key without the scope gets 403")
    func authentication() async throws {
        let f = try await CheckoutFixture()
        let missing = try await f.call(.get, "/v1/payment_sessions", key: .some(nil))
        #expect(missing.status == 401)
        #expect(missing.errorCode == "api_key_missing")
        let unknown = try await f.call(.get, "/v1/payment_sessions", key: "sk_test_" + String(repeating: "A", count: 32))
        #expect(unknown.status == 401)
        #expect(unknown.errorCode == "api_key_invalid")

        let created = try await f.call(.post, "/v1/api_keys", body: #"{"scopes":["read"],"description":"dashboard"}"#)
        #expect(created.status == 201)
        let readOnly = try #require(created.json.string("secret"))
        #expect(readOnly.hasPrefix("sk_test_") && readOnly.count == 40)
        #expect(created.json.string("prefix") == String(readOnly.prefix(12)))
        #expect(try await f.call(.get, "/v1/payment_sessions", key: readOnly).status == 200)
        let forbidden = try await f.call(.post, "/v1/payment_sessions", body: #"{"amount":"1","currency":"USDC"}"#, key: readOnly)
        #expect(forbidden.status == 403)
        #expect(forbidden.errorCode == "scope_missing")
        let live = try await f.call(.post, "/v1/api_keys", body: #"{"mode":"live","scopes":["read"]}"#)
        #expect(live.status == 403)
        #expect(live.errorCode == "mode_mismatch")

        let keys = try await f.call(.get, "/v1/api_keys").json["data"]?.array?.compactMap(\.object) ?? []
        #expect(keys.count == 2)
        #expect(keys.allSatisfy { $0["secret"] == nil })
        let revoked = try await f.call(.delete, "/v1/api_keys/\(created.json.id)")
        #expect(revoked.status == 200)
        #expect(revoked.json.string("revoked_at") != nil)
        #expect(try await f.call(.get, "/v1/payment_sessions", key: readOnly).status == 401)
        // The secret is nowhere in the database: only its hash and prefix.
        let rows = try await f.client.query(
            "SELECT count(*) FROM api_keys WHERE prefix = \(String(readOnly.prefix(12)))", logger: CheckoutFixture.logger)
        for try await count in rows.decode(Int64.self) { #expect(count == 1) }
        let leaked = try await f.client.query(
            "SELECT count(*) FROM api_keys WHERE position(\(readOnly) IN coalesce(description, '') || prefix) > 0",
            logger: CheckoutFixture.logger)
        for try await count in leaked.decode(Int64.self) { #expect(count == 0) }
    }

    @Test("merchant B gets 404 for A's objects by id, in lists, and in every mutating route")
    func tenantIsolation() async throws {
        let f = try await CheckoutFixture()
        let mine = try await f.createSession()
        let theirs = try await f.createSession(key: f.otherKey)
        #expect(mine.options[0].string("pay_to") == CheckoutFixture.merchantAddress.checksummed)
        #expect(theirs.options[0].string("pay_to") == CheckoutFixture.otherAddress.checksummed)

        let other = f.otherKey
        #expect(try await f.call(.get, "/v1/payment_sessions/\(mine.id)", key: other).status == 404)
        let theirList = try await f.call(.get, "/v1/payment_sessions", key: other).json["data"]?.array?.compactMap(\.object) ?? []
        #expect(theirList.map(\.id) == [theirs.id])
        let cancel = try await f.call(.post, "/v1/payment_sessions/\(mine.id)/cancel", key: other)
        #expect(cancel.status == 404)
        let attach = try await f.call(
            .post, "/v1/payment_sessions/\(mine.id)/attach", body: #"{"tx_hash":"0x\#(String(repeating: "ab", count: 32))","log_index":0}"#,
            key: other)
        #expect(attach.status == 404)
        let myKeys = try await f.call(.get, "/v1/api_keys").json["data"]?.array?.compactMap(\.object) ?? []
        #expect(try await f.call(.delete, "/v1/api_keys/\(myKeys[0].id)", key: other).status == 404)
        #expect(try await f.call(.get, "/v1/merchant", key: other).json.id == f.other.id)

        // A's transfer is not in B's list.
        try await f.pay(mine.options[0], amount: UInt256(1_000_000))
        try await f.sync()
        #expect(try await f.call(.get, "/v1/transfers").json["data"]?.array?.count == 1)
        #expect(try await f.call(.get, "/v1/transfers", key: other).json["data"]?.array?.isEmpty == true)
        // Still pending, untouched by B's attempts.
        #expect(try await f.session(mine.id).string("status") == "pending")
    }

    @Test("200 concurrent creations for one merchant, network and token get distinct amounts due")
    func concurrentCreations() async throws {
        let f = try await CheckoutFixture()
        let amounts = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    try await f.createSession(#"{"amount":"25.00","currency":"USDC"}"#).options[0].string("amount_due_base_units")!
                }
            }
            var out: [String] = []
            for try await amount in group { out.append(amount) }
            return out
        }
        #expect(amounts.count == 200)
        #expect(Set(amounts).count == 200)
        #expect(amounts.allSatisfy { (try? UInt256(decimal: $0)).map { $0 > UInt256(25_000_000) && $0 <= UInt256(25_000_999) } == true })
    }

    @Test("a crowded price: a creation whose first draw is held finds the one free amount; with none free, 409 amounts_exhausted")
    func crowdedPrice() async throws {
        let f = try await CheckoutFixture()
        let first = try await f.createSession(#"{"amount":"7.00","currency":"USDC"}"#)
        #expect(first.options.count == 1)
        let option = first.options[0]
        // Every other amount due at 7.00 is held, but 7.000500.
        try await f.execute(
            """
            INSERT INTO reserved_amounts (network, token_address, pay_to, amount, session_id, kind)
            SELECT '\(option.string("network")!)', '\(option.string("token_address")!.lowercased())',
                   '\(option.string("pay_to")!.lowercased())', 7000000 + k, '\(first.id)', 'amount_due'
            FROM generate_series(1, 999) AS k WHERE k <> 500
            ON CONFLICT DO NOTHING
            """)
        let second = try await f.createSession(#"{"amount":"7.00","currency":"USDC"}"#)
        #expect(second.options[0].string("amount_due_base_units") == "7000500")
        let third = try await f.call(.post, "/v1/payment_sessions", body: #"{"amount":"7.00","currency":"USDC"}"#)
        #expect(third.status == 409)
        #expect(third.errorCode == "amounts_exhausted")
        // Another price is free.
        #expect(try await f.call(.post, "/v1/payment_sessions", body: #"{"amount":"7.01","currency":"USDC"}"#).status == 201)
    }

    @Test("an Idempotency-Key replays the first response; the same key with another body is a 409")
    func idempotency() async throws {
        let f = try await CheckoutFixture()
        let body = #"{"amount":"7.00","currency":"USDC"}"#
        let headers: HTTPFields = [.init("Idempotency-Key")!: "order-42"]
        let first = try await f.call(.post, "/v1/payment_sessions", body: body, headers: headers)
        let second = try await f.call(.post, "/v1/payment_sessions", body: body, headers: headers)
        #expect(first.status == 201)
        #expect(second.status == 201)
        #expect(second.body == first.body)
        #expect(second.headers[.init("Idempotent-Replayed")!] == "true")
        let other = try await f.call(.post, "/v1/payment_sessions", body: #"{"amount":"8.00","currency":"USDC"}"#, headers: headers)
        #expect(other.status == 409)
        #expect(other.errorCode == "idempotency_key_reused")
        #expect(other.json["error"]?.object?.string("type") == "idempotency_error")
        #expect(try await f.call(.get, "/v1/payment_sessions").json["data"]?.array?.count == 1)
    }

    @Test("a creation's answer, its stored replay and its payment.created object are the same, times included")
    func creationWritesOneObject() async throws {
        let f = try await CheckoutFixture()
        // Metadata that looks like the session's own members cannot steer what is stored.
        let body = #"""
            {"amount":"3.10","currency":"USDC","expires_in":600,
             "metadata":{"created_at":"@created-x@","expires_at":"\"@expires-x@\"","note":"1970-01-01T00:00:00Z"}}
            """#
        let headers: HTTPFields = [.init("Idempotency-Key")!: "order-times"]
        let first = try await f.call(.post, "/v1/payment_sessions", body: body, headers: headers)
        #expect(first.status == 201)
        let session = first.json
        let metadata = session["metadata"]?.object
        #expect(metadata?.string("created_at") == "@created-x@")
        #expect(metadata?.string("expires_at") == #""@expires-x@""#)
        #expect(metadata?.string("note") == "1970-01-01T00:00:00Z")
        // The stored times, printed as the API prints them, are the answer's.
        let rows = try await f.client.query(
            """
            SELECT created_at, expires_at, (SELECT convert_from(body, 'UTF8') FROM idempotency_keys WHERE key = 'order-times'),
                (SELECT payload::text FROM outbox_events WHERE payload->'object'->>'id' = \(session.id))
            FROM payment_sessions WHERE id = \(session.id)
            """, logger: CheckoutFixture.logger)
        var found = 0
        for try await (createdAt, expiresAt, stored, payload) in rows.decode((Timestamp, Timestamp, String, String).self) {
            found += 1
            #expect(session.string("created_at") == createdAt.rfc3339)
            #expect(session.string("expires_at") == expiresAt.rfc3339)
            #expect(expiresAt.unixSeconds - createdAt.unixSeconds == 600)
            #expect(stored == first.body)
            let event = try JSONValue.parse(Array(payload.utf8))
            #expect(event.object?["object"].map(keysSorted) == keysSorted(.object(session)))
        }
        #expect(found == 1)
        let replay = try await f.call(.post, "/v1/payment_sessions", body: body, headers: headers)
        #expect(replay.body == first.body)
    }

    @Test("the statement's time pattern prints what Timestamp prints, to the second, fractions dropped")
    func rfc3339Pattern() async throws {
        let f = try await CheckoutFixture()
        let cases: [(String, String)] = [
            ("2026-12-02 18:07:02+00", "2026-12-02T18:07:02Z"),
            ("2020-01-01 23:59:59.999999+00", "2020-01-01T23:59:59Z"),
            ("1999-12-31 23:59:59.5-05", "2000-01-01T04:59:59Z"),
            ("2024-02-29 00:00:00.000001+00", "2024-02-29T00:00:00Z"),
            ("2000-01-01 00:00:00+00", "2000-01-01T00:00:00Z"),
            ("1970-01-01 00:00:00+00", "1970-01-01T00:00:00Z"),
        ]
        for (input, printed) in cases {
            let rows = try await f.client.query(
                "SELECT t, to_char(t AT TIME ZONE 'UTC', \(SessionStore.rfc3339Format)) FROM (SELECT \(input)::timestamptz AS t) v",
                logger: CheckoutFixture.logger)
            for try await (time, text) in rows.decode((Timestamp, String).self) {
                #expect(text == printed, "\(input)")
                #expect(time.rfc3339 == printed, "\(input)")
            }
        }
    }

    @Test("rate limits per key: headers on every response, 429 with Retry-After past the limit")
    func rateLimits() async throws {
        var configuration = APIConfiguration()
        configuration.rateLimit = 100
        configuration.createRateLimit = 2
        let f = try await CheckoutFixture(configuration: configuration)
        let body = #"{"amount":"1","currency":"USDC"}"#
        let first = try await f.call(.post, "/v1/payment_sessions", body: body)
        #expect(first.headers[.init("X-RateLimit-Limit")!] == "2")
        #expect(first.headers[.init("X-RateLimit-Remaining")!] == "1")
        #expect(try await f.call(.post, "/v1/payment_sessions", body: body).status == 201)
        let third = try await f.call(.post, "/v1/payment_sessions", body: body)
        #expect(third.status == 429)
        #expect(third.errorCode == "rate_limited")
        #expect(third.headers[.retryAfter].flatMap(Int.init).map { (1...60).contains($0) } == true)
        #expect(third.headers[.init("X-RateLimit-Remaining")!] == "0")
        // Other routes count against the overall limit only.
        let read = try await f.call(.get, "/v1/payment_sessions")
        #expect(read.status == 200)
        #expect(read.headers[.init("X-RateLimit-Limit")!] == "100")
        #expect(read.headers[.init("X-RateLimit-Remaining")!] == "96")
    }

    @Test("lists are newest first with cursors and filters; cancel works once")
    func listsAndCancel() async throws {
        let f = try await CheckoutFixture()
        var ids: [String] = []
        for amount in ["1.00", "2.00", "3.00"] { ids.append(try await f.createSession(#"{"amount":"\#(amount)","currency":"USD"}"#).id) }
        let page1 = try await f.call(.get, "/v1/payment_sessions?limit=2").json
        #expect(page1["data"]?.array?.compactMap(\.object).map(\.id) == [ids[2], ids[1]])
        #expect(page1["has_more"] == .bool(true))
        let page2 = try await f.call(.get, "/v1/payment_sessions?limit=2&starting_after=\(ids[1])").json
        #expect(page2["data"]?.array?.compactMap(\.object).map(\.id) == [ids[0]])
        #expect(page2["has_more"] == .bool(false))
        let back = try await f.call(.get, "/v1/payment_sessions?limit=2&ending_before=\(ids[0])").json
        #expect(back["data"]?.array?.compactMap(\.object).map(\.id) == [ids[2], ids[1]])
        #expect(try await f.call(.get, "/v1/payment_sessions?limit=0").errorCode == "parameter_invalid")

        // USD is paid in either token: one option each, sharing the amount due.
        let usd = try await f.session(ids[0])
        #expect(usd.options.map { $0.string("token") } == ["USDC", "USDT"])
        #expect(Set(usd.options.map { $0.string("amount_due_base_units") }).count == 1)

        let canceled = try await f.call(.post, "/v1/payment_sessions/\(ids[1])/cancel")
        #expect(canceled.status == 200)
        #expect(canceled.json.string("status") == "canceled")
        let again = try await f.call(.post, "/v1/payment_sessions/\(ids[1])/cancel")
        #expect(again.status == 409)
        #expect(again.errorCode == "session_not_cancelable")
        let filtered = try await f.call(.get, "/v1/payment_sessions?status=canceled").json
        #expect(filtered["data"]?.array?.compactMap(\.object).map(\.id) == [ids[1]])
        #expect(try await f.events(of: ids[1]) == ["payment.created", "payment.canceled"])
    }

    @Test("the checkout page shows the QR code and the EIP-681 link; a wrong client secret is refused")
    func checkoutPage() async throws {
        let f = try await CheckoutFixture()
        let session = try await f.createSession()
        let page = try await f.call(.get, "/checkout/\(session.id)", key: .some(nil))
        #expect(page.status == 200)
        #expect(page.headers[.contentType] == "text/html; charset=utf-8")
        #expect(page.body.contains("<svg"))
        let uri = session.options[0].string("uri")!
        #expect(page.body.contains(uri.replacingOccurrences(of: "&", with: "&amp;")))
        #expect(!page.body.contains("http://") || page.body.contains("http://www.w3.org/2000/svg"))
        let missing = try await f.call(.get, "/checkout/ps_doesnotexist000000000000", key: .some(nil))
        #expect(missing.status == 404)
        #expect(missing.body.contains("Checkout not found"))
        let claim = try await f.call(
            .post, "/checkout/\(session.id)/transactions",
            body:
                #"{"client_secret":"cs_wrongwrongwrongwrongwrong","tx_hash":"0x\#(String(repeating: "cd", count: 32))","network":"devnet"}"#,
            key: .some(nil))
        #expect(claim.status == 404)
        #expect(claim.errorCode == "resource_missing")
        let openapi = try await f.call(.get, "/openapi.json", key: .some(nil))
        #expect(openapi.status == 200)
        #expect(openapi.json.string("openapi") == "3.1.0")
    }
}

/// The same value with every object's members in key order (jsonb keeps its own order).
func keysSorted(_ value: JSONValue) -> JSONValue {
    switch value {
    case .array(let values): return .array(values.map(keysSorted))
    case .object(let object):
        return .object(
            JSONObject(members: object.members.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: keysSorted($0.value)) }))
    default: return value
    }
}
