import ChainMonitor
import Testing

struct PollPacerTests {
    /// Devnet-like: 1 s blocks, the plain interval half a block.
    static let devnet = PollPacer(blockTime: .seconds(1), coarse: .milliseconds(500))

    @Test(
        arguments: [
            (nil, 500),  // no head seen yet: the plain interval
            (0, 800),  // a head just seen: sleep until the next block is near
            (300, 500),
            (750, 100),  // 50 ms before the window: one fine step
            (800, 100),  // in the window: a tenth of a block
            (1_500, 100),
            (2_999, 100),
            (3_000, 500),  // overdue for three blocks: back to the plain interval
            (60_000, 500),
            (-5, 500),  // a clock that went backwards is not trusted
        ] as [(Int?, Int)])
    func devnetDelays(since: Int?, expected: Int) {
        #expect(Self.devnet.delay(sinceNewHead: since.map { .milliseconds($0) }) == .milliseconds(expected))
    }

    @Test func fineStepIsATenthOfABlockWithinBounds() {
        #expect(PollPacer(blockTime: .seconds(12), coarse: .seconds(5)).fine == .milliseconds(1_200))
        #expect(PollPacer(blockTime: .seconds(2), coarse: .seconds(1)).fine == .milliseconds(200))
        #expect(PollPacer(blockTime: .milliseconds(100), coarse: .milliseconds(200)).fine == .milliseconds(50))
        #expect(PollPacer(blockTime: .seconds(12), coarse: .milliseconds(300)).fine == .milliseconds(300))
    }

    @Test func ethereumSleepsMostOfTheBlock() {
        let pacer = PollPacer(blockTime: .seconds(12), coarse: .seconds(5))
        #expect(pacer.delay(sinceNewHead: .zero) == .milliseconds(9_600))
        #expect(pacer.delay(sinceNewHead: .seconds(10)) == .milliseconds(1_200))
    }
}
