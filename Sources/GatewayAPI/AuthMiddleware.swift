import Foundation
import GatewayStore
import HTTPTypes
import Hummingbird

/// Authenticates `/v1` requests by their bearer key and applies the per-key rate limit.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let keys: APIKeyStore
    let limiter: RateLimiter
    let configuration: APIConfiguration

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw APIError(
                status: .unauthorized, type: .authentication, code: "api_key_missing",
                "send an API key as Authorization: Bearer sk_test_… or sk_live_…")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError(
                status: .unauthorized, type: .authentication, code: "api_key_invalid", "the Authorization header must be 'Bearer <API key>'"
            )
        }
        // The key itself is never logged or echoed.
        guard let key = try await keys.authenticate(String(parts[1])) else {
            throw APIError(
                status: .unauthorized, type: .authentication, code: "api_key_invalid", "the API key is not valid (unknown or revoked)")
        }
        var context = context
        context.apiKey = key
        context.logger[metadataKey: "api_key"] = .string(key.id)
        context.logger[metadataKey: "merchant"] = .string(key.merchantId)

        let isCreate = request.method == .post && request.uri.path == "/v1/payment_sessions"
        let decision = await limiter.take(key: key.id, limit: configuration.rateLimit)
        let createDecision = isCreate ? await limiter.take(key: key.id + "/create", limit: configuration.createRateLimit) : nil
        let shown = createDecision ?? decision
        var headers: HTTPFields = [:]
        if let shown {
            headers[.rateLimitLimit] = String(shown.limit)
            headers[.rateLimitRemaining] = String(shown.remaining)
            headers[.rateLimitReset] = String(shown.reset)
        }
        for refused in [decision, createDecision].compactMap({ $0 }) where !refused.allowed {
            let wait = max(1, refused.reset - Int64(Date().timeIntervalSince1970))
            var error = APIError(
                status: .tooManyRequests, type: .rateLimit, code: "rate_limited",
                "this key made more than \(refused.limit) such requests this minute; retry after \(wait) s")
            error.headers = headers
            error.headers[.retryAfter] = String(wait)
            throw error
        }
        do {
            var response = try await next(request, context)
            for field in headers { response.headers[field.name] = field.value }
            return response
        } catch {
            var apiError = APIError.from(error)
            // Server errors go up as they are, to be logged with their cause.
            guard apiError.status.code < 500 else { throw error }
            for field in headers { apiError.headers[field.name] = field.value }
            throw apiError
        }
    }
}
