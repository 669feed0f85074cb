import EthereumCore
import GatewayDomain
import Testing

@Suite struct PaymentRequestTests {
    @Test func eip681TransferLink() throws {
        let request = PaymentRequest(
            token: try Address("0x3c499c542cef5e3811e1192ce70d8cc03d5c3359"), chainId: 137,
            payTo: try Address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"), amount: 100_000_137)
        #expect(
            request.uri
                == "ethereum:0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359@137/transfer?address=0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed&uint256=100000137"
        )
        let big = PaymentRequest(token: request.token, chainId: 1, payTo: request.payTo, amount: .max)
        #expect(big.uri.hasSuffix("&uint256=115792089237316195423570985008687907853269984665640564039457584007913129639935"))
    }

    /// A generator that returns the given values in turn.
    struct Scripted: RandomNumberGenerator {
        var values: [UInt64]
        mutating func next() -> UInt64 { values.isEmpty ? 0 : values.removeFirst() }
    }

    struct OffsetCase: Sendable, CustomTestStringConvertible {
        let taken: [UInt64]
        let draw: UInt64
        let expected: UInt64?
        var testDescription: String { "taken \(taken), draw \(draw)" }
    }

    static let offsetCases: [OffsetCase] = [
        // The free offsets are 2, 4 and 5: the draw picks the first, second or third of them.
        OffsetCase(taken: [100_000_001, 100_000_003], draw: 0, expected: 2),
        OffsetCase(taken: [100_000_001, 100_000_003], draw: 1, expected: 4),
        OffsetCase(taken: [100_000_001, 100_000_003], draw: 2, expected: 5),
        // Amounts outside the price's offsets (another price's) take nothing.
        OffsetCase(taken: [99_999_999, 100_000_000, 100_000_006, 7], draw: 0, expected: 1),
        OffsetCase(taken: [99_999_999, 100_000_000, 100_000_006, 7], draw: 4, expected: 5),
        // Every offset taken: none.
        OffsetCase(taken: [100_000_001, 100_000_002, 100_000_003, 100_000_004, 100_000_005], draw: 0, expected: nil),
    ]

    @Test(arguments: offsetCases)
    func amountDueSkipsTakenOffsetsAndRunsOut(_ entry: OffsetCase) {
        // UInt64.random(in: 0..<n) maps the generator's value into the range; a scripted value
        // of draw · 2^64 / n lands on `draw`.
        let free = UInt64(5 - Set(entry.taken.filter { (100_000_001...100_000_005).contains($0) }).count)
        let raw = free == 0 ? 0 : UInt64((UInt128(entry.draw) << 64) / UInt128(free)) + 1
        var generator = Scripted(values: [raw])
        let allocator = AmountDueAllocator(maxOffset: 5)
        let taken = Set(entry.taken.map { UInt256($0) })
        #expect(allocator.offset(price: 100_000_000, taken: taken, using: &generator) == entry.expected)
    }

    @Test func everyFreeOffsetIsDrawnAndNoTakenOne() {
        var generator = SystemRandomNumberGenerator()
        let allocator = AmountDueAllocator(maxOffset: 5)
        let taken: Set<UInt256> = [100_000_001, 100_000_003]
        var seen = Set<UInt64>()
        for _ in 0..<500 { if let offset = allocator.offset(price: 100_000_000, taken: taken, using: &generator) { seen.insert(offset) } }
        #expect(seen == [2, 4, 5])
    }
}
