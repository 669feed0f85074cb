import AsyncHTTPClient
import Foundation
import GatewayDomain
import GatewayStore
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Settings of the delivery worker, with the defaults the gateway runs with.
public struct WebhookWorkerConfiguration: Sendable {
    /// An attempt succeeds on a 2xx within this time.
    public var timeout: Duration = .seconds(10)
    /// After this long since a delivery began, it fails instead of being retried.
    public var horizonSeconds: Int64 = 259_200
    /// Development only: deliver to loopback and private addresses.
    public var allowPrivateTargets = false
    /// How often an idle worker looks for work.
    public var pollInterval: Duration = .milliseconds(100)
    /// Attempts in flight at once.
    public var concurrency = 16

    public init() {}
}

/// Delivers webhooks: turns new outbox events into deliveries, leases due deliveries, sends
/// each signed, and records the attempt. Several workers (in one process or many) share the
/// work through Postgres; a worker killed mid-attempt leaves its leases to expire, so every
/// event is delivered at least once.
public struct WebhookWorker: Service {
    public let store: WebhookStore
    public let configuration: WebhookWorkerConfiguration
    let logger: Logger

    public init(
        store: WebhookStore, configuration: WebhookWorkerConfiguration = .init(), logger: Logger = Logger(label: "gateway.webhooks")
    ) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.redirectConfiguration = .disallow
        clientConfiguration.timeout = .init(connect: .seconds(5), read: .seconds(Int64(configuration.timeout.components.seconds)))
        clientConfiguration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let schedule = RetrySchedule(horizonSeconds: configuration.horizonSeconds)
        // Longer than any attempt (the timeout) plus the time to record it.
        let leaseSeconds = Int(configuration.timeout.components.seconds) + 5
        var lastGauges = ContinuousClock.now - .seconds(60)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            var busy = false
            do {
                if ContinuousClock.now - lastGauges >= .seconds(10) {
                    let (pending, failing) = try await store.health()
                    Gauge(label: "webhook_deliveries_pending").record(pending)
                    Gauge(label: "webhook_endpoints_failing").record(failing)
                    lastGauges = ContinuousClock.now
                }
                try await store.dispatch()
                let jobs = try await store.lease(limit: configuration.concurrency, leaseSeconds: leaseSeconds)
                busy = !jobs.isEmpty
                await withTaskGroup(of: Void.self) { group in
                    for job in jobs {
                        group.addTask {
                            let attempt = await send(job, client: client)
                            do {
                                let status = try await store.record(job, attempt: attempt, schedule: schedule)
                                observe(job, attempt: attempt, status: status)
                            } catch {
                                logger.error(
                                    "could not record a webhook attempt",
                                    metadata: ["delivery": "\(job.deliveryId)", "error": "\(describeDatabaseError(error))"])
                            }
                        }
                    }
                }
            } catch {
                logger.error("webhook pass failed; retrying", metadata: ["error": "\(describeDatabaseError(error))"])
            }
            if !busy { try? await Task.sleep(for: configuration.pollInterval) }
        }
        try await client.shutdown()
    }

    /// One signed POST. Never throws: every outcome is an attempt to record.
    func send(_ job: WebhookJob, client: HTTPClient) async -> WebhookAttempt {
        let started = ContinuousClock.now
        func elapsed() -> Int {
            let duration = ContinuousClock.now - started
            return Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
        }
        do {
            try WebhookTarget.check(job.url, livemode: false, allowPrivate: configuration.allowPrivateTargets)
        } catch {
            return WebhookAttempt(statusCode: nil, latencyMs: 0, excerpt: nil, error: "refused: \(error)", retryAfter: nil)
        }
        let timestamp = Int64(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: job.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "stablecoin-gateway-webhooks/1")
        request.headers.add(name: "X-Webhook-Id", value: job.eventId)
        request.headers.add(name: "X-Webhook-Timestamp", value: String(timestamp))
        request.headers.add(
            name: "X-Webhook-Signature", value: WebhookSignature.header(secrets: job.secrets, timestamp: timestamp, body: job.body))
        request.body = .bytes(job.body)
        do {
            let response = try await client.execute(request, timeout: .seconds(Int64(configuration.timeout.components.seconds)))
            var excerpt: [UInt8] = []
            for try await chunk in response.body where excerpt.count < 512 {
                excerpt += chunk.readableBytesView.prefix(512 - excerpt.count)
            }
            let retryAfter = response.headers.first(name: "Retry-After").flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
            return WebhookAttempt(
                statusCode: Int(response.status.code), latencyMs: elapsed(), excerpt: String(decoding: excerpt, as: UTF8.self),
                error: nil, retryAfter: retryAfter.map { min(max($0, 0), 86_400) })
        } catch {
            return WebhookAttempt(statusCode: nil, latencyMs: elapsed(), excerpt: nil, error: Self.describe(error), retryAfter: nil)
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout: return "timed out"
            case .connectTimeout: return "connection timed out"
            case .remoteConnectionClosed: return "the receiver closed the connection"
            default: return "HTTP error: \(error)"
            }
        }
        return "could not connect: \(error)"
    }

    func observe(_ job: WebhookJob, attempt: WebhookAttempt, status: String) {
        Counter(
            label: "webhook_attempts_total",
            dimensions: [("outcome", attempt.succeeded ? "2xx" : attempt.statusCode.map { "\($0)" } ?? "error")]
        ).increment()
        if status != "pending" { Counter(label: "webhook_deliveries_total", dimensions: [("outcome", status)]).increment() }
        if attempt.succeeded {
            let seconds = Date().timeIntervalSince1970 - job.eventCreatedAt
            Timer(label: "webhook_event_to_2xx_seconds").recordNanoseconds(Int64(max(0, seconds) * 1_000_000_000))
        } else {
            logger.info(
                "webhook attempt failed",
                metadata: [
                    "delivery": "\(job.deliveryId)", "event": "\(job.eventId)",
                    "status": "\(attempt.statusCode.map { "\($0)" } ?? attempt.error ?? "?")", "next": "\(status)",
                ])
        }
    }
}
