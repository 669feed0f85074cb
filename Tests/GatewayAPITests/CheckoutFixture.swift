import ChainConfig
import ChainMonitor
import ChainRPC
import EthereumCore
import Foundation
import GatewayAPI
import GatewayDomain
import GatewayStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
import TestSupport

/// The checkout API on a fresh database and its own devchain: the real monitor (polled by
/// hand), the real matcher (ticked by hand), the real router, and two merchants with keys.
final class CheckoutFixture: @unchecked Sendable {
    static let logger = Logger(label: "gateway.checkout.tests")
    static let merchantAddress = try! Address("0x00000000000000000000000000000000000d0d01")
    static let otherAddress = try! Address("0x00000000000000000000000000000000000d0d02")

    let chain: Devchain
    let client: PostgresClient
    let monitorStore: PostgresMonitorStore
    let store: CheckoutStore
    let monitor: ChainMonitor
    let matcher: SessionMatcher
    let router: Router<APIContext>
    let merchant: MerchantRecord
    let other: MerchantRecord
    /// All scopes, test mode, for `merchant`.
    let key: String
    let otherKey: String
    let confirmations: Int

    struct NotConfigured: Error, CustomStringConvertible {
        let description =
            "DATABASE_URL is not set: the checkout tests need a real PostgreSQL. Run Scripts/dev-postgres start and export DATABASE_URL=\"$(Scripts/dev-postgres url)\" (Scripts/test does both)."
    }

    init(confirmations: Int = 2, configuration: APIConfiguration? = nil, lateWindowSeconds: Int = 86_400) async throws {
        self.confirmations = confirmations
        chain = try await Devchain()
        client = try await Self.freshDatabase()
        _ = try await Migrator(client: client).migrate()
        monitorStore = PostgresMonitorStore(client: client)

        let catalog = try NetworkCatalog.load(directory: Paths.repositoryRoot.appendingPathComponent("Networks"))
        let devnet = catalog["devnet"]!.withTokenAddresses(["USDC": chain.usdc, "USDT": chain.usdt])
        let network = NetworkConfig(
            name: devnet.name, chainId: devnet.chainId, testnet: true, nativeSymbol: devnet.nativeSymbol, nativeDecimals: 18,
            tokens: devnet.tokens, confirmations: confirmations, finality: .depth, blockTimeMs: devnet.blockTimeMs,
            reorgWindow: devnet.reorgWindow, providerUrlEnv: devnet.providerUrlEnv)
        let payable = PayableNetwork(
            name: "devnet", chainId: network.chainId, livemode: false, confirmations: confirmations,
            tokens: [.init(symbol: "USDC", address: chain.usdc, decimals: 6), .init(symbol: "USDT", address: chain.usdt, decimals: 6)], payTo: nil)
        // A live network the test keys must not reach (no monitor runs for it here).
        let live = PayableNetwork(
            name: "ethereum", chainId: 1, livemode: true, confirmations: 12,
            tokens: [.init(symbol: "USDC", address: try Address("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"), decimals: 6)], payTo: nil)
        store = CheckoutStore(
            client: client, networks: [payable, live], publicBaseURL: "https://pay.example", lateWindowSeconds: lateWindowSeconds, logger: Self.logger)
        monitor = ChainMonitor(pool: testPool([chain.client()]), store: monitorStore, configuration: ChainMonitor.Configuration(network: network))
        matcher = SessionMatcher(store: store, logger: Self.logger)
        var api = configuration ?? APIConfiguration()
        if configuration == nil {
            api.rateLimit = 0
            api.createRateLimit = 0
        }
        router = try GatewayRouter.make(store: store, webhooks: WebhookStore(client: client, logger: Self.logger), configuration: api) { [] }

        merchant = try await store.createMerchant(
            name: "Demo Shop",
            addresses: [ReceiveAddress(network: "devnet", address: Self.merchantAddress), ReceiveAddress(network: "ethereum", address: Self.merchantAddress)])
        other = try await store.createMerchant(name: "Other Shop", addresses: [ReceiveAddress(network: "devnet", address: Self.otherAddress)])
        key = try await store.createApiKey(merchantId: merchant.id, mode: .test, scopes: ApiScope.allCases, description: nil).1
        otherKey = try await store.createApiKey(merchantId: other.id, mode: .test, scopes: ApiScope.allCases, description: nil).1
        // The monitor starts at the current head.
        _ = try await monitor.pollOnce()
    }

    static func freshDatabase() async throws -> PostgresClient {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else { throw NotConfigured() }
        let server = try DatabaseConfiguration(url: url)
        let admin = try await server.connect(logger: logger)
        if await LeftoverDatabases.shared.firstCall() {
            // Databases left by earlier runs (never those of a running one: they are in use).
            let rows = try await admin.query("SELECT datname FROM pg_database WHERE datname LIKE 'checkout_test_%'", logger: logger)
            for try await name in rows.decode(String.self) {
                _ = try? await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name)"), logger: logger)
            }
        }
        let name = "checkout_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        try await admin.close()
        let client = PostgresClient(configuration: server.with(database: String(name)).clientConfiguration, backgroundLogger: logger)
        Task { await client.run() }
        return client
    }

    // MARK: Driving the chain

    /// Polls the monitor once and lets the matcher catch up.
    func sync() async throws {
        _ = try await monitor.pollOnce()
        try await matcher.tick()
    }

    /// Mines `blocks` and syncs after each.
    func advance(_ blocks: Int) async throws {
        for _ in 0..<blocks {
            try await chain.mine(1)
            try await sync()
        }
    }

    @discardableResult
    func pay(_ option: JSONObject, amount: UInt256, from account: Int = 1) async throws -> TxHash {
        let token = try Address(option["token_address"]!.stringValue!)
        let payTo = try Address(option["pay_to"]!.stringValue!)
        return try await chain.transfer(token: token, from: account, to: payTo, amount: amount)
    }

    // MARK: Calling the API

    struct Reply: Sendable {
        let status: Int
        let headers: HTTPFields
        let body: String
        var json: JSONObject {
            guard case .object(let object) = try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)) else { return JSONObject() }
            return object
        }
        var errorCode: String? { json["error"]?.object?["code"]?.stringValue }
        var errorParam: String? { json["error"]?.object?["param"]?.stringValue }
    }

    func call(_ method: HTTPRequest.Method, _ path: String, body: String? = nil, key: String?? = .none, headers: HTTPFields = [:]) async throws
        -> Reply
    {
        let app = Application(router: router)
        var fields = headers
        let chosen: String? = key ?? self.key
        if let chosen { fields[.authorization] = "Bearer \(chosen)" }
        if body != nil { fields[.contentType] = "application/json" }
        let sent = fields
        return try await app.test(.router) { client in
            let response = try await client.execute(uri: path, method: method, headers: sent, body: body.map { ByteBuffer(string: $0) })
            return Reply(status: Int(response.status.code), headers: response.headers, body: String(buffer: response.body))
        }
    }

    /// Creates a session and returns its JSON (fails the test on any other status than 201).
    func createSession(_ body: String = #"{"amount":"12.50","currency":"USDC"}"#, key: String? = nil) async throws -> JSONObject {
        let reply = try await call(.post, "/v1/payment_sessions", body: body, key: key.map { .some($0) } ?? .none)
        guard reply.status == 201 else { throw FixtureError("create returned \(reply.status): \(reply.body)") }
        return reply.json
    }

    func session(_ id: String) async throws -> JSONObject {
        try await call(.get, "/v1/payment_sessions/\(id)").json
    }

    /// The outbox event types written for a session, oldest first.
    func events(of sessionId: String) async throws -> [String] {
        let rows = try await client.query(
            "SELECT type FROM outbox_events WHERE payload->'object'->>'id' = \(sessionId) ORDER BY id", logger: Self.logger)
        var out: [String] = []
        for try await type in rows.decode(String.self) { out.append(type) }
        return out
    }

    func execute(_ sql: String) async throws {
        try await client.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger)
    }
}

actor LeftoverDatabases {
    static let shared = LeftoverDatabases()
    private var called = false

    func firstCall() -> Bool {
        defer { called = true }
        return !called
    }
}

extension JSONValue {
    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }
    var object: JSONObject? {
        if case .object(let object) = self { return object }
        return nil
    }
    var array: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }
    var intValue: Int64? {
        if case .int(let value) = self { return value }
        return nil
    }
    var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }
}

extension JSONObject {
    func string(_ key: String) -> String? { self[key]?.stringValue }
    var id: String { string("id") ?? "" }
    var options: [JSONObject] { self["payment_options"]?.array?.compactMap(\.object) ?? [] }
    var payments: [JSONObject] { self["payments"]?.array?.compactMap(\.object) ?? [] }
    var amountDue: UInt256 { try! UInt256(decimal: options[0].string("amount_due_base_units")!) }
}
