import EthereumCore
import Foundation
import GatewayDomain
import PostgresNIO

// How refund rows are read: every query that returns a refund selects `RefundRows.columns` from
// `refunds r` and decodes with `RefundRows.decode`, so a refund has one reader.

enum RefundRows {
    /// The select list for `refunds r`, in the order ``decode(_:)`` reads it.
    static let columns = """
        r.id, r.merchant_id, r.livemode, r.session_id, r.network, r.chain_id, r.token, r.token_address, r.decimals, r.pay_to, r.amount,
        r.destination, r.destination_source, r.reason, r.metadata::text, r.status, r.status_reason, r.approval_required, r.approved_at,
        r.client_secret, r.hot_wallet, r.nonce, r.tx_hash, r.created_at, r.succeeded_at
        """

    static func decode(_ rows: PostgresRowSequence) async throws -> [Refund] {
        var out: [Refund] = []
        for try await row in rows { out.append(try decode(row)) }
        return out
    }

    static func decode(_ row: PostgresRow) throws -> Refund {
        let table = "refunds"
        let (
            id, merchantId, livemode, sessionId, network, chainId, token, tokenAddress, decimals, payTo, amount, destination, sourceText,
            reasonText, metadataText, statusText, statusReasonText, approvalRequired, approvedAt, clientSecret, hotWallet, nonce, txHash,
            createdAt, succeededAt
        ) = try row.decode(
            (
                String, String, Bool, String, String, Int64, String, Address, Int32, Address, UInt256, Address?, String, String?, String,
                String, String, Bool, Timestamp?, String, Address?, Int64?, TxHash?, Timestamp, Timestamp?
            ).self)
        guard let source = RefundDestinationSource(rawValue: sourceText), let status = RefundStatus(rawValue: statusText),
            let statusReason = RefundStatusReason(rawValue: statusReasonText), let chain = UInt64(exactly: chainId),
            (0...36).contains(decimals)
        else { throw StoreError.corruptRow(table: table, reason: "\(id) has an unknown status, source or chain") }
        let reason: RefundReason?
        if let reasonText {
            guard let value = RefundReason(rawValue: reasonText) else { throw StoreError.corruptRow(table: table, reason: "reason") }
            reason = value
        } else {
            reason = nil
        }
        let metadata = (try? JSONDecoder().decode([String: String].self, from: Data(metadataText.utf8))) ?? [:]
        let asset = RefundAsset(
            network: network, chainId: chain, token: token, tokenAddress: tokenAddress, decimals: Int(decimals), payTo: payTo)
        return Refund(
            id: id, merchantId: merchantId, livemode: livemode, sessionId: sessionId, asset: asset, amount: amount,
            destination: destination,
            destinationSource: source, reason: reason, metadata: metadata, status: status, statusReason: statusReason,
            approvalRequired: approvalRequired, approvedAt: approvedAt, clientSecret: clientSecret, hotWallet: hotWallet,
            nonce: nonce.flatMap { UInt64(exactly: $0) }, txHash: txHash, createdAt: createdAt, succeededAt: succeededAt)
    }
}
