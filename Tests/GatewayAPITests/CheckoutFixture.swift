import ChainConfig
import ChainMonitor
import ChainRPC
import EthereumCore
import Foundation
import GatewayAPI
import GatewayDomain
import GatewayServer
import GatewayStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
import TestSupport

/// The checkout API on a fresh database and its own devchain, built by the same
/// `GatewayApp` that `gateway serve` runs: the real monitor (polled by hand), the real matcher
/// and clock (ticked by hand), the real router, and two merchants with keys.
final class CheckoutFixture: @unchecked Sendable {
    static let logger = Logger(label: "gateway.checkout.tests")
    static let merchantAddress = try! Address("0x00000000000000000000000000000000000d0d01")
    static let otherAddress = try! Address("0x00000000000000000000000000000000000d0d02")
    /// Shows the detail of `/readyz?verbose`.
    static let operatorToken = "op_test_token"

    let chain: Devchain
    /// The API's pool.
    let client: PostgresClient
    /// The background services' pool: the API's own unless the fixture was given
    /// `apiPoolSize`.
    let backgroundClient: PostgresClient
    let app: GatewayApp
    let monitor: ChainMonitor
    let merchant: Merchant
    let other: Merchant
    /// All scopes, test mode, for `merchant`.
    let key: String
    let otherKey: String
    let confirmations: Int

    var sessions: SessionStore { app.stores.sessions }
    var matcher: SessionMatcher { app.matcher }

    /// With `hotWallet`, the devnet's refunds are signed with that key (`refunds` holds the
    /// limits and fee rules); `chainArguments` go to the devchain. Without `startMonitor`, the
    /// monitor has not processed a block yet (a gateway whose monitor never ran). With
    /// `apiPoolSize`, the API has a pool of that many connections and the background services
    /// one of their own, as `gateway serve` runs them.
    init(
        confirmations: Int = 2, configuration: APIConfiguration? = nil, lateWindowSeconds: Int = 86_400, hotWallet: PrivateKey? = nil,
        refunds: RefundConfiguration = RefundConfiguration(), chainArguments: [String] = [], startMonitor: Bool = true,
        apiPoolSize: Int? = nil
    ) async throws {
        self.confirmations = confirmations
        chain = try await Devchain(arguments: chainArguments)
        if let apiPoolSize {
            let database = try await TestDatabase.create(prefix: "checkout_test")
            var pool = DatabasePoolSettings()
            pool.maximumConnections = apiPoolSize
            // Requests held on a lock wait as long as a test holds it.
            pool.lockTimeout = .seconds(120)
            let api = PostgresClient(configuration: database.clientConfiguration(pool: pool), backgroundLogger: Self.logger)
            let background = PostgresClient(configuration: database.clientConfiguration, backgroundLogger: Self.logger)
            Task { await api.run() }
            Task { await background.run() }
            (client, backgroundClient) = (api, background)
        } else {
            client = try await TestDatabase.client(prefix: "checkout_test")
            backgroundClient = client
        }

        let catalog = try NetworkCatalog.load(directory: Paths.repositoryRoot.appendingPathComponent("Networks"))
        let devnet = catalog["devnet"]!.withTokenAddresses(["USDC": chain.usdc, "USDT": chain.usdt])
        let network = NetworkConfig(
            name: devnet.name, chainId: devnet.chainId, testnet: true, nativeSymbol: devnet.nativeSymbol, nativeDecimals: 18,
            tokens: devnet.tokens, confirmations: confirmations, finality: .depth, blockTimeMs: devnet.blockTimeMs,
            reorgWindow: devnet.reorgWindow, providerUrlEnv: devnet.providerUrlEnv)
        // A live network the test keys must not reach (no monitor runs for it here).
        let ethereum = catalog["ethereum"]!
        let live = NetworkConfig(
            name: "ethereum", chainId: 1, testnet: false, nativeSymbol: "ETH", nativeDecimals: 18,
            tokens: [.init(symbol: "USDC", address: try Address("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"), decimals: 6)],
            confirmations: 12, finality: ethereum.finality, blockTimeMs: ethereum.blockTimeMs, reorgWindow: ethereum.reorgWindow,
            providerUrlEnv: [])
        let devnetChain = Chain(network: network, pool: testPool([chain.client()]))
        let liveChain = Chain(
            network: live, pool: testPool([JSONRPCClient(transport: HTTPTransport(url: "http://127.0.0.1:9"))], network: "ethereum"))

        var gateway = GatewayConfiguration()
        gateway.publicURL = "https://pay.example"
        gateway.lateWindowSeconds = Int64(lateWindowSeconds)
        gateway.api = configuration ?? APIConfiguration.unlimited
        // A loaded test machine (parallel suites, devchains) can be slow; the deadline is not
        // what these tests check.
        gateway.api.requestTimeout = .seconds(120)
        gateway.operatorToken = Self.operatorToken
        gateway.refunds = refunds
        app = try GatewayApp(
            configuration: gateway, client: client, backgroundClient: backgroundClient, chains: [devnetChain, liveChain],
            hotWallets: hotWallet.map { [HotWallet(network: "devnet", key: $0)] } ?? [], logger: Self.logger)
        monitor = app.makeMonitor(devnetChain)

        merchant = try await app.stores.merchants.create(
            MerchantDraft(
                name: "Demo Shop",
                addresses: [
                    ReceiveAddress(network: "devnet", address: Self.merchantAddress),
                    ReceiveAddress(network: "ethereum", address: Self.merchantAddress),
                ], networks: ["devnet", "ethereum"]))
        other = try await app.stores.merchants.create(
            MerchantDraft(
                name: "Other Shop", addresses: [ReceiveAddress(network: "devnet", address: Self.otherAddress)], networks: ["devnet"]))
        key = try await app.stores.keys.create(merchantId: merchant.id, mode: .test, scopes: APIScope.allCases, description: nil).1
        otherKey = try await app.stores.keys.create(merchantId: other.id, mode: .test, scopes: APIScope.allCases, description: nil).1
        // The monitor starts at the current head (no session is open yet).
        if startMonitor { _ = try await monitor.pollOnce() }
    }

    // MARK: Driving the chain

    /// Polls the monitor once and lets the matcher and the clock catch up.
    func sync() async throws {
        _ = try await monitor.pollOnce()
        try await tick()
    }

    /// Matches what is queued, then runs the sessions' clock.
    func tick() async throws {
        try await app.matcher.drain()
        try await app.clock.tick()
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

    func call(_ method: HTTPRequest.Method, _ path: String, body: String? = nil, key: String?? = .none, headers: HTTPFields = [:])
        async throws
        -> Reply
    {
        try await call(method, path, bytes: body.map { Array($0.utf8) }, key: key, headers: headers)
    }

    /// The same with a body of raw bytes (which need not be valid UTF-8).
    func call(_ method: HTTPRequest.Method, _ path: String, bytes body: [UInt8]?, key: String?? = .none, headers: HTTPFields = [:])
        async throws
        -> Reply
    {
        let app = Application(responder: self.app.responder)
        var fields = headers
        let chosen: String? = key ?? self.key
        if let chosen { fields[.authorization] = "Bearer \(chosen)" }
        if body != nil { fields[.contentType] = "application/json" }
        let sent = fields
        return try await app.test(.router) { client in
            let response = try await client.execute(uri: path, method: method, headers: sent, body: body.map { ByteBuffer(bytes: $0) })
            return Reply(status: Int(response.status.code), headers: response.headers, body: String(buffer: response.body))
        }
    }

    /// Creates a session and returns its JSON (fails the test on any other status than 201).
    func createSession(_ body: String = #"{"amount":"12.50","currency":"USDC"}"#, key: String? = nil) async throws -> JSONObject {
        let reply = try await call(.post, "/v1/payment_sessions", body: body, key: key.map { .some($0) } ?? .none)
        guard reply.status == 201 else { throw FixtureError("create returned \(reply.status): \(reply.body)") }
        return reply.json
    }

    /// The checkout page's report of `tx` for `session`, signed (personal_sign) by devchain
    /// account `signedBy` when given.
    func claim(_ session: JSONObject, tx: TxHash, signedBy account: Int? = nil, network: String = "devnet") async throws -> Reply {
        var body = #"{"client_secret":"\#(session.string("client_secret")!)","tx_hash":"\#(tx.hex)","network":"\#(network)""#
        if let account {
            let message = CheckoutClaim.message(session: session.id, network: network, transaction: tx)
            let signature = chain.keys[account].signPersonalMessage(Array(message.utf8)).rsv
            body += #","signature":"\#(Hex.encode(signature))""#
        }
        return try await call(.post, "/checkout/\(session.id)/transactions", body: body + "}", key: .some(nil))
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

    /// The name of the fixture's database.
    func databaseName() async throws -> String {
        let rows = try await client.query("SELECT current_database()::text", logger: Self.logger)
        for try await name in rows.decode(String.self) { return name }
        throw FixtureError("no current database")
    }

    /// Statements of the fixture's database waiting for a lock.
    func lockWaiters() async throws -> Int {
        let rows = try await client.query(
            "SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
            logger: Self.logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    func execute(_ sql: String) async throws {
        try await client.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger)
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
