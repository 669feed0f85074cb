import EthereumCore

/// Where a payment session stands.
public enum SessionStatus: String, Sendable, Hashable, CaseIterable {
    /// Awaiting payment; may already hold a partial amount.
    case pending
    /// Enough has arrived on chain, not yet confirmed.
    case confirming
    /// Enough is confirmed.
    case completed
    /// The time ran out first; payments after that are recorded as late.
    case expired
    case canceled
    case failed
    case refunded
    case partiallyRefunded = "partially_refunded"
}

/// The key of one on-chain transfer: a re-inclusion in another block is another payment.
public struct PaymentKey: Hashable, Sendable {
    public let transactionHash: TxHash
    public let logIndex: UInt64
    public let blockHash: BlockHash

    public init(transactionHash: TxHash, logIndex: UInt64, blockHash: BlockHash) {
        self.transactionHash = transactionHash
        self.logIndex = logIndex
        self.blockHash = blockHash
    }
}

/// A transfer matched to the session.
public struct SessionPayment: Hashable, Sendable {
    public enum State: String, Sendable, Hashable { case seen, confirmed, removed }

    public let key: PaymentKey
    /// Base units of the session's payment token.
    public let amount: UInt256
    public internal(set) var state: State
    /// Arrived after the session expired.
    public let late: Bool

    public init(key: PaymentKey, amount: UInt256, state: State, late: Bool) {
        self.key = key
        self.amount = amount
        self.state = state
        self.late = late
    }
}

/// Outbox event types a session emits; each is written with the change that caused it.
public enum SessionEventType: String, Sendable, Hashable, CaseIterable {
    case created = "payment.created"
    case confirming = "payment.confirming"
    case partiallyPaid = "payment.partially_paid"
    case completed = "payment.completed"
    case expired = "payment.expired"
    case latePayment = "payment.late_payment"
    case reorged = "payment.reorged"
    case canceled = "payment.canceled"
    case failed = "payment.failed"
    case partiallyRefunded = "payment.partially_refunded"
    case refunded = "payment.refunded"
}

/// What happened to a session.
public enum SessionInput: Sendable, Hashable {
    /// A transfer is on chain; `minedAt` is its block's timestamp (nil when unknown).
    case transferSeen(PaymentKey, amount: UInt256, minedAt: Timestamp? = nil)
    case transferConfirmed(PaymentKey)
    case transferRemoved(PaymentKey)
    /// The clock passed the expiry time.
    case expire
    case cancel
    case fail(reason: String)
    /// Refunds of the session became final; `total` is all its succeeded refunds, at the
    /// session's scale.
    case refunded(total: UInt256)
}

/// Why an input was refused. Nothing changes when an input is refused.
public enum SessionTransitionError: Error, Sendable, Hashable, CustomStringConvertible {
    case notCancelable(SessionStatus, hasPayments: Bool)
    case notFailable(SessionStatus)
    case unknownPayment(PaymentKey)

    public var description: String {
        switch self {
        case .notCancelable(let status, let hasPayments):
            return hasPayments
                ? "the session already received a payment and cannot be canceled"
                : "a \(status.rawValue) session cannot be canceled"
        case .notFailable(let status): return "a \(status.rawValue) session cannot be marked failed"
        case .unknownPayment: return "no such payment on this session"
        }
    }
}

/// The state machine of a payment session: a pure value whose `apply` returns the events to
/// write with the new state. Amounts are base units of the token the customer pays with.
///
/// `pending` → (enough seen) `confirming` → (enough confirmed) `completed`; partial payments
/// keep it `pending` with `amountReceived`; a reorg that removes a payment moves it back and
/// emits `payment.reorged`; expiry while nothing sufficient is on chain makes it `expired`.
///
/// Lateness is decided by when a payment was mined, not when it is seen: a payment whose block
/// is after `expiresAt` is late (recorded, never completing the session); one mined by then
/// counts even if it is processed after the session expired, which brings the session back.
/// A payment to a canceled or failed session is late whenever it was mined.
public struct PaymentSessionState: Sendable, Hashable {
    public let amountDue: UInt256
    public private(set) var status: SessionStatus = .pending
    public private(set) var payments: [SessionPayment] = []
    /// Why the session last moved back, or failed.
    public private(set) var reason: String?
    /// Refunded by succeeded refunds, at the session's scale.
    public private(set) var amountRefunded: UInt256 = .zero
    /// Payments mined after this are late.
    public let expiresAt: Timestamp?

    public init(amountDue: UInt256, expiresAt: Timestamp? = nil) {
        precondition(!amountDue.isZero, "a session asks for a positive amount")
        self.amountDue = amountDue
        self.expiresAt = expiresAt
    }

    /// A session as stored: its status, payments, reason and refunded amount, to apply the next
    /// input to.
    public init(
        amountDue: UInt256, status: SessionStatus, payments: [SessionPayment], reason: String?, amountRefunded: UInt256 = .zero,
        expiresAt: Timestamp? = nil
    ) {
        self.init(amountDue: amountDue, expiresAt: expiresAt)
        self.status = status
        self.payments = payments
        self.reason = reason
        self.amountRefunded = amountRefunded
    }

    /// Whether a payment mined at `minedAt` is late for this session in its current status.
    func isLate(minedAt: Timestamp?) -> Bool {
        if status.refusesPayments { return true }
        let minedInTime: Bool? = minedAt.flatMap { mined in expiresAt.map { mined <= $0 } }
        if status == .expired { return minedInTime != true }
        return minedInTime == false
    }

    /// Seen or confirmed, on-time payments.
    public var amountReceived: UInt256 { sum { $0.state != .removed && !$0.late } }
    public var amountConfirmed: UInt256 { sum { $0.state == .confirmed && !$0.late } }
    /// Received beyond the amount due (on-time payments only).
    public var overpaid: UInt256 { amountReceived > amountDue ? amountReceived - amountDue : .zero }
    public var underpaid: UInt256 { amountReceived < amountDue ? amountDue - amountReceived : .zero }
    public var latePayments: [SessionPayment] { payments.filter { $0.late && $0.state != .removed } }
    /// Everything confirmed, on time and late: what a full refund returns.
    public var amountConfirmedWithLate: UInt256 { sum { $0.state == .confirmed } }

    private func sum(_ include: (SessionPayment) -> Bool) -> UInt256 {
        payments.filter(include).reduce(UInt256.zero) { $0 + $1.amount }
    }

    /// Applies `input` and returns the events to write in the same transaction.
    public mutating func apply(_ input: SessionInput) throws(SessionTransitionError) -> [SessionEventType] {
        switch input {
        case .transferSeen(let key, let amount, let minedAt):
            if let index = payments.firstIndex(where: { $0.key == key }) {
                guard payments[index].state == .removed else { return [] }
                payments[index].state = .seen
            } else {
                let late = isLate(minedAt: minedAt)
                payments.append(SessionPayment(key: key, amount: amount, state: .seen, late: late))
                if late { return [.latePayment] }
                // Mined in time but processed after the clock expired the session: it was never
                // really expired.
                if status == .expired { status = .pending }
            }
            return settle()
        case .transferConfirmed(let key):
            guard let index = payments.firstIndex(where: { $0.key == key }) else { throw .unknownPayment(key) }
            guard payments[index].state == .seen else { return [] }
            payments[index].state = .confirmed
            return payments[index].late ? [] : settle()
        case .transferRemoved(let key):
            guard let index = payments.firstIndex(where: { $0.key == key }) else { throw .unknownPayment(key) }
            guard payments[index].state != .removed else { return [] }
            payments[index].state = .removed
            if payments[index].late { return [] }
            let before = status
            let events = settle()
            if status != before || status.isOpen {
                reason = "a payment of \(payments[index].amount) base units left the canonical chain (reorg)"
                return [.reorged] + events.filter { $0 != .partiallyPaid }
            }
            return events
        case .expire:
            guard status == .pending else { return [] }
            status = .expired
            return [.expired]
        case .cancel:
            let hasPayments = payments.contains { $0.state != .removed }
            guard status == .pending, !hasPayments else { throw .notCancelable(status, hasPayments: hasPayments) }
            status = .canceled
            return [.canceled]
        case .fail(let why):
            guard [.pending, .expired, .confirming].contains(status) else { throw .notFailable(status) }
            status = .failed
            reason = why
            return [.failed]
        case .refunded(let total):
            guard total > amountRefunded else { return [] }
            amountRefunded = total
            let full = total >= amountConfirmedWithLate
            // A completed session shows its refunds in its status; any other keeps its status
            // (an expired session refunding a late payment stays expired) and says so by event.
            if status == .completed || status.isRefunded { status = full ? .refunded : .partiallyRefunded }
            return [full ? .refunded : .partiallyRefunded]
        }
    }

    /// Recomputes the status from the on-time payments of a live session.
    private mutating func settle() -> [SessionEventType] {
        guard status.settlesPayments else { return [] }
        let previous = status
        if amountConfirmed >= amountDue {
            status = .completed
        } else if amountReceived >= amountDue {
            status = .confirming
        } else {
            status = .pending
        }
        switch (previous, status) {
        case (_, .completed) where previous != .completed: return [.completed]
        case (.pending, .confirming): return [.confirming]
        case (.pending, .pending): return amountReceived.isZero ? [] : [.partiallyPaid]
        default: return []
        }
    }
}
