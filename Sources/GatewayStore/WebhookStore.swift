import Foundation
import GatewayDomain
import Logging
import PostgresNIO

public struct WebhookEndpointRecord: Sendable, Hashable {
    public let id: String
    public let merchantId: String
    public let livemode: Bool
    public let url: String
    public let events: [String]
    public let description: String?
    public let createdAt: Timestamp
}

public struct WebhookDeliveryRecord: Sendable, Hashable {
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
}

/// A delivery a worker has leased: everything needed to send it.
public struct WebhookJob: Sendable {
    public let deliveryId: Int64
    public let eventId: String
    public let url: String
    /// Newest first; two while a rotated secret's overlap lasts.
    public let secrets: [String]
    /// The exact bytes to send.
    public let body: [UInt8]
    public let attempts: Int
    /// Seconds since the delivery was created.
    public let age: Int64
    /// When the event was written (for the event-to-2xx latency).
    public let eventCreatedAt: Double
}

/// How one attempt ended.
public struct WebhookAttempt: Sendable {
    public let statusCode: Int?
    public let latencyMs: Int
    public let excerpt: String?
    public let error: String?
    public let retryAfter: Int64?

    public init(statusCode: Int?, latencyMs: Int, excerpt: String?, error: String?, retryAfter: Int64?) {
        self.statusCode = statusCode
        self.latencyMs = latencyMs
        self.excerpt = excerpt
        self.error = error
        self.retryAfter = retryAfter
    }

    public var succeeded: Bool { statusCode.map { (200...299).contains($0) } ?? false }
}

/// Webhook endpoints and deliveries on Postgres. Scoped by merchant and mode like the rest of
/// the API; the worker side (`dispatch`, `lease`, `record`) takes work with
/// `FOR UPDATE SKIP LOCKED`, so several processes can deliver without sending one attempt twice.
public struct WebhookStore: Sendable {
    public let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger = Logger(label: "gateway.webhooks")) {
        self.client = client
        self.logger = logger
    }

    static func newSecret() -> String { ObjectID.secret("whsec") }

    // MARK: Endpoints

    public func createEndpoint(merchantId: String, livemode: Bool, url: String, events: [String], description: String?) async throws
        -> (WebhookEndpointRecord, String)
    {
        let id = ObjectID.make("we")
        let secret = Self.newSecret()
        try await client.query(
            """
            INSERT INTO webhook_endpoints (id, merchant_id, livemode, url, events, description, secret)
            VALUES (\(id), \(merchantId), \(livemode), \(url), \(events)::text[], \(description), \(secret))
            """, logger: logger)
        guard let endpoint = try await endpoints(merchantId: merchantId, livemode: livemode, id: id).first else {
            throw StoreError.corruptRow(table: "webhook_endpoints", reason: "\(id) vanished")
        }
        return (endpoint, secret)
    }

    public func endpoints(merchantId: String, livemode: Bool, id: String? = nil) async throws -> [WebhookEndpointRecord] {
        let rows = try await client.query(
            """
            SELECT id, url, events, description, floor(extract(epoch FROM created_at))::bigint FROM webhook_endpoints
            WHERE merchant_id = \(merchantId) AND livemode = \(livemode) AND deleted_at IS NULL AND (\(id)::text IS NULL OR id = \(id))
            ORDER BY created_at DESC, id DESC
            """, logger: logger)
        var out: [WebhookEndpointRecord] = []
        for try await (endpointId, url, events, description, created) in rows.decode((String, String, [String], String?, Int64).self) {
            out.append(
                WebhookEndpointRecord(
                    id: endpointId, merchantId: merchantId, livemode: livemode, url: url, events: events, description: description,
                    createdAt: Timestamp(unixSeconds: created)))
        }
        return out
    }

    /// Deletes an endpoint: nothing more is sent to it (pending deliveries fail).
    public func deleteEndpoint(merchantId: String, livemode: Bool, id: String) async throws -> Bool {
        try await withTransaction(client: client, logger: logger) { connection in
            let rows = try await connection.query(
                """
                UPDATE webhook_endpoints SET deleted_at = now()
                WHERE id = \(id) AND merchant_id = \(merchantId) AND livemode = \(livemode) AND deleted_at IS NULL RETURNING id
                """, logger: logger)
            guard try await rows.decode(String.self).all().first != nil else { return false }
            try await connection.query(
                """
                UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, last_error = 'the endpoint was deleted'
                WHERE endpoint_id = \(id) AND status = 'pending'
                """, logger: logger)
            return true
        }
    }

    /// A new secret; the old one keeps signing (a second signature) for `overlapSeconds`.
    public func rotateSecret(merchantId: String, livemode: Bool, id: String, overlapSeconds: Int) async throws -> (WebhookEndpointRecord, String)? {
        let secret = Self.newSecret()
        let rows = try await client.query(
            """
            UPDATE webhook_endpoints SET previous_secret = secret, previous_expires_at = now() + make_interval(secs => \(overlapSeconds)),
                secret = \(secret)
            WHERE id = \(id) AND merchant_id = \(merchantId) AND livemode = \(livemode) AND deleted_at IS NULL RETURNING id
            """, logger: logger)
        guard try await rows.decode(String.self).all().first != nil,
            let endpoint = try await endpoints(merchantId: merchantId, livemode: livemode, id: id).first
        else { return nil }
        return (endpoint, secret)
    }

    // MARK: Worker side

    /// Turns new merchant events into one delivery per matching endpoint; returns how many
    /// events it took.
    @discardableResult
    public func dispatch(limit: Int = 500) async throws -> Int {
        try await withTransaction(client: client, logger: logger) { connection in
            let rows = try await connection.query(
                """
                WITH taken AS (
                    SELECT id, merchant_id, livemode, type FROM outbox_events
                    WHERE dispatched_at IS NULL AND merchant_id IS NOT NULL ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
                ), created AS (
                    INSERT INTO webhook_deliveries (public_id, event_id, endpoint_id, next_attempt_at)
                    SELECT 'wd_' || replace(gen_random_uuid()::text, '-', ''), t.id, e.id, now()
                    FROM taken t JOIN webhook_endpoints e
                      ON e.merchant_id = t.merchant_id AND e.livemode = t.livemode AND e.deleted_at IS NULL
                     AND ('*' = ANY(e.events) OR t.type = ANY(e.events))
                    ORDER BY t.id, e.id
                    RETURNING 1
                ), marked AS (
                    UPDATE outbox_events o SET dispatched_at = now() FROM taken t WHERE o.id = t.id RETURNING 1
                )
                SELECT (SELECT count(*) FROM marked)
                """, logger: logger)
            return Int(try await rows.decode(Int64.self).all().first ?? 0)
        }
    }

    /// Leases up to `limit` due deliveries for `leaseSeconds`: each counts one more attempt and
    /// is not due again until the lease ends, so no other worker takes it meanwhile; a worker
    /// killed mid-attempt leaves it to be retried when the lease runs out (at least once).
    public func lease(limit: Int, leaseSeconds: Int) async throws -> [WebhookJob] {
        let rows = try await client.query(
            """
            WITH due AS (
                SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now()
                ORDER BY next_attempt_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
            )
            UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => \(leaseSeconds))
            FROM due, outbox_events o, webhook_endpoints e
            WHERE d.id = due.id AND o.id = d.event_id AND e.id = d.endpoint_id
            RETURNING d.id, o.event_id, o.type, o.livemode, floor(extract(epoch FROM o.created_at))::bigint, o.payload::text, e.url, e.secret,
                CASE WHEN e.previous_expires_at > now() THEN e.previous_secret END, d.attempts,
                floor(extract(epoch FROM now() - d.created_at))::bigint, extract(epoch FROM o.created_at)::float8
            """, logger: logger)
        var jobs: [WebhookJob] = []
        for try await row in rows {
            let c = row.makeRandomAccess()
            let eventId = try c[1].decode(String.self)
            let type = try c[2].decode(String.self)
            let livemode = try c[3].decode(Bool?.self) ?? false
            let created = Timestamp(unixSeconds: try c[4].decode(Int64.self))
            let payload = try c[5].decode(String.self)
            var body = #"{"id":"# + JSONValue.string(eventId).serialized + #","type":"# + JSONValue.string(type).serialized
            body += #","created_at":"# + JSONValue.string(created.rfc3339).serialized + #","livemode":\#(livemode),"data":"# + payload + "}"
            var secrets = [try c[7].decode(String.self)]
            if let previous = try c[8].decode(String?.self) { secrets.append(previous) }
            jobs.append(
                WebhookJob(
                    deliveryId: try c[0].decode(Int64.self), eventId: eventId, url: try c[6].decode(String.self), secrets: secrets,
                    body: Array(body.utf8), attempts: Int(try c[9].decode(Int32.self)), age: try c[10].decode(Int64.self),
                    eventCreatedAt: try c[11].decode(Double.self)))
        }
        return jobs
    }

    /// Records an attempt and moves the delivery on: succeeded, retried on the schedule, or
    /// failed. Returns the delivery's new status.
    @discardableResult
    public func record(_ job: WebhookJob, attempt: WebhookAttempt, schedule: RetrySchedule) async throws -> String {
        let status: String
        var delay: Int64? = nil
        switch schedule.outcome(statusCode: attempt.statusCode, attempts: job.attempts, age: job.age, retryAfter: attempt.retryAfter) {
        case .succeeded: status = "succeeded"
        case .failed: status = "failed"
        case .retry(let seconds):
            status = "pending"
            delay = seconds
        }
        let code = attempt.statusCode.map { Int32($0) }
        try await client.query(
            """
            WITH attempt AS (
                INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, latency_ms, response_excerpt, error)
                VALUES (\(job.deliveryId), now() - make_interval(secs => \(Double(attempt.latencyMs) / 1000)), \(code), \(Int32(clamping: attempt.latencyMs)),
                        \(attempt.excerpt), \(attempt.error))
            )
            UPDATE webhook_deliveries SET status = \(status), last_status_code = \(code), last_error = \(attempt.error),
                next_attempt_at = CASE WHEN \(status) = 'pending' THEN now() + make_interval(secs => \(delay ?? 0)) END,
                delivered_at = CASE WHEN \(status) = 'succeeded' THEN now() ELSE delivered_at END
            WHERE id = \(job.deliveryId) AND status = 'pending'
            """, logger: logger)
        return status
    }

    /// Deliveries waiting, and endpoints failing: those with a delivery that failed in the last
    /// day or that is being retried.
    public func health() async throws -> (pending: Int, failingEndpoints: Int) {
        let rows = try await client.query(
            """
            SELECT (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'),
                   (SELECT count(DISTINCT endpoint_id) FROM webhook_deliveries
                    WHERE (status = 'failed' AND created_at > now() - interval '1 day') OR (status = 'pending' AND attempts >= 2))
            """, logger: logger)
        for try await (pending, failing) in rows.decode((Int64, Int64).self) { return (Int(pending), Int(failing)) }
        return (0, 0)
    }

    // MARK: Reading and redelivering

    static let deliveryColumns = """
        d.public_id, o.event_id, o.type, d.endpoint_id, d.status, d.attempts, floor(extract(epoch FROM d.next_attempt_at))::bigint,
        d.last_status_code, d.last_error, floor(extract(epoch FROM d.created_at))::bigint, floor(extract(epoch FROM d.delivered_at))::bigint
        """

    /// Deliveries of the merchant's endpoint or event, newest first (at most 100).
    public func deliveries(merchantId: String, livemode: Bool, endpointId: String? = nil, eventId: String? = nil) async throws
        -> [WebhookDeliveryRecord]
    {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.deliveryColumns)
            FROM webhook_deliveries d JOIN outbox_events o ON o.id = d.event_id JOIN webhook_endpoints e ON e.id = d.endpoint_id
            WHERE e.merchant_id = \(merchantId) AND e.livemode = \(livemode)
              AND (\(endpointId)::text IS NULL OR d.endpoint_id = \(endpointId)) AND (\(eventId)::text IS NULL OR o.event_id = \(eventId))
            ORDER BY d.id DESC LIMIT 100
            """, logger: logger)
        var out: [WebhookDeliveryRecord] = []
        for try await row in rows {
            let c = row.makeRandomAccess()
            out.append(
                WebhookDeliveryRecord(
                    id: try c[0].decode(String.self), eventId: try c[1].decode(String.self), eventType: try c[2].decode(String.self),
                    endpointId: try c[3].decode(String.self), status: try c[4].decode(String.self), attempts: Int(try c[5].decode(Int32.self)),
                    nextAttemptAt: try c[6].decode(Int64?.self).map(Timestamp.init(unixSeconds:)),
                    lastStatusCode: try c[7].decode(Int32?.self).map(Int.init), lastError: try c[8].decode(String?.self),
                    createdAt: Timestamp(unixSeconds: try c[9].decode(Int64.self)),
                    deliveredAt: try c[10].decode(Int64?.self).map(Timestamp.init(unixSeconds:))))
        }
        return out
    }

    /// Whether the merchant has this event (in this mode).
    public func hasEvent(merchantId: String, livemode: Bool, eventId: String) async throws -> Bool {
        let rows = try await client.query(
            "SELECT 1 FROM outbox_events WHERE event_id = \(eventId) AND merchant_id = \(merchantId) AND livemode = \(livemode)", logger: logger)
        return try await !rows.decode(Int32.self).all().isEmpty
    }

    /// New deliveries of an event to all the merchant's matching endpoints, or to one.
    public func redeliver(merchantId: String, livemode: Bool, eventId: String, endpointId: String?) async throws -> [WebhookDeliveryRecord] {
        let rows = try await client.query(
            """
            INSERT INTO webhook_deliveries (public_id, event_id, endpoint_id, next_attempt_at)
            SELECT 'wd_' || replace(gen_random_uuid()::text, '-', ''), o.id, e.id, now()
            FROM outbox_events o JOIN webhook_endpoints e ON e.merchant_id = o.merchant_id AND e.livemode = o.livemode AND e.deleted_at IS NULL
            WHERE o.event_id = \(eventId) AND o.merchant_id = \(merchantId) AND o.livemode = \(livemode)
              AND (\(endpointId)::text IS NULL OR e.id = \(endpointId))
              AND (\(endpointId)::text IS NOT NULL OR '*' = ANY(e.events) OR o.type = ANY(e.events))
            RETURNING public_id
            """, logger: logger)
        let ids = Set(try await rows.decode(String.self).all())
        return try await deliveries(merchantId: merchantId, livemode: livemode, eventId: eventId).filter { ids.contains($0.id) }
    }
}

extension ResourceJSON {
    public static func webhookEndpoint(_ endpoint: WebhookEndpointRecord, secret: String? = nil) -> JSONValue {
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

    public static func webhookDelivery(_ delivery: WebhookDeliveryRecord) -> JSONValue {
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
