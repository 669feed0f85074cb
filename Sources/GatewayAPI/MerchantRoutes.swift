import EthereumCore
import GatewayDomain
import GatewayStore
import HTTPTypes
import Hummingbird
import NIOCore
import WebhookDelivery

/// The merchant API under `/v1`: the merchant, API keys, payment sessions and transfers.
/// Every query is scoped by the key's merchant and mode, so another merchant's object is a
/// 404 whatever the route.
struct MerchantRoutes {
    let stores: APIStores
    let allowPrivateWebhookTargets: Bool
    let maxWebhookEndpoints: Int
    /// Counts the sessions created.
    var metrics: MetricsRegistry?

    var sessions: SessionStore { stores.sessions }
    var webhooks: WebhookStore { stores.webhooks }

    func register(on v1: RouterGroup<APIContext>) {
        v1.get("merchant") { _, context in
            let key = try context.require(.read)
            guard let merchant = try await stores.merchants.merchant(id: key.merchantId) else {
                throw APIError.notFound("merchant", param: nil)
            }
            return JSONResponse.make(.ok, ResourceJSON.merchant(merchant))
        }

        // API keys (admin): a key manages keys of its own mode only.
        post(v1, "api_keys", scope: .admin, allowed: ["mode", "scopes", "description"]) { fields, key in
            let mode =
                try fields.string("mode").map { text -> APIMode in
                    guard let mode = APIMode(rawValue: text) else {
                        throw APIError(status: .badRequest, code: "mode_invalid", param: "mode", "mode is test or live")
                    }
                    return mode
                } ?? key.mode
            guard mode == key.mode else {
                throw APIError(
                    status: .forbidden, type: .permission, code: "mode_mismatch", param: "mode",
                    "a \(key.mode.rawValue) key creates \(key.mode.rawValue) keys only; create \(mode.rawValue) keys with `gateway api-key create`"
                )
            }
            guard let names = try fields.stringArray("scopes", maxCount: 4) else {
                throw APIError(
                    status: .badRequest, code: "parameter_missing", param: "scopes",
                    "scopes is required: a list of read, write, refund, admin")
            }
            let scopes = try APIScope.parse(names)
            let (record, secret) = try await stores.keys.create(
                merchantId: key.merchantId, mode: mode, scopes: scopes, description: try fields.string("description", maxLength: 500))
            return (.created, ResourceJSON.apiKey(record, secret: secret))
        }
        v1.get("api_keys") { _, context in
            let key = try context.require(.admin)
            let keys = try await stores.keys.keys(merchantId: key.merchantId).filter { $0.livemode == key.livemode }
            return JSONResponse.make(.ok, list(url: "/v1/api_keys", data: keys.map { ResourceJSON.apiKey($0) }, hasMore: false))
        }
        v1.delete("api_keys/:id") { _, context in
            let key = try context.require(.admin)
            let id = try context.parameters.require("id")
            guard ObjectID.isWellFormed(id, prefix: "key"),
                let existing = try await stores.keys.keys(merchantId: key.merchantId, id: id).first, existing.livemode == key.livemode,
                let revoked = try await stores.keys.revoke(merchantId: key.merchantId, id: id)
            else { throw APIError.notFound("API key \(id)") }
            return JSONResponse.make(.ok, ResourceJSON.apiKey(revoked))
        }

        // Payment sessions.
        postSerialized(
            v1, "payment_sessions", scope: .write,
            allowed: ["amount", "currency", "networks", "tokens", "description", "metadata", "expires_in", "success_url", "cancel_url"],
            storesResponse: true
        ) { fields, key, context in
            guard let merchant = try await stores.merchants.merchant(id: key.merchantId) else {
                throw APIError.notFound("merchant", param: nil)
            }
            let request = NewSessionRequest(
                amount: try fields.string("amount", required: true, maxLength: 100)!,
                currency: try fields.string("currency", required: true, maxLength: 20)!,
                networks: try fields.stringArray("networks"), tokens: try fields.stringArray("tokens"),
                description: try fields.string("description"), metadata: try fields.stringMap("metadata"),
                expiresIn: try fields.int("expires_in"), successURL: try fields.string("success_url"),
                cancelURL: try fields.string("cancel_url"))
            let plan = try SessionPlan.plan(request, livemode: key.livemode, available: merchant.payableNetworks(sessions.networks))
            // The answer is the JSON the creation stored (its replay and its event's object).
            let (_, json) = try await sessions.create(
                merchantId: key.merchantId, livemode: key.livemode, plan: plan,
                idempotency: context.idempotencyKey.map { IdempotencyStore.Response(apiKeyId: key.id, key: $0) })
            metrics?.add("gateway_sessions_created_total")
            return (.created, Array(json.utf8))
        }
        v1.get("payment_sessions") { request, context in
            let key = try context.require(.read)
            let query = QueryParameters(request)
            var filter = SessionStore.Filter()
            filter.limit = try limit(query)
            filter.startingAfter = try sessionCursor(query, "starting_after")
            filter.endingBefore = try sessionCursor(query, "ending_before")
            if let text = query["status"] {
                guard let status = SessionStatus(rawValue: String(text)) else {
                    throw APIError(
                        status: .badRequest, code: "parameter_invalid", param: "status",
                        "status is one of \(SessionStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                filter.status = status
            }
            filter.createdGte = try unixSeconds(query, "created[gte]")
            filter.createdLte = try unixSeconds(query, "created[lte]")
            let (page, hasMore) = try await sessions.list(merchantId: key.merchantId, livemode: key.livemode, filter: filter)
            return JSONResponse.make(.ok, list(url: "/v1/payment_sessions", data: page.map(sessions.json), hasMore: hasMore))
        }
        v1.get("payment_sessions/:id") { _, context in
            let key = try context.require(.read)
            let id = try context.parameters.require("id")
            guard let session = try await sessions.session(merchantId: key.merchantId, livemode: key.livemode, id: id) else {
                throw APIError.notFound("payment session \(id)")
            }
            return JSONResponse.make(.ok, sessions.json(session))
        }
        post(v1, "payment_sessions/:id/cancel", scope: .write, allowed: [], bodyOptional: true) { fields, key, context in
            let id = try context.parameters.require("id")
            let session = try await sessions.cancel(merchantId: key.merchantId, livemode: key.livemode, id: id)
            return (.ok, sessions.json(session))
        }
        post(v1, "payment_sessions/:id/attach", scope: .write, allowed: ["tx_hash", "log_index"]) { fields, key, context in
            let id = try context.parameters.require("id")
            let hashText = try fields.string("tx_hash", required: true, maxLength: 100)!
            guard let txHash = try? TxHash(hex: hashText) else {
                throw APIError(status: .badRequest, code: "tx_hash_invalid", param: "tx_hash", "tx_hash is 0x and 64 hex digits")
            }
            guard let logIndex = try fields.int("log_index"), logIndex >= 0 else {
                throw APIError(
                    status: .badRequest, code: "parameter_missing", param: "log_index",
                    "log_index is required: the transfer's log index (an integer ≥ 0)")
            }
            let session = try await sessions.attach(
                merchantId: key.merchantId, livemode: key.livemode, id: id, txHash: txHash, logIndex: UInt64(logIndex))
            return (.ok, sessions.json(session))
        }

        // Transfers to the merchant's addresses.
        v1.get("transfers") { request, context in
            let key = try context.require(.read)
            let query = QueryParameters(request)
            var filter = TransferStore.Filter()
            filter.limit = try limit(query)
            if let text = query["matched"] {
                guard text == "true" || text == "false" else {
                    throw APIError(status: .badRequest, code: "parameter_invalid", param: "matched", "matched is true or false")
                }
                filter.matched = text == "true"
            }
            if let text = query["starting_after"] {
                guard text.hasPrefix("tr_"), let id = Int64(text.dropFirst(3)), id > 0 else {
                    throw APIError(
                        status: .badRequest, code: "parameter_invalid", param: "starting_after", "starting_after is a transfer id (tr_…)")
                }
                filter.startingAfter = id
            }
            let transferStore = stores.transfers
            let (transfers, hasMore) = try await transferStore.transfers(merchantId: key.merchantId, livemode: key.livemode, filter: filter)
            let data = transfers.map {
                ResourceJSON.transfer($0, token: transferStore.token(network: $0.transfer.network, address: $0.transfer.token))
            }
            return JSONResponse.make(.ok, list(url: "/v1/transfers", data: data, hasMore: hasMore))
        }
    }

    // MARK: POST with idempotency

    typealias PostHandler = @Sendable (RequestFields, APIKey, APIContext) async throws -> (HTTPResponse.Status, JSONValue)
    /// A handler that answers with JSON it already holds as bytes.
    typealias SerializedPostHandler = @Sendable (RequestFields, APIKey, APIContext) async throws -> (HTTPResponse.Status, [UInt8])

    func post(
        _ group: RouterGroup<APIContext>, _ path: RouterPath, scope: APIScope, allowed: Set<String>,
        handler: @escaping @Sendable (RequestFields, APIKey) async throws -> (HTTPResponse.Status, JSONValue)
    ) {
        post(group, path, scope: scope, allowed: allowed) { fields, key, _ in try await handler(fields, key) }
    }

    /// A POST route: scope check, body parse, and the `Idempotency-Key` protocol: the first
    /// response (success or client error) is stored and replayed for 24 hours; the same key
    /// with another body is a 409.
    ///
    /// With `storesResponse`, the handler's store writes its success response (201, the bytes
    /// of the value it returns) in the transaction of its work, so that nothing is left to
    /// finish after a success; errors are still stored here.
    func post(
        _ group: RouterGroup<APIContext>, _ path: RouterPath, scope: APIScope, allowed: Set<String>, bodyOptional: Bool = false,
        storesResponse: Bool = false, handler: @escaping PostHandler
    ) {
        postSerialized(group, path, scope: scope, allowed: allowed, bodyOptional: bodyOptional, storesResponse: storesResponse) {
            fields, key, context in
            let (status, value) = try await handler(fields, key, context)
            return (status, Array(value.serialized.utf8))
        }
    }

    /// ``post(_:_:scope:allowed:bodyOptional:storesResponse:handler:)`` for a handler that
    /// returns its JSON's bytes.
    func postSerialized(
        _ group: RouterGroup<APIContext>, _ path: RouterPath, scope: APIScope, allowed: Set<String>, bodyOptional: Bool = false,
        storesResponse: Bool = false, handler: @escaping SerializedPostHandler
    ) {
        group.post(path) { request, context in
            let key = try context.require(scope)
            var request = request
            let body = try await request.collectBody(upTo: APIConfiguration.maxBodyBytes)
            let idempotency = stores.idempotency
            @Sendable func run(_ context: APIContext) async throws -> (HTTPResponse.Status, [UInt8]) {
                let fields = try RequestFields(
                    body: bodyOptional && body.readableBytes == 0 ? ByteBuffer(string: "{}") : body, allowed: allowed)
                return try await handler(fields, key, context)
            }
            guard let idempotencyKey = request.headers[.idempotencyKey] else {
                let (status, bytes) = try await run(context)
                return JSONResponse.make(status, bytes: bytes)
            }
            guard (1...255).contains(idempotencyKey.utf8.count) else {
                throw APIError(
                    status: .badRequest, code: "idempotency_key_invalid", param: "Idempotency-Key", "Idempotency-Key is 1 to 255 characters"
                )
            }
            let bytes = Array(body.readableBytesView)
            switch try await idempotency.begin(
                apiKeyId: key.id, key: idempotencyKey, request: IdempotentRequest(method: "POST", path: request.uri.path, body: bytes))
            {
            case .replay(let status, let stored):
                return JSONResponse.make(HTTPResponse.Status(code: status), bytes: stored, headers: [.idempotentReplayed: "true"])
            case .mismatch:
                throw APIError(
                    status: .conflict, type: .idempotency, code: "idempotency_key_reused",
                    "this Idempotency-Key was used with another request; use a new key for a new request")
            case .inProgress:
                throw APIError(
                    status: .conflict, type: .idempotency, code: "idempotency_key_in_use",
                    "a request with this Idempotency-Key is still being processed; retry in a moment")
            case .proceed:
                let status: HTTPResponse.Status
                let responseBytes: [UInt8]
                var context = context
                context.idempotencyKey = idempotencyKey
                do {
                    (status, responseBytes) = try await run(context)
                    if storesResponse, status == .created { return JSONResponse.make(status, bytes: responseBytes) }
                } catch {
                    let apiError = APIError.from(error)
                    guard apiError.status.code < 500 else {
                        try? await idempotency.finish(apiKeyId: key.id, key: idempotencyKey, status: 500, body: [])
                        throw error
                    }
                    status = apiError.status
                    responseBytes = Array(apiError.json(requestId: context.requestId).serialized.utf8)
                }
                try await idempotency.finish(apiKeyId: key.id, key: idempotencyKey, status: status.code, body: responseBytes)
                return JSONResponse.make(status, bytes: responseBytes)
            }
        }
    }
}

// MARK: Query helpers

func list(url: String, data: [JSONValue], hasMore: Bool) -> JSONValue {
    .object(JSONObject(["object": .string("list"), "url": .string(url), "data": .array(data), "has_more": .bool(hasMore)]))
}

func limit(_ query: QueryParameters) throws -> Int {
    guard let text = query["limit"] else { return 20 }
    guard let value = Int(text), (1...100).contains(value) else {
        throw APIError(status: .badRequest, code: "parameter_invalid", param: "limit", "limit is an integer from 1 to 100")
    }
    return value
}

func sessionCursor(_ query: QueryParameters, _ name: String) throws -> String? {
    guard let text = query[name] else { return nil }
    guard ObjectID.isWellFormed(String(text), prefix: "ps") else {
        throw APIError(status: .badRequest, code: "parameter_invalid", param: name, "\(name) is a payment session id (ps_…)")
    }
    return String(text)
}

func unixSeconds(_ query: QueryParameters, _ name: String) throws -> Int64? {
    guard let text = query[name] else { return nil }
    guard let value = Int64(text), (0...253_402_300_799).contains(value) else {
        throw APIError(status: .badRequest, code: "parameter_invalid", param: name, "\(name) is a time in unix seconds")
    }
    return value
}
