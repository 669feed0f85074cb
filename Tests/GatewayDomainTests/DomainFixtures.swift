import EthereumCore
import GatewayDomain

/// Small builders for sessions and transfers, so tables of cases read as data.
enum Build {
    static let token = try! Address("0x5FbDB2315678afecb367f032d93F642f64180aa3")
    static let otherToken = try! Address("0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512")
    static let merchant = try! Address("0x00000000000000000000000000000000000d0d01")
    static let otherMerchant = try! Address("0x00000000000000000000000000000000000d0d02")
    static let payer = try! Address("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
    static let stranger = try! Address("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC")
    /// When the sessions below were created.
    static let created = Timestamp(unixSeconds: 900)

    static func txHash(_ n: UInt64) -> TxHash { TxHash(raw: Bytes32(0x7a, 0, 0, n)) }
    static func blockHash(_ n: UInt64) -> BlockHash { BlockHash(raw: Bytes32(0xb1, 0, 0, n)) }

    static func transfer(
        id: Int64 = 1, amount: UInt256, to: Address = merchant, token: Address = token, tx: UInt64 = 1,
        state: ChainTransfer.State = .seen, network: String = "devnet", from: Address = payer, minedAt: Int64? = 1_000
    ) -> ChainTransfer {
        ChainTransfer(
            id: id, network: network, chainId: 1337, blockNumber: 10, blockHash: blockHash(10), transactionHash: txHash(tx), logIndex: 0,
            token: token, from: from, to: to, amount: amount, state: state, confirmations: 1, seenAt: Timestamp(unixSeconds: 1_000),
            blockTimestamp: minedAt.map(Timestamp.init(unixSeconds:)))
    }

    /// A session asking `due` units at scale 6 (price `due - offset`, offset 1), paid to `payTo`
    /// in `token`, holding its amount due while `reserved`, and `remainder` when given; with
    /// the given payments and claims (each claim a transaction and the address that signed it).
    static func session(
        _ id: String, due: UInt256 = 12_500_001, status: SessionStatus = .pending, reserved: Bool = true, payTo: Address = merchant,
        token: Address = token, decimals: Int = 6, payments: [Payment] = [], claims: [(TxHash, Address?)] = [], remainder: UInt256? = nil,
        expiresAt: Int64 = 5_000
    ) -> PaymentSession {
        let scale = AmountScale(tokenDecimals: decimals, sessionScale: 6)
        let option = PaymentOption(
            position: 0, network: "devnet", chainId: 1337, token: "USDC", tokenAddress: token, decimals: decimals, payTo: payTo,
            amountDue: scale.toToken(due), confirmations: 2)
        var reservations: [AmountReservation] = []
        if reserved {
            reservations.append(
                AmountReservation(network: "devnet", token: token, payTo: payTo, amount: option.amountDue, kind: .amountDue))
        }
        if let remainder {
            reservations.append(AmountReservation(network: "devnet", token: token, payTo: payTo, amount: remainder, kind: .remainder))
        }
        return PaymentSession(
            id: id, merchantId: "mer_1", livemode: false, status: status, statusReason: nil, amount: "12.50", currency: "USDC", scale: 6,
            priceUnits: due - 1, offsetUnits: 1, description: nil, metadata: [], successURL: nil, cancelURL: nil, clientSecret: "cs_1",
            expiresAt: Timestamp(unixSeconds: expiresAt), timeline: SessionTimeline(completedAt: nil, monitorUntil: nil),
            createdAt: created, options: [option], payments: payments,
            claims: claims.map { CheckoutClaim(network: "devnet", transactionHash: $0.0, signer: $0.1) }, reservations: reservations)
    }

    /// A payment of `amount` units already bound to a session.
    static func payment(_ amount: UInt256, id: Int64 = 99, state: ChainTransfer.State = .seen, late: Bool = false) -> Payment {
        Payment(
            transfer: transfer(id: id, amount: amount, tx: UInt64(id), state: state), token: "USDC", decimals: 6, credited: amount,
            late: late, matchedBy: .amount, confirmationsRequired: 2, createdAt: Timestamp(unixSeconds: 950))
    }
}
