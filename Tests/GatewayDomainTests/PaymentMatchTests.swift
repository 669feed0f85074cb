import EthereumCore
import GatewayDomain
import Testing

/// Which session a new transfer pays: every rule of ``PaymentMatch`` as a row.
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
            name: "the exact amount due of a reserved option", transfer: Build.transfer(amount: 12_500_001),
            candidates: [Build.session("ps_a"), Build.session("ps_b", due: 12_500_002)],
            expected: .init(sessionId: "ps_a", reason: .amountDue)),
        Case(
            name: "an amount due that is no longer reserved does not match", transfer: Build.transfer(amount: 12_500_001),
            candidates: [Build.session("ps_a", status: .expired, reserved: false)], expected: nil),
        Case(
            name: "an amount due to another address does not match", transfer: Build.transfer(amount: 12_500_001, to: Build.otherMerchant),
            candidates: [Build.session("ps_a")], expected: nil),
        Case(
            name: "an amount due in another token does not match", transfer: Build.transfer(amount: 12_500_001, token: Build.otherToken),
            candidates: [Build.session("ps_a")], expected: nil),
        Case(
            name: "a claim binds any amount of its transaction to an option's token and address",
            transfer: Build.transfer(amount: 5, tx: 7), candidates: [Build.session("ps_a", claims: [Build.txHash(7)])],
            expected: .init(sessionId: "ps_a", reason: .claim)),
        Case(
            name: "a claim comes before an exact amount due", transfer: Build.transfer(amount: 12_500_001, tx: 7),
            candidates: [Build.session("ps_a"), Build.session("ps_b", due: 12_500_002, claims: [Build.txHash(7)])],
            expected: .init(sessionId: "ps_b", reason: .claim)),
        Case(
            name: "a claim by a canceled session does not bind", transfer: Build.transfer(amount: 5, tx: 7),
            candidates: [Build.session("ps_a", status: .canceled, claims: [Build.txHash(7)])], expected: nil),
        Case(
            name: "a claim does not bind a transfer to another address",
            transfer: Build.transfer(amount: 5, to: Build.otherMerchant, tx: 7),
            candidates: [Build.session("ps_a", claims: [Build.txHash(7)])], expected: nil),
        Case(
            name: "the exact remainder of the one partially paid session", transfer: Build.transfer(amount: 2_500_001),
            candidates: [Build.session("ps_a", payments: [Build.payment(10_000_000)])],
            expected: .init(sessionId: "ps_a", reason: .remainder)),
        Case(
            name: "a remainder two sessions share matches neither", transfer: Build.transfer(amount: 2_500_001),
            candidates: [
                Build.session("ps_a", payments: [Build.payment(10_000_000)]),
                Build.session("ps_b", payments: [Build.payment(10_000_000, id: 98)]),
            ], expected: nil),
        Case(
            name: "a removed payment does not count toward the remainder", transfer: Build.transfer(amount: 2_500_001),
            candidates: [Build.session("ps_a", payments: [Build.payment(10_000_000, state: .removed)])], expected: nil),
        Case(
            name: "a late payment does not count toward the remainder", transfer: Build.transfer(amount: 2_500_001),
            candidates: [Build.session("ps_a", payments: [Build.payment(10_000_000, late: true)])], expected: nil),
        Case(
            name: "only pending sessions take a remainder", transfer: Build.transfer(amount: 2_500_001),
            candidates: [Build.session("ps_a", status: .expired, payments: [Build.payment(10_000_000)])], expected: nil),
        Case(
            name: "a remainder is counted in the option's token: 12 decimals ask 10^6 times more",
            transfer: Build.transfer(amount: 2_500_001_000_000),
            candidates: [Build.session("ps_a", decimals: 12, payments: [Build.payment(10_000_000)])],
            expected: .init(sessionId: "ps_a", reason: .remainder)),
        Case(
            name: "a transfer that left the chain matches nothing", transfer: Build.transfer(amount: 12_500_001, state: .removed),
            candidates: [Build.session("ps_a")], expected: nil),
        Case(name: "no candidate, no match", transfer: Build.transfer(amount: 12_500_001), candidates: [], expected: nil),
    ]

    @Test(arguments: cases)
    func decides(_ row: Case) {
        #expect(PaymentMatch.decide(row.transfer, candidates: row.candidates) == row.expected)
    }

    @Test func matchedByFollowsTheReason() {
        #expect(PaymentMatch.Decision(sessionId: "ps_a", reason: .claim).matchedBy == .transaction)
        #expect(PaymentMatch.Decision(sessionId: "ps_a", reason: .amountDue).matchedBy == .amount)
        #expect(PaymentMatch.Decision(sessionId: "ps_a", reason: .remainder).matchedBy == .amount)
    }
}
