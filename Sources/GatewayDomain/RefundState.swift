import EthereumCore

/// What happened to a refund.
public enum RefundInput: Sendable, Hashable {
    /// An admin approved a refund above the approval threshold; `walletAvailable` says whether a
    /// hot wallet runs for its network.
    case approve(walletAvailable: Bool)
    /// The customer confirmed the address to refund to on the refund page.
    case setDestination(Address, walletAvailable: Bool)
    case cancel
    /// A hot wallet runs for the refund's network now (it may appear after a restart).
    case walletFound
    /// The sender must wait: for funds, below the fee cap, or for the wallet's daily limit
    /// (before signing); for funds or below the fee cap (a signed transaction).
    case wait(RefundStatusReason)
    /// Nonce reserved, transaction signed and written ahead.
    case signed
    /// A provider took the transaction (or may already have it).
    case broadcast
    /// A receipt with status 1 and the expected Transfer log.
    case mined
    /// The block holding it left the canonical chain.
    case reorged
    /// Mined at the network's depth (and finality).
    case finalized
    /// It cannot succeed: reverted, refused for good, or the token would not transfer.
    case fail(RefundStatusReason)
    /// Another transaction consumed its nonce.
    case nonceConflict
}

/// Why an input was refused. Nothing changes when an input is refused.
public enum RefundTransitionError: Error, Sendable, Hashable, CustomStringConvertible {
    case notAwaitingApproval(RefundStatus)
    case destinationAlreadySet
    case notCancelable(RefundStatus, signed: Bool)
    case notSigned
    case ended(RefundStatus)

    public var description: String {
        switch self {
        case .notAwaitingApproval(let status): return "the refund does not await approval (it is \(status.rawValue))"
        case .destinationAlreadySet: return "the refund already has a destination"
        case .notCancelable(let status, let signed):
            return signed
                ? "the refund's transaction is signed and may be on its way; it can no longer be canceled"
                : "a \(status.rawValue) refund cannot be canceled"
        case .notSigned: return "the refund has no transaction yet"
        case .ended(let status): return "the refund is already \(status.rawValue)"
        }
    }
}

/// The state machine of a refund: a pure value whose `apply` returns the events to write with
/// the new state.
///
/// `requires_action` while it waits for an approval, a destination or a hot wallet (in that
/// order); `pending` from then on: `queued` until the sender signs it (or it waits for funds,
/// the fee cap or the wallet's daily limit), then `signed`, `broadcast`, `mined` (back to
/// `reorged` if its block leaves the chain) until final: `succeeded`. A refund can be canceled
/// only while nothing is signed; once signed it ends only on chain (`succeeded`, or `failed`
/// after a revert).
public struct RefundState: Sendable, Hashable {
    public private(set) var status: RefundStatus
    public private(set) var reason: RefundStatusReason
    public let approvalRequired: Bool
    public private(set) var approved: Bool
    public private(set) var destination: Address?
    /// A nonce is reserved and a transaction written ahead: from now on only the chain decides.
    public private(set) var signed: Bool

    public init(
        status: RefundStatus, reason: RefundStatusReason, approvalRequired: Bool, approved: Bool, destination: Address?, signed: Bool
    ) {
        self.status = status
        self.reason = reason
        self.approvalRequired = approvalRequired
        self.approved = approved
        self.destination = destination
        self.signed = signed
    }

    /// A new refund: what it waits for first.
    public static func new(approvalRequired: Bool, destination: Address?, walletAvailable: Bool) -> RefundState {
        let (status, reason) = readiness(
            approvalRequired: approvalRequired, approved: false, destination: destination, walletAvailable: walletAvailable)
        return RefundState(
            status: status, reason: reason, approvalRequired: approvalRequired, approved: false, destination: destination, signed: false)
    }

    /// What an unsigned refund waits for: approval first (an admin decides before a customer is
    /// asked anything), then a destination, then a hot wallet.
    public static func readiness(approvalRequired: Bool, approved: Bool, destination: Address?, walletAvailable: Bool)
        -> (RefundStatus, RefundStatusReason)
    {
        if approvalRequired && !approved { return (.requiresAction, .awaitingApproval) }
        if destination == nil { return (.requiresAction, .awaitingDestination) }
        if !walletAvailable { return (.requiresAction, .hotWalletMissing) }
        return (.pending, .queued)
    }

    /// Whether the sender may sign it now.
    public var isReadyToSign: Bool {
        !signed && status == .pending
            && [.queued, .insufficientFunds, .feeAboveCap, .walletDailyLimit].contains(reason)
    }

    /// Applies `input` and returns the events to write in the same transaction.
    public mutating func apply(_ input: RefundInput) throws(RefundTransitionError) -> [RefundEventType] {
        switch input {
        case .approve(let walletAvailable):
            guard status == .requiresAction, reason == .awaitingApproval else { throw .notAwaitingApproval(status) }
            approved = true
            settle(walletAvailable: walletAvailable)
            return []
        case .setDestination(let address, let walletAvailable):
            guard !status.hasEnded else { throw .ended(status) }
            guard destination == nil, !signed else { throw .destinationAlreadySet }
            destination = address
            if status == .requiresAction { settle(walletAvailable: walletAvailable) }
            return []
        case .cancel:
            guard !signed, status == .requiresAction || status == .pending else { throw .notCancelable(status, signed: signed) }
            status = .canceled
            reason = .canceledByMerchant
            return [.canceled]
        case .walletFound:
            guard !signed, status == .requiresAction, reason == .hotWalletMissing else { return [] }
            settle(walletAvailable: true)
            return []
        case .wait(let why):
            guard !status.hasEnded else { throw .ended(status) }
            guard status == .pending, reason != .mined else { return [] }
            reason = why
            return []
        case .signed:
            guard !status.hasEnded else { throw .ended(status) }
            signed = true
            status = .pending
            reason = .signed
            return []
        case .broadcast:
            guard signed else { throw .notSigned }
            guard status == .pending else { return [] }
            if reason == .signed || reason == .reorged || reason == .insufficientFunds || reason == .feeAboveCap { reason = .broadcast }
            return []
        case .mined:
            guard signed else { throw .notSigned }
            guard status == .pending || status == .requiresAction else { return [] }
            status = .pending
            reason = .mined
            return []
        case .reorged:
            guard signed else { throw .notSigned }
            guard status == .pending, reason == .mined else { return [] }
            reason = .reorged
            return []
        case .finalized:
            guard signed else { throw .notSigned }
            guard status != .succeeded else { return [] }
            guard !status.hasEnded else { throw .ended(status) }
            status = .succeeded
            reason = .final
            return [.succeeded]
        case .fail(let why):
            guard !status.hasEnded else { return [] }
            status = .failed
            reason = why
            return [.failed]
        case .nonceConflict:
            guard signed, !status.hasEnded else { return [] }
            status = .requiresAction
            reason = .nonceConflict
            return []
        }
    }

    private mutating func settle(walletAvailable: Bool) {
        let (newStatus, newReason) = Self.readiness(
            approvalRequired: approvalRequired, approved: approved, destination: destination, walletAvailable: walletAvailable)
        status = newStatus
        reason = newReason
    }
}
