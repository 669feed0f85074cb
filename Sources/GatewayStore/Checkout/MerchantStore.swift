import EthereumCore
import GatewayDomain
import Logging
import PostgresNIO

/// Merchants and their receiving addresses. A new address is watched by the chain monitor in
/// the same transaction that stores it.
public struct MerchantStore: Sendable {
    public let client: PostgresClient
    let logger: Logger
    /// Merchants by id, while nothing changed (`gateway serve`).
    let cache: CachedReads<String, Merchant>?

    public init(client: PostgresClient, logger: Logger = Logger(label: "gateway.merchants"), cache: CachedReads<String, Merchant>? = nil) {
        self.client = client
        self.logger = logger
        self.cache = cache
    }

    public func create(_ draft: MerchantDraft) async throws -> Merchant {
        let id = ObjectID.make("mer")
        do {
            try await withTransaction(client: client, logger: logger) { connection in
                try await connection.query("INSERT INTO merchants (id, name) VALUES (\(id), \(draft.name))", logger: logger)
                for address in draft.addresses {
                    try await connection.query(
                        "INSERT INTO merchant_addresses (merchant_id, network, address) VALUES (\(id), \(address.network), \(address.address))",
                        logger: logger)
                    if let watch = PostgresMonitorStore.addWatchedQuery(network: address.network, addresses: [address.address]) {
                        try await connection.query(watch, logger: logger)
                    }
                }
            }
        } catch  where databaseErrorCode(error) == "23505" {
            throw RequestError(
                .conflict, code: "receive_address_taken", param: "receive_address",
                "that receiving address already belongs to another merchant on that network")
        }
        guard let merchant = try await merchant(id: id) else { throw StoreError.corruptRow(table: "merchants", reason: "\(id) vanished") }
        return merchant
    }

    public func merchant(id: String) async throws -> Merchant? {
        if let cached = await cache?.value(for: id) { return cached }
        let mark = await cache?.mark()
        let rows = try await client.query(
            """
            SELECT m.name, m.created_at,
                   coalesce((SELECT array_agg(a.network ORDER BY a.network) FROM merchant_addresses a WHERE a.merchant_id = m.id), '{}'),
                   coalesce((SELECT array_agg(a.address ORDER BY a.network) FROM merchant_addresses a WHERE a.merchant_id = m.id), '{}')
            FROM merchants m WHERE m.id = \(id)
            """, logger: logger)
        for try await (name, created, networks, addresses) in rows.decode((String, Timestamp, [String], [Address]).self) {
            guard networks.count == addresses.count else { throw StoreError.corruptRow(table: "merchant_addresses", reason: id) }
            let merchant = Merchant(
                id: id, name: name, addresses: zip(networks, addresses).map { ReceiveAddress(network: $0, address: $1) }, createdAt: created
            )
            await cache?.store(merchant, for: id, mark: mark)
            return merchant
        }
        return nil
    }
}
