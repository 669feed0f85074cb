import GatewayDomain
import GatewayStore
import Hummingbird

/// The checkout event streams open in this process: at most `perSession` for one session and
/// `total` in all, so that streams cannot exhaust the server.
actor EventStreams {
    let perSession: Int
    let total: Int
    private var open: [String: Int] = [:]
    private var count = 0

    init(perSession: Int, total: Int) {
        self.perSession = perSession
        self.total = total
    }

    /// Takes a slot for a stream of `session`; false when there is none.
    func open(_ session: String) -> Bool {
        guard count < total, open[session, default: 0] < perSession else { return false }
        open[session, default: 0] += 1
        count += 1
        return true
    }

    func close(_ session: String) {
        guard let current = open[session] else { return }
        open[session] = current > 1 ? current - 1 : nil
        count -= 1
    }

    /// A session whose page has nothing more to wait for: ended, and every payment settled
    /// (confirmed or removed).
    static func isFinal(_ session: PaymentSession) -> Bool {
        session.status.hasEnded && !session.payments.contains { $0.transfer.state == .seen }
    }

    /// The change notices that can alter what a stream of `session` shows: its own (status,
    /// payments), and new blocks on a network only while one of its payments there is still
    /// gaining confirmations. A session with nothing to confirm is not read again at every
    /// block of every network.
    static func topics(_ session: PaymentSession) -> Set<ChangeTopic> {
        var topics: Set<ChangeTopic> = [.session(session.id)]
        for payment in session.payments where payment.transfer.state == .seen {
            topics.insert(.checkpoint(payment.transfer.network))
        }
        return topics
    }
}

/// A per-client-address limit on every route below it (the public checkout).
struct ClientLimitMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let limiter: RateLimiter
    let limit: Int

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        if let decision = await limiter.take(key: "client:" + context.clientAddress, limit: limit), !decision.allowed {
            throw RateLimitHeaders.refusal(decision, headers: RateLimitHeaders.for([decision]), "too many requests from this address")
        }
        return try await next(request, context)
    }
}
