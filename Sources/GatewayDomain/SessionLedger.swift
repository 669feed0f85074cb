/// What one unit of work did to a session: the session before and after, the events to write
/// with it, and the payments it gained. The store writes a list of these in one transaction.
public struct SessionChange: Sendable, Hashable {
    public let before: PaymentSession
    public let after: PaymentSession
    public let events: [SessionEventType]
    /// Payments bound in this change, to insert.
    public let added: [Payment]

    public init(before: PaymentSession, after: PaymentSession, events: [SessionEventType], added: [Payment]) {
        self.before = before
        self.after = after
        self.events = events
        self.added = added
    }

    /// Payments whose accounted state changed (not counting added ones).
    public var changedPayments: [Payment] {
        let previous = Dictionary(before.payments.map { ($0.transfer.id, $0.transfer.state) }, uniquingKeysWith: { a, _ in a })
        let addedIds = Set(added.map(\.transfer.id))
        return after.payments.filter { payment in
            !addedIds.contains(payment.transfer.id) && previous[payment.transfer.id] != payment.transfer.state
        }
    }

    /// Whether the session row itself changed (status, reason or timeline).
    public var sessionChanged: Bool {
        before.status != after.status || before.statusReason != after.statusReason || before.timeline != after.timeline
    }

    /// Whether what the session still asks may have changed, so its held remainders must be
    /// set again (to ``PaymentSession/remaindersWanted``).
    /// An expired session keeps what it held through its late window.
    public var remaindersChanged: Bool {
        after.status != .expired && (before.status != after.status || before.state.amountReceived != after.state.amountReceived)
    }
}

/// Sessions loaded for one unit of work, changed in memory by pure rules: transfers bound by
/// ``PaymentMatch``, transfer state changes, the clock, cancellation. ``changes`` lists what
/// the store must write. Every rule lives here or in ``PaymentSessionState``; the drivers only
/// load, call, and save.
public struct SessionLedger: Sendable {
    public let now: Timestamp
    public let lateWindowSeconds: Int64
    private var original: [String: PaymentSession] = [:]
    private var current: [String: PaymentSession] = [:]
    private var events: [String: [SessionEventType]] = [:]
    private var added: [String: [Payment]] = [:]
    private var order: [String] = []

    public init(sessions: [PaymentSession], now: Timestamp, lateWindowSeconds: Int64) {
        self.now = now
        self.lateWindowSeconds = lateWindowSeconds
        for session in sessions where original[session.id] == nil {
            original[session.id] = session
            current[session.id] = session
            order.append(session.id)
        }
    }

    public func session(_ id: String) -> PaymentSession? { current[id] }

    public var sessions: [PaymentSession] { order.compactMap { current[$0] } }

    /// What a transfer change did, for logs.
    public enum Outcome: Sendable, Hashable {
        /// The transfer was bound to the session now.
        case bound(sessionId: String, by: MatchedBy)
        /// The session it pays took its new state.
        case updated(sessionId: String)
        /// Nothing to do: it pays no session, or the session already accounts for this state.
        case unchanged
    }

    /// Applies the states a transfer went through, in order (a removal and a revival inside one
    /// batch are both applied). Returns the outcome of each step that did something, or
    /// `[.unchanged]`.
    @discardableResult
    public mutating func apply(transfer: ChainTransfer, states: [ChainTransfer.State], boundTo: String?) throws(SessionTransitionError)
        -> [Outcome]
    {
        var bound = boundTo
        var outcomes: [Outcome] = []
        for state in states {
            let outcome = try apply(transfer: transfer.with(state: state), boundTo: bound)
            if case .bound(let sessionId, _) = outcome { bound = sessionId }
            if outcome != .unchanged { outcomes.append(outcome) }
        }
        return outcomes.isEmpty ? [.unchanged] : outcomes
    }

    /// Applies a transfer that was recorded or changed state. `boundTo` is the session it already
    /// pays, if any; otherwise ``PaymentMatch`` picks one among the loaded sessions.
    @discardableResult
    public mutating func apply(transfer: ChainTransfer, boundTo: String?) throws(SessionTransitionError) -> Outcome {
        if let sessionId = boundTo {
            guard let session = current[sessionId],
                let payment = session.payments.first(where: { $0.transfer.id == transfer.id }),
                payment.transfer.state != transfer.state
            else { return .unchanged }
            let inputs: [SessionInput]
            let seen = SessionInput.transferSeen(payment.key, amount: payment.credited, minedAt: transfer.blockTimestamp)
            switch transfer.state {
            case .seen: inputs = [seen]
            case .confirmed: inputs = [seen, .transferConfirmed(payment.key)]
            case .removed: inputs = [.transferRemoved(payment.key)]
            }
            try run(inputs, on: session)
            return .updated(sessionId: sessionId)
        }
        guard let decision = PaymentMatch.decide(transfer, candidates: sessions), let session = current[decision.sessionId] else {
            return .unchanged
        }
        try bind(transfer, to: session, by: decision.matchedBy)
        return .bound(sessionId: session.id, by: decision.matchedBy)
    }

    /// Binds `transfer` to the session (a merchant's attach, a claim, or a match): seen, and
    /// confirmed if it already is.
    public mutating func bind(_ transfer: ChainTransfer, to session: PaymentSession, by matchedBy: MatchedBy) throws(SessionTransitionError)
    {
        guard let option = session.option(network: transfer.network, token: transfer.token, to: transfer.to) else { return }
        let credited = session.scale(of: option).toSession(transfer.amount)
        var inputs: [SessionInput] = [.transferSeen(transfer.key, amount: credited, minedAt: transfer.blockTimestamp)]
        if transfer.state == .confirmed { inputs.append(.transferConfirmed(transfer.key)) }
        var state = session.state
        var emitted: [SessionEventType] = []
        for input in inputs { emitted += try state.apply(input) }
        // Whether it is late is the state machine's call.
        let late = state.payments.last { $0.key == transfer.key }?.late ?? false
        let payment = Payment(
            transfer: transfer.with(state: .seen), token: option.token, decimals: option.decimals, credited: credited, late: late,
            matchedBy: matchedBy, confirmationsRequired: option.confirmations, createdAt: now)
        record(state, emitted, on: session, adding: [payment])
    }

    /// Applies a clock or merchant input (expire, cancel, fail) to a loaded session.
    public mutating func apply(_ input: SessionInput, to sessionId: String) throws(SessionTransitionError) {
        guard let session = current[sessionId] else { return }
        try run([input], on: session)
    }

    private mutating func run(_ inputs: [SessionInput], on session: PaymentSession) throws(SessionTransitionError) {
        var state = session.state
        var emitted: [SessionEventType] = []
        for input in inputs { emitted += try state.apply(input) }
        record(state, emitted, on: session, adding: [])
    }

    private mutating func record(
        _ state: PaymentSessionState, _ emitted: [SessionEventType], on session: PaymentSession, adding payments: [Payment]
    ) {
        current[session.id] = session.applying(state, added: payments, now: now, lateWindowSeconds: lateWindowSeconds)
        events[session.id, default: []] += emitted
        added[session.id, default: []] += payments
    }

    /// Every session that changed, in the order first loaded.
    public var changes: [SessionChange] {
        order.compactMap { id in
            guard let before = original[id], let after = current[id] else { return nil }
            let addedIds = Set((added[id] ?? []).map(\.transfer.id))
            let change = SessionChange(
                before: before, after: after, events: events[id] ?? [], added: after.payments.filter { addedIds.contains($0.transfer.id) })
            return change.events.isEmpty && change.added.isEmpty && !change.sessionChanged && change.changedPayments.isEmpty ? nil : change
        }
    }
}
