/// What a session's status means for payments and monitoring: the rules every layer asks
/// instead of listing statuses itself.
extension SessionStatus {
    /// Awaiting payment or its confirmation: payments count toward the amount due.
    public var isOpen: Bool { self == .pending || self == .confirming }

    /// Finished: payment no longer changes where it ends (a completed session can still move
    /// back if a reorg removes a payment, which the state machine handles).
    public var hasEnded: Bool { !isOpen }

    /// Every payment to a session in this status is late, whenever it was mined (an expired
    /// session takes payments mined before its expiry; the state machine decides by time).
    public var refusesPayments: Bool { self == .canceled || self == .failed }

    /// Statuses whose payments the state machine settles (recomputes the status from).
    var settlesPayments: Bool { isOpen || self == .completed }

    /// A completed session some of whose payment went back.
    public var isRefunded: Bool { self == .refunded || self == .partiallyRefunded }
}

/// When a session was completed and until when it is still monitored (its options stay
/// reserved and later transfers are matched): the late window starts when the session ends
/// and starts again whenever its ended status changes.
public struct SessionTimeline: Sendable, Hashable {
    public let completedAt: Timestamp?
    public let monitorUntil: Timestamp?

    public init(completedAt: Timestamp?, monitorUntil: Timestamp?) {
        self.completedAt = completedAt
        self.monitorUntil = monitorUntil
    }

    /// The timeline after a change from `previous` (with this timeline) to `status`, at `now`.
    public func after(previous: SessionStatus, status: SessionStatus, now: Timestamp, lateWindowSeconds: Int64) -> SessionTimeline {
        let completed: Timestamp?
        switch status {
        case .completed: completed = previous == .completed ? completedAt ?? now : now
        // Refunds follow completion: the session stays completed at the time it was.
        case .partiallyRefunded, .refunded: completed = completedAt ?? now
        default: completed = nil
        }
        let monitor: Timestamp?
        if status.isOpen {
            monitor = nil
        } else if monitorUntil == nil || status != previous {
            monitor = Timestamp(unixSeconds: now.unixSeconds + lateWindowSeconds)
        } else {
            monitor = monitorUntil
        }
        return SessionTimeline(completedAt: completed, monitorUntil: monitor)
    }
}
