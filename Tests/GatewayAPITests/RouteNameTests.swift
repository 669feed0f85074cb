import Testing

@testable import GatewayAPI

/// The matched route as rate limits and metrics name it: slashes at either end dropped.
@Suite struct RouteNameTests {
    static let cases: [(String, String)] = [
        ("", ""),
        ("/", ""),
        ("///", ""),
        ("/v1/payment_sessions", "v1/payment_sessions"),
        ("/v1/payment_sessions/", "v1/payment_sessions"),
        ("v1/payment_sessions/:id", "v1/payment_sessions/:id"),
        ("//checkout/:id/events//", "checkout/:id/events"),
        ("/a//b/", "a//b"),
        ("/é/", "é"),
    ]

    @Test(arguments: cases.indices)
    func trimsSlashes(_ index: Int) {
        let (path, route) = Self.cases[index]
        #expect(AuthMiddleware.trimmingSlashes(path) == route)
    }
}
