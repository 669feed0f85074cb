import GatewayDomain
import GatewayStore
import HTTPTypes
import Hummingbird

/// Whether the gateway's database answers, as a probe last saw it. While it does not, requests
/// that need it are answered at once with 503 and a `Retry-After`, instead of waiting for a
/// connection that will not come.
public actor Availability {
    public private(set) var databaseUp = true
    /// Why the database was last found away.
    public private(set) var lastFailure: String?

    public init() {}

    public func record(databaseUp: Bool, failure: String? = nil) {
        self.databaseUp = databaseUp
        lastFailure = databaseUp ? nil : failure
    }
}

/// Answers 503 at once while the database is away (except for routes that do not need it) or
/// while the gateway already works on as many requests as its ``AdmissionGate`` admits, and
/// 503 for any request that has no answer within the request timeout: its work is cancelled,
/// and the client is told to come back.
struct AvailabilityMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let availability: Availability?
    let timeout: Duration
    let admission: AdmissionGate?
    /// Paths answered without the database.
    static let withoutDatabase: Set<String> = ["/livez", "/readyz", "/openapi.json", "/metrics"]

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        let needsDatabase = !Self.withoutDatabase.contains(path) && !path.hasPrefix("/checkout/assets/")
        if needsDatabase, let availability, await !availability.databaseUp {
            throw Self.unavailable
        }
        // Probes and metrics are always answered: they say why the others are refused.
        if needsDatabase, let admission {
            guard admission.enter() else { throw Self.overloaded }
        }
        defer { if needsDatabase, let admission { admission.leave() } }
        let timeout = self.timeout
        return try await withoutActuallyEscaping(next) { next in
            // The handler runs in a child task only while this call lasts; nothing else calls it.
            let handler = Handler(call: next)
            return try await withThrowingTaskGroup(of: Response?.self) { group in
                group.addTask { try await handler.call(request, context) }
                group.addTask {
                    // Called off with the group: what a cancelled sleep holds is released at once.
                    try await cancellableSleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let response = first else { throw Self.tooSlow }
                return response
            }
        }
    }

    struct Handler: @unchecked Sendable {
        let call: (Request, APIContext) async throws -> Response
    }

    static var tooSlow: APIError {
        serviceUnavailable(
            "service_unavailable", retryAfter: 5,
            "the gateway could not answer in time (it is overloaded or its database is slow); retry in a few seconds")
    }

    static var overloaded: APIError {
        serviceUnavailable(
            "overloaded", retryAfter: 1, "the gateway is working on as many requests as it can right now; retry in a second")
    }

    static var unavailable: APIError {
        serviceUnavailable("service_unavailable", retryAfter: 5, "the gateway cannot reach its database right now; retry in a few seconds")
    }

    /// A 503 with `Retry-After`: nothing was done, come back later.
    static func serviceUnavailable(_ code: String, retryAfter seconds: Int, _ message: String) -> APIError {
        var error = APIError(status: .serviceUnavailable, type: .api, code: code, message)
        error.headers[.retryAfter] = String(seconds)
        return error
    }
}
