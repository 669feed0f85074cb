import GatewayDomain
import GatewayStore
import Hummingbird
import HummingbirdAuth
import Logging

/// The request context of every route: the request id, on `/v1` the authenticated key, and
/// under `/console` the signed-in session (``ConsoleSession``, loaded by the session middleware).
public struct APIContext: RequestContext, SessionRequestContext {
    public let sessions = SessionContext<ConsoleSession>()
    public var coreContext: CoreRequestContextStorage
    /// `req_…`, sent back as `X-Request-Id` and logged with every line of the request.
    public var requestId: String
    /// The key that authenticated the request (set by ``AuthMiddleware``).
    public var apiKey: APIKey?
    /// Rate-limit headers to add to the response.
    public var rateLimit: RateLimiter.Decision?
    /// The connecting client's IP address, for per-client limits.
    public var clientAddress: String
    /// The request's `Idempotency-Key` once it has been reserved for this request.
    public var idempotencyKey: String?

    public init(source: Source) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
        requestId = ObjectID.make("req")
        logger[metadataKey: "request_id"] = .string(requestId)
    }

    /// The authenticated key, which must carry `scope`.
    func require(_ scope: APIScope) throws -> APIKey {
        guard let key = apiKey else {
            throw APIError(
                status: .unauthorized, type: .authentication, code: "api_key_missing", "send an API key as Authorization: Bearer sk_…")
        }
        guard key.scopes.contains(scope) else {
            throw APIError(
                status: .forbidden, type: .permission, code: "scope_missing",
                "this API key lacks the '\(scope.rawValue)' scope; create a key with it (POST /v1/api_keys)")
        }
        return key
    }
}
