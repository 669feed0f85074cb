import EthereumCore

/// An ERC-20 transfer to a merchant's address as the chain monitor recorded it: one log of one
/// block, with where it stands now.
public struct ChainTransfer: Sendable, Hashable {
    public typealias State = SessionPayment.State

    /// The row id (`tr_<id>` in the API).
    public let id: Int64
    public let network: String
    public let chainId: UInt64
    public let blockNumber: UInt64
    public let blockHash: BlockHash
    public let transactionHash: TxHash
    public let logIndex: UInt64
    public let token: Address
    public let from: Address
    public let to: Address
    /// Base units of the token.
    public let amount: UInt256
    public let state: State
    /// Blocks on top of it, counting its own (0 once removed).
    public let confirmations: Int
    /// When the monitor first recorded it.
    public let seenAt: Timestamp
    /// When its block was mined (the block's timestamp): lateness is decided by it. Nil for
    /// rows recorded before it was kept.
    public let blockTimestamp: Timestamp?

    public init(
        id: Int64, network: String, chainId: UInt64, blockNumber: UInt64, blockHash: BlockHash, transactionHash: TxHash, logIndex: UInt64,
        token: Address, from: Address, to: Address, amount: UInt256, state: State, confirmations: Int, seenAt: Timestamp,
        blockTimestamp: Timestamp? = nil
    ) {
        self.id = id
        self.network = network
        self.chainId = chainId
        self.blockNumber = blockNumber
        self.blockHash = blockHash
        self.transactionHash = transactionHash
        self.logIndex = logIndex
        self.token = token
        self.from = from
        self.to = to
        self.amount = amount
        self.state = state
        self.confirmations = confirmations
        self.seenAt = seenAt
        self.blockTimestamp = blockTimestamp
    }

    /// The key the session's state machine knows the payment by.
    public var key: PaymentKey { PaymentKey(transactionHash: transactionHash, logIndex: logIndex, blockHash: blockHash) }

    /// The same transfer in another state (the state a session accounted for it).
    public func with(state: State) -> ChainTransfer {
        ChainTransfer(
            id: id, network: network, chainId: chainId, blockNumber: blockNumber, blockHash: blockHash, transactionHash: transactionHash,
            logIndex: logIndex, token: token, from: from, to: to, amount: amount, state: state,
            confirmations: state == .removed ? 0 : confirmations, seenAt: seenAt, blockTimestamp: blockTimestamp)
    }
}

/// A transfer to one of a merchant's addresses as the API lists it: with its mode, the
/// session it pays if any, and the merchant's sessions whose checkout page claimed it.
public struct ReceivedTransfer: Sendable, Hashable {
    public struct Claim: Sendable, Hashable {
        public let sessionId: String
        /// Whether the claim carried the sender's signature.
        public let signed: Bool

        public init(sessionId: String, signed: Bool) {
            self.sessionId = sessionId
            self.signed = signed
        }
    }

    public let transfer: ChainTransfer
    public let livemode: Bool
    public let sessionId: String?
    public let claims: [Claim]

    public init(transfer: ChainTransfer, livemode: Bool, sessionId: String?, claims: [Claim] = []) {
        self.transfer = transfer
        self.livemode = livemode
        self.sessionId = sessionId
        self.claims = claims
    }
}
