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

    @Test func amountDueSkipsTakenOffsetsAndRunsOut() {
        var generator = SystemRandomNumberGenerator()
        let allocator = AmountDueAllocator(maxOffset: 5)
        let price: UInt256 = 100_000_000
        let taken: Set<UInt256> = [100_000_001, 100_000_003]
        let candidates = allocator.candidates(price: price, taken: taken, using: &generator)
        #expect(Set(candidates) == [100_000_002, 100_000_004, 100_000_005])
        #expect(candidates.count == 3)
        let all = Set((1...5).map { price + UInt256(UInt64($0)) })
        #expect(allocator.candidates(price: price, taken: all, using: &generator).isEmpty)
    }
}
