import EthereumCore
import GatewayDomain
import Logging
import PostgresNIO

/// Transfers to merchants' addresses as the API lists them.
public struct TransferStore: Sendable {
    public let client: PostgresClient
    /// The networks the gateway runs (a key lists the transfers of its mode's networks).
    public let networks: [PayableNetwork]
    let logger: Logger

    public init(client: PostgresClient, networks: [PayableNetwork], logger: Logger = Logger(label: "gateway.transfers")) {
        self.client = client
        self.networks = networks
        self.logger = logger
    }

    public struct Filter: Sendable {
        public var limit: Int = 20
        public var startingAfter: Int64?
        public var matched: Bool?

        public init() {}
    }

    /// Transfers to the merchant's addresses on the networks of the key's mode, newest first.
    public func transfers(merchantId: String, livemode: Bool, filter: Filter) async throws -> ([ReceivedTransfer], hasMore: Bool) {
        let modeNetworks = networks.filter { $0.livemode == livemode }.map(\.name)
        let rows = try await client.query(
            """
            SELECT \(unescaped: TransferRow.json("t")), p.session_id,
                   (SELECT coalesce(jsonb_agg(jsonb_build_object('session_id', k.session_id, 'signed', k.signer IS NOT NULL)
                                              ORDER BY k.created_at), '[]')
                    FROM checkout_claims k JOIN payment_sessions ks ON ks.id = k.session_id AND ks.merchant_id = \(merchantId)
                    WHERE k.network = t.network AND k.tx_hash = t.tx_hash)
            FROM chain_transfers t
            JOIN merchant_addresses a ON a.network = t.network AND a.address = t.to_address AND a.merchant_id = \(merchantId)
            LEFT JOIN session_payments p ON p.transfer_id = t.id
            WHERE t.network = ANY(\(modeNetworks)::text[])
              AND (\(filter.startingAfter)::bigint IS NULL OR t.id < \(filter.startingAfter))
              AND (\(filter.matched)::boolean IS NULL OR (p.transfer_id IS NOT NULL) = \(filter.matched))
              AND (\(filter.matched)::boolean IS DISTINCT FROM false OR t.state <> 'removed')
            ORDER BY t.id DESC LIMIT \(filter.limit + 1)
            """, logger: logger)
        var out: [ReceivedTransfer] = []
        for try await (row, sessionId, claims) in rows.decode((TransferRow, String?, JSONRows<ListedClaim>).self) {
            out.append(
                ReceivedTransfer(
                    transfer: try row.transfer(), livemode: livemode, sessionId: sessionId,
                    claims: claims.items.map { ReceivedTransfer.Claim(sessionId: $0.sessionId, signed: $0.signed) }))
        }
        let hasMore = out.count > filter.limit
        return (Array(out.prefix(filter.limit)), hasMore)
    }

    struct ListedClaim: Decodable, Sendable {
        let sessionId: String
        let signed: Bool

        enum CodingKeys: String, CodingKey {
            case sessionId = "session_id"
            case signed
        }
    }

    /// The symbol and decimals of a token the gateway knows.
    public func token(network name: String, address: EthereumCore.Address) -> (symbol: String, decimals: Int)? {
        guard let token = networks.first(where: { $0.name == name })?.tokens.first(where: { $0.address == address }) else { return nil }
        return (token.symbol, token.decimals)
    }
}
