import EthereumCore

/// What a merchant asked for in `POST /v1/refunds`, with JSON types already checked.
public struct NewRefundRequest: Sendable, Hashable {
    public var paymentSession: String
    public var amount: String?
    public var destination: String?
    public var reason: String?
    public var metadata: [String: String]?
    /// Which asset to refund, needed only when the session was paid in several.
    public var network: String?
    public var token: String?

    public init(
        paymentSession: String, amount: String? = nil, destination: String? = nil, reason: String? = nil,
        metadata: [String: String]? = nil, network: String? = nil, token: String? = nil
    ) {
        self.paymentSession = paymentSession
        self.amount = amount
        self.destination = destination
        self.reason = reason
        self.metadata = metadata
        self.network = network
        self.token = token
    }
}

/// How much of one asset a session can still refund.
public struct RefundableAsset: Sendable, Hashable {
    public let asset: RefundAsset
    /// Confirmed on chain to the session (on time, overpaid and late), in token base units.
    public let received: UInt256
    /// Held by the session's refunds that are not failed or canceled.
    public let held: UInt256
    /// Senders of the confirmed payments, in the order they paid.
    public let payers: [Address]

    public var refundable: UInt256 { received > held ? received - held : .zero }

    /// Per asset the session received, in the order of its payments: every confirmed payment
    /// counts (completed or not, overpaid and late amounts included), minus every refund that
    /// is not failed or canceled.
    public static func assets(of session: PaymentSession, refunds: [Refund]) -> [RefundableAsset] {
        var order: [RefundAsset] = []
        var received: [RefundAsset: UInt256] = [:]
        var payers: [RefundAsset: [Address]] = [:]
        for payment in session.payments where payment.transfer.state == .confirmed {
            let transfer = payment.transfer
            guard let option = session.option(network: transfer.network, token: transfer.token, to: transfer.to) else { continue }
            let asset = RefundAsset(option)
            if received[asset] == nil { order.append(asset) }
            let (sum, overflow) = (received[asset] ?? .zero).addingReportingOverflow(transfer.amount)
            received[asset] = overflow ? .max : sum
            if !(payers[asset] ?? []).contains(transfer.from) { payers[asset, default: []].append(transfer.from) }
        }
        return order.map { asset in
            let held = refunds.filter {
                $0.status.holdsAmount && $0.asset.network == asset.network && $0.asset.tokenAddress == asset.tokenAddress
            }.reduce(UInt256.zero) { total, refund in
                let (sum, overflow) = total.addingReportingOverflow(refund.amount)
                return overflow ? .max : sum
            }
            return RefundableAsset(asset: asset, received: received[asset] ?? .zero, held: held, payers: payers[asset] ?? [])
        }
    }
}

/// A validated refund, ready to store.
public struct RefundPlan: Sendable, Hashable {
    public let asset: RefundAsset
    public let amount: UInt256
    public let destination: Address?
    public let destinationSource: RefundDestinationSource
    public let reason: RefundReason?
    public let metadata: [String: String]
    public let approvalRequired: Bool

    /// Checks `request` against the session (locked by the caller with its refunds), the
    /// operator's limits, the merchant's refunds of the last 24 hours and the hot wallets (by
    /// network; a destination is never one). Every refusal names the field and says how to fix
    /// it; nothing here trusts the request.
    public static func plan(
        _ request: NewRefundRequest, session: PaymentSession, refunds: [Refund], limits: RefundLimits, merchantRecent: UnitAmount,
        hotWallets: [String: Address]
    ) throws(RequestError) -> RefundPlan {
        let available = RefundableAsset.assets(of: session, refunds: refunds)
        let wanted = available.filter { item in
            (request.network.map { $0 == item.asset.network } ?? true)
                && (request.token.map { $0.uppercased() == item.asset.token.uppercased() } ?? true)
        }
        guard let chosen = wanted.first else {
            let which = [request.token, request.network.map { "on \($0)" }].compactMap { $0 }.joined(separator: " ")
            throw RequestError(
                .unprocessable, code: "nothing_to_refund", param: request.token != nil ? "token" : request.network != nil ? "network" : nil,
                "the payment session has no confirmed payment\(which.isEmpty ? "" : " in \(which)") to refund")
        }
        guard wanted.count == 1 else {
            let names = wanted.map { "\($0.asset.token) on \($0.asset.network)" }.joined(separator: " and ")
            throw RequestError(
                code: "asset_ambiguous", param: "token", "the session was paid in \(names); say which with token (and network)")
        }
        let asset = chosen.asset
        let hotWallet = hotWallets[asset.network]

        let amount: UInt256
        if let text = request.amount {
            let parsed: TokenAmount
            do {
                parsed = try TokenAmount(decimal: text, decimals: asset.decimals)
            } catch {
                throw RequestError(code: "amount_invalid", param: "amount", "\(error)")
            }
            guard !parsed.baseUnits.isZero else {
                throw RequestError(code: "amount_invalid", param: "amount", "amount must be greater than zero")
            }
            guard parsed.baseUnits <= chosen.refundable else {
                throw RequestError(
                    .unprocessable, code: "amount_exceeds_refundable", param: "amount",
                    "at most \(asset.format(chosen.refundable)) \(asset.token) of this session can still be refunded; \(text) is more")
            }
            amount = parsed.baseUnits
        } else {
            guard !chosen.refundable.isZero else {
                throw RequestError(
                    .unprocessable, code: "nothing_to_refund",
                    "everything this session received in \(asset.token) is already refunded or being refunded")
            }
            amount = chosen.refundable
        }

        let destination: Address?
        let source: RefundDestinationSource
        switch request.destination {
        case nil:
            destination = nil
            source = .customer
        case "payer"?:
            guard chosen.payers.count == 1 else {
                throw RequestError(
                    .unprocessable, code: "payer_ambiguous", param: "destination",
                    "the session was paid from \(chosen.payers.count) addresses; give the destination address, or leave it out to ask the customer"
                )
            }
            destination = try RefundDestination.check(chosen.payers[0], asset: asset, hotWallet: hotWallet)
            source = .payer
        case let text?:
            destination = try RefundDestination.parse(text, asset: asset, hotWallet: hotWallet)
            source = .address
        }

        let reason: RefundReason?
        if let text = request.reason {
            guard let value = RefundReason(rawValue: text) else {
                throw RequestError(
                    code: "reason_invalid", param: "reason",
                    "reason is one of \(RefundReason.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            reason = value
        } else {
            reason = nil
        }
        let metadata = try RefundMetadata.check(request.metadata ?? [:])

        let units = UnitAmount(baseUnits: amount, decimals: asset.decimals)
        try limits.checkNew(units, merchantRecent: merchantRecent)
        return RefundPlan(
            asset: asset, amount: amount, destination: destination, destinationSource: source, reason: reason, metadata: metadata,
            approvalRequired: limits.needsApproval(units))
    }
}

/// The checks every refund destination passes, whoever gives it: a well-formed address
/// (mixed case must carry a correct EIP-55 checksum), and not one where the tokens would be
/// lost or would come straight back.
public enum RefundDestination {
    /// Parses and checks an address given as text.
    public static func parse(_ text: String, asset: RefundAsset, hotWallet: Address?, param: String = "destination") throws(RequestError)
        -> Address
    {
        let trimmed = text.trimming(" \t\r\n")
        let address: Address
        do {
            address = try Address(trimmed)
        } catch {
            throw RequestError(code: "destination_invalid", param: param, "\(error)")
        }
        return try check(address, asset: asset, hotWallet: hotWallet, param: param)
    }

    public static func check(_ address: Address, asset: RefundAsset, hotWallet: Address?, param: String = "destination")
        throws(RequestError) -> Address
    {
        let refusal: String?
        if address == .zero {
            refusal = "the zero address: tokens sent there are lost"
        } else if address == asset.tokenAddress {
            refusal = "the \(asset.token) token contract itself: tokens sent there are lost"
        } else if address == asset.payTo {
            refusal = "the merchant's own receiving address"
        } else if address == hotWallet {
            refusal = "the gateway's hot wallet"
        } else {
            refusal = nil
        }
        if let refusal {
            throw RequestError(
                code: "destination_invalid", param: param, "\(address.checksummed) is \(refusal); give the customer's address")
        }
        return address
    }
}

/// A refund's metadata: the same rules as a session's (at most 20 pairs, keys of 1 to 40
/// characters, values of at most 500), and no NUL character, which Postgres cannot store.
public enum RefundMetadata {
    public static func check(_ metadata: [String: String]) throws(RequestError) -> [String: String] {
        guard metadata.count <= SessionPlan.maxMetadataPairs else {
            throw RequestError(
                code: "metadata_invalid", param: "metadata",
                "metadata has \(metadata.count) keys; at most \(SessionPlan.maxMetadataPairs) are allowed")
        }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            guard (1...SessionPlan.maxMetadataKeyLength).contains(key.count) else {
                throw RequestError(
                    code: "metadata_invalid", param: "metadata",
                    "metadata keys are 1 to \(SessionPlan.maxMetadataKeyLength) characters; '\(key.prefix(50))' is not")
            }
            guard value.count <= SessionPlan.maxTextLength else {
                throw RequestError(
                    code: "metadata_invalid", param: "metadata",
                    "the metadata value of '\(key.prefix(50))' is longer than \(SessionPlan.maxTextLength) characters")
            }
            try TextField.check(key, param: "metadata")
            try TextField.check(value, param: "metadata")
        }
        return metadata
    }
}
