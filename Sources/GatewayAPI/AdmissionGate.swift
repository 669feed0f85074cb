import Synchronization

/// A bound on the requests the gateway works on at once. Beyond it a request is refused at
/// once (503 with `Retry-After: 1`) instead of joining a queue: under more traffic than the
/// process and its database can serve, an unbounded queue makes every request wait until all
/// of them time out, and its memory grows with the backlog. Refusing the excess keeps the
/// answers to the admitted ones fast, for every merchant.
public final class AdmissionGate: Sendable {
    /// Requests in progress at most; 0 means no bound.
    public let limit: Int
    private let inFlight = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)

    public init(limit: Int) { self.limit = max(0, limit) }

    /// Takes a place; false (taking nothing) when all are taken.
    public func enter() -> Bool {
        let now = inFlight.wrappingAdd(1, ordering: .relaxed).newValue
        if limit > 0, now > limit {
            inFlight.wrappingSubtract(1, ordering: .relaxed)
            refused.wrappingAdd(1, ordering: .relaxed)
            return false
        }
        return true
    }

    /// Gives back a place taken by ``enter()``.
    public func leave() { inFlight.wrappingSubtract(1, ordering: .relaxed) }

    /// Requests in progress now.
    public var current: Int { inFlight.load(ordering: .relaxed) }
    /// Requests refused since the process started.
    public var refusedCount: Int { refused.load(ordering: .relaxed) }
}
