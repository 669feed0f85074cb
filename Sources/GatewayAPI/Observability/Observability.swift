import Foundation
import GatewayDomain
import HTTPTypes
import Hummingbird

/// What the operator routes need: the metrics registry, a way to take a fresh
/// ``OperatorSnapshot``, and the token that unlocks `/readyz?verbose`.
public struct Observability: Sendable {
    public let registry: MetricsRegistry
    public let snapshot: @Sendable () async -> OperatorSnapshot
    /// `Authorization: Bearer <token>` shows the detail of `/readyz?verbose`; without a token
    /// configured nobody sees it over HTTP.
    public let operatorToken: String?

    public init(registry: MetricsRegistry, operatorToken: String?, snapshot: @escaping @Sendable () async -> OperatorSnapshot) {
        self.registry = registry
        self.operatorToken = operatorToken
        self.snapshot = snapshot
    }

    /// Whether the request carries the operator token (compared in constant time).
    func isOperator(_ request: Request) -> Bool {
        guard let token = operatorToken, !token.isEmpty, let header = request.headers[.authorization] else { return false }
        let expected = Array("Bearer \(token)".utf8)
        let given = Array(header.utf8)
        guard expected.count == given.count else { return false }
        var difference: UInt8 = 0
        for index in expected.indices { difference |= expected[index] ^ given[index] }
        return difference == 0
    }

    /// The Prometheus text page, after the snapshot's gauges are brought up to date.
    func metricsPage() async -> Response {
        await snapshot().record(into: registry)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: registry.render())))
    }

    /// 200 when ready, 503 when not; the body says only that, unless the operator asked
    /// for `?verbose` with the operator token.
    func readiness(_ request: Request) async -> Response {
        let snapshot = await snapshot()
        snapshot.record(into: registry)
        let status: HTTPResponse.Status = snapshot.ready ? .ok : .serviceUnavailable
        let verbose = request.uri.queryParameters["verbose"] != nil
        if verbose && isOperator(request) {
            return JSONResponse.make(status, snapshot.json, headers: [.cacheControl: "no-store"])
        }
        return JSONResponse.make(
            status, .object(JSONObject(["status": .string(snapshot.ready ? "ready" : "not_ready")])), headers: [.cacheControl: "no-store"])
    }
}

/// Counts every HTTP request by the route the router matched (its pattern, never the raw
/// URL, so the label stays bounded), method and status class, and times it.
struct HTTPMetricsMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let registry: MetricsRegistry

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context, code: response.status.code, started: started)
            return response
        } catch {
            record(request, context, code: (error as? any HTTPResponseError)?.status.code ?? 500, started: started)
            throw error
        }
    }

    func record(_ request: Request, _ context: APIContext, code: Int, started: ContinuousClock.Instant) {
        let route = Self.route(context.endpointPath)
        let method = Self.methods.contains(request.method) ? request.method.rawValue : "OTHER"
        registry.add("gateway_http_requests_total", ["route": route, "method": method, "code": MetricCatalog.statusClass(code)])
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        registry.observe("gateway_http_request_duration_seconds", ["route": route, "method": method], seconds)
    }

    static let methods: Set<HTTPRequest.Method> = [.get, .post, .put, .patch, .delete, .head, .options]

    /// The matched route's pattern; `unmatched` for a request no route took.
    static func route(_ endpointPath: String?) -> String {
        guard let path = endpointPath, path != "NotFound", !path.isEmpty else { return "unmatched" }
        return path
    }
}
