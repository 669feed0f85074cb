import EthereumCore

/// A native or token balance of an address at a block.
public struct AddressBalance: Hashable, Sendable {
    public let address: Address
    /// `nil` for the native currency.
    public let token: Address?
    public let amount: UInt256
    public let blockNumber: UInt64

    public init(address: Address, token: Address?, amount: UInt256, blockNumber: UInt64) {
        self.address = address
        self.token = token
        self.amount = amount
        self.blockNumber = blockNumber
    }
}
