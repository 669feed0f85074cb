import GatewayDomain
import GatewayStore
import HTTPTypes
import Hummingbird
import NIOCore

/// Builds the gateway's router: `/health`, `/openapi.json`, the merchant API under `/v1`, the
/// public checkout and the customers' refund pages.
public enum GatewayRouter {
    public static func make(
        stores: APIStores, configuration: APIConfiguration = APIConfiguration(),
        metrics: (@Sendable () -> [UInt8])? = nil, health: @escaping @Sendable () async -> [NetworkHealth]
    ) throws -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        router.add(middleware: RequestIdAndErrorMiddleware())

        router.get("health") { _, _ in
            let networks = await health()
            let items: [JSONValue] = networks.map { network in
                let lag: JSONValue =
                    if let head = network.head, let checkpoint = network.checkpoint { .int(Int64(head) - Int64(checkpoint)) } else { .null }
                return .object(
                    JSONObject([
                        "network": .string(network.network),
                        "chain_id": .int(Int64(network.chainId)),
                        "head": network.head.map { .int(Int64($0)) } ?? .null,
                        "checkpoint": network.checkpoint.map { .int(Int64($0)) } ?? .null,
                        "lag": lag,
                    ]))
            }
            return JSONResponse.make(.ok, .object(JSONObject(["status": .string("ok"), "networks": .array(items)])))
        }
        if let metrics {
            // Prometheus text format: RPC calls per provider, webhook deliveries and latency.
            router.get("metrics") { _, _ in
                Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(bytes: metrics())))
            }
        }
        router.get("openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_json)))
        }

        let v1 = router.group("v1").add(middleware: AuthMiddleware(keys: stores.keys, limiter: RateLimiter(), configuration: configuration))
        let merchantRoutes = MerchantRoutes(stores: stores, allowPrivateWebhookTargets: configuration.allowPrivateWebhookTargets)
        merchantRoutes.register(on: v1)
        merchantRoutes.registerWebhooks(on: v1)
        merchantRoutes.registerRefunds(on: v1)
        try CheckoutRoutes(sessions: stores.sessions, configuration: configuration).register(on: router)
        try RefundPageRoutes(refunds: stores.refunds).register(on: router)
        return router
    }
}
