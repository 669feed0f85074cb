import GatewayStore

/// The stores the HTTP layer reads and writes.
public struct APIStores: Sendable {
    public let merchants: MerchantStore
    public let keys: APIKeyStore
    public let sessions: SessionStore
    public let transfers: TransferStore
    public let idempotency: IdempotencyStore
    public let webhooks: WebhookStore
    public let refunds: RefundStore

    public init(
        merchants: MerchantStore, keys: APIKeyStore, sessions: SessionStore, transfers: TransferStore, idempotency: IdempotencyStore,
        webhooks: WebhookStore, refunds: RefundStore
    ) {
        self.merchants = merchants
        self.keys = keys
        self.sessions = sessions
        self.transfers = transfers
        self.idempotency = idempotency
        self.webhooks = webhooks
        self.refunds = refunds
    }
}
