import EthereumCore

/// How a transfer came to pay a session.
public enum MatchedBy: String, Sendable, Hashable, CaseIterable {
    /// Its amount equals an amount due (or the remaining amount) of the session.
    case amount
    /// The checkout page reported its transaction hash for the session.
    case transaction
    /// The merchant attached it.
    case attach
}

/// One way to pay a session: a token on a network, to the merchant's address, exactly
/// `amountDue` base units.
public struct PaymentOption: Sendable, Hashable {
    public let position: Int
    public let network: String
    public let chainId: UInt64
    public let token: String
    public let tokenAddress: Address
    public let decimals: Int
    public let payTo: Address
    public let amountDue: UInt256
    public let confirmations: Int

    public init(
        position: Int, network: String, chainId: UInt64, token: String, tokenAddress: Address, decimals: Int, payTo: Address,
        amountDue: UInt256, confirmations: Int
    ) {
        self.position = position
        self.network = network
        self.chainId = chainId
        self.token = token
        self.tokenAddress = tokenAddress
        self.decimals = decimals
        self.payTo = payTo
        self.amountDue = amountDue
        self.confirmations = confirmations
    }

    public var paymentRequest: PaymentRequest {
        PaymentRequest(token: tokenAddress, chainId: chainId, payTo: payTo, amount: amountDue)
    }

    /// Whether a transfer of `token` to `to` on `network` pays through this option.
    public func accepts(network: String, token: Address, to: Address) -> Bool {
        self.network == network && tokenAddress == token && payTo == to
    }
}

/// A transaction the customer's wallet reported on the checkout page. With `signer`, the
/// wallet also signed a message naming the session and the transaction (EIP-191): proof that
/// whoever controls that address made the claim.
public struct CheckoutClaim: Sendable, Hashable {
    public let network: String
    public let transactionHash: TxHash
    public let signer: Address?

    public init(network: String, transactionHash: TxHash, signer: Address? = nil) {
        self.network = network
        self.transactionHash = transactionHash
        self.signer = signer
    }

    /// The message a wallet signs to prove it sent `transaction` for `session`.
    public static func message(session: String, network: String, transaction: TxHash) -> String {
        "I sent transaction \(transaction.hex) on \(network) to pay checkout \(session)."
    }
}

/// An amount a session holds for itself on one network, token and receiving address, unique
/// among every amount held there: a transfer of exactly it pays that session.
public struct AmountReservation: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// The amount due of an option.
        case amountDue = "amount_due"
        /// What a partially paid session still asks, possibly raised a little to be unique.
        case remainder
    }

    public let network: String
    public let token: Address
    public let payTo: Address
    public let amount: UInt256
    public let kind: Kind

    public init(network: String, token: Address, payTo: Address, amount: UInt256, kind: Kind) {
        self.network = network
        self.token = token
        self.payTo = payTo
        self.amount = amount
        self.kind = kind
    }
}

/// A transfer bound to a session.
public struct Payment: Sendable, Hashable {
    /// The transfer, in the state the session last accounted for.
    public let transfer: ChainTransfer
    public let token: String
    public let decimals: Int
    /// The amount at the session's scale.
    public let credited: UInt256
    public let late: Bool
    public let matchedBy: MatchedBy
    public let confirmationsRequired: Int
    public let createdAt: Timestamp

    public init(
        transfer: ChainTransfer, token: String, decimals: Int, credited: UInt256, late: Bool, matchedBy: MatchedBy,
        confirmationsRequired: Int, createdAt: Timestamp
    ) {
        self.transfer = transfer
        self.token = token
        self.decimals = decimals
        self.credited = credited
        self.late = late
        self.matchedBy = matchedBy
        self.confirmationsRequired = confirmationsRequired
        self.createdAt = createdAt
    }

    public var key: PaymentKey { transfer.key }
}

/// A payment session with its options and payments: what the API shows and what the state
/// machine runs on.
public struct PaymentSession: Sendable, Hashable {
    public let id: String
    public let merchantId: String
    public let livemode: Bool
    public let status: SessionStatus
    public let statusReason: String?
    /// The price as accepted, in the currency's units.
    public let amount: String
    public let currency: String
    public let scale: Int
    public let priceUnits: UInt256
    public let offsetUnits: UInt64
    public let description: String?
    public let metadata: [(String, String)]
    public let successURL: String?
    public let cancelURL: String?
    public let clientSecret: String
    public let expiresAt: Timestamp
    public let timeline: SessionTimeline
    public let createdAt: Timestamp
    public let options: [PaymentOption]
    public let payments: [Payment]
    /// Transactions the checkout page reported for this session.
    public let claims: [CheckoutClaim]
    /// Returned by succeeded refunds, at the session's scale.
    public let amountRefunded: UInt256
    /// The amounts this session holds (its amounts due while reserved, and its remainder).
    public let reservations: [AmountReservation]

    public init(
        id: String, merchantId: String, livemode: Bool, status: SessionStatus, statusReason: String?, amount: String, currency: String,
        scale: Int, priceUnits: UInt256, offsetUnits: UInt64, description: String?, metadata: [(String, String)], successURL: String?,
        cancelURL: String?, clientSecret: String, expiresAt: Timestamp, timeline: SessionTimeline, createdAt: Timestamp,
        options: [PaymentOption], payments: [Payment], claims: [CheckoutClaim], amountRefunded: UInt256 = .zero,
        reservations: [AmountReservation] = []
    ) {
        self.id = id
        self.merchantId = merchantId
        self.livemode = livemode
        self.status = status
        self.statusReason = statusReason
        self.amount = amount
        self.currency = currency
        self.scale = scale
        self.priceUnits = priceUnits
        self.offsetUnits = offsetUnits
        self.description = description
        self.metadata = metadata
        self.successURL = successURL
        self.cancelURL = cancelURL
        self.clientSecret = clientSecret
        self.expiresAt = expiresAt
        self.timeline = timeline
        self.createdAt = createdAt
        self.options = options
        self.payments = payments
        self.claims = claims
        self.amountRefunded = amountRefunded
        self.reservations = reservations
    }

    /// Payments one session takes at most: beyond, transfers stay unmatched for the merchant to
    /// see, so that one transaction of thousands of tiny transfers cannot make every event about
    /// the session (which carries its payments) grow without bound.
    public static let maxPayments = 100

    /// Whether the session can take another payment.
    public var acceptsMorePayments: Bool { payments.count < Self.maxPayments }

    public static func == (lhs: PaymentSession, rhs: PaymentSession) -> Bool { lhs.id == rhs.id && lhs.state == rhs.state }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }

    public var completedAt: Timestamp? { timeline.completedAt }

    /// The amount due at the session's scale (price plus offset).
    public var amountDueUnits: UInt256 { priceUnits + UInt256(offsetUnits) }

    /// The session's state machine as it stands.
    public var state: PaymentSessionState {
        PaymentSessionState(
            amountDue: amountDueUnits, status: status,
            payments: payments.map { SessionPayment(key: $0.key, amount: $0.credited, state: $0.transfer.state, late: $0.late) },
            reason: statusReason, amountRefunded: amountRefunded, expiresAt: expiresAt)
    }

    public func format(_ units: UInt256) -> String { AmountText.format(units, scale: scale) }

    public var amountLate: UInt256 { state.latePayments.reduce(UInt256.zero) { $0 + $1.amount } }

    /// The option a transfer of `token` to `to` on `network` pays through, if any.
    public func option(network: String, token: Address, to: Address) -> PaymentOption? {
        options.first { $0.accepts(network: network, token: token, to: to) }
    }

    /// The amount this session holds for transfers of `token` to `to` on `network`, if any.
    public func reservation(network: String, token: Address, to: Address, amount: UInt256) -> AmountReservation? {
        reservations.first { $0.network == network && $0.token == token && $0.payTo == to && $0.amount == amount }
    }

    /// Whether the option's amount due is still held for the session.
    public func isReserved(_ option: PaymentOption) -> Bool {
        reservation(network: option.network, token: option.tokenAddress, to: option.payTo, amount: option.amountDue) != nil
    }

    /// The remainder held for paying through `option`, when the session is partially paid.
    public func remainderDue(_ option: PaymentOption) -> UInt256? {
        reservations.first {
            $0.kind == .remainder && $0.network == option.network && $0.token == option.tokenAddress && $0.payTo == option.payTo
        }?.amount
    }

    /// What a partially paid pending session still asks through each option, in the option's
    /// token: the remainders it should hold. Empty otherwise.
    public var remaindersWanted: [(option: PaymentOption, amount: UInt256)] {
        let state = state
        guard status == .pending, !state.amountReceived.isZero, !state.underpaid.isZero else { return [] }
        return options.map { ($0, scale(of: $0).toToken(state.underpaid)) }
    }

    /// How the option's token relates to the session's scale.
    public func scale(of option: PaymentOption) -> AmountScale {
        AmountScale(tokenDecimals: option.decimals, sessionScale: scale)
    }

    /// The session after its state machine moved to `state`: new status and reason, payments
    /// in the states the machine accounts for (plus `added` ones), and the timeline the
    /// change implies at `now`.
    public func applying(
        _ state: PaymentSessionState, added: [Payment] = [], claims: [CheckoutClaim]? = nil, now: Timestamp, lateWindowSeconds: Int64
    ) -> PaymentSession {
        var byKey: [PaymentKey: SessionPayment.State] = [:]
        for payment in state.payments { byKey[payment.key] = payment.state }
        let payments = (self.payments + added).map { payment -> Payment in
            guard let accounted = byKey[payment.key], accounted != payment.transfer.state else { return payment }
            return Payment(
                transfer: payment.transfer.with(state: accounted), token: payment.token, decimals: payment.decimals,
                credited: payment.credited, late: payment.late, matchedBy: payment.matchedBy,
                confirmationsRequired: payment.confirmationsRequired, createdAt: payment.createdAt)
        }
        return PaymentSession(
            id: id, merchantId: merchantId, livemode: livemode, status: state.status, statusReason: state.reason, amount: amount,
            currency: currency, scale: scale, priceUnits: priceUnits, offsetUnits: offsetUnits, description: description,
            metadata: metadata, successURL: successURL, cancelURL: cancelURL, clientSecret: clientSecret, expiresAt: expiresAt,
            timeline: timeline.after(previous: status, status: state.status, now: now, lateWindowSeconds: lateWindowSeconds),
            createdAt: createdAt, options: options, payments: payments, claims: claims ?? self.claims,
            amountRefunded: state.amountRefunded, reservations: reservations)
    }
}
