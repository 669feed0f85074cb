import EthereumCore

/// A change in a watched transfer, published to the rest of the program.
public struct MonitorEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case seen, confirming, confirmed, removed
    }

    public let kind: Kind
    public let network: String
    public let transfer: ObservedTransfer
    /// Confirmations when the event was raised (0 for `removed`).
    public let confirmations: Int
    /// Confirmations the network requires.
    public let required: Int

    public init(kind: Kind, network: String, transfer: ObservedTransfer, confirmations: Int, required: Int) {
        self.kind = kind
        self.network = network
        self.transfer = transfer
        self.confirmations = confirmations
        self.required = required
    }
}
