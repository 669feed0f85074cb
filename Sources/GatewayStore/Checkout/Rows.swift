import ChainMonitor
import EthereumCore
import Foundation
import GatewayDomain
import PostgresNIO

// How the checkout's rows are read: every query that returns a transfer, an option, a
// payment or a session uses the SQL fragment and the decoder here, so each kind of row has
// one reader.

/// A JSON array column (`jsonb_agg`), decoded element by element.
struct JSONRows<Element: Decodable & Sendable>: Decodable, PostgresDecodable, Sendable {
    let items: [Element]

    init(from decoder: any Decoder) throws {
        items = try decoder.singleValueContainer().decode([Element].self)
    }
}

/// A `chain_transfers` row as a JSON object, with the network's checkpoint for confirmations.
struct TransferRow: Decodable, PostgresDecodable, Sendable {
    let id: Int64
    let network: String
    let chainId: Int64
    let blockNumber: Int64
    let blockHash: String
    let txHash: String
    let logIndex: Int64
    let token: String
    let from: String
    let to: String
    let amount: String
    let state: String
    let seenAt: Int64
    let blockTimestamp: Int64?
    let checkpoint: Int64?

    enum CodingKeys: String, CodingKey {
        case id
        case network
        case chainId = "chain_id"
        case blockNumber = "block_number"
        case blockHash = "block_hash"
        case txHash = "tx_hash"
        case logIndex = "log_index"
        case token
        case from
        case to
        case amount
        case state
        case seenAt = "seen_at"
        case blockTimestamp = "block_timestamp"
        case checkpoint
    }

    /// The JSON object of the transfer row aliased `alias`.
    static func json(_ alias: String) -> String {
        """
        jsonb_build_object('id', \(alias).id, 'network', \(alias).network, 'chain_id', \(alias).chain_id,
            'block_number', \(alias).block_number, 'block_hash', \(alias).block_hash, 'tx_hash', \(alias).tx_hash,
            'log_index', \(alias).log_index, 'token', \(alias).token, 'from', \(alias).from_address, 'to', \(alias).to_address,
            'amount', \(alias).amount::text, 'state', \(alias).state, 'seen_at', floor(extract(epoch FROM \(alias).seen_at))::bigint,
            'block_timestamp', floor(extract(epoch FROM \(alias).block_timestamp))::bigint,
            'checkpoint', (SELECT c.number FROM monitor_checkpoints c WHERE c.network = \(alias).network))
        """
    }

    func transfer() throws -> ChainTransfer {
        let table = "chain_transfers"
        guard let state = ChainTransfer.State(rawValue: state) else {
            throw StoreError.corruptRow(table: table, reason: "state '\(state)'")
        }
        guard let chainId = UInt64(exactly: chainId), let blockNumber = UInt64(exactly: blockNumber),
            let logIndex = UInt64(exactly: logIndex)
        else { throw StoreError.corruptRow(table: table, reason: "row \(id) has a negative number") }
        guard let blockHash = try? BlockHash(hex: blockHash), let txHash = try? TxHash(hex: txHash), let token = try? Address(token),
            let from = try? Address(from), let to = try? Address(to), let amount = try? UInt256(decimal: amount)
        else { throw StoreError.corruptRow(table: table, reason: "row \(id) has a malformed hash, address or amount") }
        let tip = checkpoint.flatMap { UInt64(exactly: $0) }
        let confirmations = state == .removed ? 0 : tip.map { ConfirmationPolicy.confirmations(blockNumber: blockNumber, tip: $0) } ?? 0
        return ChainTransfer(
            id: id, network: network, chainId: chainId, blockNumber: blockNumber, blockHash: blockHash, transactionHash: txHash,
            logIndex: logIndex, token: token, from: from, to: to, amount: amount, state: state, confirmations: confirmations,
            seenAt: Timestamp(unixSeconds: seenAt), blockTimestamp: blockTimestamp.map(Timestamp.init(unixSeconds:)))
    }
}

/// A `session_options` row as a JSON object.
struct OptionRow: Decodable, Sendable {
    let position: Int
    let network: String
    let chainId: Int64
    let token: String
    let tokenAddress: String
    let decimals: Int
    let payTo: String
    let amountDue: String
    let confirmations: Int

    enum CodingKeys: String, CodingKey {
        case position
        case network
        case chainId = "chain_id"
        case token
        case tokenAddress = "token_address"
        case decimals
        case payTo = "pay_to"
        case amountDue = "amount_due"
        case confirmations
    }

    static let json = """
        jsonb_build_object('position', o.position, 'network', o.network, 'chain_id', o.chain_id, 'token', o.token,
            'token_address', o.token_address, 'decimals', o.decimals, 'pay_to', o.pay_to, 'amount_due', o.amount_due::text,
            'confirmations', o.confirmations)
        """

    func option() throws -> PaymentOption {
        guard let chainId = UInt64(exactly: chainId), let tokenAddress = try? Address(tokenAddress), let payTo = try? Address(payTo),
            let amountDue = try? UInt256(decimal: amountDue), (0...36).contains(decimals)
        else { throw StoreError.corruptRow(table: "session_options", reason: "option \(position) does not parse") }
        return PaymentOption(
            position: position, network: network, chainId: chainId, token: token, tokenAddress: tokenAddress, decimals: decimals,
            payTo: payTo, amountDue: amountDue, confirmations: confirmations)
    }
}

/// A `session_payments` row with its transfer, as a JSON object.
struct PaymentRow: Decodable, Sendable {
    let transfer: TransferRow
    let credited: String
    let late: Bool
    let matchedBy: String
    let state: String
    let createdAt: Int64

    enum CodingKeys: String, CodingKey {
        case transfer
        case credited
        case late
        case matchedBy = "matched_by"
        case state
        case createdAt = "created_at"
    }

    static let json = """
        jsonb_build_object('transfer', \(TransferRow.json("t")), 'credited', p.credited::text, 'late', p.late,
            'matched_by', p.matched_by, 'state', p.state, 'created_at', floor(extract(epoch FROM p.created_at))::bigint)
        """

    func payment(options: [PaymentOption]) throws -> Payment {
        let stored = try transfer.transfer()
        // The session counts the state it last accounted for.
        guard let applied = ChainTransfer.State(rawValue: state), let matchedBy = MatchedBy(rawValue: matchedBy),
            let credited = try? UInt256(decimal: credited)
        else { throw StoreError.corruptRow(table: "session_payments", reason: "payment of transfer \(stored.id)") }
        let option = options.first { $0.network == stored.network && $0.tokenAddress == stored.token }
        return Payment(
            transfer: stored.with(state: applied), token: option?.token ?? "?", decimals: option?.decimals ?? 0, credited: credited,
            late: late, matchedBy: matchedBy, confirmationsRequired: option?.confirmations ?? 1,
            createdAt: Timestamp(unixSeconds: createdAt))
    }
}

/// A `checkout_claims` row as a JSON object.
struct ClaimRow: Decodable, Sendable {
    let network: String
    let txHash: String
    let signer: String?

    enum CodingKeys: String, CodingKey {
        case network
        case txHash = "tx_hash"
        case signer
    }
}

/// A `reserved_amounts` row as a JSON object.
struct ReservationRow: Decodable, Sendable {
    let network: String
    let token: String
    let payTo: String
    let amount: String
    let kind: String

    enum CodingKeys: String, CodingKey {
        case network
        case token = "token_address"
        case payTo = "pay_to"
        case amount
        case kind
    }

    func reservation() throws -> AmountReservation {
        guard let token = try? Address(token), let payTo = try? Address(payTo), let amount = try? UInt256(decimal: amount),
            let kind = AmountReservation.Kind(rawValue: kind)
        else { throw StoreError.corruptRow(table: "reserved_amounts", reason: "\(network) \(self.amount)") }
        return AmountReservation(network: network, token: token, payTo: payTo, amount: amount, kind: kind)
    }
}

/// Payment sessions with their options, payments and claims, in one statement.
enum SessionRows {
    /// The select list for `payment_sessions s`, in the order ``decode(_:)`` reads it.
    static let columns = """
        s.id, s.merchant_id, s.livemode, s.status, s.status_reason, s.amount, s.currency, s.scale, s.price_units, s.offset_units,
        s.description, s.metadata::text, s.success_url, s.cancel_url, s.client_secret, s.expires_at, s.completed_at, s.monitor_until,
        s.created_at, s.amount_refunded,
        (SELECT coalesce(jsonb_agg(\(OptionRow.json) ORDER BY o.position), '[]') FROM session_options o WHERE o.session_id = s.id),
        (SELECT coalesce(jsonb_agg(\(PaymentRow.json) ORDER BY p.created_at, t.id), '[]')
           FROM session_payments p JOIN chain_transfers t ON t.id = p.transfer_id WHERE p.session_id = s.id),
        (SELECT coalesce(jsonb_agg(jsonb_build_object('network', k.network, 'tx_hash', k.tx_hash, 'signer', k.signer)
                                   ORDER BY k.created_at), '[]')
           FROM checkout_claims k WHERE k.session_id = s.id),
        (SELECT coalesce(jsonb_agg(jsonb_build_object('network', r.network, 'token_address', r.token_address, 'pay_to', r.pay_to,
                                   'amount', r.amount::text, 'kind', r.kind) ORDER BY r.kind, r.amount), '[]')
           FROM reserved_amounts r WHERE r.session_id = s.id)
        """

    static func decode(_ rows: PostgresRowSequence) async throws -> [PaymentSession] {
        var out: [PaymentSession] = []
        for try await row in rows { out.append(try decode(row)) }
        return out
    }

    static func decode(_ row: PostgresRow) throws -> PaymentSession {
        let table = "payment_sessions"
        let (
            id, merchantId, livemode, statusText, reason, amount, currency, scale, priceUnits, offsetUnits, description, metadataText,
            successURL, cancelURL, clientSecret, expiresAt, completedAt, monitorUntil, createdAt, amountRefunded, optionRows, paymentRows,
            claimRows, reservationRows
        ) = try row.decode(
            (
                String, String, Bool, String, String?, String, String, Int32, UInt256, Int32, String?, String, String?, String?, String,
                Timestamp, Timestamp?, Timestamp?, Timestamp, UInt256, JSONRows<OptionRow>, JSONRows<PaymentRow>, JSONRows<ClaimRow>,
                JSONRows<ReservationRow>
            ).self)
        guard let status = SessionStatus(rawValue: statusText) else {
            throw StoreError.corruptRow(table: table, reason: "status '\(statusText)'")
        }
        let metadata = (try? JSONDecoder().decode([String: String].self, from: Data(metadataText.utf8))) ?? [:]
        let options = try optionRows.items.map { try $0.option() }
        let payments = try paymentRows.items.map { try $0.payment(options: options) }
        let claims = try claimRows.items.map { claim in
            guard let hash = try? TxHash(hex: claim.txHash) else { throw StoreError.corruptRow(table: "checkout_claims", reason: "hash") }
            var signer: Address? = nil
            if let text = claim.signer {
                do { signer = try Address(text) } catch { throw StoreError.corruptRow(table: "checkout_claims", reason: "signer") }
            }
            return CheckoutClaim(network: claim.network, transactionHash: hash, signer: signer)
        }
        let reservations = try reservationRows.items.map { try $0.reservation() }
        return PaymentSession(
            id: id, merchantId: merchantId, livemode: livemode, status: status, statusReason: reason, amount: amount,
            currency: currency, scale: Int(scale), priceUnits: priceUnits, offsetUnits: UInt64(max(0, offsetUnits)),
            description: description, metadata: metadata.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
            successURL: successURL, cancelURL: cancelURL, clientSecret: clientSecret, expiresAt: expiresAt,
            timeline: SessionTimeline(completedAt: completedAt, monitorUntil: monitorUntil), createdAt: createdAt, options: options,
            payments: payments, claims: claims, amountRefunded: amountRefunded, reservations: reservations)
    }
}
