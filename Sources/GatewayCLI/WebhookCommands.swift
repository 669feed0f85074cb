import ArgumentParser
import Foundation
import GatewayDomain
import GatewayStore
import Logging
import PostgresNIO
import ServiceLifecycle
import WebhookDelivery

/// The options of the delivery worker, shared by `serve` and `webhook worker`.
struct WebhookWorkerOptions: ParsableArguments {
    @Flag(help: "Development only: deliver to loopback and private addresses.") var webhookAllowPrivate = false
    @Option(help: "Seconds an endpoint has to answer 2xx.") var webhookTimeout = 10
    @Option(help: "Seconds after which a delivery stops being retried and fails.") var webhookHorizon: Int64 = 259_200

    func configuration() throws -> WebhookWorkerConfiguration {
        guard (1...120).contains(webhookTimeout) else { throw CLIError("--webhook-timeout is 1...120 seconds") }
        guard webhookHorizon >= 0 else { throw CLIError("--webhook-horizon is seconds, 0 or more") }
        var configuration = WebhookWorkerConfiguration()
        configuration.timeout = .seconds(webhookTimeout)
        configuration.horizonSeconds = webhookHorizon
        configuration.allowPrivateTargets = webhookAllowPrivate
        return configuration
    }
}

/// `gateway webhook …`: the delivery worker, endpoints, the delivery log, and signature checks.
struct WebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook", abstract: "Webhook delivery: worker, endpoints, deliveries, and signature verification.",
        subcommands: [Worker.self, EndpointCreate.self, Deliveries.self, Redeliver.self, Verify.self])

    struct Worker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run only the webhook delivery worker against DATABASE_URL (several may share one database); stops on SIGTERM.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var options: WebhookWorkerOptions
        @OptionGroup var logOptions: LogOptions

        func run() async throws {
            let configuration = try options.configuration()
            logOptions.bootstrap()
            let logger = makeLogger(label: "gateway.webhooks")
            try await database.withStore { client, _ in
                let worker = WebhookWorker(
                    store: WebhookStore(client: client, logger: logger), configuration: configuration, logger: logger)
                let group = ServiceGroup(
                    configuration: .init(services: [.init(service: worker)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
                try await group.run()
            }
        }
    }

    struct EndpointCreate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "endpoint-create",
            abstract: "Register a webhook endpoint for a merchant and print it with its secret (shown once).")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "The merchant's id (mer_…).") var merchant: String
        @Option(help: "test or live.") var mode: String
        @Option(help: "Where to POST events.") var url: String
        @Option(help: "Comma-separated event types, or * for all.") var events = "*"
        @Flag(help: "Development only: accept loopback and private addresses.") var allowPrivate = false

        func run() async throws {
            guard let mode = APIMode(rawValue: mode) else { throw CLIError("--mode is test or live") }
            do throws(WebhookTarget.Refusal) {
                try await WebhookTarget.check(url, livemode: mode.livemode, allowPrivate: allowPrivate)
            } catch { throw CLIError("--url: \(error)") }
            let types = events.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let known = Set(EventTypes.all)
            for type in types where type != "*" && !known.contains(type) { throw CLIError("--events: '\(type)' is not an event type") }
            try await database.withStore { client, _ in
                let (endpoint, secret) = try await WebhookStore(client: client).createEndpoint(
                    merchantId: merchant, livemode: mode.livemode, url: url, events: types, description: nil)
                print(ResourceJSON.webhookEndpoint(endpoint, secret: secret).serialized)
            }
        }
    }

    struct Deliveries: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the deliveries of an event or an endpoint, one JSON object per line.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "An event id (evt_…).") var event: String?
        @Option(help: "An endpoint id (we_…).") var endpoint: String?

        func run() async throws {
            guard (event == nil) != (endpoint == nil) else { throw CLIError("give --event or --endpoint") }
            try await database.withStore { client, _ in
                guard let (merchant, livemode) = try await owner(client: client, event: event, endpoint: endpoint) else {
                    throw CLIError("no such \(event != nil ? "event" : "endpoint")")
                }
                let store = WebhookStore(client: client)
                for delivery in try await store.deliveries(merchantId: merchant, livemode: livemode, endpointId: endpoint, eventId: event) {
                    print(ResourceJSON.webhookDelivery(delivery).serialized)
                }
            }
        }
    }

    struct Redeliver: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deliver an event again, to all its endpoints or to one; prints the new deliveries.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "The event id (evt_…).") var event: String
        @Option(help: "Only this endpoint (we_…).") var endpoint: String?

        func run() async throws {
            try await database.withStore { client, _ in
                guard let (merchant, livemode) = try await owner(client: client, event: event, endpoint: nil) else {
                    throw CLIError("no event \(event)")
                }
                let store = WebhookStore(client: client)
                for delivery in try await store.redeliver(merchantId: merchant, livemode: livemode, eventId: event, endpointId: endpoint) {
                    print(ResourceJSON.webhookDelivery(delivery).serialized)
                }
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a received webhook: exits 0 only for a valid signature with a fresh timestamp.",
            discussion: "SIGNATURE is the X-Webhook-Signature header value (v1=<hex>[,v1=<hex>]); the secret file may end with a newline.")
        @Option(help: "File holding the endpoint's secret (whsec_…).") var secretFile: String
        @Option(help: "The X-Webhook-Timestamp header (unix seconds).") var timestamp: Int64
        @Option(help: "The X-Webhook-Signature header.") var signature: String
        @Option(help: "File holding the raw request body.") var bodyFile: String
        @Option(help: "Largest accepted age of the timestamp, in seconds.") var tolerance: Int64 = 300

        func run() throws {
            guard let secretData = FileManager.default.contents(atPath: secretFile) else { throw CLIError("cannot read --secret-file") }
            guard let body = FileManager.default.contents(atPath: bodyFile) else { throw CLIError("cannot read --body-file") }
            let secret = String(decoding: secretData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            do {
                try WebhookSignature.verify(
                    secret: secret, timestamp: timestamp, header: signature, body: Array(body), now: Int64(Date().timeIntervalSince1970),
                    tolerance: tolerance)
            } catch {
                throw CLIError("invalid webhook: \(error)")
            }
            print("valid")
        }
    }
}

/// The merchant and mode of an event or an endpoint.
func owner(client: PostgresClient, event: String?, endpoint: String?) async throws -> (String, Bool)? {
    let logger = Logger(label: "gateway.webhooks")
    let rows =
        if let event {
            try await client.query(
                "SELECT merchant_id, livemode FROM outbox_events WHERE event_id = \(event) AND merchant_id IS NOT NULL", logger: logger)
        } else {
            try await client.query("SELECT merchant_id, livemode FROM webhook_endpoints WHERE id = \(endpoint ?? "")", logger: logger)
        }
    for try await (merchant, livemode) in rows.decode((String, Bool).self) { return (merchant, livemode) }
    return nil
}
