import EthereumCore

/// Where a refund stands, with Stripe's names: it waits for someone (`requires_action`), is on
/// its way (`pending`), or has ended.
public enum RefundStatus: String, Sendable, Hashable, CaseIterable {
    /// Waits for an approval, a destination, or a hot wallet on its network.
    case requiresAction = "requires_action"
    /// Queued, signed, broadcast or mined but not yet final.
    case pending
    /// Its transfer is mined with status 1, carries the expected Transfer log, and is final.
    case succeeded
    case failed
    case canceled

    /// Whether the refund still counts against what its session can refund.
    public var holdsAmount: Bool { self != .failed && self != .canceled }

    public var hasEnded: Bool { self == .succeeded || self == .failed || self == .canceled }
}

/// Why the merchant refunds.
public enum RefundReason: String, Sendable, Hashable, CaseIterable {
    case requestedByCustomer = "requested_by_customer"
    case duplicate
    case fraudulent
    case overpayment
    case other
}

/// Why a refund is in its status: what it waits for, how far its transaction got, or why it
/// ended. Shown as `status_reason`.
public enum RefundStatusReason: String, Sendable, Hashable, CaseIterable {
    // requires_action
    case awaitingApproval = "awaiting_approval"
    case awaitingDestination = "awaiting_destination"
    case hotWalletMissing = "hot_wallet_missing"
    /// Another transaction took the refund's nonce: an operator must look (the refund is never
    /// signed again at another nonce).
    case nonceConflict = "nonce_conflict"
    // pending, before anything is signed
    case queued
    case insufficientFunds = "insufficient_funds"
    case feeAboveCap = "fee_above_cap"
    case walletDailyLimit = "wallet_daily_limit"
    // pending, signed
    /// Written ahead; not yet known to be sent.
    case signed
    case broadcast
    case mined
    /// Its block left the canonical chain; the same bytes are broadcast again.
    case reorged
    // succeeded
    case final
    // failed
    /// Mined with status 0: the nonce is consumed, the refund is not retried.
    case reverted
    /// Mined with status 1 but without the exact Transfer log expected.
    case transferMismatch = "transfer_mismatch"
    /// Every provider refused its transaction for a reason that does not pass.
    case rejected
    /// `eth_estimateGas` reverted: the token would refuse the transfer.
    case simulationReverted = "simulation_reverted"
    // canceled
    case canceledByMerchant = "canceled_by_merchant"
}

/// Outbox event types of refunds.
public enum RefundEventType: String, Sendable, Hashable, CaseIterable {
    case created = "refund.created"
    case succeeded = "refund.succeeded"
    case failed = "refund.failed"
    case canceled = "refund.canceled"
}

/// Every event type a merchant's endpoint can subscribe to.
public enum EventTypes {
    public static let all: [String] = SessionEventType.allCases.map(\.rawValue) + RefundEventType.allCases.map(\.rawValue)
}

/// Where the refund's destination came from.
public enum RefundDestinationSource: String, Sendable, Hashable, CaseIterable {
    /// The merchant gave an address.
    case address
    /// The sending address of the session's payment (`"payer"`).
    case payer
    /// The customer enters it on the refund page.
    case customer
}

/// The token and network a refund pays back in: the asset the session received.
public struct RefundAsset: Sendable, Hashable {
    public let network: String
    public let chainId: UInt64
    public let token: String
    public let tokenAddress: Address
    public let decimals: Int
    /// The merchant's receiving address on that network (never a refund destination).
    public let payTo: Address

    public init(network: String, chainId: UInt64, token: String, tokenAddress: Address, decimals: Int, payTo: Address) {
        self.network = network
        self.chainId = chainId
        self.token = token
        self.tokenAddress = tokenAddress
        self.decimals = decimals
        self.payTo = payTo
    }

    public init(_ option: PaymentOption) {
        self.init(
            network: option.network, chainId: option.chainId, token: option.token, tokenAddress: option.tokenAddress,
            decimals: option.decimals, payTo: option.payTo)
    }

    public func format(_ baseUnits: UInt256) -> String { AmountText.format(baseUnits, scale: decimals) }
}

/// A refund: an ERC-20 transfer back to the customer from the network's hot wallet.
public struct Refund: Sendable, Hashable {
    public let id: String
    public let merchantId: String
    public let livemode: Bool
    public let sessionId: String
    public let asset: RefundAsset
    /// Base units of the token.
    public let amount: UInt256
    public let destination: Address?
    public let destinationSource: RefundDestinationSource
    public let reason: RefundReason?
    public let metadata: [String: String]
    public let status: RefundStatus
    public let statusReason: RefundStatusReason
    /// The amount was above the approval threshold when the refund was created.
    public let approvalRequired: Bool
    public let approvedAt: Timestamp?
    /// Guards the customer's page (`refund_url`) the way a client secret guards a checkout.
    public let clientSecret: String
    /// The hot wallet that signed it and the nonce it holds, once signed.
    public let hotWallet: Address?
    public let nonce: UInt64?
    /// The attempt that was mined, once known.
    public let txHash: TxHash?
    public let createdAt: Timestamp
    public let succeededAt: Timestamp?

    public init(
        id: String, merchantId: String, livemode: Bool, sessionId: String, asset: RefundAsset, amount: UInt256, destination: Address?,
        destinationSource: RefundDestinationSource, reason: RefundReason?, metadata: [String: String], status: RefundStatus,
        statusReason: RefundStatusReason, approvalRequired: Bool, approvedAt: Timestamp?, clientSecret: String, hotWallet: Address?,
        nonce: UInt64?, txHash: TxHash?, createdAt: Timestamp, succeededAt: Timestamp?
    ) {
        self.id = id
        self.merchantId = merchantId
        self.livemode = livemode
        self.sessionId = sessionId
        self.asset = asset
        self.amount = amount
        self.destination = destination
        self.destinationSource = destinationSource
        self.reason = reason
        self.metadata = metadata
        self.status = status
        self.statusReason = statusReason
        self.approvalRequired = approvalRequired
        self.approvedAt = approvedAt
        self.clientSecret = clientSecret
        self.hotWallet = hotWallet
        self.nonce = nonce
        self.txHash = txHash
        self.createdAt = createdAt
        self.succeededAt = succeededAt
    }

    /// The refund as its state machine sees it.
    public var state: RefundState {
        RefundState(
            status: status, reason: statusReason, approvalRequired: approvalRequired, approved: approvedAt != nil,
            destination: destination, signed: nonce != nil)
    }

    /// The refund after its state machine moved to `state` at `now`.
    public func applying(_ state: RefundState, now: Timestamp) -> Refund {
        Refund(
            id: id, merchantId: merchantId, livemode: livemode, sessionId: sessionId, asset: asset, amount: amount,
            destination: state.destination, destinationSource: destinationSource, reason: reason, metadata: metadata, status: state.status,
            statusReason: state.reason, approvalRequired: approvalRequired, approvedAt: state.approved ? approvedAt ?? now : nil,
            clientSecret: clientSecret, hotWallet: hotWallet, nonce: nonce, txHash: txHash, createdAt: createdAt,
            succeededAt: state.status == .succeeded ? succeededAt ?? now : nil)
    }

    /// The same refund, signed by `wallet` at `nonce`, or mined in `txHash`.
    public func with(hotWallet: Address? = nil, nonce: UInt64? = nil, txHash: TxHash?) -> Refund {
        Refund(
            id: id, merchantId: merchantId, livemode: livemode, sessionId: sessionId, asset: asset, amount: amount,
            destination: destination, destinationSource: destinationSource, reason: reason, metadata: metadata, status: status,
            statusReason: statusReason, approvalRequired: approvalRequired, approvedAt: approvedAt, clientSecret: clientSecret,
            hotWallet: hotWallet ?? self.hotWallet, nonce: nonce ?? self.nonce, txHash: txHash, createdAt: createdAt,
            succeededAt: succeededAt)
    }
}
