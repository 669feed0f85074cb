import ChainMonitor
import Testing

/// Where a monitor that never processed a block begins, over a chain whose block `n` was mined
/// at `timestamps[n]`.
struct FirstBlockTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let timestamps: [UInt64]
        let since: UInt64?
        let expected: UInt64
        var testDescription: String { name }
    }

    static let chain: [UInt64] = [1_000, 1_012, 1_024, 1_036, 1_300, 1_312, 1_324]

    static let cases: [Case] = [
        Case(name: "no open session: the head", timestamps: chain, since: nil, expected: 6),
        Case(name: "a session older than the chain: block 0", timestamps: chain, since: 500, expected: 0),
        Case(name: "a session younger than the head: the head", timestamps: chain, since: 5_000, expected: 6),
        // 1_420 − 120 = 1_300: the block mined exactly then.
        Case(name: "the margin lands on a block", timestamps: chain, since: 1_420, expected: 4),
        // 1_421 − 120 = 1_301: the first block after it.
        Case(name: "the margin lands between blocks", timestamps: chain, since: 1_421, expected: 5),
        Case(name: "a session within the margin of the first block", timestamps: chain, since: 1_100, expected: 0),
        Case(name: "a time before the margin (no underflow)", timestamps: chain, since: 60, expected: 0),
        Case(name: "one block", timestamps: [1_000], since: 2_000, expected: 0),
        Case(name: "equal timestamps: the first of them", timestamps: [900, 1_000, 1_000, 1_000, 1_100], since: 1_120, expected: 1),
    ]

    @Test(arguments: cases)
    func firstBlock(_ entry: Case) async throws {
        let head = UInt64(entry.timestamps.count - 1)
        let found = try await FirstBlock.find(since: entry.since, head: head) { entry.timestamps[Int($0)] }
        #expect(found == entry.expected)
    }

    /// A provider that lies about timestamps (out of order, 0, 2^64 − 1) or a head of 2^64 − 1:
    /// the start stays within 0...head, and nothing traps.
    @Test(arguments: [
        ([UInt64.max, 0, UInt64.max, 0, 5], UInt64(3_000), UInt64(2)),
        ([0, 0, 0, 0, 0], UInt64.max, UInt64(4)),
        ([9, 1, 8, 2, 7], UInt64(0), UInt64(0)),
    ])
    func hostileTimestampsStayInRange(timestamps: [UInt64], since: UInt64, expected: UInt64) async throws {
        let found = try await FirstBlock.find(since: since, head: UInt64(timestamps.count - 1)) { timestamps[Int($0)] }
        #expect(found == expected)
    }

    @Test func aHeadOf2To64Minus1IsBisectedWithoutOverflow() async throws {
        let found = try await FirstBlock.find(since: UInt64.max, head: .max) { $0 }
        #expect(found == UInt64.max - FirstBlock.clockMargin)
    }

    @Test func readsAboutLogarithmicallyManyBlocks() async throws {
        let reads = Counter()
        let found = try await FirstBlock.find(since: 10_000_000 + 12 * 600_000 + 120, head: 20_000_000) { number in
            await reads.add()
            return 10_000_000 + 12 * number
        }
        #expect(found == 600_000)
        #expect(await reads.value == 24)
    }
}

private actor Counter {
    var value = 0
    func add() { value += 1 }
}
