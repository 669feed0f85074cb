/// Where a merchant's events are sent.
public struct WebhookEndpoint: Sendable, Hashable {
    public let id: String
    public let merchantId: String
    public let livemode: Bool
    public let url: String
    /// Event types, or `*` for all.
    public let events: [String]
    public let description: String?
    public let createdAt: Timestamp

    /// How long a rotated-out secret keeps signing beside the new one unless told otherwise:
    /// a day, for the merchant to deploy the new secret.
    public static let defaultSecretOverlapSeconds = 86_400

    public init(id: String, merchantId: String, livemode: Bool, url: String, events: [String], description: String?, createdAt: Timestamp) {
        self.id = id
        self.merchantId = merchantId
        self.livemode = livemode
        self.url = url
        self.events = events
        self.description = description
        self.createdAt = createdAt
    }
}

/// One event's journey to one endpoint: its attempts so far and what comes next.
public struct WebhookDelivery: Sendable, Hashable {
    public let id: String
    public let eventId: String
    public let eventType: String
    public let endpointId: String
    public let status: String
    public let attempts: Int
    public let nextAttemptAt: Timestamp?
    public let lastStatusCode: Int?
    public let lastError: String?
    public let createdAt: Timestamp
    public let deliveredAt: Timestamp?

    public init(
        id: String, eventId: String, eventType: String, endpointId: String, status: String, attempts: Int, nextAttemptAt: Timestamp?,
        lastStatusCode: Int?, lastError: String?, createdAt: Timestamp, deliveredAt: Timestamp?
    ) {
        self.id = id
        self.eventId = eventId
        self.eventType = eventType
        self.endpointId = endpointId
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastStatusCode = lastStatusCode
        self.lastError = lastError
        self.createdAt = createdAt
        self.deliveredAt = deliveredAt
    }
}

extension ResourceJSON {
    public static func webhookEndpoint(_ endpoint: WebhookEndpoint, secret: String? = nil) -> JSONValue {
        var object = JSONObject([
            "id": .string(endpoint.id),
            "object": .string("webhook_endpoint"),
            "livemode": .bool(endpoint.livemode),
            "url": .string(endpoint.url),
            "events": .array(endpoint.events.map { .string($0) }),
            "description": .string(endpoint.description),
            "status": .string("enabled"),
            "created_at": .string(endpoint.createdAt.rfc3339),
        ])
        if let secret { object.append("secret", .string(secret)) }
        return .object(object)
    }

    public static func webhookDelivery(_ delivery: WebhookDelivery) -> JSONValue {
        .object(
            JSONObject([
                "id": .string(delivery.id),
                "object": .string("webhook_delivery"),
                "event": .string(delivery.eventId),
                "event_type": .string(delivery.eventType),
                "endpoint": .string(delivery.endpointId),
                "status": .string(delivery.status),
                "attempts": .int(delivery.attempts),
                "next_attempt_at": .string(delivery.nextAttemptAt?.rfc3339),
                "last_status_code": delivery.lastStatusCode.map { .int($0) } ?? .null,
                "last_error": .string(delivery.lastError),
                "created_at": .string(delivery.createdAt.rfc3339),
                "delivered_at": .string(delivery.deliveredAt?.rfc3339),
            ]))
    }
}

/// The body of a webhook request:
/// `{"id":"evt_…","type":"payment.completed","created_at":"…","livemode":false,"data":{…}}`,
/// with the stored payload (`{"object":{…}}`) spliced in as it is, so the bytes signed are
/// the bytes stored.
public struct WebhookEnvelope: Sendable, Hashable {
    public let eventId: String
    public let type: String
    public let createdAt: Timestamp
    public let livemode: Bool
    /// The event's `data` as stored: one JSON object.
    public let payloadJSON: String

    public init(eventId: String, type: String, createdAt: Timestamp, livemode: Bool, payloadJSON: String) {
        self.eventId = eventId
        self.type = type
        self.createdAt = createdAt
        self.livemode = livemode
        self.payloadJSON = payloadJSON
    }

    public var body: [UInt8] {
        var text = #"{"id":"# + JSONValue.string(eventId).serialized + #","type":"# + JSONValue.string(type).serialized
        text += #","created_at":"# + JSONValue.string(createdAt.rfc3339).serialized + #","livemode":\#(livemode),"data":"#
        text += payloadJSON + "}"
        return Array(text.utf8)
    }

    /// The payload written to the outbox for an event about `object`.
    public static func payload(object: JSONValue) -> String {
        payload(serializedObject: object.serialized)
    }

    /// The same payload around an object already serialized (``JSONValue/serialized``), which
    /// is then written once for the payload, the stored response and the answer.
    public static func payload(serializedObject: String) -> String {
        #"{"object":"# + serializedObject + "}"
    }
}
