import EthereumCore
import GatewayDomain
import Testing

/// Which session a new transfer pays: every rule of ``PaymentMatch``, and every way a customer
/// could try to take a payment that is not theirs, as a row.
@Suite struct PaymentMatchTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let transfer: ChainTransfer
        let candidates: [PaymentSession]
        let expected: PaymentMatch.Decision?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "the exact amount due a session holds", transfer: Build.transfer(amount: 12_500_001),
            candidates: [Build.session("ps_a"), Build.session("ps_b", due: 12_500_002)],
            expected: .init(sessionId: "ps_a", reason: .amountDue)),
        Case(
            name: "an amount due no longer held does not match", transfer: Build.transfer(amount: 12_500_001),
            candidates: [Build.session("ps_a", status: .expired, reserved: false)], expected: nil),
        Case(
            name: "an amount due to another address does not match", transfer: Build.transfer(amount: 12_500_001, to: Build.otherMerchant),
            candidates: [Build.session("ps_a")], expected: nil),
        Case(
            name: "an amount due in another token does not match", transfer: Build.transfer(amount: 12_500_001, token: Build.otherToken),
            candidates: [Build.session("ps_a")], expected: nil),
        Case(
            name: "the remainder a partially paid session holds", transfer: Build.transfer(amount: 2_500_004),
            candidates: [Build.session("ps_a", payments: [Build.payment(10_000_000)], remainder: 2_500_004)],
            expected: .init(sessionId: "ps_a", reason: .remainder)),
        Case(
            name: "an exact remainder not held (another session holds that amount) is not a remainder",
            transfer: Build.transfer(amount: 2_500_001),
            candidates: [
                Build.session("ps_s1", payments: [Build.payment(10_000_000)], remainder: 2_500_002),
                Build.session("ps_s2", due: 2_500_001),
            ], expected: .init(sessionId: "ps_s2", reason: .amountDue)),
        Case(
            name: "an unsigned claim binds nothing", transfer: Build.transfer(amount: 5, tx: 7),
            candidates: [Build.session("ps_a", claims: [(Build.txHash(7), nil)])], expected: nil),
        Case(
            name: "a claim signed by the sender binds a transfer of another amount", transfer: Build.transfer(amount: 5, tx: 7),
            candidates: [Build.session("ps_a", claims: [(Build.txHash(7), Build.payer)])],
            expected: .init(sessionId: "ps_a", reason: .signedClaim)),
        Case(
            name: "front-running: a claim signed by someone else binds nothing", transfer: Build.transfer(amount: 5, tx: 7),
            candidates: [Build.session("ps_thief", claims: [(Build.txHash(7), Build.stranger)])], expected: nil),
        Case(
            name: "front-running: an exact amount another session holds beats any claim",
            transfer: Build.transfer(amount: 12_500_001, tx: 7),
            candidates: [
                Build.session("ps_thief", due: 1_000_001, claims: [(Build.txHash(7), Build.payer)]), Build.session("ps_payer"),
            ], expected: .init(sessionId: "ps_payer", reason: .amountDue)),
        Case(
            name: "harvesting: a transfer mined before the session was created", transfer: Build.transfer(amount: 5, tx: 7, minedAt: 899),
            candidates: [Build.session("ps_a", claims: [(Build.txHash(7), Build.payer)])], expected: nil),
        Case(
            name: "a transfer whose mining time is unknown is not bound by a claim",
            transfer: Build.transfer(amount: 5, tx: 7, minedAt: nil),
            candidates: [Build.session("ps_a", claims: [(Build.txHash(7), Build.payer)])], expected: nil),
        Case(
            name: "a signed claim by a canceled session does not bind", transfer: Build.transfer(amount: 5, tx: 7),
            candidates: [Build.session("ps_a", status: .canceled, claims: [(Build.txHash(7), Build.payer)])], expected: nil),
        Case(
            name: "a signed claim does not bind a transfer to another address",
            transfer: Build.transfer(amount: 5, to: Build.otherMerchant, tx: 7),
            candidates: [Build.session("ps_a", claims: [(Build.txHash(7), Build.payer)])], expected: nil),
        Case(
            name: "an amount held in a token of 12 decimals is matched in its own base units",
            transfer: Build.transfer(amount: 12_500_001_000_000), candidates: [Build.session("ps_a", decimals: 12)],
            expected: .init(sessionId: "ps_a", reason: .amountDue)),
        Case(
            name: "a transfer that left the chain matches nothing", transfer: Build.transfer(amount: 12_500_001, state: .removed),
            candidates: [Build.session("ps_a")], expected: nil),
        Case(name: "no candidate, no match", transfer: Build.transfer(amount: 12_500_001), candidates: [], expected: nil),
        Case(
            name: "a session with the most payments it takes takes no more", transfer: Build.transfer(amount: 2_500_001),
            candidates: [
                Build.session(
                    "ps_a", payments: (0..<Int64(PaymentSession.maxPayments)).map { Build.payment(1, id: 1_000 + $0) }, remainder: 2_500_001
                )
            ], expected: nil),
    ]

    @Test(arguments: cases)
    func decides(_ row: Case) {
        #expect(PaymentMatch.decide(row.transfer, candidates: row.candidates) == row.expected)
    }

    @Test func matchedByFollowsTheReason() {
        #expect(PaymentMatch.Decision(sessionId: "ps_a", reason: .signedClaim).matchedBy == .transaction)
        #expect(PaymentMatch.Decision(sessionId: "ps_a", reason: .amountDue).matchedBy == .amount)
        #expect(PaymentMatch.Decision(sessionId: "ps_a", reason: .remainder).matchedBy == .amount)
    }
}
