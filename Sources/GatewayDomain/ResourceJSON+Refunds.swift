import EthereumCore

extension ResourceJSON {
    /// A refund as the API, its events and its page show it. `refund_url` is there while the
    /// customer gives the destination (and stays, so the customer can follow the refund).
    public static func refund(_ refund: Refund, publicBaseURL: String) -> JSONValue {
        var metadata = JSONObject()
        for (key, value) in refund.metadata.sorted(by: { $0.key < $1.key }) { metadata.append(key, .string(value)) }
        let asset = refund.asset
        return .object(
            JSONObject([
                "id": .string(refund.id),
                "object": .string("refund"),
                "livemode": .bool(refund.livemode),
                "payment_session": .string(refund.sessionId),
                "network": .string(asset.network),
                "token": .string(asset.token),
                "token_address": .string(asset.tokenAddress.checksummed),
                "amount": .string(asset.format(refund.amount)),
                "amount_base_units": .string(refund.amount.decimalString),
                "destination": .string(refund.destination?.checksummed),
                "destination_source": .string(refund.destinationSource.rawValue),
                "reason": .string(refund.reason?.rawValue),
                "status": .string(refund.status.rawValue),
                "status_reason": .string(refund.statusReason.rawValue),
                "tx_hash": .string(refund.txHash?.hex),
                "refund_url": .string(refund.destinationSource == .customer ? "\(publicBaseURL)/refund/\(refund.id)" : nil),
                "metadata": .object(metadata),
                "created_at": .string(refund.createdAt.rfc3339),
                "succeeded_at": .string(refund.succeededAt?.rfc3339),
            ]))
    }
}

extension PaymentSession {
    /// What the session's succeeded refunds returned, at the session's scale (a token more
    /// precise than the scale counts what the scale can show).
    public func refundedUnits(_ refunds: [Refund]) -> UInt256 {
        refunds.filter { $0.sessionId == id && $0.status == .succeeded }.reduce(UInt256.zero) { total, refund in
            guard let option = options.first(where: { $0.network == refund.asset.network && $0.tokenAddress == refund.asset.tokenAddress })
            else { return total }
            let (sum, overflow) = total.addingReportingOverflow(scale(of: option).toSession(refund.amount))
            return overflow ? .max : sum
        }
    }
}
