import ChainRPC
import EthereumCore
import Foundation
import TestSupport
import Testing

// MARK: Seeded hostile answers

/// Makes the answers a broken or hostile provider gives: random JSON, huge and negative
/// numbers, wrong types, truncated and oversized bodies, wrong ids, batches where a single
/// answer is expected, absurd HTTP statuses and Retry-After values, and plausible objects
/// with one field spoiled.
struct HostileAnswers: Sendable {
    var random: SeededGenerator
    let chain = FakeChain.standard()

    init(seed: UInt64) { random = SeededGenerator(seed: seed) }

    mutating func pick<T>(_ options: [T]) -> T { options[Int(random.next() % UInt64(options.count))] }
    mutating func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }
    mutating func count(_ limit: UInt64) -> Int { Int(random.next() % (limit + 1)) }

    mutating func hexDigits(_ count: Int) -> String {
        String((0..<count).map { _ in pick(Array("0123456789abcdefABCDEF")) })
    }

    /// A quantity as a string, mostly broken.
    mutating func quantity() -> String {
        switch random.next() % 14 {
        case 0: return "0x0"
        case 1: return "0xffffffffffffffff"
        case 2: return "0x1000000000001"
        case 3: return "0x" + String(repeating: "f", count: 64)
        case 4: return "0x1" + String(repeating: "0", count: 64)
        case 5: return "0x"
        case 6: return ""
        case 7: return "-0x1"
        case 8: return "0xzz"
        case 9: return "12345"
        case 10: return "0x" + hexDigits(count(20))
        case 11: return "0X7fffffff"
        case 12: return "0x80000000"
        default: return "0x" + String(random.next() % 1_000, radix: 16)
        }
    }

    /// A 32-byte hash, or something that is not one.
    mutating func hash() -> String {
        switch random.next() % 6 {
        case 0: return "0x" + hexDigits(63)
        case 1: return "0x" + hexDigits(66)
        case 2: return hexDigits(64)
        case 3: return "0x" + String(repeating: "g", count: 64)
        default: return pick(chain.blocks.flatMap { [$0.hash] + $0.transactions })
        }
    }

    /// Any JSON value, as text.
    mutating func json(depth: Int = 0) -> String {
        let leaf = depth >= 3 || chance(40)
        switch random.next() % (leaf ? 7 : 9) {
        case 0: return "null"
        case 1: return pick(["true", "false"])
        case 2: return pick(["0", "-1", "1e400", "-1e400", "18446744073709551616", "9223372036854775808", "0.5", "-0", "1E2"])
        case 3: return "\"\(quantity())\""
        case 4: return "\"\(hash())\""
        case 5: return pick(["\"\"", "\"\\u0000\"", "\"\\ud800\"", "\"é\"", "\"[0x0, 0xffffffffffffffff]\""])
        case 6: return "\"0x" + hexDigits(2 * count(40)) + "\""
        case 7: return "[" + (0..<count(4)).map { _ in json(depth: depth + 1) }.joined(separator: ",") + "]"
        default:
            let keys = [
                "number", "hash", "logs", "topics", "logIndex", "blockNumber", "result", "error", "id", "transactions", "code", "message",
            ]
            return "{" + (0..<count(5)).map { _ in "\"\(pick(keys))\":\(json(depth: depth + 1))" }.joined(separator: ",") + "}"
        }
    }

    /// A plausible object (a block, a log list, a receipt) from the fake chain, with one
    /// field replaced by a hostile value now and then.
    mutating func plausible() -> String {
        let block = pick(chain.blocks)
        var text: String
        switch random.next() % 3 {
        case 0: text = block.json
        case 1: text = "[" + block.logs.map(\.json).joined(separator: ",") + "]"
        default: text = chain.receiptJSON(pick(block.transactions))
        }
        if chance(70) {
            let fields = [
                "number", "hash", "logIndex", "blockNumber", "transactionIndex", "data", "address", "topics", "timestamp", "logs", "status",
            ]
            let field = pick(fields)
            if let range = text.range(of: "\"\(field)\":") {
                let start = range.upperBound
                let end = text[start...].firstIndex { $0 == "," || $0 == "}" } ?? text.endIndex
                text.replaceSubrange(start..<end, with: json(depth: 2))
            }
        }
        return text
    }

    mutating func retryAfter() -> Double? {
        pick([nil, .infinity, -.infinity, .nan, -1, 0, 0.001, 1e300, 86_400, 86_401, Double(random.next() % 10) / 1_000])
    }

    mutating func failure() -> RPCFailure {
        switch random.next() % 6 {
        case 0: return .timeout
        case 1: return .transport("connection reset by peer")
        case 2: return .http(status: Int(truncatingIfNeeded: random.next()), retryAfter: retryAfter())
        case 3: return .malformed(json())
        case 4: return .nullResult("x")
        default: return .inconsistent(json())
        }
    }

    mutating func errorMessage() -> String {
        pick([
            "query returned more than 10000 results. Try with this block range [0x0, 0xffffffffffffffff].",
            "query returned more than 10000 results. Try with this block range [0x64, 0x65].",
            "query returned more than 10000 results. Try with this block range [0xffffffffffffffff, 0x0].",
            "Try with this block range [0x" + String(repeating: "f", count: 40) + ", 0x1]",
            "header not found", "execution reverted", "already known", "limit exceeded [", "[[[[]]]]", "",
        ])
    }

    /// One answer to one request.
    mutating func reply() -> Reply {
        switch random.next() % 16 {
        case 0, 1: return .result(json())
        case 2: return .result("\"\(quantity())\"")
        case 3, 4, 5: return .result(plausible())
        case 6:
            let body = Array("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\(plausible())}".utf8)
            return .raw(Array(body.prefix(count(UInt64(body.count)))))
        case 7: return .raw((0..<count(200)).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        case 8:
            if chance(50) { return .raw(Array(String(repeating: "[", count: 100_000).utf8)) }
            return .result("[" + Array(repeating: "\"0x1\"", count: 60_000).joined(separator: ",") + "]")
        case 9: return .raw(Array("[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\(json())}]".utf8))
        case 10:
            return .raw(
                Array("{\"jsonrpc\":\"2.0\",\"id\":\(pick(["999", "null", "\"1\"", "-1", "1e400"])),\"result\":\(plausible())}".utf8))
        case 11:
            return .http(status: pick([0, -1, 204, 301, 404, 408, 429, 500, 503, 999, Int.max]), retryAfter: retryAfter(), body: json())
        case 12: return .fail(failure())
        case 13: return .rpcError(code: pick([-32005, -32000, -32602, 3, Int.min, Int.max, 0]), message: errorMessage())
        case 14:
            let error = pick([
                "\"boom\"", "{\"code\":\"-32005\"}", "{\"code\":1e400,\"message\":7}",
                "{\"code\":-32005.5,\"message\":\"range too large\"}", "[]",
            ])
            return .raw(Array("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":\(error)}".utf8))
        default: return .raw([])
        }
    }
}

/// A provider answering from a seeded hostile generator. Now and then it answers as the
/// fake chain would through `lie` (which may itself be a forgery), so that hostile answers
/// also reach the checks behind the decoders.
func hostileProvider(_ url: String, seed: UInt64, lie: Lie = .none) -> ScriptedTransport {
    let answers = Locked(HostileAnswers(seed: seed))
    let chain = FakeChain.standard()
    return ScriptedTransport(url) { request in
        answers.withLock { $0.chance(40) ? chainReply(chain, lie, request) : $0.reply() }
    }
}

/// A value behind a lock, for scripted providers that keep state across concurrent requests.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

// MARK: The fuzz test

enum FuzzTarget: String, CaseIterable, Sendable {
    case decoders, batch, read, quorumRead, refreshHeads, finalizedBlock, logs, transferLogs, broadcast
}

/// Hostile answers from a seeded generator against the decoders and every pool method:
/// nothing traps, every failure is an `RPCFailure` (the methods' typed throws), and beside an
/// honest provider nothing the hostile one alone says is believed.
@Suite struct HostileAnswerFuzzTests {
    static let casesPerTarget: UInt64 = 120
    static let chain = FakeChain.standard()
    static let honestLogs = Set(chain.allLogs.map(\.decoded))

    @Test(arguments: FuzzTarget.allCases)
    func hostileAnswers(_ target: FuzzTarget) async {
        var outcomes = [String: Int]()
        for index in 0..<Self.casesPerTarget {
            let seed = UInt64(FuzzTarget.allCases.firstIndex(of: target)!) * 1_000_003 + index
            let outcome = await Self.run(target, seed: seed)
            outcomes[outcome, default: 0] += 1
        }
        #expect(outcomes.values.reduce(0, +) == Int(Self.casesPerTarget))
        // Both outcomes happen: the generator is not so hostile that nothing ever parses.
        if target != .decoders && target != .batch { #expect(outcomes["success", default: 0] > 0, "\(outcomes)") }
    }

    /// Runs one case; returns "success" or the failure's kind.
    static func run(_ target: FuzzTarget, seed: UInt64) async -> String {
        var setup = HostileAnswers(seed: seed ^ 0xA5A5_A5A5)
        let lies: [Lie] = [
            .none, .forgeInRealTransaction(to: FakeChain.merchant, amount: 1, consistent: true),
            .forgeInMadeUpTransaction(to: FakeChain.merchant, amount: 2), .changeAmounts(to: 3, consistent: true), .omitAll,
        ]
        let hostile = hostileProvider("https://hostile.example", seed: seed, lie: setup.pick(lies))
        let honest = chainProvider("https://honest.example", chain)
        let second = hostileProvider("https://hostile2.example", seed: seed &+ 7, lie: setup.pick(lies))
        // One to three providers: always the hostile one, sometimes an honest or a second hostile one, in any order.
        var transports = [hostile]
        switch setup.random.next() % 4 {
        case 0: break
        case 1: transports.append(honest)
        case 2: transports.insert(honest, at: 0)
        default: transports += [second, honest]
        }
        let providers = pool(transports, fastConfiguration(rounds: 2))
        // With one hostile and one honest provider, nothing the hostile one alone says may count.
        let pairedWithHonest = transports.count == 2
        let usdc = try! Address(FakeChain.usdc)

        func kind<T>(_ result: Result<T, RPCFailure>) -> String {
            switch result {
            case .success: return "success"
            case .failure(let failure):
                // Everything a failure offers works on hostile text.
                _ = (failure.disposition, failure.description, failure.retryAfter, failure.isLogRangeTooLarge, failure.suggestedLogRange)
                return "\(failure.disposition)"
            }
        }

        switch target {
        case .decoders:
            var answers = HostileAnswers(seed: seed)
            let text = answers.pick([answers.json(), answers.plausible(), "\"\(answers.quantity())\""])
            guard let value = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else {
                return "not JSON"
            }
            _ = (
                kind(Result { () throws(RPCFailure) in try RPCParse.quantity(value) }),
                kind(Result { () throws(RPCFailure) in try RPCParse.uint64(value) }),
                kind(Result { () throws(RPCFailure) in try RPCParse.bytes(value) }),
                kind(Result { () throws(RPCFailure) in try RPCParse.block(value) }),
                kind(Result { () throws(RPCFailure) in try RPCParse.receipt(value) }),
                kind(Result { () throws(RPCFailure) in try RPCParse.transaction(value) }),
                kind(Result { () throws(RPCFailure) in try RPCParse.txHash(value) }),
                kind(Result { () throws(RPCFailure) in try RPCParse.feeHistory(value) })
            )
            let logs = Result { () throws(RPCFailure) in try RPCParse.logs(value) }
            if case .success(let decoded) = logs {
                #expect(decoded.allSatisfy { $0.blockNumber <= RPCLimits.maxBlockNumber && $0.logIndex <= RPCLimits.maxIndex })
            }
            let head = Result { () throws(RPCFailure) in try RPCParse.blockNumber(value) }
            if case .success(let number) = head { #expect(number <= RPCLimits.maxBlockNumber) }
            return kind(head)
        case .batch:
            let client = JSONRPCClient(transport: hostile, timeout: .seconds(1))
            let result = await outcome { () async throws(RPCFailure) -> [Result<UInt64, RPCFailure>] in
                try await client.batch([.blockNumber, .chainId, .gasPrice], parse: RPCParse.uint64)
            }
            if case .success(let items) = result { #expect(items.count == 3) }
            return kind(result)
        case .read:
            return kind(
                await outcome { () async throws(RPCFailure) -> UInt64 in try await providers.read(.blockNumber, parse: RPCParse.blockNumber)
                })
        case .quorumRead:
            let result = await outcome { () async throws(RPCFailure) -> RPCBlock? in
                try await providers.quorumRead(.block(.number(101)), parse: RPCParse.block)
            }
            if pairedWithHonest, case .success(let block) = result {
                #expect(block == chain.block(number: 101)?.decoded, "a quorum of two includes the honest provider")
            }
            return kind(result)
        case .refreshHeads:
            let head = await providers.refreshHeads()
            #expect((head ?? 0) <= RPCLimits.maxBlockNumber)
            if pairedWithHonest, let head { #expect(head <= chain.head, "the safe head needs two providers; one is honest") }
            _ = await providers.status()
            return head == nil ? "no head" : "success"
        case .finalizedBlock:
            let result = await outcome { () async throws(RPCFailure) -> RPCBlock? in try await providers.finalizedBlock() }
            if case .success(let block?) = result {
                #expect(block.number <= RPCLimits.maxBlockNumber)
                if pairedWithHonest { #expect(block.number <= chain.head, "two providers must reach the finalized height") }
            }
            return kind(result)
        case .logs:
            let result = await outcome { () async throws(RPCFailure) -> [RPCLog] in
                try await providers.logs(from: 100, to: 103) { from, to in
                    .transfers(.range(from: .number(from), to: .number(to)), tokens: [usdc])
                }
            }
            if case .success(let logs) = result {
                #expect(logs.allSatisfy { (100...103).contains($0.blockNumber) && !$0.removed })
                if pairedWithHonest { #expect(Set(logs).isSubset(of: honestLogs), "no log only a hostile provider reports counts") }
            }
            return kind(result)
        case .transferLogs:
            let block = chain.block(number: 102)!.decoded
            let result = await outcome { () async throws(RPCFailure) -> [RPCLog] in
                try await providers.transferLogs(in: block, tokens: [usdc], to: [])
            }
            if case .success(let logs) = result {
                #expect(logs.allSatisfy { $0.blockHash == block.hash && block.transactions.contains($0.transactionHash) })
                if pairedWithHonest { #expect(Set(logs).isSubset(of: honestLogs), "no log only a hostile provider reports counts") }
            }
            return kind(result)
        case .broadcast:
            let raw = (0..<setup.count(64)).map { _ in UInt8(truncatingIfNeeded: setup.random.next()) }
            let result = await providers.broadcast(raw)
            #expect(result.hash == TxHash(raw: Keccak256.hash(raw)))
            #expect(result.accepted.count + result.rejected.count <= transports.count)
            return result.accepted.isEmpty ? "rejected" : "success"
        }
    }
}
