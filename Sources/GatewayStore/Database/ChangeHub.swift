import Logging
import PostgresNIO

/// What changed, as the database announces it on the `gateway_changes` channel
/// (`LISTEN/NOTIFY`, sent by the triggers of migrations 0007 to 0009 and 0013 when a transaction
/// commits; an insert of no row sends nothing).
public enum ChangeTopic: Hashable, Sendable {
    /// A session's row or payments changed.
    case session(String)
    /// The monitor queued transfer changes for the matcher.
    case transfers
    /// New outbox events or deliveries for the webhook workers.
    case outbox
    /// A network's monitor moved its checkpoint (confirmations changed).
    case checkpoint(String)
    /// API keys, merchants or their addresses changed: cached reads of them are stale.
    case credentials
    /// A refund on the network is queued for its hot wallet to sign.
    case refunds(String)

    /// The topic a notification's payload names.
    init?(payload: String) {
        if payload == "transfers" {
            self = .transfers
        } else if payload == "outbox" {
            self = .outbox
        } else if payload == "credentials" {
            self = .credentials
        } else if payload.hasPrefix("session:") {
            self = .session(String(payload.dropFirst(8)))
        } else if payload.hasPrefix("checkpoint:") {
            self = .checkpoint(String(payload.dropFirst(11)))
        } else if payload.hasPrefix("refunds:") {
            self = .refunds(String(payload.dropFirst(8)))
        } else {
            return nil
        }
    }
}

/// One listener per process fans database change notices out to whoever waits: the matcher,
/// the webhook workers, the checkout event streams. Nobody polls the database on a short
/// timer; waits still end after a timeout, so a notice lost with a dropped connection only
/// delays work.
public actor ChangeHub {
    struct Waiter {
        let topics: Set<ChangeTopic>
        let continuation: CheckedContinuation<Void, Never>
        /// Ends the wait at its timeout; called off when a notice ends it first.
        var timer: DeadlineTimer?
    }

    private var waiters: [UInt64: Waiter] = [:]
    private var nextWaiter: UInt64 = 0
    /// Moves on with every notice; the last value seen for each topic.
    private var sequence: UInt64 = 0
    private var lastNotice: [ChangeTopic: UInt64] = [:]
    /// Notices up to this one may have been forgotten: every session's notice adds a topic, so
    /// the oldest are dropped once ``retainedTopics`` are kept, and a topic without an entry
    /// counts as changed at this point (a waiter whose mark is older wakes once for nothing).
    private var forgottenUpTo: UInt64 = 0
    /// Topics remembered at most; memory stays bounded however many sessions change.
    let retainedTopics: Int
    /// Bumped when the listener (re)connects: notices may have been missed.
    private var resetAt: UInt64 = 0
    /// Whether a listener is connected: only then do notices arrive, and only then may reads be
    /// cached (``CachedReads``).
    private var listening = false

    public init(retainedTopics: Int = 4_096) { self.retainedTopics = max(2, retainedTopics) }

    /// A mark to pass to ``wait(for:after:timeout:)``: take it before reading, so that a change
    /// committed while reading is not missed.
    public func mark() -> UInt64 { sequence }

    /// Whether a notice for one of `topics` arrived after `mark` (or everyone was woken since).
    public func changed(_ topics: Set<ChangeTopic>, after mark: UInt64) -> Bool {
        resetAt > mark || topics.contains(where: { (lastNotice[$0] ?? forgottenUpTo) > mark })
    }

    /// Returns when a notice for one of `topics` arrived after `mark`, at once if one already
    /// has, or after `timeout`.
    public func wait(for topics: Set<ChangeTopic>, after mark: UInt64, timeout: Duration) async {
        if changed(topics, after: mark) { return }
        let id = nextWaiter
        nextWaiter += 1
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiters[id] = Waiter(topics: topics, continuation: continuation)
                waiters[id]?.timer = DeadlineTimer(after: timeout) { [weak self] in
                    Task { await self?.resume(id) }
                }
            }
        } onCancel: {
            Task { await self.resume(id) }
        }
    }

    private func resume(_ id: UInt64) {
        guard let waiter = waiters.removeValue(forKey: id) else { return }
        waiter.timer?.cancel()
        waiter.continuation.resume()
    }

    /// Wakes the waiters of `topic`.
    public func publish(_ topic: ChangeTopic) {
        sequence += 1
        lastNotice[topic] = sequence
        if lastNotice.count > retainedTopics {
            // Keeps the newest half: each has a notice of its own above the floor.
            let floor = sequence - UInt64(retainedTopics / 2)
            lastNotice = lastNotice.filter { $0.value > floor }
            forgottenUpTo = floor
        }
        for (id, waiter) in waiters where waiter.topics.contains(topic) { resume(id) }
    }

    /// Topics remembered now (at most ``retainedTopics``).
    public var rememberedTopics: Int { lastNotice.count }

    /// The sequence number of the last notice of `topic` (or of the last reconnection, when
    /// notices may have been missed); nil while no listener is connected.
    public func lastChange(of topic: ChangeTopic) -> UInt64? {
        listening ? max(lastNotice[topic] ?? forgottenUpTo, resetAt) : nil
    }

    func setListening(_ value: Bool) {
        listening = value
        publishAll()
    }

    /// Wakes everyone (the listener reconnected and may have missed notices).
    public func publishAll() {
        sequence += 1
        resetAt = sequence
        for id in Array(waiters.keys) { resume(id) }
    }

    public static let channel = "gateway_changes"

    /// Listens on a connection of `client` until cancelled, forwarding every notice; on a
    /// dropped connection it reconnects after `retry`, waking everyone.
    public func listen(client: PostgresClient, retry: Duration = .seconds(1), logger: Logger) async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: Self.channel) { notices in
                        self.setListening(true)
                        for try await notice in notices {
                            if let topic = ChangeTopic(payload: notice.payload) { self.publish(topic) }
                        }
                    }
                }
                setListening(false)
            } catch {
                setListening(false)
                if Task.isCancelled { return }
                logger.warning("change listener lost its connection; reconnecting", metadata: ["error": "\(describeDatabaseError(error))"])
            }
            try? await Task.sleep(for: retry)
        }
    }
}
