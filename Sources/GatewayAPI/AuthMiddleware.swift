import Foundation
import GatewayStore
import HTTPTypes
import Hummingbird

/// Authenticates `/v1` requests by their bearer key and applies the rate limits: per key and
/// per merchant over all routes, per key and per merchant for session creation (matched by
/// route, so `/v1/payment_sessions/` counts as a creation too), and per client address for
/// requests without a valid key.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let keys: APIKeyStore
    let limiter: RateLimiter
    let configuration: APIConfiguration

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            try await limitAnonymous(context)
            throw APIError(
                status: .unauthorized, type: .authentication, code: "api_key_missing",
                "send an API key as Authorization: Bearer sk_test_… or sk_live_…")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            try await limitAnonymous(context)
            throw APIError(
                status: .unauthorized, type: .authentication, code: "api_key_invalid", "the Authorization header must be 'Bearer <API key>'"
            )
        }
        // The key itself is never logged or echoed.
        guard let key = try await keys.authenticate(String(parts[1])) else {
            try await limitAnonymous(context)
            throw APIError(
                status: .unauthorized, type: .authentication, code: "api_key_invalid", "the API key is not valid (unknown or revoked)")
        }
        var context = context
        context.apiKey = key
        context.logger[metadataKey: "api_key"] = .string(key.id)
        context.logger[metadataKey: "merchant"] = .string(key.merchantId)

        var decisions = [
            await limiter.take(key: "key:" + key.id, limit: configuration.rateLimit),
            await limiter.take(key: "merchant:" + key.merchantId, limit: configuration.merchantRateLimit),
        ]
        if request.method == .post, Self.route(context) == "v1/payment_sessions" {
            decisions.append(await limiter.take(key: "create:" + key.id, limit: configuration.createRateLimit))
            decisions.append(await limiter.take(key: "create-merchant:" + key.merchantId, limit: configuration.merchantCreateRateLimit))
        }
        let applied = decisions.compactMap { $0 }
        let headers = RateLimitHeaders.for(applied)
        if let refused = applied.first(where: { !$0.allowed }) {
            throw RateLimitHeaders.refusal(
                refused, headers: headers, "this key or its merchant made more than \(refused.limit) such requests this minute")
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

    /// The route the router matched, without slashes at either end.
    static func route(_ context: APIContext) -> String {
        trimmingSlashes(context.endpointPath ?? "")
    }

    /// `path` without `/` at either end.
    static func trimmingSlashes(_ path: String) -> String {
        let bytes = path.utf8
        guard let first = bytes.firstIndex(where: { $0 != 0x2F }), let last = bytes.lastIndex(where: { $0 != 0x2F }) else { return "" }
        return String(path[first...last])
    }

    func limitAnonymous(_ context: APIContext) async throws {
        guard let decision = await limiter.take(key: "anonymous:" + context.clientAddress, limit: configuration.anonymousRateLimit),
            !decision.allowed
        else { return }
        throw RateLimitHeaders.refusal(
            decision, headers: RateLimitHeaders.for([decision]), "too many requests without a valid API key from this address")
    }
}

/// The `X-RateLimit-*` headers and the 429 of the API.
enum RateLimitHeaders {
    /// The headers of the most restrictive decision (the one with the fewest requests left).
    static func `for`(_ decisions: [RateLimiter.Decision]) -> HTTPFields {
        var headers: HTTPFields = [:]
        guard let shown = decisions.min(by: { ($0.allowed ? 1 : 0, $0.remaining) < ($1.allowed ? 1 : 0, $1.remaining) }) else {
            return headers
        }
        headers[.rateLimitLimit] = String(shown.limit)
        headers[.rateLimitRemaining] = String(shown.remaining)
        headers[.rateLimitReset] = String(shown.reset)
        return headers
    }

    static func refusal(_ refused: RateLimiter.Decision, headers: HTTPFields, _ what: String) -> APIError {
        let wait = max(1, refused.reset - Int64(Date().timeIntervalSince1970))
        var error = APIError(status: .tooManyRequests, type: .rateLimit, code: "rate_limited", "\(what); retry after \(wait) s")
        error.headers = headers
        error.headers[.retryAfter] = String(wait)
        return error
    }
}
