import EthereumCore

/// The JSON of the API's objects, in one place: API responses, checkout events and outbox
/// payloads all use these.
public enum ResourceJSON {
    public static func session(_ session: PaymentSession, publicBaseURL: String) -> JSONValue {
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
                "amount_refunded": .string(session.format(session.amountRefunded)),
                "description": .string(session.description),
                "metadata": .object(metadata),
                "status_reason": .string(session.statusReason),
                "payment_options": .array(session.options.map { option($0, remainder: session.remainderDue($0)) }),
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

    /// An option; `remainder`, when the session is partially paid, is what it still asks through
    /// this option (held for it alone, so it may be a little more than the exact rest).
    public static func option(_ option: PaymentOption, remainder: UInt256? = nil) -> JSONValue {
        let remainingRequest = remainder.map {
            PaymentRequest(token: option.tokenAddress, chainId: option.chainId, payTo: option.payTo, amount: $0)
        }
        return .object(
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
                "amount_remaining_due": .string(remainder.map { AmountText.format($0, scale: option.decimals) }),
                "amount_remaining_due_base_units": .string(remainder?.decimalString),
                "remaining_uri": .string(remainingRequest?.uri),
            ]))
    }

    public static func payment(_ payment: Payment) -> JSONValue {
        let transfer = payment.transfer
        return .object(
            JSONObject([
                "transfer": .string("tr_\(transfer.id)"),
                "network": .string(transfer.network),
                "token": .string(payment.token),
                "token_address": .string(transfer.token.checksummed),
                "tx_hash": .string(transfer.transactionHash.hex),
                "log_index": .int(Int64(transfer.logIndex)),
                "block_number": .int(Int64(transfer.blockNumber)),
                "block_hash": .string(transfer.blockHash.hex),
                "from": .string(transfer.from.checksummed),
                "amount": .string(AmountText.format(transfer.amount, scale: payment.decimals)),
                "amount_base_units": .string(transfer.amount.decimalString),
                "status": .string(transfer.state.rawValue),
                "confirmations": .int(transfer.confirmations),
                "confirmations_required": .int(payment.confirmationsRequired),
                "late": .bool(payment.late),
                "matched_by": .string(payment.matchedBy.rawValue),
                "created_at": .string(payment.createdAt.rfc3339),
            ]))
    }

    public static func transfer(_ record: ReceivedTransfer, token: (symbol: String, decimals: Int)?) -> JSONValue {
        let transfer = record.transfer
        return .object(
            JSONObject([
                "id": .string("tr_\(transfer.id)"),
                "object": .string("transfer"),
                "livemode": .bool(record.livemode),
                "network": .string(transfer.network),
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
                "status": .string(transfer.state.rawValue),
                "confirmations": .int(transfer.confirmations),
                "payment_session": .string(record.sessionId),
                "claims": .array(
                    record.claims.map { claim in
                        .object(JSONObject(["payment_session": .string(claim.sessionId), "signed": .bool(claim.signed)]))
                    }),
                "block_timestamp": .string(transfer.blockTimestamp?.rfc3339),
                "created_at": .string(transfer.seenAt.rfc3339),
            ]))
    }

    public static func merchant(_ merchant: Merchant) -> JSONValue {
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

    public static func apiKey(_ key: APIKey, secret: String? = nil) -> JSONValue {
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
