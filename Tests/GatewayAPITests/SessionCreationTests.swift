import Foundation
import GatewayDomain
import HTTPTypes
import PostgresNIO
import Testing

/// A creation answers with the session built from the values it wrote, without reading it
/// back: the answer must equal what a read returns, the `payment.created` event and the
/// idempotent replay, in every field.
@Suite(.serialized) struct SessionCreationTests {
    @Test(
        "the created session equals the stored one, its event and its replay",
        arguments: [
            #"{"amount":"12.50","currency":"USDC"}"#,
            #"{"amount":"7","currency":"USD","description":"Order 7 — two tokens","metadata":{"order":"7","b":"ü"},"#
                + #""success_url":"https://shop.example/ok","cancel_url":"https://shop.example/no","expires_in":120}"#,
            #"{"amount":"0.01","currency":"USD","tokens":["USDT"]}"#,
        ])
    func createdEqualsStored(body: String) async throws {
        let f = try await CheckoutFixture()
        let headers: HTTPFields = [.init("Idempotency-Key")!: "creation-" + String(body.count)]
        let created = try await f.call(.post, "/v1/payment_sessions", body: body, headers: headers)
        #expect(created.status == 201, "\(created.body)")
        let id = try #require(created.json.string("id"))
        let read = try await f.call(.get, "/v1/payment_sessions/\(id)")
        #expect(Self.parse(read.body) == Self.parse(created.body))
        let replay = try await f.call(.post, "/v1/payment_sessions", body: body, headers: headers)
        #expect(replay.body == created.body)
        let events = try await f.client.query(
            "SELECT payload::text FROM outbox_events WHERE type = 'payment.created' AND payload -> 'object' ->> 'id' = \(id)",
            logger: CheckoutFixture.logger)
        var payloads: [String] = []
        for try await payload in events.decode(String.self) { payloads.append(payload) }
        #expect(payloads.count == 1)
        let object = payloads.first.map { Self.parse($0) }.flatMap { value -> JSONValue? in
            guard case .object(let envelope) = value else { return nil }
            return envelope["object"]
        }
        // jsonb keeps keys in its own order.
        #expect(object.map(Self.sorted) == Self.parse(created.body).map(Self.sorted))
    }

    static func parse(_ text: String) -> JSONValue? { try? JSONValue.parse(Array(text.utf8)) }

    static func sorted(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            return .object(
                JSONObject(members: object.members.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: sorted($0.value)) }))
        case .array(let items): return .array(items.map(sorted))
        default: return value
        }
    }
}
