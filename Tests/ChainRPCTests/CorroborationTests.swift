import ChainRPC
import EthereumCore
import Foundation
import Testing

// MARK: The tally alone

/// Log sets from some providers, how every provider answers receipts, and what the tally must decide.
struct TallyCase: Sendable, CustomTestStringConvertible {
    let name: String
    /// Provider index → the lie its log set tells (providers without a log set are witnesses only).
    let logSets: [Int: Lie]
    /// Provider index → the lie its receipts tell; absent: its receipts fail.
    let receipts: [Int: Lie]
    /// Providers available as witnesses, in order of preference.
    let available: [Int]
    let logs: [ChainLog]
    let liars: [Int]
    let partial: [Int]
    let unresolved: Int
    /// The receipts asked for, as (provider, transaction label).
    let asked: [String]
    var testDescription: String { name }
}

@Suite struct LogCorroborationTests {
    static let chain = FakeChain.standard()
    static let block = chain.block(number: 101)!
    static let l0 = block.logs[0]
    static let l1 = block.logs[1]
    static let tx0 = block.transactions[0]
    static let tx1 = block.transactions[1]
    static let forger = Lie.forgeInRealTransaction(to: FakeChain.merchant, amount: 5_000_000_000, consistent: true)
    static let madeUp = Lie.forgeInMadeUpTransaction(to: FakeChain.merchant, amount: 5_000_000_000)

    static let cases: [TallyCase] = [
        TallyCase(
            name: "two providers agree", logSets: [0: .none, 1: .none], receipts: [0: .none, 1: .none], available: [0, 1],
            logs: [l0, l1], liars: [], partial: [], unresolved: 0, asked: []),
        TallyCase(
            name: "a partial log set loses nothing another provider reports", logSets: [0: .none, 1: .omit(transaction: tx1)],
            receipts: [0: .none, 1: .omit(transaction: tx1)], available: [0, 1],
            logs: [l0, l1], liars: [], partial: [1], unresolved: 0, asked: ["1 tx 101 1"]),
        TallyCase(
            name: "a forged log in a real transaction is dropped (forger first)", logSets: [0: forger, 1: .none],
            receipts: [0: forger, 1: .none], available: [0, 1],
            logs: [l0, l1], liars: [0], partial: [], unresolved: 0, asked: ["1 tx 101 0"]),
        TallyCase(
            name: "a forged log in a real transaction is dropped (forger second)", logSets: [0: .none, 1: forger],
            receipts: [0: .none, 1: forger], available: [0, 1],
            logs: [l0, l1], liars: [1], partial: [], unresolved: 0, asked: ["0 tx 101 0"]),
        TallyCase(
            name: "a forged log in a made-up transaction is denied by the block", logSets: [0: madeUp, 1: .none],
            receipts: [0: madeUp, 1: .none], available: [0, 1],
            logs: [l0, l1], liars: [0], partial: [], unresolved: 0, asked: ["1 made up in 101"]),
        TallyCase(
            name: "changed amounts against one honest provider cannot be settled",
            logSets: [0: .changeAmounts(to: 9, consistent: true), 1: .none],
            receipts: [0: .changeAmounts(to: 9, consistent: true), 1: .none], available: [0, 1],
            logs: [], liars: [], partial: [], unresolved: 2, asked: ["0 tx 101 0", "0 tx 101 1", "1 tx 101 0", "1 tx 101 1"]),
        TallyCase(
            name: "a liar whose receipts are honest contradicts itself",
            logSets: [0: .changeAmounts(to: 9, consistent: false), 1: .none],
            receipts: [0: .changeAmounts(to: 9, consistent: false), 1: .none], available: [0, 1],
            logs: [], liars: [0], partial: [], unresolved: 2, asked: ["0 tx 101 0", "0 tx 101 1", "1 tx 101 0", "1 tx 101 1"]),
        TallyCase(
            name: "a third provider settles changed amounts", logSets: [0: .changeAmounts(to: 9, consistent: true), 1: .none],
            receipts: [0: .changeAmounts(to: 9, consistent: true), 1: .none, 2: .none], available: [0, 1, 2],
            logs: [l0, l1], liars: [0], partial: [], unresolved: 0,
            asked: ["0 tx 101 0", "0 tx 101 1", "1 tx 101 0", "1 tx 101 1", "2 tx 101 0", "2 tx 101 1"]),
        TallyCase(
            name: "a provider that hides a transfer is outvoted and named", logSets: [0: .none, 1: .hide(transaction: tx1)],
            receipts: [0: .none, 1: .hide(transaction: tx1), 2: .none], available: [0, 1, 2],
            logs: [l0, l1], liars: [1], partial: [], unresolved: 0, asked: ["1 tx 101 1", "2 tx 101 1"]),
        TallyCase(
            name: "a log nobody else can confirm or deny is unresolved", logSets: [0: .none, 1: .omit(transaction: tx1)],
            receipts: [0: .none], available: [0, 1],
            logs: [l0], liars: [], partial: [], unresolved: 1, asked: ["1 tx 101 1"]),
        TallyCase(
            name: "a third provider's partial set is named", logSets: [0: .none, 1: .none, 2: .omitAll],
            receipts: [0: .none, 1: .none, 2: .none], available: [0, 1, 2],
            logs: [l0, l1], liars: [], partial: [2], unresolved: 0, asked: []),
    ]

    /// Runs the tally as the pool does: log sets in, receipts for what it asks, until it asks nothing.
    static func run(_ testCase: TallyCase) -> (LogCorroboration.Outcome, [String]) {
        var tally = LogCorroboration()
        for (provider, lie) in testCase.logSets.sorted(by: { $0.key < $1.key }) {
            let logs = lie.logs(chain, ["blockHash": block.hash])!.map(\.decoded)
            tally.add(logSet: logs, from: provider)
        }
        var asked = [String]()
        while true {
            let requests = tally.nextRequests(available: testCase.available)
            if requests.isEmpty { break }
            for request in requests {
                let label = label(request.transaction.hex)
                asked.append("\(request.provider) \(label)")
                guard let lie = testCase.receipts[request.provider] else {
                    tally.noEvidence(request)
                    continue
                }
                let json = lie.receipt(chain, request.transaction.hex)
                if json == "null" {
                    for hash in tally.blockHashes(of: request.transaction)
                    where chain.block(hash: hash.hex)?.transactions.contains(request.transaction.hex) != true {
                        tally.add(absence: request.transaction, in: hash, from: request.provider)
                    }
                    tally.noEvidence(request)
                } else {
                    let receipt = try! RPCParse.receipt(try! JSONSerialization.jsonObject(with: Data(json.utf8)))!
                    tally.add(receipt: receipt, from: request.provider)
                }
            }
        }
        return (tally.outcome(), asked.sorted())
    }

    static func label(_ hash: String) -> String {
        for number in 100...110 {
            for index in 0..<12 where fakeHash("tx \(number) \(index)") == hash { return "tx \(number) \(index)" }
            if fakeHash("made up in \(number)") == hash { return "made up in \(number)" }
        }
        return hash
    }

    @Test(arguments: cases)
    func tally(_ testCase: TallyCase) {
        let (outcome, asked) = Self.run(testCase)
        #expect(outcome.logs == testCase.logs.map(\.decoded))
        #expect(outcome.liars.keys.sorted() == testCase.liars)
        #expect(outcome.partial.keys.sorted() == testCase.partial)
        #expect(outcome.unresolved.count == testCase.unresolved)
        #expect(asked == testCase.asked)
    }

    @Test func reasonsNameThePositionAndTheTransaction() {
        let (forged, _) = Self.run(Self.cases[2])
        let forgedLog = Self.forger.forgeries(Self.chain, Self.block.logs, to: FakeChain.merchant, amount: 1, madeUp: false)[0]
        #expect(
            forged.liars[0]
                == "reported a log #\(forgedLog.logIndex) of block \(Self.block.hash) (transaction \(Self.tx0)) that another provider's receipt denies"
        )
        let (partial, _) = Self.run(Self.cases[1])
        #expect(partial.partial[1] == "its logs missed the log #1 of block \(Self.block.hash) (transaction \(Self.tx1))")
        let (unsettled, _) = Self.run(Self.cases[5])
        #expect(
            unsettled.unresolved == [
                "log #0 of block \(Self.block.hash): providers disagree and no other provider settles it",
                "log #1 of block \(Self.block.hash): providers disagree and no other provider settles it",
            ])
    }

    @Test func twoLogsAtOnePositionFromOneProviderAreAContradiction() {
        var tally = LogCorroboration()
        var other = Self.l0
        other.data = word(1)
        tally.add(logSet: [Self.l0.decoded, other.decoded], from: 0)
        tally.add(logSet: [Self.l0.decoded], from: 1)
        #expect(tally.contradicted.keys.sorted() == [0])
        #expect(tally.nextRequests(available: [0, 1]).isEmpty, "a liar is not asked to witness")
        let outcome = tally.outcome()
        #expect(outcome.logs.isEmpty)
        #expect(outcome.liars.keys.sorted() == [0])
        #expect(
            outcome.unresolved == [
                "log #0 of block \(Self.block.hash) (transaction \(Self.tx0)): no second provider confirmed or denied it"
            ])
    }
}

// MARK: Through the pool

/// Providers serving the fake chain, each with its lie, and what the pool must make of them.
struct PoolCase: Sendable, CustomTestStringConvertible {
    let name: String
    let lies: [Lie]
    /// The logs that count, or nil when the call must fail.
    let logs: [ChainLog]?
    /// Providers whose answers were counted as false.
    let marked: [Int]
    /// Of those, the ones whose breaker opened at once (liars, not partial answers).
    let opened: [Int]
    var testDescription: String { name }
}

@Suite struct PoolCorroborationTests {
    static let chain = FakeChain.standard()
    static let block = chain.block(number: 101)!
    static let forger = Lie.forgeInRealTransaction(to: FakeChain.merchant, amount: 5_000_000_000, consistent: true)
    static let strangerForger = Lie.forgeInRealTransaction(to: FakeChain.stranger, amount: 5_000_000_000, consistent: true)
    static let madeUp = Lie.forgeInMadeUpTransaction(to: FakeChain.merchant, amount: 5_000_000_000)
    static let changer = Lie.changeAmounts(to: 9, consistent: true)

    static let pinnedCases: [PoolCase] = [
        PoolCase(name: "two honest providers", lies: [.none, .none], logs: block.logs, marked: [], opened: []),
        PoolCase(name: "forger first", lies: [forger, .none], logs: block.logs, marked: [0], opened: [0]),
        PoolCase(name: "forger second", lies: [.none, forger], logs: block.logs, marked: [1], opened: [1]),
        PoolCase(
            name: "forger whose receipts are honest",
            lies: [.forgeInRealTransaction(to: FakeChain.merchant, amount: 7, consistent: false), .none],
            logs: block.logs, marked: [0], opened: [0]),
        PoolCase(name: "log not in the bloom, two providers", lies: [strangerForger, .none], logs: nil, marked: [0], opened: [0]),
        PoolCase(
            name: "log not in the bloom, three providers", lies: [.none, strangerForger, .none], logs: block.logs, marked: [1], opened: [1]),
        PoolCase(name: "made-up transaction, two providers", lies: [madeUp, .none], logs: nil, marked: [0], opened: [0]),
        PoolCase(name: "made-up transaction, three providers", lies: [madeUp, .none, .none], logs: block.logs, marked: [0], opened: [0]),
        PoolCase(
            name: "partial first", lies: [.omit(transaction: block.transactions[1]), .none], logs: block.logs, marked: [0], opened: []),
        PoolCase(
            name: "partial second", lies: [.none, .omit(transaction: block.transactions[0])], logs: block.logs, marked: [1], opened: []),
        PoolCase(name: "empty first", lies: [.omitAll, .none], logs: block.logs, marked: [0], opened: []),
        PoolCase(name: "changed amounts, two providers", lies: [changer, .none], logs: nil, marked: [], opened: []),
        PoolCase(name: "changed amounts, three providers", lies: [changer, .none, .none], logs: block.logs, marked: [0], opened: [0]),
        PoolCase(name: "changed amounts last of three", lies: [.none, .none, changer], logs: block.logs, marked: [], opened: []),
    ]

    static func providers(_ lies: [Lie]) -> [ScriptedTransport] {
        lies.enumerated().map { chainProvider("https://p\($0.offset).example", chain, lie: $0.element) }
    }

    static func check(_ testCase: PoolCase, _ result: Result<[RPCLog], RPCFailure>, _ pool: ProviderPool) async {
        switch (testCase.logs, result) {
        case (let expected?, .success(let logs)): #expect(logs == expected.map(\.decoded))
        case (nil, .failure): break
        default: Issue.record("expected \(testCase.logs.map { "\($0.count) logs" } ?? "a failure"), got \(result)")
        }
        let status = await pool.status()
        #expect(status.indices.filter { status[$0].falseAnswers > 0 } == testCase.marked)
        #expect(status.indices.filter { status[$0].breaker.isOpen } == testCase.opened)
    }

    @Test(arguments: pinnedCases)
    func transfersOfOneBlock(_ testCase: PoolCase) async {
        let transports = Self.providers(testCase.lies)
        let providers = pool(transports)
        let result = await outcome { () async throws(RPCFailure) -> [RPCLog] in
            try await providers.transferLogs(in: Self.block.decoded, tokens: [try! Address(FakeChain.usdc)], to: [])
        }
        await Self.check(testCase, result, providers)
    }

    static let rangedCases: [PoolCase] = [
        PoolCase(name: "two honest providers", lies: [.none, .none], logs: chain.allLogs, marked: [], opened: []),
        PoolCase(name: "forger first", lies: [forger, .none], logs: chain.allLogs, marked: [0], opened: [0]),
        PoolCase(name: "forger second", lies: [.none, forger], logs: chain.allLogs, marked: [1], opened: [1]),
        PoolCase(name: "made-up transaction first", lies: [madeUp, .none], logs: chain.allLogs, marked: [0], opened: [0]),
        PoolCase(name: "made-up transaction second", lies: [.none, madeUp], logs: chain.allLogs, marked: [1], opened: [1]),
        PoolCase(
            name: "partial first", lies: [.omit(transaction: fakeHash("tx 102 1")), .none], logs: chain.allLogs, marked: [0], opened: []),
        PoolCase(name: "partial second", lies: [.none, .omitAll], logs: chain.allLogs, marked: [1], opened: []),
        PoolCase(name: "changed amounts, two providers", lies: [.none, changer], logs: nil, marked: [], opened: []),
        PoolCase(name: "changed amounts, three providers", lies: [.none, changer, .none], logs: chain.allLogs, marked: [1], opened: [1]),
    ]

    @Test(arguments: rangedCases)
    func transfersOverARange(_ testCase: PoolCase) async {
        let transports = Self.providers(testCase.lies)
        let providers = pool(transports)
        let result = await outcome { () async throws(RPCFailure) -> [RPCLog] in
            try await providers.logs(from: 100, to: 103) { from, to in
                .transfers(.range(from: .number(from), to: .number(to)), tokens: [try! Address(FakeChain.usdc)])
            }
        }
        await Self.check(testCase, result, providers)
        // The first two providers were asked the same range, once each.
        for transport in transports.prefix(2) {
            let ranges = transport.params.indices.filter { transport.methods[$0] == "eth_getLogs" }.map { index in
                ["fromBlock", "toBlock"].map { ((transport.params[index].first as? [String: Any])?[$0] as? String) ?? "" }
            }
            #expect(ranges == [["0x64", "0x67"]])
        }
    }

    @Test func forgedTransferFailsWithTheHonestProviderTwiceOver() async {
        let providers = pool(Self.providers([Self.forger, .none]))
        let block = Self.block.decoded
        let usdc = try! Address(FakeChain.usdc)
        let first = await outcome { () async throws(RPCFailure) -> [RPCLog] in
            try await providers.transferLogs(in: block, tokens: [usdc], to: [])
        }
        #expect(first == .success(Self.block.logs.map(\.decoded)))
        // The forger's breaker is open: the honest provider alone is not enough for the next block,
        // unless it proves the logs against the header (this fake serves no receipts to prove with).
        let next = Self.chain.block(number: 102)!.decoded
        let second = await outcome { () async throws(RPCFailure) -> [RPCLog] in
            try await providers.transferLogs(in: next, tokens: [usdc], to: [])
        }
        guard case .failure(.allProvidersFailed(let reasons)) = second else {
            Issue.record("one provider's word for block 102 was believed: \(second)")
            return
        }
        #expect(reasons.last?.hasPrefix("only one provider answered the logs of block 102 and no proof held") == true)
    }

    @Test func twoProvidersAreAskedAtOnce() async {
        let rendezvous = Rendezvous(parties: 2)
        let logs = "[" + Self.block.logs.map(\.json).joined(separator: ",") + "]"
        let transports = (0..<2).map { index in
            GatedTransport("https://gated\(index).example", rendezvous: rendezvous, answer: logs)
        }
        let providers = ProviderPool(
            network: "testnet", clients: transports.map { JSONRPCClient(transport: $0, timeout: .seconds(5)) },
            configuration: fastConfiguration())
        let result = await outcome { () async throws(RPCFailure) -> [RPCLog] in
            try await providers.transferLogs(in: Self.block.decoded, tokens: [try! Address(FakeChain.usdc)], to: [])
        }
        // Each provider answers only once the other has been asked: one after the other, they would time out.
        #expect(result == .success(Self.block.logs.map(\.decoded)))
    }

    @Test func aSingleProviderIsTrustedAndSaysSo() async {
        let alone = pool(Self.providers([Self.forger]))
        #expect(alone.trustsSingleProvider)
        #expect(!pool(Self.providers([.none, .none])).trustsSingleProvider)
        let logs = await outcome { () async throws(RPCFailure) -> [RPCLog] in
            try await alone.transferLogs(in: Self.block.decoded, tokens: [try! Address(FakeChain.usdc)], to: [])
        }
        let forged = Self.forger.forgeries(Self.chain, Self.block.logs, to: FakeChain.merchant, amount: 5_000_000_000, madeUp: false)
        #expect(logs == .success((Self.block.logs + forged).map(\.decoded)), "one provider's word is all there is")
    }

    @Test func quorumOfTwoByDefaultWithSeveralProviders() async {
        let honest = chainProvider("https://honest.example", Self.chain)
        let other = FakeChain(blocks: Self.chain.blocks.map { ChainBlock(number: $0.number, transactions: [], logs: []) })
        let lying = chainProvider("https://lying.example", other)
        let split = await outcome { () async throws(RPCFailure) -> RPCBlock? in
            try await pool([lying, honest]).quorumRead(.block(.number(101)), parse: RPCParse.block)
        }
        #expect(split == .failure(.inconsistent("eth_getBlockByNumber: fewer than 2 providers agreed (2 different answers)")))
        let alone = await outcome { () async throws(RPCFailure) -> RPCBlock? in
            try await pool([lying]).quorumRead(.block(.number(101)), parse: RPCParse.block)
        }
        #expect(alone.map { $0?.transactions } == .success([]))
    }
}

// MARK: Concurrency probe

/// Lets `parties` callers through only once all of them have arrived; after `timeout` the
/// ones waiting give up (false).
actor Rendezvous {
    let parties: Int
    var arrived = 0
    var waiting: [CheckedContinuation<Bool, Never>] = []

    init(parties: Int) { self.parties = parties }

    func arrive(timeout: Duration) async -> Bool {
        arrived += 1
        if arrived >= parties {
            for continuation in waiting { continuation.resume(returning: true) }
            waiting = []
            return true
        }
        Task {
            try? await Task.sleep(for: timeout)
            self.expire()
        }
        return await withCheckedContinuation { waiting.append($0) }
    }

    func expire() {
        for continuation in waiting { continuation.resume(returning: false) }
        waiting = []
    }
}

/// A provider that answers `eth_getLogs` with `answer` only after every other gated provider
/// has been asked too; a pool that asks one provider after the other never gets past it.
struct GatedTransport: RPCTransport {
    let displayURL: String
    let rendezvous: Rendezvous
    let answer: String

    init(_ displayURL: String, rendezvous: Rendezvous, answer: String) {
        self.displayURL = displayURL
        self.rendezvous = rendezvous
        self.answer = answer
    }

    func post(_ body: [UInt8], timeout: Duration) async throws(RPCFailure) -> RPCHTTPResponse {
        guard await rendezvous.arrive(timeout: timeout) else { throw .timeout }
        return RPCHTTPResponse(status: 200, retryAfter: nil, body: Array("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\(answer)}".utf8))
    }
}
