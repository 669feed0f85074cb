import GatewayDomain
import GatewayStore
import Logging
import ServiceLifecycle

/// The sessions' clock: expires pending sessions whose time ran out, and frees the amounts
/// due of sessions whose late window has passed.
public struct SessionClock: Service {
    public let sessions: SessionStore
    public let interval: Duration
    /// The longest one transaction may take before it is abandoned (rolled back) and retried.
    let deadline: Duration
    let logger: Logger

    public init(
        sessions: SessionStore, interval: Duration = .seconds(1), deadline: Duration = .seconds(60),
        logger: Logger = Logger(label: "gateway.clock")
    ) {
        self.sessions = sessions
        self.interval = interval
        self.deadline = deadline
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await tick()
            } catch is CancellationError {
                return
            } catch {
                logger.error("clock pass failed; retrying", metadata: ["error": "\(describeDatabaseError(error))"])
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Expires what is due, then frees reservations past their window.
    public func tick() async throws {
        while try await withDeadline(deadline, { try await expireDue() }) == 200 {}
        try await withDeadline(deadline) { try await sessions.releaseReservations() }
    }

    /// Marks pending sessions whose time ran out as expired (at most 200 at once); returns how many.
    @discardableResult
    public func expireDue() async throws -> Int {
        try await sessions.transaction { connection in
            let (due, now) = try await sessions.lockExpired(limit: 200, on: connection)
            var ledger = SessionLedger(sessions: due, now: now, lateWindowSeconds: sessions.lateWindowSeconds)
            for session in due {
                try ledger.apply(.expire, to: session.id)
                logger.info("session expired", metadata: ["session": "\(session.id)"])
            }
            try await sessions.save(ledger.changes, on: connection)
            return due.count
        }
    }
}
