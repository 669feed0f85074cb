import GatewayDomain
import GatewayStore
import HTTPTypes
import Hummingbird
import NIOCore

/// Builds the gateway's router: `/livez`, `/readyz`, `/health`, `/metrics`, `/openapi.json`,
/// the merchant API under `/v1`, the public checkout, the customers' refund pages and the web
/// console under `/console`.
public enum GatewayRouter {
    public static func make(
        stores: APIStores, configuration: APIConfiguration = APIConfiguration(), changes: ChangeHub? = nil,
        availability: Availability? = nil,
        observability: Observability? = nil, console: ConsoleStore? = nil, health: @escaping @Sendable () async -> [NetworkHealth]
    ) throws -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        if let observability { router.add(middleware: HTTPMetricsMiddleware(registry: observability.registry)) }
        router.add(middleware: RequestIdAndErrorMiddleware())
        router.add(
            middleware: AvailabilityMiddleware(
                availability: availability, timeout: configuration.requestTimeout,
                admission: configuration.maxInFlight > 0 ? AdmissionGate(limit: configuration.maxInFlight) : nil))
        let limiter = RateLimiter()

        // The process only, never its dependencies: a restart is the only cure for a failure.
        router.get("livez") { _, _ in
            JSONResponse.make(.ok, .object(JSONObject(["status": .string("live")])), headers: [.cacheControl: "no-store"])
        }
        if let observability {
            router.get("readyz") { request, _ in await observability.readiness(request) }
            router.get("metrics") { _, _ in await observability.metricsPage() }
        }
        // The older health page, kept in its shape for the probes that read it; /readyz is the one to probe.
        router.get("health") { _, _ in
            let networks = await health()
            let items: [JSONValue] = networks.map { network in
                let lag: JSONValue =
                    if let head = network.head, let checkpoint = network.checkpoint {
                        .int(Int64(clamping: head) &- Int64(clamping: checkpoint))
                    } else { .null }
                return .object(
                    JSONObject([
                        "network": .string(network.network),
                        "chain_id": .int(Int64(clamping: network.chainId)),
                        "head": network.head.map { .int(Int64(clamping: $0)) } ?? .null,
                        "checkpoint": network.checkpoint.map { .int(Int64(clamping: $0)) } ?? .null,
                        "lag": lag,
                        "providers": .int(network.providers),
                        "trusts_single_provider": .bool(network.providers == 1),
                        "monitor": .string(network.haltReason == nil ? "running" : "halted"),
                        "halt_reason": .string(network.haltReason),
                    ]))
            }
            let status = networks.contains { $0.haltReason != nil } ? "degraded" : "ok"
            return JSONResponse.make(.ok, .object(JSONObject(["status": .string(status), "networks": .array(items)])))
        }
        router.get("openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_json)))
        }

        let v1 = router.group("v1").add(middleware: AuthMiddleware(keys: stores.keys, limiter: limiter, configuration: configuration))
        let merchantRoutes = MerchantRoutes(
            stores: stores, allowPrivateWebhookTargets: configuration.allowPrivateWebhookTargets,
            maxWebhookEndpoints: configuration.maxWebhookEndpoints, metrics: observability?.registry)
        merchantRoutes.register(on: v1)
        merchantRoutes.registerWebhooks(on: v1)
        merchantRoutes.registerRefunds(on: v1)
        ExportRoutes(exports: ExportService(client: stores.merchants.client)).register(on: v1)
        try CheckoutRoutes(sessions: stores.sessions, configuration: configuration, limiter: limiter, changes: changes).register(on: router)
        try RefundPageRoutes(refunds: stores.refunds, configuration: configuration, limiter: limiter).register(on: router)
        if let console {
            ConsoleRoutes(
                console: console, stores: stores, configuration: configuration, limiter: limiter, snapshot: observability?.snapshot
            )
            .register(on: router)
        }
        return router
    }
}
