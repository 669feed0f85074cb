import EthereumCore

/// A network a merchant can be paid on, as the session planner needs it.
public struct PayableNetwork: Sendable, Hashable {
    public struct Token: Sendable, Hashable {
        public let symbol: String
        public let address: Address
        public let decimals: Int

        public init(symbol: String, address: Address, decimals: Int) {
            self.symbol = symbol
            self.address = address
            self.decimals = decimals
        }
    }

    public let name: String
    public let chainId: UInt64
    public let livemode: Bool
    public let confirmations: Int
    public let tokens: [Token]
    /// The merchant's receiving address on this network, if it has one.
    public let payTo: Address?

    public init(name: String, chainId: UInt64, livemode: Bool, confirmations: Int, tokens: [Token], payTo: Address?) {
        self.name = name
        self.chainId = chainId
        self.livemode = livemode
        self.confirmations = confirmations
        self.tokens = tokens
        self.payTo = payTo
    }
}

/// What a merchant asked for in `POST /v1/payment_sessions`, with JSON types already checked.
public struct NewSessionRequest: Sendable, Hashable {
    public var amount: String
    public var currency: String
    public var networks: [String]?
    public var tokens: [String]?
    public var description: String?
    public var metadata: [String: String]?
    public var expiresIn: Int?
    public var successURL: String?
    public var cancelURL: String?

    public init(
        amount: String, currency: String, networks: [String]? = nil, tokens: [String]? = nil, description: String? = nil,
        metadata: [String: String]? = nil, expiresIn: Int? = nil, successURL: String? = nil, cancelURL: String? = nil
    ) {
        self.amount = amount
        self.currency = currency
        self.networks = networks
        self.tokens = tokens
        self.description = description
        self.metadata = metadata
        self.expiresIn = expiresIn
        self.successURL = successURL
        self.cancelURL = cancelURL
    }
}

/// One way to pay a planned session.
public struct PlannedOption: Sendable, Hashable {
    public let network: String
    public let chainId: UInt64
    public let token: String
    public let tokenAddress: Address
    public let decimals: Int
    public let payTo: Address
    public let confirmations: Int
    /// How the token's base units relate to the session's scale.
    public let scale: AmountScale

    /// The amount due for a session whose price and offset are given in the session's scale.
    public func amountDue(priceUnits: UInt256, offset: UInt64) -> UInt256 {
        scale.toToken(priceUnits + UInt256(offset))
    }
}

/// A validated session, ready to store: the price at the session's scale and its options.
public struct SessionPlan: Sendable, Hashable {
    /// The price as shown back: at least two decimals, no trailing zeros beyond.
    public let amount: String
    public let currency: String
    /// Decimals of the least precise accepted token: amounts are counted at this scale.
    public let scale: Int
    public let priceUnits: UInt256
    public let options: [PlannedOption]
    public let description: String?
    public let metadata: [String: String]
    public let expiresIn: Int
    public let successURL: String?
    public let cancelURL: String?

    public static let expiresInRange = 60...604_800
    public static let defaultExpiresIn = 3600
    public static let maxMetadataPairs = 20
    public static let maxMetadataKeyLength = 40
    public static let maxTextLength = 500
    public static let maxURLLength = 2048
    /// Symbols of USD stablecoins, accepted 1:1 for currency `USD`.
    public static let usdStablecoins: Set<String> = ["USDC", "USDT", "USDC.E"]

    /// Validates `request` for a merchant whose key acts in `livemode`, over the networks the
    /// gateway runs (`available`, each with the merchant's address if any). Every refusal
    /// says which field is wrong and how to fix it.
    public static func plan(_ request: NewSessionRequest, livemode: Bool, available: [PayableNetwork]) throws(RequestError) -> SessionPlan {
        let currency = request.currency.uppercased()
        let isUSD = currency == "USD"
        let knownSymbols = Set(available.flatMap { $0.tokens.map { $0.symbol.uppercased() } })
        guard isUSD || knownSymbols.contains(currency) else {
            throw RequestError(
                code: "currency_invalid", param: "currency",
                "'\(request.currency)' is not a currency this gateway accepts; use USD or one of \(knownSymbols.sorted().joined(separator: ", "))"
            )
        }

        let modeNetworks = available.filter { $0.livemode == livemode }
        let networks: [PayableNetwork]
        if let names = request.networks {
            guard !names.isEmpty else {
                throw RequestError(
                    code: "networks_invalid", param: "networks", "networks may not be empty; leave it out to accept every network")
            }
            var picked: [PayableNetwork] = []
            for name in names {
                guard let network = available.first(where: { $0.name == name }) else {
                    throw RequestError(
                        code: "network_invalid", param: "networks",
                        "'\(name)' is not a network this gateway runs; use one of \(modeNetworks.map(\.name).sorted().joined(separator: ", "))"
                    )
                }
                guard network.livemode == livemode else {
                    throw RequestError(
                        code: "network_not_allowed", param: "networks",
                        livemode
                            ? "\(name) is a test network; a live key creates sessions on live networks only"
                            : "\(name) is a live network; a test key creates sessions on test networks only")
                }
                guard network.payTo != nil else {
                    throw RequestError(
                        .unprocessable, code: "network_unavailable", param: "networks",
                        "the merchant has no receiving address on \(name); add one or leave \(name) out")
                }
                if !picked.contains(network) { picked.append(network) }
            }
            networks = picked
        } else {
            networks = modeNetworks.filter { $0.payTo != nil }
        }

        let wanted: Set<String>?
        if let tokens = request.tokens {
            guard !tokens.isEmpty else {
                throw RequestError(code: "tokens_invalid", param: "tokens", "tokens may not be empty; leave it out to accept every token")
            }
            for token in tokens where !knownSymbols.contains(token.uppercased()) {
                throw RequestError(
                    code: "token_invalid", param: "tokens",
                    "'\(token)' is not a token this gateway accepts; use one of \(knownSymbols.sorted().joined(separator: ", "))")
            }
            wanted = Set(tokens.map { $0.uppercased() })
        } else {
            wanted = nil
        }
        if !isUSD, let wanted, wanted != [currency] {
            throw RequestError(
                code: "tokens_invalid", param: "tokens",
                "a session priced in \(currency) is paid in \(currency) only; leave tokens out or set it to [\"\(currency)\"]")
        }

        var chosen: [(PayableNetwork, PayableNetwork.Token)] = []
        for network in networks {
            for token in network.tokens {
                let symbol = token.symbol.uppercased()
                let fitsCurrency = isUSD ? usdStablecoins.contains(symbol) : symbol == currency
                if fitsCurrency, wanted?.contains(symbol) ?? true { chosen.append((network, token)) }
            }
        }
        guard !chosen.isEmpty else {
            throw RequestError(
                .unprocessable, code: "no_payment_options",
                "no accepted network and token can pay this session; check networks, tokens and the merchant's receiving addresses")
        }

        let scale = chosen.map(\.1.decimals).min()!
        let price: TokenAmount
        do {
            price = try TokenAmount(decimal: request.amount, decimals: scale)
        } catch let error {
            switch error {
            case .tooManyDecimals:
                throw RequestError(
                    code: "amount_invalid", param: "amount",
                    "amount '\(request.amount)' has more than \(scale) decimals; the accepted tokens cannot carry more")
            case .negative:
                throw RequestError(code: "amount_invalid", param: "amount", "amount must be positive, got '\(request.amount)'")
            case .overflow:
                throw RequestError(code: "amount_invalid", param: "amount", "amount '\(request.amount)' is too large")
            default:
                throw RequestError(
                    code: "amount_invalid", param: "amount", "amount must be a decimal string such as \"12.50\", got '\(request.amount)'")
            }
        }
        guard !price.baseUnits.isZero else {
            throw RequestError(code: "amount_invalid", param: "amount", "amount must be greater than zero")
        }
        // Room for the offset and the scaling to the most precise token, far below 2^256.
        guard price.baseUnits < UInt256.powerOfTen(60) else {
            throw RequestError(code: "amount_invalid", param: "amount", "amount '\(request.amount)' is too large")
        }

        if let text = request.description, text.count > maxTextLength {
            throw RequestError(
                code: "description_invalid", param: "description",
                "description is \(text.count) characters; at most \(maxTextLength) are kept")
        }
        let metadata = request.metadata ?? [:]
        guard metadata.count <= maxMetadataPairs else {
            throw RequestError(
                code: "metadata_invalid", param: "metadata", "metadata has \(metadata.count) keys; at most \(maxMetadataPairs) are allowed")
        }
        for (key, value) in metadata {
            guard (1...maxMetadataKeyLength).contains(key.count) else {
                throw RequestError(
                    code: "metadata_invalid", param: "metadata",
                    "metadata keys are 1 to \(maxMetadataKeyLength) characters; '\(key.prefix(50))' is not")
            }
            guard value.count <= maxTextLength else {
                throw RequestError(
                    code: "metadata_invalid", param: "metadata", "the metadata value of '\(key)' is longer than \(maxTextLength) characters"
                )
            }
        }
        let expiresIn = request.expiresIn ?? defaultExpiresIn
        guard expiresInRange.contains(expiresIn) else {
            throw RequestError(
                code: "expires_in_invalid", param: "expires_in",
                "expires_in is seconds from \(expiresInRange.lowerBound) to \(expiresInRange.upperBound), got \(expiresIn)")
        }
        for (name, value) in [("success_url", request.successURL), ("cancel_url", request.cancelURL)] {
            if let value { try checkURL(value, param: name) }
        }

        let options = chosen.map { network, token in
            PlannedOption(
                network: network.name, chainId: network.chainId, token: token.symbol, tokenAddress: token.address,
                decimals: token.decimals, payTo: network.payTo!, confirmations: network.confirmations,
                scale: AmountScale(tokenDecimals: token.decimals, sessionScale: scale))
        }
        return SessionPlan(
            amount: price.format(minimumFractionDigits: Swift.min(2, scale)), currency: currency, scale: scale,
            priceUnits: price.baseUnits, options: options, description: request.description, metadata: metadata,
            expiresIn: expiresIn, successURL: request.successURL, cancelURL: request.cancelURL)
    }

    /// An absolute http(s) URL with a host and no spaces or control characters.
    static func checkURL(_ text: String, param: String) throws(RequestError) {
        let lower = text.lowercased()
        let scheme = lower.hasPrefix("https://") ? 8 : lower.hasPrefix("http://") ? 7 : 0
        let host = text.dropFirst(scheme).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard scheme > 0, !host.isEmpty, text.count <= maxURLLength,
            text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && $0.value < 0x80 })
        else {
            throw RequestError(
                code: "url_invalid", param: param, "\(param) must be an absolute http or https URL of at most \(maxURLLength) characters")
        }
    }
}

/// Amounts as the API shows them: exact decimal text with at least two decimals.
public enum AmountText {
    public static func format(_ units: UInt256, scale: Int) -> String {
        TokenAmount(baseUnits: units, decimals: scale).format(minimumFractionDigits: Swift.min(2, scale))
    }
}

extension SessionPlan {
    /// The session this plan becomes when it is stored with `offset`: pending, nothing
    /// received, each option's amount due held for it. Its creation builds it here instead of
    /// reading it back, so the stored rows and the answer come from the same values.
    public func session(
        id: String, merchantId: String, livemode: Bool, offset: UInt64, clientSecret: String, createdAt: Timestamp, expiresAt: Timestamp
    ) -> PaymentSession {
        let options = options.enumerated().map { position, option in
            PaymentOption(
                position: position, network: option.network, chainId: option.chainId, token: option.token,
                tokenAddress: option.tokenAddress, decimals: option.decimals, payTo: option.payTo,
                amountDue: option.amountDue(priceUnits: priceUnits, offset: offset), confirmations: option.confirmations)
        }
        let reservations = options.map {
            AmountReservation(network: $0.network, token: $0.tokenAddress, payTo: $0.payTo, amount: $0.amountDue, kind: .amountDue)
        }
        return PaymentSession(
            id: id, merchantId: merchantId, livemode: livemode, status: .pending, statusReason: nil, amount: amount, currency: currency,
            scale: scale, priceUnits: priceUnits, offsetUnits: offset, description: description,
            metadata: metadata.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, successURL: successURL, cancelURL: cancelURL,
            clientSecret: clientSecret, expiresAt: expiresAt, timeline: SessionTimeline(completedAt: nil, monitorUntil: nil),
            createdAt: createdAt, options: options, payments: [], claims: [],
            reservations: reservations.sorted { $0.amount < $1.amount })
    }
}
