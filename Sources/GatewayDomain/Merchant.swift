import EthereumCore

/// A merchant's receiving address on one network.
public struct ReceiveAddress: Sendable, Hashable {
    public let network: String
    public let address: Address

    public init(network: String, address: Address) {
        self.network = network
        self.address = address
    }
}

/// A merchant: a name shown on the checkout page and one receiving address per network.
public struct Merchant: Sendable, Hashable {
    public let id: String
    public let name: String
    public let addresses: [ReceiveAddress]
    public let createdAt: Timestamp

    public init(id: String, name: String, addresses: [ReceiveAddress], createdAt: Timestamp) {
        self.id = id
        self.name = name
        self.addresses = addresses
        self.createdAt = createdAt
    }

    public static let nameLengths = 1...200

    /// The networks the gateway runs, each with this merchant's address on it when it has one.
    public func payableNetworks(_ networks: [PayableNetwork]) -> [PayableNetwork] {
        networks.map { network in
            PayableNetwork(
                name: network.name, chainId: network.chainId, livemode: network.livemode, confirmations: network.confirmations,
                tokens: network.tokens, payTo: addresses.first { $0.network == network.name }?.address)
        }
    }
}

/// A merchant to create, checked: a trimmed name of 1 to 200 characters and at most one
/// receiving address per network, each on a network the gateway runs.
public struct MerchantDraft: Sendable, Hashable {
    public let name: String
    public let addresses: [ReceiveAddress]

    public init(name: String, addresses: [ReceiveAddress], networks: [String]) throws(RequestError) {
        let name = name.trimming(" \t\n\r")
        guard Merchant.nameLengths.contains(name.count) else {
            throw RequestError(code: "name_invalid", param: "name", "a merchant's name is 1 to 200 characters")
        }
        try TextField.check(name, param: "name")
        var seen = Set<String>()
        for address in addresses {
            guard networks.contains(address.network) else {
                throw RequestError(
                    code: "network_invalid", param: "receive_address",
                    "'\(address.network)' is not a configured network; use one of \(networks.sorted().joined(separator: ", "))")
            }
            guard seen.insert(address.network).inserted else {
                throw RequestError(
                    code: "receive_address_invalid", param: "receive_address",
                    "give one receiving address per network; \(address.network) appears twice")
            }
        }
        self.name = name
        self.addresses = addresses
    }
}
