import ChainRPC
import EthereumCore
import Foundation
import Testing

/// A value a provider sends and what the pool must make of it.
struct HostileCase<T: Sendable & Equatable>: Sendable, CustomTestStringConvertible {
    let name: String
    let reply: Reply
    let expected: Result<T, RPCFailure>
    var testDescription: String { name }
}

/// CHAIN-RULES rule 13: nothing a provider says can trap. Absurd numbers are refused as a
/// malformed answer from that provider, which fails over.
@Suite struct HostileNumberTests {
    static let limit = RPCLimits.maxBlockNumber

    static let heads: [HostileCase<UInt64>] = [
        HostileCase(name: "zero", reply: .result(#""0x0""#), expected: .success(0)),
        HostileCase(name: "a mainnet height", reply: .result(#""0x1312d00""#), expected: .success(20_000_000)),
        HostileCase(name: "2^48, the highest accepted", reply: .result(#""0x1000000000000""#), expected: .success(1 << 48)),
        HostileCase(
            name: "2^48 + 1", reply: .result(#""0x1000000000001""#),
            expected: .failure(.malformed("block number 281474976710657 is above 281474976710656"))),
        HostileCase(
            name: "2^64 - 1", reply: .result(#""0xffffffffffffffff""#),
            expected: .failure(.malformed("block number 18446744073709551615 is above 281474976710656"))),
        HostileCase(name: "2^64", reply: .result(#""0x10000000000000000""#), expected: .failure(.malformed("result does not fit 64 bits"))),
        HostileCase(
            name: "2^256 - 1", reply: .result("\"0x" + String(repeating: "f", count: 64) + "\""),
            expected: .failure(.malformed("result does not fit 64 bits"))),
        HostileCase(
            name: "65 hex digits", reply: .result("\"0x1" + String(repeating: "0", count: 64) + "\""),
            expected: .failure(.malformed("result: '0x1\(String(repeating: "0", count: 64))' is not a hex quantity"))),
        HostileCase(name: "a JSON number", reply: .result("12345"), expected: .failure(.malformed("expected a hex quantity"))),
        HostileCase(name: "a negative JSON number", reply: .result("-1"), expected: .failure(.malformed("expected a hex quantity"))),
        HostileCase(
            name: "an overflowing JSON number", reply: .result("1e400"),
            expected: .failure(.malformed("eth_blockNumber: body is not JSON (39 bytes)"))),
        HostileCase(name: "null", reply: .result("null"), expected: .failure(.nullResult("quantity"))),
        HostileCase(
            name: "a negative hex", reply: .result(#""-0x1""#), expected: .failure(.malformed("result: '-0x1' is not a hex quantity"))),
    ]

    @Test(arguments: heads)
    func blockNumber(_ testCase: HostileCase<UInt64>) async {
        let client = JSONRPCClient(transport: ScriptedTransport("https://hostile.example", always: testCase.reply), timeout: .seconds(1))
        let result = await outcome { () async throws(RPCFailure) -> UInt64 in
            try await client.request(.blockNumber, parse: RPCParse.blockNumber)
        }
        #expect(result == testCase.expected)
    }

    /// Objects whose numbers do not fit are refused, whichever field it is.
    @Test(arguments: [
        ("number", "0xffffffffffffffff", "block.number: 18446744073709551615 is above 281474976710656"),
        ("timestamp", "0x1000000000001", "block.timestamp: 281474976710657 is above 281474976710656"),
        ("number", "0x10000000000000000", "block.number: does not fit 64 bits"),
    ])
    func blockFields(_ field: String, _ value: String, _ message: String) throws {
        var block = try #require(try JSONSerialization.jsonObject(with: Data(FakeChain.standard().blocks[0].json.utf8)) as? [String: Any])
        block[field] = value
        #expect(throws: RPCFailure.malformed(message)) { try RPCParse.block(block) }
    }

    @Test(arguments: [
        ("blockNumber", "0xffffffffffffffff", "log.blockNumber: 18446744073709551615 is above 281474976710656"),
        ("logIndex", "0x80000000", "log.logIndex: 2147483648 is above 2147483647"),
        ("transactionIndex", "0xffffffffffffffff", "log.transactionIndex: 18446744073709551615 is above 2147483647"),
    ])
    func logFields(_ field: String, _ value: String, _ message: String) throws {
        var log = try #require(try JSONSerialization.jsonObject(with: Data(FakeChain.standard().allLogs[0].json.utf8)) as? [String: Any])
        log[field] = value
        #expect(throws: RPCFailure.malformed(message)) { try RPCParse.logs([log]) }
        #expect(RPCLimits.maxIndex == 2_147_483_647)
    }

    // MARK: Retry-After

    static let retryAfters: [(Double, RPCFailure)] = [
        (0, .http(status: 429, retryAfter: 0)),
        (2, .http(status: 429, retryAfter: 2)),
        (86_400, .http(status: 429, retryAfter: 86_400)),
        (.infinity, .malformed("HTTP 429 with an unusable Retry-After (inf)")),
        (-.infinity, .malformed("HTTP 429 with an unusable Retry-After (-inf)")),
        (-1, .malformed("HTTP 429 with an unusable Retry-After (-1.0)")),
        (86_400.5, .malformed("HTTP 429 with an unusable Retry-After (86400.5)")),
        (1e300, .malformed("HTTP 429 with an unusable Retry-After (1e+300)")),
    ]

    @Test(arguments: retryAfters)
    func retryAfter(_ seconds: Double, _ expected: RPCFailure) async {
        let client = JSONRPCClient(
            transport: ScriptedTransport("https://limited.example", always: .http(status: 429, retryAfter: seconds, body: "slow down")),
            timeout: .seconds(1))
        let result = await outcome { () async throws(RPCFailure) -> UInt64 in try await client.request(.chainId, parse: RPCParse.uint64) }
        #expect(result == .failure(expected))
    }

    @Test func notANumberRetryAfterIsRefused() async {
        let client = JSONRPCClient(
            transport: ScriptedTransport("https://limited.example", always: .http(status: 429, retryAfter: .nan, body: "")),
            timeout: .seconds(1))
        let result = await outcome { () async throws(RPCFailure) -> UInt64 in try await client.request(.chainId, parse: RPCParse.uint64) }
        #expect(result == .failure(.malformed("HTTP 429 with an unusable Retry-After (nan)")))
        #expect(result.failureDisposition == .failover)
    }

    @Test func infiniteRetryAfterFailsOver() async {
        let limited = ScriptedTransport("https://limited.example", always: .http(status: 429, retryAfter: .infinity, body: "slow down"))
        let honest = ScriptedTransport("https://honest.example", always: .result(#""0x89""#))
        let result = await outcome { () async throws(RPCFailure) -> UInt64 in
            try await pool([limited, honest]).read(.chainId, parse: RPCParse.uint64)
        }
        #expect(result == .success(137))
        let alone = await outcome { () async throws(RPCFailure) -> UInt64 in
            try await pool([limited], fastConfiguration(rounds: 2)).read(.chainId, parse: RPCParse.uint64)
        }
        let failure = "https://limited.example: malformed response: HTTP 429 with an unusable Retry-After (inf)"
        #expect(alone == .failure(.allProvidersFailed([failure, failure])))
    }

    static let delays: [(attempt: Int, retryAfter: Double?, expected: Duration)] = [
        (0, .infinity, .milliseconds(100)),
        (0, -.infinity, .milliseconds(100)),
        (1, .nan, .milliseconds(200)),
        (0, 1e300, .seconds(5)),
        (0, 9e15, .seconds(5)),
        (0, 4.5, .milliseconds(4_500)),
        (Int.max, nil, .seconds(5)),
        (Int.min, nil, .milliseconds(100)),
    ]

    @Test(arguments: delays)
    func retryDelayNeverTraps(_ delay: (attempt: Int, retryAfter: Double?, expected: Duration)) {
        #expect(
            retryDelay(attempt: delay.attempt, retryAfter: delay.retryAfter, base: .milliseconds(100), cap: .seconds(5)) == delay.expected)
    }

    @Test func retryDelayWithAbsurdDurations() {
        let huge = Duration.seconds(Int64.max)
        #expect(retryDelay(attempt: 16, retryAfter: nil, base: huge, cap: huge) == huge)
        #expect(retryDelay(attempt: 3, retryAfter: 1e18, base: .milliseconds(1), cap: huge) == huge)
        #expect(retryDelay(attempt: 3, retryAfter: nil, base: .zero, cap: .seconds(1)) == .zero)
    }

    // MARK: Log ranges

    @Test func absurdSuggestionsCannotOverflowTheSizer() {
        var sizer = LogRangeSizer(initial: 2_000, max: 10_000)
        sizer.tooLarge(requested: 2_000, suggested: 0...UInt64.max)
        #expect(sizer.span == 1_999)
        var wide = LogRangeSizer(initial: .max, max: .max)
        #expect(wide.span == .max)
        wide.succeeded()
        #expect(wide.span == .max)
    }

    static let suggestions: [(message: String, refusal: String)] = [
        (
            "query returned more than 10000 results. Try with this block range [0x0, 0xffffffffffffffff].",
            "suggested log range 0...18446744073709551615 lies outside the requested 100...103"
        ),
        (
            "query returned more than 10000 results. Try with this block range [0x64, 0xffffffffffffffff].",
            "suggested log range 100...18446744073709551615 lies outside the requested 100...103"
        ),
        (
            "query returned more than 10000 results. Try with this block range [0x63, 0x65].",
            "suggested log range 99...101 lies outside the requested 100...103"
        ),
    ]

    @Test(arguments: suggestions)
    func absurdSuggestedRangeFailsOver(_ suggestion: (message: String, refusal: String)) async {
        let absurd = ScriptedTransport("https://absurd.example", always: .rpcError(code: -32005, message: suggestion.message))
        let chain = FakeChain.standard()
        let filter: @Sendable (UInt64, UInt64) -> LogFilter = { from, to in
            .transfers(.range(from: .number(from), to: .number(to)), tokens: [try! Address(FakeChain.usdc)])
        }
        let providers = pool([absurd, chainProvider("https://one.example", chain), chainProvider("https://two.example", chain)])
        let logs = await outcome { () async throws(RPCFailure) -> [RPCLog] in try await providers.logs(from: 100, to: 103, filter: filter) }
        #expect(logs == .success(chain.allLogs.map(\.decoded)))
        #expect(absurd.callCount == 1)

        let alone = await outcome { () async throws(RPCFailure) -> [RPCLog] in
            try await pool([absurd], fastConfiguration(rounds: 1)).logs(from: 100, to: 103, filter: filter)
        }
        #expect(alone == .failure(.allProvidersFailed(["https://absurd.example: malformed response: \(suggestion.refusal)"])))
    }

    @Test func aRangeAtTheTopOfUInt64DoesNotOverflow() async {
        let provider = ScriptedTransport("https://logs.example", always: .result("[]"))
        let logs = await outcome { () async throws(RPCFailure) -> [RPCLog] in
            try await pool([provider]).logs(from: UInt64.max - 5, to: UInt64.max) { from, to in
                .transfers(.range(from: .number(from), to: .number(to)), tokens: [try! Address(FakeChain.usdc)])
            }
        }
        #expect(logs == .success([]))
        #expect(provider.params.compactMap { ($0.first as? [String: Any])?["toBlock"] as? String } == ["0xffffffffffffffff"])
    }

    // MARK: Heads

    static func headProvider(_ url: String, _ heads: [String]) -> ScriptedTransport {
        ScriptedTransport(url) { request in .result("\"\(heads[min(request.number, heads.count - 1)])\"") }
    }

    @Test func headNearTwoToTheSixtyFourIsRefused() async {
        let hostile = Self.headProvider("https://hostile.example", ["0xffffffffffffffff"])
        #expect(await pool([hostile]).refreshHeads() == nil)

        let honest = [Self.headProvider("https://one.example", ["0x64"]), Self.headProvider("https://two.example", ["0x65"])]
        let mixed = pool([hostile] + honest)
        #expect(await mixed.refreshHeads() == 100)
        let status = await mixed.status()
        #expect(status[0].lastFailure == "malformed response: block number 18446744073709551615 is above 281474976710656")
        #expect(status.map(\.head) == [nil, 100, 101])

        // Beside one honest provider the safe head waits for a second opinion.
        #expect(await pool([hostile, honest[0]]).refreshHeads() == nil)
    }

    static let farAheadCases: [(heads: [Int: UInt64], ahead: Set<Int>)] = [
        ([0: 100, 1: 101, 2: 5_000], [2]),
        ([0: 5_000, 1: 100], [0]),
        ([0: 100, 1: 1_100], []),
        ([0: 100, 1: 1_101], [1]),
        ([0: 100, 1: 5_000, 2: 5_001], []),
        ([0: 100], []),
        ([0: .max, 1: .max - 1], []),
    ]

    @Test(arguments: farAheadCases)
    func farAhead(_ testCase: (heads: [Int: UInt64], ahead: Set<Int>)) {
        #expect(HeadTracker.farAhead(testCase.heads, maxLead: 1_000) == testCase.ahead)
    }

    @Test(arguments: [0, 1])
    func aHeadFarAboveTheOthersIsOutOfSyncNotTheOthers(liar: Int) async {
        var heads = [["0x64", "0x66"], ["0x64", "0x66"]]
        heads[liar] = ["0x989680", "0x67"]
        let transports = heads.enumerated().map { Self.headProvider("https://p\($0.offset).example", $0.element) }
        let providers = pool(transports)
        #expect(await providers.refreshHeads() == 100)
        var status = await providers.status()
        #expect(status.map(\.outOfSync) == [liar == 0, liar == 1])
        #expect(status[liar].falseAnswers == 1)
        #expect(status[liar].lastFailure == "head 10000000 is more than 1000 blocks above the other providers'")
        // Reads skip it while it is out of sync.
        let before = transports[liar].callCount
        _ = await outcome { () async throws(RPCFailure) -> UInt64 in try await providers.read(.blockNumber, parse: RPCParse.blockNumber) }
        #expect(transports[liar].callCount == before)
        // Back within the lead, it is in sync again.
        #expect(await providers.refreshHeads() == 102)
        status = await providers.status()
        #expect(status.map(\.outOfSync) == [false, false])
    }
}
