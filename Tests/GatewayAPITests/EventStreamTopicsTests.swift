import EthereumCore
import GatewayDomain
import GatewayStore
import Testing

@testable import GatewayAPI

/// What wakes a checkout event stream: its session's notices always; a network's new blocks
/// only while a payment on that network is still gaining confirmations.
@Suite struct EventStreamTopicsTests {
    static let usdc = try! Address("0x5fbdb2315678afecb367f032d93f642f64180aa3")
    static let merchant = try! Address("0x00000000000000000000000000000000000d0d01")
    static let now = Timestamp(unixSeconds: 1_750_000_000)

    static func payment(_ network: String, _ state: ChainTransfer.State, _ index: Int) -> Payment {
        let transfer = ChainTransfer(
            id: Int64(index), network: network, chainId: 1, blockNumber: 100, blockHash: BlockHash(raw: Keccak256.hash(text: "b")),
            transactionHash: TxHash(raw: Keccak256.hash(text: "tx \(index)")), logIndex: 0, token: usdc, from: merchant, to: merchant,
            amount: 1_000_000, state: state, confirmations: 1, seenAt: now)
        return Payment(
            transfer: transfer, token: "USDC", decimals: 6, credited: 1_000_000, late: false, matchedBy: .amount, confirmationsRequired: 3,
            createdAt: now)
    }

    static func session(_ payments: [Payment]) -> PaymentSession {
        PaymentSession(
            id: "ps_topics", merchantId: "mer_x", livemode: false, status: payments.isEmpty ? .pending : .confirming, statusReason: nil,
            amount: "1.00", currency: "USDC", scale: 6, priceUnits: 1_000_000, offsetUnits: 1, description: nil, metadata: [],
            successURL: nil, cancelURL: nil, clientSecret: "cs", expiresAt: now,
            timeline: SessionTimeline(completedAt: nil, monitorUntil: nil),
            createdAt: now, options: [], payments: payments, claims: [])
    }

    @Test(
        arguments: [
            ([], [ChangeTopic.session("ps_topics")]),
            ([payment("devnet", .seen, 1)], [.session("ps_topics"), .checkpoint("devnet")]),
            ([payment("devnet", .confirmed, 1)], [.session("ps_topics")]),
            ([payment("devnet", .removed, 1)], [.session("ps_topics")]),
            (
                [payment("devnet", .confirmed, 1), payment("polygon", .seen, 2), payment("polygon", .seen, 3)],
                [.session("ps_topics"), .checkpoint("polygon")]
            ),
        ] as [([Payment], [ChangeTopic])])
    func topics(payments: [Payment], expected: [ChangeTopic]) {
        #expect(EventStreams.topics(Self.session(payments)) == Set(expected))
    }
}
