import EthereumCore
import GatewayDomain
import Testing

@Suite("Session planning")
struct SessionPlanTests {
    static let usdc = try! Address("0x5FbDB2315678afecb367f032d93F642f64180aa3")
    static let usdt = try! Address("0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512")
    static let shop = try! Address("0x00000000000000000000000000000000000d0D01")
    static let devnet = PayableNetwork(
        name: "devnet", chainId: 1337, livemode: false, confirmations: 3,
        tokens: [.init(symbol: "USDC", address: usdc, decimals: 6), .init(symbol: "USDT", address: usdt, decimals: 6)], payTo: shop)
    static let sepolia = PayableNetwork(
        name: "sepolia", chainId: 11_155_111, livemode: false, confirmations: 3,
        tokens: [.init(symbol: "USDC", address: usdc, decimals: 6)], payTo: nil)
    static let mainnet = PayableNetwork(
        name: "ethereum", chainId: 1, livemode: true, confirmations: 12, tokens: [.init(symbol: "USDC", address: usdc, decimals: 6)],
        payTo: shop)
    static let all = [devnet, sepolia, mainnet]

    @Test("USD is paid in every USD stablecoin of the key's networks that have a receiving address")
    func usdOptions() throws {
        let plan = try SessionPlan.plan(NewSessionRequest(amount: "12.5", currency: "usd"), livemode: false, available: Self.all)
        #expect(plan.amount == "12.50")
        #expect(plan.currency == "USD")
        #expect(plan.scale == 6)
        #expect(plan.priceUnits == UInt256(12_500_000))
        #expect(plan.options.map { "\($0.network)/\($0.token)" } == ["devnet/USDC", "devnet/USDT"])
        #expect(plan.options[0].amountDue(priceUnits: plan.priceUnits, offset: 137) == UInt256(12_500_137))
        #expect(plan.expiresIn == 3600)
    }

    @Test("a token currency is paid in that token only")
    func tokenCurrency() throws {
        let plan = try SessionPlan.plan(NewSessionRequest(amount: "100", currency: "USDT"), livemode: false, available: Self.all)
        #expect(plan.options.map(\.token) == ["USDT"])
        #expect(plan.amount == "100.00")
        let precise = try SessionPlan.plan(NewSessionRequest(amount: "0.000001", currency: "USDC"), livemode: false, available: Self.all)
        #expect(precise.amount == "0.000001")
        #expect(precise.priceUnits == UInt256(1))
    }

    static let refusals: [(NewSessionRequest, Bool, String, String?)] = [
        (NewSessionRequest(amount: "1.0000001", currency: "USDC"), false, "amount_invalid", "amount"),
        (NewSessionRequest(amount: "-5", currency: "USDC"), false, "amount_invalid", "amount"),
        (NewSessionRequest(amount: "0.000000", currency: "USDC"), false, "amount_invalid", "amount"),
        (NewSessionRequest(amount: "1,5", currency: "USDC"), false, "amount_invalid", "amount"),
        (NewSessionRequest(amount: " 1", currency: "USDC"), false, "amount_invalid", "amount"),
        (NewSessionRequest(amount: "1", currency: "EUR"), false, "currency_invalid", "currency"),
        (NewSessionRequest(amount: "1", currency: "USD", networks: []), false, "networks_invalid", "networks"),
        (NewSessionRequest(amount: "1", currency: "USD", networks: ["ethereum"]), false, "network_not_allowed", "networks"),
        (NewSessionRequest(amount: "1", currency: "USD", networks: ["devnet"]), true, "network_not_allowed", "networks"),
        (NewSessionRequest(amount: "1", currency: "USD", networks: ["sepolia"]), false, "network_unavailable", "networks"),
        (NewSessionRequest(amount: "1", currency: "USD", tokens: ["DAI"]), false, "token_invalid", "tokens"),
        (NewSessionRequest(amount: "1", currency: "USDC", tokens: ["USDT"]), false, "tokens_invalid", "tokens"),
        (NewSessionRequest(amount: "1", currency: "USDC", expiresIn: 59), false, "expires_in_invalid", "expires_in"),
        (NewSessionRequest(amount: "1", currency: "USDC", expiresIn: 604_801), false, "expires_in_invalid", "expires_in"),
        (
            NewSessionRequest(amount: "1", currency: "USDC", description: String(repeating: "d", count: 501)), false, "description_invalid",
            "description"
        ),
        (NewSessionRequest(amount: "1", currency: "USDC", metadata: ["": "x"]), false, "metadata_invalid", "metadata"),
        (
            NewSessionRequest(amount: "1", currency: "USDC", metadata: Dictionary(uniqueKeysWithValues: (0..<21).map { ("k\($0)", "v") })),
            false,
            "metadata_invalid", "metadata"
        ),
        (NewSessionRequest(amount: "1", currency: "USDC", successURL: "ftp://shop.example/ok"), false, "url_invalid", "success_url"),
        (NewSessionRequest(amount: "1", currency: "USDC", cancelURL: "https://shop.example/a b"), false, "url_invalid", "cancel_url"),
        (NewSessionRequest(amount: "1", currency: "USDC", successURL: "https://"), false, "url_invalid", "success_url"),
    ]

    @Test("refusals name the field and the rule", arguments: refusals)
    func refusal(request: NewSessionRequest, livemode: Bool, code: String, param: String?) {
        #expect {
            try SessionPlan.plan(request, livemode: livemode, available: Self.all)
        } throws: { error in
            guard let error = error as? RequestError else { return false }
            return error.code == code && error.param == param && !error.message.isEmpty
        }
    }

    @Test("a live key sees live networks only")
    func liveMode() throws {
        let plan = try SessionPlan.plan(NewSessionRequest(amount: "5", currency: "USD"), livemode: true, available: Self.all)
        #expect(plan.options.map(\.network) == ["ethereum"])
    }
}

@Suite("API values")
struct APIValueTests {
    @Test(
        "timestamps print as RFC 3339 UTC",
        arguments: [
            (Int64(0), "1970-01-01T00:00:00Z"), (1_795_347_296, "2026-11-22T11:34:56Z"), (951_782_400, "2000-02-29T00:00:00Z"),
            (-1, "1969-12-31T23:59:59Z"), (253_402_300_799, "9999-12-31T23:59:59Z"),
        ])
    func timestamps(seconds: Int64, text: String) {
        #expect(Timestamp(unixSeconds: seconds).rfc3339 == text)
    }

    @Test("JSON is written exactly: order kept, strings escaped, null for nil")
    func json() {
        let value = JSONValue.object(
            JSONObject([
                "b": .string("a\"b\\c\n</script>\u{01}"), "a": .int(-5), "n": .string(nil), "l": .array([.bool(true), .null]),
            ]))
        #expect(value.serialized == #"{"b":"a\"b\\c\n\u003c/script\u003e\u0001","a":-5,"n":null,"l":[true,null]}"#)
    }

    @Test("API key secrets: 32 base62 characters after the mode, a 12-character visible prefix")
    func apiKeys() throws {
        let secret = APIKeySecret(mode: .live)
        #expect(secret.secret.hasPrefix("sk_live_"))
        #expect(secret.secret.count == 40)
        #expect(secret.prefix == String(secret.secret.prefix(12)))
        #expect(APIKeySecret.prefix(of: secret.secret) == secret.prefix)
        #expect(!"\(secret)".contains(secret.secret))
        #expect(APIKeySecret.prefix(of: "sk_live_short") == nil)
        #expect(APIKeySecret.prefix(of: "sk_test_" + String(repeating: "-", count: 32)) == nil)
        #expect(APIKeySecret.prefix(of: "pk_test_" + String(repeating: "a", count: 32)) == nil)
        #expect(throws: RequestError.self) { try APIScope.parseList("read,delete") }
        #expect(try APIScope.parseList("write, read,read") == [.read, .write])
        #expect(ObjectID.isWellFormed(ObjectID.make("ps"), prefix: "ps"))
        #expect(!ObjectID.isWellFormed("ps_../../etc", prefix: "ps"))
    }
}
