import EthereumCore

/// The balances below which a hot wallet needs funds, per asset (`native`: the gas coin; else a
/// token's symbol) at two levels: `warning` (fund it today) and `critical` (refunds are about to
/// stop). They are exported as `gateway_hot_wallet_balance_threshold_base_units` and the alerts
/// compare each balance with them; `gateway status` shows them beside the balances.
///
/// Defaults: the gas coin warns below enough gas for ``defaultWarningRefunds`` refunds and is
/// critical below ``defaultCriticalRefunds``, each refund reserving
/// ``RefundFeePolicy/referenceGasLimit`` gas at the network's fee cap (what the sender reserves
/// before it signs); a token's thresholds are 0 (off) unless configured, because how much of a
/// stablecoin a wallet should hold depends on the business, not on the chain.
public struct HotWalletThresholds: Sendable, Hashable {
    public enum Level: String, Sendable, Hashable, CaseIterable {
        case warning
        case critical
    }

    /// One asset's thresholds, in base units.
    public struct Asset: Sendable, Hashable {
        /// `native` or the token's symbol as the network names it.
        public let token: String
        public let decimals: Int
        public let warning: UInt256
        public let critical: UInt256

        public init(token: String, decimals: Int, warning: UInt256, critical: UInt256) {
            self.token = token
            self.decimals = decimals
            self.warning = warning
            self.critical = critical
        }

        public func threshold(_ level: Level) -> UInt256 { level == .warning ? warning : critical }
    }

    public let network: String
    /// The gas coin first, then the tokens in the network's order.
    public let assets: [Asset]

    public init(network: String, assets: [Asset]) {
        self.network = network
        self.assets = assets
    }

    public func asset(_ token: String) -> Asset? { assets.first { $0.token == token } }

    public static let defaultWarningRefunds: UInt64 = 50
    public static let defaultCriticalRefunds: UInt64 = 10

    /// What a network offers to configure: its name, the gas coin's decimals and its tokens.
    public struct Network: Sendable {
        public let name: String
        public let nativeDecimals: Int
        public let tokens: [(symbol: String, decimals: Int)]
        public let policy: RefundFeePolicy

        public init(name: String, nativeDecimals: Int, tokens: [(symbol: String, decimals: Int)], policy: RefundFeePolicy) {
            self.name = name
            self.nativeDecimals = nativeDecimals
            self.tokens = tokens
            self.policy = policy
        }
    }

    /// One `NETWORK:TOKEN:LEVEL=AMOUNT` as given, its amount still text in whole tokens: it is
    /// scaled by the token's decimals once the served networks are known (``resolve(_:networks:)``).
    public struct Setting: Sendable, Hashable {
        public let network: String
        public let token: String
        public let level: Level
        public let amount: String

        public init(network: String, token: String, level: Level, amount: String) {
            self.network = network
            self.token = token
            self.level = level
            self.amount = amount
        }

        /// Reads `NETWORK:TOKEN:LEVEL=AMOUNT`, such as `polygon:USDC:warning=1000` or
        /// `ethereum:native:critical=0.05`. The amount is checked for its form here (digits with
        /// an optional point, no sign or exponent); its decimals and range when it is resolved.
        public static func parse(_ text: String) throws(ThresholdError) -> Setting {
            let shown = String(text.prefix(80))
            let sides = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard sides.count == 2 else { throw .malformed(shown) }
            let names = sides[0].split(separator: ":", omittingEmptySubsequences: false)
            guard names.count == 3, names.allSatisfy({ !$0.isEmpty }) else { throw .malformed(shown) }
            guard let level = Level(rawValue: names[2].lowercased()) else { throw .unknownLevel(String(names[2].prefix(40))) }
            let amount = String(sides[1])
            do {
                // The form alone is checked here: at the scale of the text's own fraction.
                let fraction = amount.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).dropFirst().first?.count ?? 0
                _ = try TokenAmount(decimal: amount, decimals: min(fraction, TokenAmount.maxDecimals))
            } catch {
                throw .amount(shown, error)
            }
            return Setting(network: String(names[0]), token: String(names[1]), level: level, amount: amount)
        }
    }

    /// Every served network's thresholds: the defaults, replaced by the settings that name
    /// them. A setting naming a network not served, a token the network does not list, or the
    /// same threshold twice is refused, as is an amount with more decimals than its token has
    /// or past 2^256 − 1 base units, and a warning threshold below a critical one (unless the
    /// warning is 0: off).
    public static func resolve(_ settings: [Setting], networks: [Network]) throws(ThresholdError) -> [String: HotWalletThresholds] {
        var given: [String: [String: [Level: UInt256]]] = [:]
        for setting in settings {
            guard let network = networks.first(where: { $0.name == setting.network }) else {
                throw .unknownNetwork(String(setting.network.prefix(40)), served: networks.map(\.name))
            }
            let decimals: Int
            let token: String
            if setting.token.lowercased() == "native" {
                (token, decimals) = ("native", network.nativeDecimals)
            } else if let listed = network.tokens.first(where: { $0.symbol.lowercased() == setting.token.lowercased() }) {
                (token, decimals) = (listed.symbol, listed.decimals)
            } else {
                let listed = ["native"] + network.tokens.map(\.symbol)
                throw .unknownToken(String(setting.token.prefix(40)), network: network.name, listed: listed)
            }
            guard given[network.name]?[token]?[setting.level] == nil else {
                throw .duplicate("\(network.name):\(token):\(setting.level.rawValue)")
            }
            guard (0...TokenAmount.maxDecimals).contains(decimals) else { throw .unsupportedDecimals("\(network.name):\(token)") }
            let amount: TokenAmount
            do {
                amount = try TokenAmount(decimal: setting.amount, decimals: decimals)
            } catch {
                throw .amount("\(network.name):\(token):\(setting.level.rawValue)=\(setting.amount.prefix(80))", error)
            }
            given[network.name, default: [:]][token, default: [:]][setting.level] = amount.baseUnits
        }
        var out: [String: HotWalletThresholds] = [:]
        for network in networks {
            let native = defaultNative(network.policy)
            let defaults =
                [Asset(token: "native", decimals: network.nativeDecimals, warning: native.warning, critical: native.critical)]
                + network.tokens.map { Asset(token: $0.symbol, decimals: $0.decimals, warning: .zero, critical: .zero) }
            var assets: [Asset] = []
            for fallback in defaults {
                let chosen = given[network.name]?[fallback.token] ?? [:]
                let asset = Asset(
                    token: fallback.token, decimals: fallback.decimals, warning: chosen[.warning] ?? fallback.warning,
                    critical: chosen[.critical] ?? fallback.critical)
                if !asset.warning.isZero, asset.critical > asset.warning {
                    throw .warningBelowCritical("\(network.name):\(asset.token)")
                }
                assets.append(asset)
            }
            out[network.name] = HotWalletThresholds(network: network.name, assets: assets)
        }
        return out
    }

    /// The gas coin's default thresholds: ``defaultWarningRefunds`` and
    /// ``defaultCriticalRefunds`` refunds at ``RefundFeePolicy/referenceRefundCost``.
    public static func defaultNative(_ policy: RefundFeePolicy) -> (warning: UInt256, critical: UInt256) {
        let cost = policy.referenceRefundCost
        return (saturatingProduct(cost, defaultWarningRefunds), saturatingProduct(cost, defaultCriticalRefunds))
    }

    /// How many more refunds `native` wei pay when each reserves `gasLimit` gas at
    /// `maxFeePerGas`: `native / (gasLimit × maxFeePerGas)`, rounded down (what
    /// `gateway_hot_wallet_gas_runway_refunds` reports). A cost of 0 (a free chain) or a quotient
    /// past 2^64 − 1 gives 2^64 − 1.
    public static func gasRunway(native: UInt256, gasLimit: UInt64, maxFeePerGas: UInt256) -> UInt64 {
        let (cost, overflow) = UInt256(gasLimit).multipliedReportingOverflow(by: maxFeePerGas)
        if overflow { return 0 }
        if cost.isZero { return .max }
        return (native / cost).uint64 ?? .max
    }

    static func saturatingProduct(_ value: UInt256, _ factor: UInt64) -> UInt256 {
        let (product, overflow) = value.multipliedReportingOverflow(by: UInt256(factor))
        return overflow ? .max : product
    }
}

/// Why a hot-wallet threshold was refused; the message names what to give instead.
public enum ThresholdError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)
    case unknownLevel(String)
    case unknownNetwork(String, served: [String])
    case unknownToken(String, network: String, listed: [String])
    case duplicate(String)
    case amount(String, AmountError)
    case warningBelowCritical(String)
    case unsupportedDecimals(String)

    public var description: String {
        switch self {
        case .malformed(let text):
            return "hot wallet threshold '\(text)' is not NETWORK:TOKEN:LEVEL=AMOUNT (such as polygon:USDC:warning=1000)"
        case .unknownLevel(let level): return "hot wallet threshold level '\(level)' is neither warning nor critical"
        case .unknownNetwork(let network, let served):
            return "hot wallet threshold for \(network), which is not served (served: \(served.joined(separator: ", ")))"
        case .unknownToken(let token, let network, let listed):
            return "hot wallet threshold for \(token) on \(network), which lists \(listed.joined(separator: ", "))"
        case .duplicate(let name): return "hot wallet threshold \(name) is given twice"
        case .amount(let text, let error): return "hot wallet threshold '\(text)': \(error) (amounts are in whole tokens)"
        case .warningBelowCritical(let name):
            return "hot wallet thresholds of \(name): warning is below critical (give warning ≥ critical, or warning 0: off)"
        case .unsupportedDecimals(let name): return "hot wallet threshold for \(name): its decimals are out of range"
        }
    }
}

extension RefundFeePolicy {
    /// The gas one refund is assumed to reserve when no refund is at hand: 65,000 (the most a
    /// listed stablecoin's transfer needs; USDT about 63,000) plus ``gasMarginPercent``, as
    /// ``gasLimit(estimate:)`` makes of an estimate: 81,250 with the default margin.
    public var referenceGasLimit: UInt64 { gasLimit(estimate: 65_000) ?? maxGasLimit }

    /// The most one refund's gas may cost: ``referenceGasLimit`` × ``maxFee`` (the fee cap).
    public var referenceRefundCost: UInt256 {
        HotWalletThresholds.saturatingProduct(maxFee, referenceGasLimit)
    }
}
