import ChainMonitor
import EthereumCore
import GatewayDomain

/// A merchant's receiving address on one network.
public struct ReceiveAddress: Sendable, Hashable {
    public let network: String
    public let address: Address

    public init(network: String, address: Address) {
        self.network = network
        self.address = address
    }
}

public struct MerchantRecord: Sendable, Hashable {
    public let id: String
    public let name: String
    public let addresses: [ReceiveAddress]
    public let createdAt: Timestamp
}

public struct ApiKeyRecord: Sendable, Hashable {
    public let id: String
    public let merchantId: String
    public let prefix: String
    public let livemode: Bool
    public let scopes: [ApiScope]
    public let description: String?
    public let createdAt: Timestamp
    public let lastUsedAt: Timestamp?
    public let revokedAt: Timestamp?

    public var mode: ApiMode { ApiMode(livemode: livemode) }
}

/// How a transfer came to pay a session.
public enum MatchedBy: String, Sendable, Hashable {
    /// Its amount equals an amount due (or the remaining amount) of the session.
    case amount
    /// The checkout page reported its transaction hash for the session.
    case transaction
    /// The merchant attached it.
    case attach
}

public struct SessionOptionRecord: Sendable, Hashable {
    public let position: Int
    public let network: String
    public let chainId: UInt64
    public let token: String
    public let tokenAddress: Address
    public let decimals: Int
    public let payTo: Address
    public let amountDue: UInt256
    public let confirmations: Int

    public var paymentRequest: PaymentRequest {
        PaymentRequest(token: tokenAddress, chainId: chainId, payTo: payTo, amount: amountDue)
    }
}

/// A transfer to a merchant address as the API shows it, with its session if bound.
public struct TransferRecord: Sendable, Hashable {
    public let id: Int64
    public let network: String
    public let livemode: Bool
    public let transfer: ObservedTransfer
    public let state: TransferState
    /// Blocks on top of it, counting its own (0 once removed).
    public let confirmations: Int
    public let sessionId: String?
    public let createdAt: Timestamp
}

public struct SessionPaymentRecord: Sendable, Hashable {
    public let transfer: TransferRecord
    public let token: String
    public let decimals: Int
    /// The amount in the session's scale.
    public let credited: UInt256
    public let late: Bool
    public let matchedBy: MatchedBy
    public let confirmationsRequired: Int
    public let createdAt: Timestamp

    var key: PaymentKey {
        PaymentKey(transactionHash: transfer.transfer.transactionHash, logIndex: transfer.transfer.logIndex, blockHash: transfer.transfer.blockHash)
    }
}

public struct SessionRecord: Sendable, Hashable {
    public let id: String
    public let merchantId: String
    public let livemode: Bool
    public let status: SessionStatus
    public let statusReason: String?
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
    public let completedAt: Timestamp?
    public let createdAt: Timestamp
    public let options: [SessionOptionRecord]
    public let payments: [SessionPaymentRecord]

    public static func == (lhs: SessionRecord, rhs: SessionRecord) -> Bool { lhs.id == rhs.id && lhs.state == rhs.state }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }

    /// The amount due in the session's scale (price plus offset).
    public var amountDueUnits: UInt256 { priceUnits + UInt256(offsetUnits) }

    /// The session's state machine as stored.
    public var state: PaymentSessionState {
        PaymentSessionState(
            amountDue: amountDueUnits, status: status,
            payments: payments.map {
                SessionPayment(key: $0.key, amount: $0.credited, state: SessionPayment.State(rawValue: $0.transfer.state.rawValue)!, late: $0.late)
            },
            reason: statusReason)
    }

    public func format(_ units: UInt256) -> String { AmountText.format(units, scale: scale) }

    public var amountLate: UInt256 { state.latePayments.reduce(UInt256.zero) { $0 + $1.amount } }
}

/// The JSON of the API's objects, in one place: API responses, checkout events and outbox
/// payloads all use these.
public enum ResourceJSON {
    public static func session(_ session: SessionRecord, publicBaseURL: String) -> JSONValue {
        let state = session.state
        let remaining = state.underpaid
        var metadata = JSONObject()
        for (key, value) in session.metadata { metadata.append(key, .string(value)) }
        return .object(
            JSONObject([
                "id": .string(session.id),
                "object": .string("payment_session"),
                "livemode": .bool(session.livemode),
                "status": .string(session.status.rawValue),
                "amount": .string(session.amount),
                "currency": .string(session.currency),
                "amount_due": .string(session.format(session.amountDueUnits)),
                "amount_received": .string(session.format(state.amountReceived)),
                "amount_confirmed": .string(session.format(state.amountConfirmed)),
                "amount_remaining": .string(session.format(remaining)),
                "amount_overpaid": .string(session.format(state.overpaid)),
                "amount_late": .string(session.format(session.amountLate)),
                "description": .string(session.description),
                "metadata": .object(metadata),
                "status_reason": .string(session.statusReason),
                "payment_options": .array(session.options.map(option)),
                "payments": .array(session.payments.map(payment)),
                "checkout_url": .string("\(publicBaseURL)/checkout/\(session.id)"),
                "client_secret": .string(session.clientSecret),
                "success_url": .string(session.successURL),
                "cancel_url": .string(session.cancelURL),
                "expires_at": .string(session.expiresAt.rfc3339),
                "created_at": .string(session.createdAt.rfc3339),
                "completed_at": .string(session.completedAt?.rfc3339),
            ]))
    }

    public static func option(_ option: SessionOptionRecord) -> JSONValue {
        .object(
            JSONObject([
                "network": .string(option.network),
                "chain_id": .int(Int64(option.chainId)),
                "token": .string(option.token),
                "token_address": .string(option.tokenAddress.checksummed),
                "decimals": .int(option.decimals),
                "pay_to": .string(option.payTo.checksummed),
                "amount_due": .string(AmountText.format(option.amountDue, scale: option.decimals)),
                "amount_due_base_units": .string(option.amountDue.decimalString),
                "confirmations_required": .int(option.confirmations),
                "uri": .string(option.paymentRequest.uri),
            ]))
    }

    public static func payment(_ payment: SessionPaymentRecord) -> JSONValue {
        let transfer = payment.transfer.transfer
        return .object(
            JSONObject([
                "transfer": .string("tr_\(payment.transfer.id)"),
                "network": .string(payment.transfer.network),
                "token": .string(payment.token),
                "token_address": .string(transfer.token.checksummed),
                "tx_hash": .string(transfer.transactionHash.hex),
                "log_index": .int(Int64(transfer.logIndex)),
                "block_number": .int(Int64(transfer.blockNumber)),
                "block_hash": .string(transfer.blockHash.hex),
                "from": .string(transfer.from.checksummed),
                "amount": .string(AmountText.format(transfer.amount, scale: payment.decimals)),
                "amount_base_units": .string(transfer.amount.decimalString),
                "status": .string(payment.transfer.state.rawValue),
                "confirmations": .int(payment.transfer.confirmations),
                "confirmations_required": .int(payment.confirmationsRequired),
                "late": .bool(payment.late),
                "matched_by": .string(payment.matchedBy.rawValue),
                "created_at": .string(payment.createdAt.rfc3339),
            ]))
    }

    public static func transfer(_ record: TransferRecord, token: (symbol: String, decimals: Int)?) -> JSONValue {
        let transfer = record.transfer
        return .object(
            JSONObject([
                "id": .string("tr_\(record.id)"),
                "object": .string("transfer"),
                "livemode": .bool(record.livemode),
                "network": .string(record.network),
                "chain_id": .int(Int64(transfer.chainId)),
                "token": .string(token?.symbol),
                "token_address": .string(transfer.token.checksummed),
                "from": .string(transfer.from.checksummed),
                "to": .string(transfer.to.checksummed),
                "amount": token.map { .string(AmountText.format(transfer.amount, scale: $0.decimals)) } ?? .null,
                "amount_base_units": .string(transfer.amount.decimalString),
                "tx_hash": .string(transfer.transactionHash.hex),
                "log_index": .int(Int64(transfer.logIndex)),
                "block_number": .int(Int64(transfer.blockNumber)),
                "block_hash": .string(transfer.blockHash.hex),
                "status": .string(record.state.rawValue),
                "confirmations": .int(record.confirmations),
                "payment_session": .string(record.sessionId),
                "created_at": .string(record.createdAt.rfc3339),
            ]))
    }

    public static func merchant(_ merchant: MerchantRecord) -> JSONValue {
        .object(
            JSONObject([
                "id": .string(merchant.id),
                "object": .string("merchant"),
                "name": .string(merchant.name),
                "receive_addresses": .array(
                    merchant.addresses.map {
                        .object(JSONObject(["network": .string($0.network), "address": .string($0.address.checksummed)]))
                    }),
                "created_at": .string(merchant.createdAt.rfc3339),
            ]))
    }

    public static func apiKey(_ key: ApiKeyRecord, secret: String? = nil) -> JSONValue {
        var object = JSONObject([
            "id": .string(key.id),
            "object": .string("api_key"),
            "livemode": .bool(key.livemode),
            "prefix": .string(key.prefix),
            "scopes": .array(key.scopes.map { .string($0.rawValue) }),
            "description": .string(key.description),
            "created_at": .string(key.createdAt.rfc3339),
            "last_used_at": .string(key.lastUsedAt?.rfc3339),
            "revoked_at": .string(key.revokedAt?.rfc3339),
        ])
        if let secret { object.append("secret", .string(secret)) }
        return .object(object)
    }
}
