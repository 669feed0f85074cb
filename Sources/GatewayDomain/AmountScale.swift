import EthereumCore

/// How a token's base units relate to a session's scale. A session counts amounts at the
/// decimals of its least precise accepted token (its scale); an option paying a more precise
/// token asks for `factor` = 10^(token decimals − scale) base units per unit of the scale.
/// Every conversion between the two goes through here.
public struct AmountScale: Sendable, Hashable {
    public let tokenDecimals: Int
    public let sessionScale: Int
    /// Base units of the token per unit of the session's scale.
    public let factor: UInt256

    public init(tokenDecimals: Int, sessionScale: Int) {
        precondition(tokenDecimals >= sessionScale && sessionScale >= 0, "a session's scale is at most its tokens' decimals")
        self.tokenDecimals = tokenDecimals
        self.sessionScale = sessionScale
        self.factor = UInt256.powerOfTen(tokenDecimals - sessionScale)
    }

    /// Token base units counted at the session's scale: the part below the scale is not
    /// credited (a transfer of a more precise token never credits more than it carries).
    public func toSession(_ baseUnits: UInt256) -> UInt256 { baseUnits / factor }

    /// An amount at the session's scale in the token's base units.
    public func toToken(_ sessionUnits: UInt256) -> UInt256 { sessionUnits * factor }
}
