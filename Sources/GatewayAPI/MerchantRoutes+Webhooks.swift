import GatewayDomain
import GatewayStore
import HTTPTypes
import Hummingbird
import WebhookDelivery

/// `/v1/webhook_endpoints` and `/v1/events`: where a merchant's events go, and what happened
/// to each delivery.
extension MerchantRoutes {
    static let eventTypes = Set(EventTypes.all)

    func registerWebhooks(on v1: RouterGroup<APIContext>) {
        // Endpoints receive every session object: managing them takes the admin scope.
        post(v1, "webhook_endpoints", scope: .admin, allowed: ["url", "events", "description"]) { fields, key in
            let url = try fields.string("url", required: true, maxLength: 2048)!
            do throws(WebhookTarget.Refusal) {
                try await WebhookTarget.check(url, livemode: key.livemode, allowPrivate: allowPrivateWebhookTargets)
            } catch {
                throw APIError(status: .badRequest, code: "url_not_allowed", param: "url", error.description)
            }
            let events = try fields.stringArray("events", maxCount: 50) ?? ["*"]
            guard !events.isEmpty else {
                throw APIError(status: .badRequest, code: "events_invalid", param: "events", "events lists event types, or [\"*\"] for all")
            }
            for event in events where event != "*" && !Self.eventTypes.contains(event) {
                throw APIError(
                    status: .badRequest, code: "events_invalid", param: "events",
                    "'\(event)' is not an event type; use \"*\" or some of \(Self.eventTypes.sorted().joined(separator: ", "))")
            }
            let (endpoint, secret) = try await webhooks.createEndpoint(
                merchantId: key.merchantId, livemode: key.livemode, url: url, events: Array(Set(events)).sorted(),
                description: try fields.string("description", maxLength: 500), limit: maxWebhookEndpoints)
            return (.created, ResourceJSON.webhookEndpoint(endpoint, secret: secret))
        }
        v1.get("webhook_endpoints") { _, context in
            let key = try context.require(.read)
            let endpoints = try await webhooks.endpoints(merchantId: key.merchantId, livemode: key.livemode)
            return JSONResponse.make(
                .ok, list(url: "/v1/webhook_endpoints", data: endpoints.map { ResourceJSON.webhookEndpoint($0) }, hasMore: false))
        }
        v1.get("webhook_endpoints/:id") { _, context in
            let key = try context.require(.read)
            let id = try context.parameters.require("id")
            guard let endpoint = try await webhooks.endpoints(merchantId: key.merchantId, livemode: key.livemode, id: id).first else {
                throw APIError.notFound("webhook endpoint \(id)")
            }
            return JSONResponse.make(.ok, ResourceJSON.webhookEndpoint(endpoint))
        }
        v1.delete("webhook_endpoints/:id") { _, context in
            let key = try context.require(.admin)
            let id = try context.parameters.require("id")
            guard try await webhooks.deleteEndpoint(merchantId: key.merchantId, livemode: key.livemode, id: id) else {
                throw APIError.notFound("webhook endpoint \(id)")
            }
            return JSONResponse.make(
                .ok, .object(JSONObject(["id": .string(id), "object": .string("webhook_endpoint"), "deleted": .bool(true)])))
        }
        post(v1, "webhook_endpoints/:id/rotate_secret", scope: .admin, allowed: ["overlap_seconds"], bodyOptional: true) {
            fields, key, context in
            let id = try context.parameters.require("id")
            let overlap = try fields.int("overlap_seconds") ?? WebhookEndpoint.defaultSecretOverlapSeconds
            guard (0...604_800).contains(overlap) else {
                throw APIError(status: .badRequest, code: "overlap_invalid", param: "overlap_seconds", "overlap_seconds is 0 to 604800")
            }
            guard
                let (endpoint, secret) = try await webhooks.rotateSecret(
                    merchantId: key.merchantId, livemode: key.livemode, id: id, overlapSeconds: overlap)
            else { throw APIError.notFound("webhook endpoint \(id)") }
            return (.ok, ResourceJSON.webhookEndpoint(endpoint, secret: secret))
        }
        v1.get("webhook_endpoints/:id/deliveries") { _, context in
            let key = try context.require(.read)
            let id = try context.parameters.require("id")
            guard try await webhooks.endpoints(merchantId: key.merchantId, livemode: key.livemode, id: id).first != nil else {
                throw APIError.notFound("webhook endpoint \(id)")
            }
            let deliveries = try await webhooks.deliveries(merchantId: key.merchantId, livemode: key.livemode, endpointId: id)
            return JSONResponse.make(
                .ok, list(url: "/v1/webhook_endpoints/\(id)/deliveries", data: deliveries.map(ResourceJSON.webhookDelivery), hasMore: false)
            )
        }
        v1.get("events/:id/deliveries") { _, context in
            let key = try context.require(.read)
            let id = try context.parameters.require("id")
            guard try await webhooks.hasEvent(merchantId: key.merchantId, livemode: key.livemode, eventId: id) else {
                throw APIError.notFound("event \(id)")
            }
            let deliveries = try await webhooks.deliveries(merchantId: key.merchantId, livemode: key.livemode, eventId: id)
            return JSONResponse.make(
                .ok, list(url: "/v1/events/\(id)/deliveries", data: deliveries.map(ResourceJSON.webhookDelivery), hasMore: false))
        }
        post(v1, "events/:id/redeliver", scope: .write, allowed: ["endpoint"], bodyOptional: true) { fields, key, context in
            let id = try context.parameters.require("id")
            guard try await webhooks.hasEvent(merchantId: key.merchantId, livemode: key.livemode, eventId: id) else {
                throw APIError.notFound("event \(id)")
            }
            let endpoint = try fields.string("endpoint", maxLength: 100)
            if let endpoint, try await webhooks.endpoints(merchantId: key.merchantId, livemode: key.livemode, id: endpoint).isEmpty {
                throw APIError(status: .notFound, code: "resource_missing", param: "endpoint", "no webhook endpoint \(endpoint)")
            }
            let deliveries = try await webhooks.redeliver(
                merchantId: key.merchantId, livemode: key.livemode, eventId: id, endpointId: endpoint)
            return (.accepted, list(url: "/v1/events/\(id)/deliveries", data: deliveries.map(ResourceJSON.webhookDelivery), hasMore: false))
        }
    }
}
