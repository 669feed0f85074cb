import ChainMonitor
import EthereumCore
import Testing

@Suite struct PolicyTests {
    static func ref(_ number: UInt64, _ tag: UInt64 = 0, parentTag: UInt64 = 0) -> BlockRef {
        BlockRef(
            number: number, hash: BlockHash(raw: Bytes32(tag, 0, 0, number)),
            parentHash: BlockHash(raw: Bytes32(parentTag, 0, 0, number == 0 ? 0 : number - 1)))
    }

    @Test func windowExtendsDetectsMismatchAndTrims() {
        var window = ReorgWindow(capacity: 3)
        #expect(window.fit(Self.ref(10)) == .extends)
        window.append(Self.ref(10))
        #expect(window.fit(Self.ref(11)) == .extends)
        #expect(window.fit(Self.ref(11, 1, parentTag: 1)) == .parentMismatch)
        #expect(window.fit(Self.ref(12)) == .notNext)
        window.append(Self.ref(11))
        window.append(Self.ref(12))
        window.append(Self.ref(13))
        #expect(window.blocks.map(\.number) == [11, 12, 13])
        #expect(window.agreement(with: Self.ref(12)) == .same)
        #expect(window.agreement(with: Self.ref(12, 7)) == .different)
        #expect(window.agreement(with: Self.ref(10)) == .unknown)
        window.truncate(above: 11)
        #expect(window.tip == Self.ref(11))
    }

    @Test func confirmationsCountTheBlockItself() {
        #expect(ConfirmationPolicy.confirmations(blockNumber: 10, tip: 10) == 1)
        #expect(ConfirmationPolicy.confirmations(blockNumber: 10, tip: 12) == 3)
        #expect(ConfirmationPolicy.confirmations(blockNumber: 10, tip: 9) == 0)
    }

    @Test func depthMode() {
        let policy = ConfirmationPolicy(depth: 3, requiresFinalized: false)
        #expect(!policy.isConfirmed(blockNumber: 10, tip: 11, finalized: nil, canonical: true))
        #expect(policy.isConfirmed(blockNumber: 10, tip: 12, finalized: nil, canonical: true))
        #expect(!policy.isConfirmed(blockNumber: 10, tip: 40, finalized: nil, canonical: false), "never confirm off the canonical chain")
    }

    @Test func depthAndFinalizedMode() {
        let policy = ConfirmationPolicy(depth: 3, requiresFinalized: true)
        #expect(!policy.isConfirmed(blockNumber: 10, tip: 20, finalized: nil, canonical: true))
        #expect(!policy.isConfirmed(blockNumber: 10, tip: 20, finalized: 9, canonical: true))
        #expect(policy.isConfirmed(blockNumber: 10, tip: 20, finalized: 10, canonical: true))
        #expect(!policy.isConfirmed(blockNumber: 10, tip: 11, finalized: 15, canonical: true), "depth is needed too")
    }

    @Test func finalityStallIsNoticed() {
        var watch = FinalityWatch()
        let start = ContinuousClock.now
        #expect(!watch.isStalled(now: start, limit: .seconds(10)))
        watch.record(100, at: start)
        watch.record(100, at: start + .seconds(8))
        #expect(!watch.isStalled(now: start + .seconds(9), limit: .seconds(10)))
        #expect(watch.isStalled(now: start + .seconds(11), limit: .seconds(10)))
        watch.record(101, at: start + .seconds(12))
        #expect(!watch.isStalled(now: start + .seconds(13), limit: .seconds(10)))
    }
}
