import GatewayDomain
import GatewayStore
import Hummingbird

/// Refunds under `/v1`: create (`refund` scope), read and list (`read`), cancel (`refund`),
/// approve (`admin`). Scoped by the key's merchant and mode like every route.
extension MerchantRoutes {
    var refunds: RefundStore { stores.refunds }

    func registerRefunds(on v1: RouterGroup<APIContext>) {
        post(
            v1, "refunds", scope: .refund,
            allowed: ["payment_session", "amount", "destination", "reason", "metadata", "network", "token"], storesResponse: true
        ) { fields, key, context in
            let request = NewRefundRequest(
                paymentSession: try fields.string("payment_session", required: true, maxLength: 100)!,
                amount: try fields.string("amount", maxLength: 100), destination: try fields.string("destination", maxLength: 100),
                reason: try fields.string("reason", maxLength: 50), metadata: try fields.stringMap("metadata"),
                network: try fields.string("network", maxLength: 50), token: try fields.string("token", maxLength: 20))
            let refund = try await refunds.create(
                merchantId: key.merchantId, livemode: key.livemode, request: request,
                idempotency: context.idempotencyKey.map { IdempotencyStore.Response(apiKeyId: key.id, key: $0) })
            return (.created, refunds.json(refund))
        }
        v1.get("refunds") { request, context in
            let key = try context.require(.read)
            let query = QueryParameters(request)
            var filter = RefundStore.Filter()
            filter.limit = try limit(query)
            filter.startingAfter = try refundCursor(query, "starting_after")
            filter.endingBefore = try refundCursor(query, "ending_before")
            filter.sessionId = try sessionCursor(query, "payment_session")
            if let text = query["status"] {
                guard let status = RefundStatus(rawValue: text) else {
                    throw APIError(
                        status: .badRequest, code: "parameter_invalid", param: "status",
                        "status is one of \(RefundStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                filter.status = status
            }
            let (page, hasMore) = try await refunds.list(merchantId: key.merchantId, livemode: key.livemode, filter: filter)
            return JSONResponse.make(.ok, list(url: "/v1/refunds", data: page.map(refunds.json), hasMore: hasMore))
        }
        v1.get("refunds/:id") { _, context in
            let key = try context.require(.read)
            let id = try context.parameters.require("id")
            guard let refund = try await refunds.refund(merchantId: key.merchantId, livemode: key.livemode, id: id) else {
                throw APIError.notFound("refund \(id.prefix(80))")
            }
            return JSONResponse.make(.ok, refunds.json(refund))
        }
        post(v1, "refunds/:id/cancel", scope: .refund, allowed: [], bodyOptional: true) { _, key, context in
            let id = try context.parameters.require("id")
            return (.ok, refunds.json(try await refunds.cancel(merchantId: key.merchantId, livemode: key.livemode, id: id)))
        }
        post(v1, "refunds/:id/approve", scope: .admin, allowed: [], bodyOptional: true) { _, key, context in
            let id = try context.parameters.require("id")
            return (.ok, refunds.json(try await refunds.approve(merchantId: key.merchantId, livemode: key.livemode, id: id)))
        }
    }
}

func refundCursor(_ query: QueryParameters, _ name: String) throws -> String? {
    guard let text = query[name] else { return nil }
    guard ObjectID.isWellFormed(text, prefix: "re") else {
        throw APIError(status: .badRequest, code: "parameter_invalid", param: name, "\(name) is a refund id (re_…)")
    }
    return text
}
