import EthereumCore
import GatewayDomain
import Testing

/// Hot-wallet thresholds from `--hot-wallet-threshold` (exact base units, hostile text refused),
/// their defaults, the gas runway, and the causes of refund send errors, as tables.
@Suite struct HotWalletThresholdsTests {
    static let networks = [
        HotWalletThresholds.Network(
            name: "ethereum", nativeDecimals: 18, tokens: [("USDC", 6), ("USDT", 6)], policy: .defaults(network: "ethereum")),
        HotWalletThresholds.Network(name: "polygon", nativeDecimals: 18, tokens: [("USDC", 6)], policy: .defaults(network: "polygon")),
        HotWalletThresholds.Network(name: "devnet", nativeDecimals: 18, tokens: [("USDC", 6)], policy: .defaults(network: "devnet")),
    ]

    // MARK: Parsing

    @Test(
        arguments: [
            ("polygon:USDC:warning=1000", "polygon", "USDC", HotWalletThresholds.Level.warning, "1000"),
            ("ethereum:native:critical=0.05", "ethereum", "native", .critical, "0.05"),
            ("devnet:usdc:WARNING=0", "devnet", "usdc", .warning, "0"),
            ("a:b:critical=000.500", "a", "b", .critical, "000.500"),
        ])
    func parsesSettings(text: String, network: String, token: String, level: HotWalletThresholds.Level, amount: String) throws {
        #expect(
            try HotWalletThresholds.Setting.parse(text)
                == HotWalletThresholds.Setting(network: network, token: token, level: level, amount: amount))
    }

    @Test(
        arguments: [
            ("", ThresholdError.malformed("")),
            ("polygon:USDC:warning", .malformed("polygon:USDC:warning")),
            ("polygon:USDC=1", .malformed("polygon:USDC=1")),
            ("polygon:USDC:warning:x=1", .malformed("polygon:USDC:warning:x=1")),
            ("::warning=1", .malformed("::warning=1")),
            ("polygon:USDC:warn=1", .unknownLevel("warn")),
            ("polygon:USDC:warning=-1", .amount("polygon:USDC:warning=-1", .negative("-1"))),
            ("polygon:USDC:warning=", .amount("polygon:USDC:warning=", .empty)),
            ("polygon:USDC:warning=1e6", .amount("polygon:USDC:warning=1e6", .malformed("1e6"))),
            ("polygon:USDC:warning= 1", .amount("polygon:USDC:warning= 1", .malformed(" 1"))),
            ("polygon:USDC:warning=1.", .amount("polygon:USDC:warning=1.", .malformed("1."))),
            ("polygon:USDC:warning=0x10", .amount("polygon:USDC:warning=0x10", .malformed("0x10"))),
            ("polygon:USDC:warning=1=2", .amount("polygon:USDC:warning=1=2", .malformed("1=2"))),
            ("polygon:USDC:warning=１", .amount("polygon:USDC:warning=１", .malformed("１"))),
        ])
    func refusesMalformedSettings(text: String, error: ThresholdError) {
        #expect(throws: error) { try HotWalletThresholds.Setting.parse(text) }
    }

    // MARK: Resolving

    @Test("defaults: the gas coin warns below gas for 50 refunds at the fee cap and is critical below 10; tokens are off")
    func defaults() throws {
        let resolved = try HotWalletThresholds.resolve([], networks: Self.networks)
        // 65,000 gas + 25% = 81,250 gas per refund, at 200 gwei (ethereum), 1,000 (polygon), 100 (devnet).
        #expect(RefundFeePolicy.defaults(network: "ethereum").referenceGasLimit == 81_250)
        #expect(resolved["ethereum"]?.asset("native")?.warning == UInt256(812_500_000_000_000_000))
        #expect(resolved["ethereum"]?.asset("native")?.critical == UInt256(162_500_000_000_000_000))
        #expect(resolved["polygon"]?.asset("native")?.warning == UInt256(4_062_500_000_000_000_000))
        #expect(resolved["polygon"]?.asset("native")?.critical == UInt256(812_500_000_000_000_000))
        #expect(resolved["devnet"]?.asset("native")?.warning == UInt256(406_250_000_000_000_000))
        #expect(resolved["devnet"]?.asset("native")?.critical == UInt256(81_250_000_000_000_000))
        #expect(resolved["ethereum"]?.assets.map(\.token) == ["native", "USDC", "USDT"])
        for token in ["USDC", "USDT"] {
            #expect(resolved["ethereum"]?.asset(token) == .init(token: token, decimals: 6, warning: .zero, critical: .zero))
        }
    }

    @Test("settings replace the defaults they name, in exact base units; the token's case follows the network")
    func settings() throws {
        let settings = try [
            "polygon:usdc:warning=1000", "polygon:USDC:critical=100.5", "ethereum:native:critical=0.05",
            "ethereum:USDT:warning=0.000001", "ethereum:native:warning=123456789.123456789123456789",
        ].map(HotWalletThresholds.Setting.parse)
        let resolved = try HotWalletThresholds.resolve(settings, networks: Self.networks)
        #expect(resolved["polygon"]?.asset("USDC") == .init(token: "USDC", decimals: 6, warning: 1_000_000_000, critical: 100_500_000))
        #expect(resolved["ethereum"]?.asset("native")?.critical == UInt256(50_000_000_000_000_000))
        #expect(resolved["ethereum"]?.asset("native")?.warning == (try UInt256(decimal: "123456789123456789123456789")))
        #expect(resolved["ethereum"]?.asset("USDT")?.warning == 1)
        #expect(resolved["ethereum"]?.asset("USDT")?.critical == .zero)
        #expect(resolved["ethereum"]?.asset("USDC")?.warning == .zero)
        // Untouched networks keep their defaults.
        #expect(resolved["devnet"]?.asset("native")?.warning == UInt256(406_250_000_000_000_000))
    }

    @Test(
        arguments: [
            (["sepolia:native:warning=1"], ThresholdError.unknownNetwork("sepolia", served: ["ethereum", "polygon", "devnet"])),
            (["polygon:USDT:warning=1"], .unknownToken("USDT", network: "polygon", listed: ["native", "USDC"])),
            (["polygon:USDC:warning=1", "polygon:usdc:warning=2"], .duplicate("polygon:USDC:warning")),
            (["polygon:USDC:warning=1.0000001"], .amount("polygon:USDC:warning=1.0000001", .tooManyDecimals("1.0000001", allowed: 6))),
            (
                ["ethereum:native:warning=0.0000000000000000001"],
                .amount("ethereum:native:warning=0.0000000000000000001", .tooManyDecimals("0.0000000000000000001", allowed: 18))
            ),
            (
                ["polygon:USDC:warning=\(String(repeating: "9", count: 72))"],
                .amount(
                    "polygon:USDC:warning=\(String(repeating: "9", count: 72))", .overflow(String(repeating: "9", count: 72)))
            ),
            (["polygon:USDC:warning=100", "polygon:USDC:critical=101"], .warningBelowCritical("polygon:USDC")),
            // The gas coin's default warning is 4.0625 POL: a critical threshold above it needs a warning too.
            (["polygon:native:critical=5"], .warningBelowCritical("polygon:native")),
        ] as [([String], ThresholdError)])
    func refusesSettings(texts: [String], error: ThresholdError) throws {
        let settings = try texts.map(HotWalletThresholds.Setting.parse)
        #expect(throws: error) { try HotWalletThresholds.resolve(settings, networks: Self.networks) }
    }

    @Test("a warning of 0 turns the warning off whatever the critical threshold; equal thresholds are allowed")
    func warningOff() throws {
        let settings = try [
            "polygon:USDC:critical=100", "polygon:native:warning=0", "polygon:native:critical=5", "devnet:USDC:warning=7",
            "devnet:USDC:critical=7",
        ].map(HotWalletThresholds.Setting.parse)
        let resolved = try HotWalletThresholds.resolve(settings, networks: Self.networks)
        #expect(resolved["polygon"]?.asset("USDC")?.critical == 100_000_000)
        #expect(resolved["polygon"]?.asset("native")?.warning == .zero)
        #expect(resolved["polygon"]?.asset("native")?.critical == UInt256(5_000_000_000_000_000_000))
        #expect(resolved["devnet"]?.asset("USDC")?.warning == 7_000_000)
    }

    // MARK: Runway

    @Test(
        arguments: [
            // (native wei, gas limit, max fee per gas in wei, refunds)
            ("0", 81_250, "100000000000", 0),
            ("8124999999999999", 81_250, "100000000000", 0),  // one wei short of one refund
            ("8125000000000000", 81_250, "100000000000", 1),
            ("406250000000000000", 81_250, "100000000000", 50),
            ("406249999999999999", 81_250, "100000000000", 49),
            ("1000000000000000000", 21_000, "1", 47_619_047_619_047),
            ("1000000000000000000", 81_250, "0", UInt64.max),  // a free chain
            ("1000000000000000000", 0, "100", UInt64.max),
            (String(repeating: "9", count: 70), 1, "1", UInt64.max),  // clamped
            ("1", 300_000, "115792089237316195423570985008687907853269984665640564039457584007913129639935", 0),  // cost past 2^256
        ] as [(String, UInt64, String, UInt64)])
    func gasRunway(native: String, gasLimit: UInt64, maxFee: String, refunds: UInt64) throws {
        #expect(
            HotWalletThresholds.gasRunway(
                native: try UInt256(decimal: native), gasLimit: gasLimit, maxFeePerGas: try UInt256(decimal: maxFee)) == refunds)
    }

    // MARK: Send errors

    @Test(
        arguments: [
            (BroadcastOutcome.accepted, [], nil),
            (.accepted, ["request timed out"], nil),
            (.maybeSent, ["JSON-RPC error -32000: already known"], nil),
            (.maybeSent, ["JSON-RPC error -32000: nonce too low: next nonce 8, tx nonce 7"], .nonce),
            (.maybeSent, ["JSON-RPC error -32000: replacement transaction underpriced"], .underpriced),
            (.insufficientFunds, ["JSON-RPC error -32000: insufficient funds for gas * price + value"], .insufficientFunds),
            (.underpriced(minimumTip: 25_000_000_000), ["JSON-RPC error -32000: transaction underpriced"], .underpriced),
            (.rejected("invalid chain id"), ["JSON-RPC error -32000: invalid chain id"], .rejected),
            (.unavailable, ["JSON-RPC error -32000: nonce too high"], .nonce),
            (.unavailable, ["request timed out", "HTTP 429"], .timeout),
            (.unavailable, ["HTTP 503", "JSON-RPC error -32603: internal error"], .provider),
            (.unavailable, ["transport error: connection refused"], .provider),
            (.unavailable, ["malformed response: not JSON"], .provider),
            (.unavailable, [], .provider),
            (.unavailable, ["JSON-RPC error -32603: internal error"], .other),
            (.unavailable, ["JSON-RPC error -32000: nonce too high", "request timed out"], .nonce),
        ] as [(BroadcastOutcome, [String], RefundSendCause?)])
    func sendCause(outcome: BroadcastOutcome, refusals: [String], cause: RefundSendCause?) {
        #expect(RefundSendCause.classify(outcome, refusals: refusals) == cause)
    }

    @Test("the causes are a fixed, bounded set of metric label values")
    func causes() {
        #expect(
            RefundSendCause.allCases.map(\.rawValue) == [
                "nonce", "underpriced", "insufficient_funds", "rejected", "timeout", "provider", "other",
            ])
    }
}
