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
    /// The longest an idle worker waits when no change notice arrives (retries fall due by time).
    public var pollInterval: Duration = .seconds(1)
    /// Attempts in flight at once.
    public var concurrency = 16
    /// Attempts in flight at once to one endpoint: a slow endpoint holds at most these slots,
    /// the others stay free for every other merchant.
    public var perEndpoint = 4
    /// The longest one database call may take before it is abandoned and tried again.
    public var databaseDeadline: Duration = .seconds(60)

    public init() {}
}

/// Delivers webhooks: turns new outbox events into deliveries, leases due deliveries as slots
/// free up, sends each signed to the address that was checked, and records the attempt.
/// Several workers (in one process or many) share the work through Postgres; a worker killed
/// mid-attempt leaves its leases to expire, so every event is delivered at least once.
public struct WebhookWorker: Service {
    public let store: WebhookStore
    public let configuration: WebhookWorkerConfiguration
    let changes: ChangeHub?
    let logger: Logger

    public init(
        store: WebhookStore, configuration: WebhookWorkerConfiguration = .init(), changes: ChangeHub? = nil,
        logger: Logger = Logger(label: "gateway.webhooks")
    ) {
        self.store = store
        self.configuration = configuration
        self.changes = changes
        self.logger = logger
    }

    enum Event: Sendable {
        case finished(endpoint: String)
        case wake
    }

    public func run() async throws {
        let clients = PinnedClients(timeout: configuration.timeout)
        let schedule = RetrySchedule(horizonSeconds: configuration.horizonSeconds)
        // Longer than any attempt (the timeout) plus the time to record it.
        let leaseSeconds = Int(configuration.timeout.components.seconds) + 5
        var lastGauges = ContinuousClock.now - .seconds(60)
        await withTaskGroup(of: Event.self) { group in
            var inFlight: [String: Int] = [:]
            var running = 0
            var waiting = false
            var failures = 0
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let mark = await changes?.mark() ?? 0
                do {
                    if ContinuousClock.now - lastGauges >= .seconds(10) {
                        let (pending, failing) = try await withDeadline(configuration.databaseDeadline) { try await store.health() }
                        Gauge(label: "gateway_webhook_deliveries_pending").record(pending)
                        Gauge(label: "gateway_webhook_endpoints_failing").record(failing)
                        lastGauges = ContinuousClock.now
                    }
                    try await withDeadline(configuration.databaseDeadline) { try await store.dispatch() }
                    let free = configuration.concurrency - running
                    if free > 0 {
                        let full = inFlight.filter { $0.value >= configuration.perEndpoint }.map(\.key)
                        let jobs = try await withDeadline(configuration.databaseDeadline) { [configuration] in
                            try await store.lease(
                                limit: free, leaseSeconds: leaseSeconds, perEndpoint: configuration.perEndpoint, excluding: full)
                        }
                        for job in jobs {
                            running += 1
                            inFlight[job.endpointId, default: 0] += 1
                            group.addTask {
                                let attempt = await send(job, clients: clients)
                                do {
                                    let status = try await withDeadline(configuration.databaseDeadline) {
                                        try await store.record(job, attempt: attempt, schedule: schedule)
                                    }
                                    observe(job, attempt: attempt, status: status)
                                } catch {
                                    logger.error(
                                        "could not record a webhook attempt",
                                        metadata: ["delivery": "\(job.deliveryId)", "error": "\(describeDatabaseError(error))"])
                                }
                                return .finished(endpoint: job.endpointId)
                            }
                        }
                    }
                    failures = 0
                } catch {
                    failures += 1
                    logger.error("webhook pass failed; retrying", metadata: ["error": "\(describeDatabaseError(error))"])
                }
                if !waiting {
                    // Wakes on new events, or when retries may have fallen due; backs off while
                    // the database is away.
                    let healthy = failures == 0
                    let pause =
                        healthy ? configuration.pollInterval : min(configuration.pollInterval * (1 << min(failures, 4)), .seconds(15))
                    let changes = self.changes
                    group.addTask {
                        if let changes, healthy {
                            await changes.wait(for: [.outbox], after: mark, timeout: pause)
                        } else {
                            try? await Task.sleep(for: pause)
                        }
                        return .wake
                    }
                    waiting = true
                }
                guard let event = await group.next() else { break }
                switch event {
                case .finished(let endpoint):
                    running -= 1
                    inFlight[endpoint, default: 1] -= 1
                    if inFlight[endpoint] == 0 { inFlight[endpoint] = nil }
                case .wake:
                    waiting = false
                }
            }
            // Attempts in flight finish and are recorded; the idle wait is cut short.
            while running > 0, let event = await group.next() {
                if case .finished = event { running -= 1 }
            }
            group.cancelAll()
        }
        await clients.shutdown()
    }

    /// One signed POST to the checked address. Never throws: every outcome is an attempt to record.
    func send(_ job: WebhookJob, clients: PinnedClients) async -> WebhookAttempt {
        let started = ContinuousClock.now
        func elapsed() -> Int {
            let duration = ContinuousClock.now - started
            return Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
        }
        let pinned: WebhookTarget.Pinned
        do {
            pinned = try await WebhookTarget.check(job.url, livemode: false, allowPrivate: configuration.allowPrivateTargets)
        } catch {
            return WebhookAttempt(statusCode: nil, latencyMs: elapsed(), excerpt: nil, error: "refused: \(error)", retryAfter: nil)
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
            let client = await clients.client(for: pinned)
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

    /// The attempt's outcome as a bounded label: the receiver's status class, or `error`.
    static func outcome(_ attempt: WebhookAttempt) -> String {
        if attempt.succeeded { return "2xx" }
        switch attempt.statusCode {
        case .some(200..<300): return "2xx"
        case .some(300..<400): return "3xx"
        case .some(400..<500): return "4xx"
        case .some(500..<600): return "5xx"
        default: return "error"
        }
    }

    func observe(_ job: WebhookJob, attempt: WebhookAttempt, status: String) {
        Counter(label: "gateway_webhook_attempts_total", dimensions: [("outcome", Self.outcome(attempt))]).increment()
        if status != "pending" { Counter(label: "gateway_webhook_deliveries_total", dimensions: [("outcome", status)]).increment() }
        if attempt.succeeded {
            let seconds = Date().timeIntervalSince1970 - job.eventCreatedAt
            Timer(label: "gateway_webhook_event_to_2xx_seconds").recordNanoseconds(Int64(min(max(0, seconds), 1e9) * 1_000_000_000))
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

/// HTTP clients that connect to one checked address for one host name (the name still goes
/// in `Host` and TLS SNI): a client per host and address, so connections are reused, at most
/// `capacity` of them (the least recently used is shut down).
actor PinnedClients {
    let timeout: Duration
    let capacity: Int
    private var clients: [WebhookTarget.Pinned: (client: HTTPClient, used: UInt64)] = [:]
    private var clock: UInt64 = 0

    init(timeout: Duration, capacity: Int = 64) {
        self.timeout = timeout
        self.capacity = capacity
    }

    func client(for pinned: WebhookTarget.Pinned) -> HTTPClient {
        clock += 1
        if let entry = clients[pinned] {
            clients[pinned] = (entry.client, clock)
            return entry.client
        }
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(Int64(timeout.components.seconds)))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.dnsOverride = [pinned.host: pinned.address]
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        clients[pinned] = (client, clock)
        if clients.count > capacity, let oldest = clients.min(by: { $0.value.used < $1.value.used }) {
            clients[oldest.key] = nil
            Task { try? await oldest.value.client.shutdown() }
        }
        return client
    }

    func shutdown() async {
        for entry in clients.values { try? await entry.client.shutdown() }
        clients = [:]
    }
}
