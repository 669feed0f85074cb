import GatewayAPI
import GatewayDomain
import GatewayStore
import Logging
import PostgresNIO
import ServiceLifecycle

/// Turns the monitor's transfers into session payments.
///
/// The monitor's writes queue every new transfer and state change in `transfer_changes` (by
/// trigger, in the monitor's own transaction). One pass takes a batch with
/// `FOR UPDATE SKIP LOCKED`, locks and loads the sessions concerned, lets a
/// ``SessionLedger`` decide, and saves the result with its outbox events, in one transaction:
/// a crash repeats a batch and loses nothing, and several gateway processes can run matchers
/// side by side.
public struct SessionMatcher: Service {
    public let sessions: SessionStore
    /// The longest an idle matcher waits when no change notice arrives.
    public let interval: Duration
    public let batchSize: Int
    /// Wakes the matcher when the monitor queues changes.
    let changes: ChangeHub?
    /// Counts completions and exceptions.
    let metrics: MetricsRegistry?
    /// The longest one pass may take; a pass without an answer is abandoned (rolled back) and
    /// tried again.
    let deadline: Duration
    let logger: Logger

    public init(
        sessions: SessionStore, interval: Duration = .seconds(1), batchSize: Int = 200, changes: ChangeHub? = nil,
        metrics: MetricsRegistry? = nil, deadline: Duration = .seconds(60), logger: Logger = Logger(label: "gateway.matcher")
    ) {
        self.sessions = sessions
        self.metrics = metrics
        self.deadline = deadline
        self.interval = interval
        self.batchSize = batchSize
        self.changes = changes
        self.logger = logger
    }

    public func run() async throws {
        var failures = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let mark = await changes?.mark() ?? 0
            do {
                // Each batch under the deadline: a long backlog is many short transactions.
                while try await withDeadline(deadline, { try await processChanges() }) == batchSize {}
                failures = 0
            } catch is CancellationError {
                return
            } catch {
                failures += 1
                logger.error("matcher pass failed; retrying", metadata: ["error": "\(describeDatabaseError(error))"])
                // Backs off while the database is away, then resumes by itself.
                try? await Task.sleep(for: min(interval * (1 << min(failures, 4)), .seconds(15)))
                continue
            }
            if let changes {
                await changes.wait(for: [.transfers], after: mark, timeout: interval)
            } else {
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Matches queued changes until the queue is empty.
    public func drain() async throws {
        while try await processChanges() == batchSize {}
    }

    /// Applies one batch of queued transfer changes in its own transaction; returns how many
    /// queue entries it took.
    @discardableResult
    public func processChanges() async throws -> Int {
        try await sessions.transaction { connection in try await process(on: connection) }
    }

    /// One batch in the caller's transaction.
    public func process(on connection: PostgresConnection) async throws -> Int {
        let (changes, taken, now) = try await sessions.takeTransferChanges(limit: batchSize, on: connection)
        guard !changes.isEmpty else { return taken }
        let bound = Array(Set(changes.compactMap(\.boundTo))).sorted()
        let unbound = changes.filter { $0.boundTo == nil && $0.states.contains { $0 != .removed } }.map(\.transfer)
        let candidates = try await sessions.lockCandidates(bound: bound, unbound: unbound, on: connection)
        var ledger = SessionLedger(sessions: candidates, now: now, lateWindowSeconds: sessions.lateWindowSeconds)
        for change in changes {
            let transfer = change.transfer
            for outcome in try ledger.apply(transfer: transfer, states: change.states, boundTo: change.boundTo) {
                log(outcome, transfer: transfer, boundTo: change.boundTo, ledger: ledger)
            }
        }
        try await sessions.save(ledger.changes, on: connection)
        if let metrics {
            for (name, labels) in Self.counted(ledger.changes) { metrics.add(name, labels) }
        }
        return taken
    }

    /// The session counters a batch moves: completions, and the exceptions (paid too little,
    /// too much, or late) a session entered in it.
    static func counted(_ changes: [SessionChange]) -> [(String, [String: String])] {
        var out: [(String, [String: String])] = []
        for change in changes {
            if change.events.contains(.completed) { out.append(("gateway_sessions_completed_total", [:])) }
            if change.events.contains(.partiallyPaid) { out.append(("gateway_session_exceptions_total", ["kind": "partial"])) }
            if change.events.contains(.latePayment) { out.append(("gateway_session_exceptions_total", ["kind": "late"])) }
            if change.before.state.overpaid.isZero && !change.after.state.overpaid.isZero {
                out.append(("gateway_session_exceptions_total", ["kind": "over"]))
            }
        }
        return out
    }

    func log(_ outcome: SessionLedger.Outcome, transfer: ChainTransfer, boundTo: String?, ledger: SessionLedger) {
        switch outcome {
        case .bound(let sessionId, let matchedBy):
            logger.info(
                "transfer matched",
                metadata: [
                    "session": "\(sessionId)", "transfer": "\(transfer.id)", "by": "\(matchedBy.rawValue)",
                    "status": "\(ledger.session(sessionId)?.status.rawValue ?? "?")",
                ])
        case .updated(let sessionId):
            logger.info(
                "payment updated",
                metadata: [
                    "session": "\(sessionId)", "transfer": "\(transfer.id)", "state": "\(transfer.state.rawValue)",
                    "status": "\(ledger.session(sessionId)?.status.rawValue ?? "?")",
                ])
        case .unchanged where boundTo == nil && transfer.state != .removed:
            logger.info(
                "transfer matches no session",
                metadata: ["transfer": "\(transfer.id)", "network": "\(transfer.network)", "amount": "\(transfer.amount)"])
        case .unchanged:
            break
        }
    }
}
