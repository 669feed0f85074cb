import Foundation
import GatewayDomain
import Logging
import PostgresNIO

/// A delivery a worker has leased: everything needed to send it.
public struct WebhookJob: Sendable {
    public let deliveryId: Int64
    public let endpointId: String
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

    /// Creates an endpoint, unless the merchant already has `limit` in this mode (then
    /// ``RequestError`` `endpoints_limit`); the count and the insert are one statement.
    public func createEndpoint(
        merchantId: String, livemode: Bool, url: String, events: [String], description: String?, limit: Int = 16
    ) async throws -> (WebhookEndpoint, String) {
        let id = ObjectID.make("we")
        let secret = Self.newSecret()
        let rows = try await client.query(
            """
            INSERT INTO webhook_endpoints (id, merchant_id, livemode, url, events, description, secret)
            SELECT \(id), \(merchantId), \(livemode), \(url), \(events)::text[], \(description), \(secret)
            WHERE (SELECT count(*) FROM webhook_endpoints
                   WHERE merchant_id = \(merchantId) AND livemode = \(livemode) AND deleted_at IS NULL) < \(Int64(limit))
            RETURNING id
            """, logger: logger)
        guard try await !rows.decode(String.self).all().isEmpty else {
            throw RequestError(
                .conflict, code: "endpoints_limit", param: "url",
                "a merchant has at most \(limit) webhook endpoints per mode; delete one first (one endpoint can take every event type)")
        }
        guard let endpoint = try await endpoints(merchantId: merchantId, livemode: livemode, id: id).first else {
            throw StoreError.corruptRow(table: "webhook_endpoints", reason: "\(id) vanished")
        }
        return (endpoint, secret)
    }

    public func endpoints(merchantId: String, livemode: Bool, id: String? = nil) async throws -> [WebhookEndpoint] {
        let rows = try await client.query(
            """
            SELECT id, url, events, description, created_at FROM webhook_endpoints
            WHERE merchant_id = \(merchantId) AND livemode = \(livemode) AND deleted_at IS NULL AND (\(id)::text IS NULL OR id = \(id))
            ORDER BY created_at DESC, id DESC
            """, logger: logger)
        var out: [WebhookEndpoint] = []
        for try await (endpointId, url, events, description, created) in rows.decode((String, String, [String], String?, Timestamp).self) {
            out.append(
                WebhookEndpoint(
                    id: endpointId, merchantId: merchantId, livemode: livemode, url: url, events: events, description: description,
                    createdAt: created))
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
    public func rotateSecret(merchantId: String, livemode: Bool, id: String, overlapSeconds: Int) async throws -> (WebhookEndpoint, String)?
    {
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
        // One statement, so atomic on its own: one round trip instead of three with BEGIN and COMMIT.
        let rows = try await client.query(
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

    /// Leases up to `limit` due deliveries for `leaseSeconds`: each counts one more attempt and
    /// is not due again until the lease ends, so no other worker takes it meanwhile; a worker
    /// killed mid-attempt leaves it to be retried when the lease runs out (at least once).
    /// At most `perEndpoint` deliveries of one endpoint are taken, none of `excluding` (the
    /// endpoints this worker already has enough of in flight): one slow endpoint cannot take
    /// every slot.
    public func lease(limit: Int, leaseSeconds: Int, perEndpoint: Int = .max, excluding: [String] = []) async throws -> [WebhookJob] {
        let rows = try await client.query(
            """
            WITH fair AS (
                SELECT id FROM (
                    SELECT id, row_number() OVER (PARTITION BY endpoint_id ORDER BY next_attempt_at, id) AS rank
                    FROM webhook_deliveries
                    WHERE status = 'pending' AND next_attempt_at <= now() AND NOT (endpoint_id = ANY(\(excluding)::text[]))
                ) ranked WHERE rank <= \(Int64(clamping: perEndpoint))
            ), due AS (
                SELECT d.id FROM webhook_deliveries d JOIN fair f ON f.id = d.id
                WHERE d.status = 'pending' AND d.next_attempt_at <= now()
                ORDER BY d.next_attempt_at LIMIT \(limit) FOR UPDATE OF d SKIP LOCKED
            )
            UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => \(leaseSeconds))
            FROM due, outbox_events o, webhook_endpoints e
            WHERE d.id = due.id AND o.id = d.event_id AND e.id = d.endpoint_id
            RETURNING d.id, e.id, o.event_id, o.type, coalesce(o.livemode, false), o.created_at, o.payload::text, e.url, e.secret,
                CASE WHEN e.previous_expires_at > now() THEN e.previous_secret END, d.attempts,
                floor(extract(epoch FROM now() - d.created_at))::bigint, extract(epoch FROM o.created_at)::float8
            """, logger: logger)
        var jobs: [WebhookJob] = []
        for try await (id, endpointId, eventId, type, livemode, created, payload, url, secret, previous, attempts, age, createdSeconds)
            in rows
            .decode((Int64, String, String, String, Bool, Timestamp, String, String, String, String?, Int32, Int64, Double).self)
        {
            let body = WebhookEnvelope(eventId: eventId, type: type, createdAt: created, livemode: livemode, payloadJSON: payload).body
            jobs.append(
                WebhookJob(
                    deliveryId: id, endpointId: endpointId, eventId: eventId, url: url, secrets: [secret] + (previous.map { [$0] } ?? []),
                    body: body, attempts: Int(attempts), age: age, eventCreatedAt: createdSeconds))
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
        d.public_id, o.event_id, o.type, d.endpoint_id, d.status, d.attempts, d.next_attempt_at, d.last_status_code, d.last_error,
        d.created_at, d.delivered_at
        """

    /// Deliveries of the merchant's endpoint or event, newest first (at most 100).
    public func deliveries(merchantId: String, livemode: Bool, endpointId: String? = nil, eventId: String? = nil) async throws
        -> [WebhookDelivery]
    {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.deliveryColumns)
            FROM webhook_deliveries d JOIN outbox_events o ON o.id = d.event_id JOIN webhook_endpoints e ON e.id = d.endpoint_id
            WHERE e.merchant_id = \(merchantId) AND e.livemode = \(livemode)
              AND (\(endpointId)::text IS NULL OR d.endpoint_id = \(endpointId)) AND (\(eventId)::text IS NULL OR o.event_id = \(eventId))
            ORDER BY d.id DESC LIMIT 100
            """, logger: logger)
        var out: [WebhookDelivery] = []
        for try await (id, eventId, type, endpointId, status, attempts, next, code, error, created, delivered) in rows.decode(
            (String, String, String, String, String, Int32, Timestamp?, Int32?, String?, Timestamp, Timestamp?).self)
        {
            out.append(
                WebhookDelivery(
                    id: id, eventId: eventId, eventType: type, endpointId: endpointId, status: status, attempts: Int(attempts),
                    nextAttemptAt: next, lastStatusCode: code.map(Int.init), lastError: error, createdAt: created, deliveredAt: delivered))
        }
        return out
    }

    /// Whether the merchant has this event (in this mode).
    public func hasEvent(merchantId: String, livemode: Bool, eventId: String) async throws -> Bool {
        let rows = try await client.query(
            "SELECT 1 FROM outbox_events WHERE event_id = \(eventId) AND merchant_id = \(merchantId) AND livemode = \(livemode)",
            logger: logger)
        return try await !rows.decode(Int32.self).all().isEmpty
    }

    /// New deliveries of an event to all the merchant's matching endpoints, or to one.
    /// Deliveries of one event, at most (the first included), so that redelivering cannot
    /// multiply the work without bound.
    public static let maxDeliveriesPerEvent = 20

    public func redeliver(merchantId: String, livemode: Bool, eventId: String, endpointId: String?) async throws -> [WebhookDelivery] {
        let rows = try await client.query(
            """
            INSERT INTO webhook_deliveries (public_id, event_id, endpoint_id, next_attempt_at)
            SELECT 'wd_' || replace(gen_random_uuid()::text, '-', ''), o.id, e.id, now()
            FROM outbox_events o JOIN webhook_endpoints e ON e.merchant_id = o.merchant_id AND e.livemode = o.livemode AND e.deleted_at IS NULL
            WHERE o.event_id = \(eventId) AND o.merchant_id = \(merchantId) AND o.livemode = \(livemode)
              AND (SELECT count(*) FROM webhook_deliveries x WHERE x.event_id = o.id) < \(Int64(Self.maxDeliveriesPerEvent))
              AND (\(endpointId)::text IS NULL OR e.id = \(endpointId))
              AND (\(endpointId)::text IS NOT NULL OR '*' = ANY(e.events) OR o.type = ANY(e.events))
            RETURNING public_id
            """, logger: logger)
        let ids = Set(try await rows.decode(String.self).all())
        let all = try await deliveries(merchantId: merchantId, livemode: livemode, eventId: eventId)
        if ids.isEmpty && all.count >= Self.maxDeliveriesPerEvent {
            throw RequestError(
                .conflict, code: "redeliveries_limit", "this event was already delivered \(all.count) times; it is not sent again")
        }
        return all.filter { ids.contains($0.id) }
    }
}
