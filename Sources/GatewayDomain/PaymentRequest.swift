import EthereumCore

/// An EIP-681 payment link for an ERC-20 transfer, as wallets scan it from a QR code:
/// `ethereum:<token>@<chainId>/transfer?address=<payTo>&uint256=<base units>`.
public struct PaymentRequest: Hashable, Sendable {
    public let token: Address
    public let chainId: UInt64
    public let payTo: Address
    public let amount: UInt256

    public init(token: Address, chainId: UInt64, payTo: Address, amount: UInt256) {
        self.token = token
        self.chainId = chainId
        self.payTo = payTo
        self.amount = amount
    }

    /// The link. Amounts are written as plain base-unit integers: scientific notation,
    /// which EIP-681 allows, is avoided because some wallets misread it.
    public var uri: String {
        "ethereum:\(token.checksummed)@\(chainId)/transfer?address=\(payTo.checksummed)&uint256=\(amount.decimalString)"
    }
}
