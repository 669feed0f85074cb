import ChainRPC
import EthereumCore
import Foundation
import Testing

/// Rounds of `finalized` reports and what each round must decide.
struct FinalityCase: Sendable, CustomTestStringConvertible {
    let name: String
    let required: Int
    let rounds: [[Int: UInt64]]
    let expected: [HeadTracker.FinalizedRound]
    var testDescription: String { name }
}

/// CHAIN-RULES rules 5 and 11: the pool's finalized height is never one provider's word, and
/// one inflated report marks that provider, not the honest ones, out of sync.
@Suite struct FinalityTests {
    static func round(_ agreed: UInt64?, behind: Set<Int> = [], ahead: Set<Int> = []) -> HeadTracker.FinalizedRound {
        HeadTracker.FinalizedRound(agreed: agreed, behind: behind, farAhead: ahead)
    }

    static let cases: [FinalityCase] = [
        FinalityCase(
            name: "one inflated report among three", required: 2,
            rounds: [[0: 10_000_000, 1: 100, 2: 100], [0: 10_000_000, 1: 101, 2: 101]],
            expected: [round(100, ahead: [0]), round(101, ahead: [0])]),
        FinalityCase(
            name: "inflated first of two", required: 2, rounds: [[0: 10_000_000, 1: 100], [0: 10_000_000, 1: 164]],
            expected: [round(100, ahead: [0]), round(164, ahead: [0])]),
        FinalityCase(
            name: "inflated second of two", required: 2, rounds: [[0: 100, 1: 10_000_000]], expected: [round(100, ahead: [1])]),
        FinalityCase(
            name: "a provider below the agreed height is behind", required: 2,
            rounds: [[0: 100, 1: 100, 2: 100], [0: 90, 1: 101, 2: 101]], expected: [round(100), round(101, behind: [0])]),
        FinalityCase(
            name: "one report alone does not move it", required: 2, rounds: [[0: 100], [0: 100, 1: 100], [1: 200]],
            expected: [round(nil), round(100), round(100)]),
        FinalityCase(
            name: "a lagging provider sets the height without marking the other", required: 2, rounds: [[0: 100, 1: 90]],
            expected: [round(90)]),
        FinalityCase(
            name: "exactly the allowed lead", required: 2, rounds: [[0: 1_100, 1: 100], [0: 1_102, 1: 101]],
            expected: [round(100), round(101, ahead: [0])]),
        FinalityCase(
            name: "one provider is believed and must not go back", required: 1, rounds: [[0: 100], [0: 90], [0: 120]],
            expected: [round(100), round(100, behind: [0]), round(120)]),
    ]

    @Test(arguments: cases)
    func agreement(_ testCase: FinalityCase) {
        var tracker = HeadTracker()
        var decided = [HeadTracker.FinalizedRound]()
        for reports in testCase.rounds { decided.append(tracker.agreeFinalized(reports, required: testCase.required, maxLead: 1_000)) }
        #expect(decided == testCase.expected)
        #expect(tracker.finalized == testCase.rounds.reduce(into: [:]) { $0.merge($1) { $1 } })
    }

    // MARK: Through the pool

    /// A provider whose finalized block is `numbers[k]` at its k-th request (the last one after).
    static func finalizing(_ url: String, _ numbers: [UInt64?]) -> ScriptedTransport {
        ScriptedTransport(url) { request in
            guard request.method == "eth_getBlockByNumber" else { return .result(#""0x1""#) }
            guard let number = numbers[min(request.number, numbers.count - 1)] else { return .fail(.timeout) }
            return .result(ChainBlock(number: number, transactions: [], logs: []).json)
        }
    }

    @Test(arguments: [0, 1, 2])
    func inflatedFinalizedDoesNotPoisonHonestProviders(liar: Int) async throws {
        var numbers: [[UInt64?]] = [[100, 110], [100, 110], [100, 110]]
        numbers[liar] = [10_000_000, 10_000_010]
        let transports = numbers.enumerated().map { Self.finalizing("https://p\($0.offset).example", $0.element) }
        let providers = pool(transports)
        #expect(try await providers.finalizedBlock()?.number == 100)
        #expect(try await providers.finalizedBlock()?.number == 110)
        let status = await providers.status()
        #expect(status.map(\.outOfSync) == [0, 1, 2].map { $0 == liar })
        #expect(status[liar].falseAnswers == 2)
        #expect(status[liar].lastFailure == "finalized block 10000010 is more than 1000 blocks above the pool's")
        #expect(await providers.heads.agreedFinalized == 110)
    }

    @Test(arguments: [0, 1])
    func inflatedFinalizedBesideOneHonestProvider(liar: Int) async throws {
        var numbers: [[UInt64?]] = [[100], [100]]
        numbers[liar] = [10_000_000]
        let providers = pool(numbers.enumerated().map { Self.finalizing("https://p\($0.offset).example", $0.element) })
        #expect(try await providers.finalizedBlock()?.number == 100)
        #expect(await providers.status().map(\.outOfSync) == [liar == 0, liar == 1])
    }

    @Test func oneAnswerAloneKeepsTheLastAgreedBlock() async throws {
        let steady = Self.finalizing("https://steady.example", [100, 150, 150])
        let flaky = Self.finalizing("https://flaky.example", [nil, 100, nil])
        let providers = pool([steady, flaky])
        #expect(try await providers.finalizedBlock() == nil, "one provider's word is not the pool's")
        #expect(try await providers.finalizedBlock()?.number == 100)
        let kept = try await providers.finalizedBlock()
        #expect(kept?.number == 100, "150 from one provider does not move it")
        #expect(kept?.hash.hex == fakeHash("block 100"))
    }

    @Test func absurdFinalizedNumberIsMalformed() async {
        let hostile = ScriptedTransport("https://hostile.example") { _ in
            .result(
                ChainBlock(number: 7, transactions: [], logs: []).json.replacingOccurrences(
                    of: "\"number\":\"0x7\"", with: "\"number\":\"0xffffffffffffffff\""))
        }
        let providers = pool([hostile], fastConfiguration(rounds: 1))
        let result = await outcome { () async throws(RPCFailure) -> RPCBlock? in try await providers.finalizedBlock() }
        #expect(
            result
                == .failure(
                    .allProvidersFailed([
                        "https://hostile.example: malformed response: block.number: 18446744073709551615 is above 281474976710656"
                    ])))
    }
}
