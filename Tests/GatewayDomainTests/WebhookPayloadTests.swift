import GatewayDomain
import Testing

/// The outbox payload built around an object serialized once is byte for byte the payload
/// built from the value.
@Suite struct WebhookPayloadTests {
    @Test(
        arguments: [
            JSONValue.object(JSONObject([:])),
            .object(JSONObject(["id": .string("ps_1"), "amount": .string("12.50")])),
            .object(
                JSONObject([
                    "metadata": .object(JSONObject(["note": .string("</script><b>\"quoted\" & \\ \u{2028}")])),
                    "payments": .array([.object(JSONObject(["n": .int(7)])), .null, .bool(false)]),
                ])),
        ])
    func serializedOnce(object: JSONValue) {
        #expect(WebhookEnvelope.payload(serializedObject: object.serialized) == JSONValue.object(JSONObject(["object": object])).serialized)
        #expect(WebhookEnvelope.payload(object: object) == JSONValue.object(JSONObject(["object": object])).serialized)
    }

    @Test func exactBytes() {
        #expect(WebhookEnvelope.payload(object: .object(JSONObject(["id": .string("ps_1")]))) == #"{"object":{"id":"ps_1"}}"#)
    }
}
