import EthereumCore
import Foundation
import TestSupport
import Testing

@testable import ChainRPC

// The byte decoders (RPCResultDecoder, JSONReader) against the Foundation decoders: for every
// answer, recorded, hostile or mutated, both ways give the same value or the same failure.

/// What one answer gives both ways, and whether the byte reader took it.
struct BothWays<T: Sendable & Equatable>: Sendable {
    let bytes: Result<T, RPCFailure>
    let foundation: Result<T, RPCFailure>
    let taken: Bool
}

/// Sends `method` to a provider answering `reply`, once through `decoder` and once through its
/// Foundation closure alone.
func bothWays<T: Sendable & Equatable>(_ method: String, _ reply: Reply, _ decoder: RPCResultDecoder<T>) async -> BothWays<T> {
    let transport = ScriptedTransport("https://answer.example", always: reply)
    let client = JSONRPCClient(transport: transport, timeout: .seconds(1))
    let bytes = await outcome { () async throws(RPCFailure) -> T in try await client.request(RPCCall(method), parse: decoder) }
    let foundation = await outcome { () async throws(RPCFailure) -> T in
        try await client.request(RPCCall(method), parse: decoder.object)
    }
    var taken = false
    if let body = BothWays<T>.body(of: reply), case .decoded = decoder.decode(body: body) { taken = true }
    return BothWays(bytes: bytes, foundation: foundation, taken: taken)
}

extension BothWays {
    /// The body a scripted provider sends for `reply` to a request with id 1.
    static func body(of reply: Reply) -> [UInt8]? {
        switch reply {
        case .result(let json): return Array("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\(json)}".utf8)
        case .raw(let bytes): return bytes
        default: return nil
        }
    }
}

/// The decoders under test, by name, each run both ways on one reply.
enum ByteDecoder: String, CaseIterable, Sendable {
    case quantity, uint64, blockNumber, bytes, block, logs, receipt, txHash

    /// Runs the reply both ways; returns whether the outcomes agree and whether the byte path took it.
    func run(_ reply: Reply) async -> (agree: Bool, taken: Bool, detail: String) {
        func summary<T>(_ both: BothWays<T>) -> (Bool, Bool, String) {
            // Failures compare by what they say too: a NaN Retry-After is not equal to itself.
            let agree = both.bytes == both.foundation || "\(both.bytes)" == "\(both.foundation)" && (try? both.bytes.get()) == nil
            return (agree, both.taken, "bytes: \(both.bytes)\nfoundation: \(both.foundation)")
        }
        switch self {
        case .quantity: return summary(await bothWays("eth_gasPrice", reply, RPCParse.quantity))
        case .uint64: return summary(await bothWays("eth_chainId", reply, RPCParse.uint64))
        case .blockNumber: return summary(await bothWays("eth_blockNumber", reply, RPCParse.blockNumber))
        case .bytes: return summary(await bothWays("eth_call", reply, RPCParse.bytes))
        case .block: return summary(await bothWays("eth_getBlockByNumber", reply, RPCParse.block))
        case .logs: return summary(await bothWays("eth_getLogs", reply, RPCParse.logs))
        case .receipt: return summary(await bothWays("eth_getTransactionReceipt", reply, RPCParse.receipt))
        case .txHash: return summary(await bothWays("eth_sendRawTransaction", reply, RPCParse.txHash))
        }
    }
}

/// Honest answers of the fake chain (blocks, log lists, receipts), changed byte by byte.
struct MutatedAnswers {
    var random: SeededGenerator
    let chain = FakeChain.standard()

    init(seed: UInt64) { random = SeededGenerator(seed: seed) }

    mutating func pick<T>(_ options: [T]) -> T { options[Int(random.next() % UInt64(options.count))] }

    /// Bytes that change the meaning of JSON or of hex where they land.
    static let interesting: [UInt8] = Array("\"\\{}[],: \tAFXxg0019-.eE\u{7f}".utf8) + [0x00, 0x0A, 0x80, 0xC3, 0xFF]

    mutating func honest() -> String {
        let block = pick(chain.blocks)
        switch random.next() % 4 {
        case 0: return block.json
        case 1: return "[" + block.logs.map(\.json).joined(separator: ",") + "]"
        case 2: return chain.receiptJSON(pick(block.transactions))
        default: return pick(["\"0x1312d00\"", "\"\(block.hash)\"", "\"0x\"", "null", "\"0x000000000000000001\""])
        }
    }

    /// An honest envelope with one to three changes.
    mutating func body() -> [UInt8] {
        var bytes = Array("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\(honest())}".utf8)
        for _ in 0..<(1 + random.next() % 3) where !bytes.isEmpty {
            let at = Int(random.next() % UInt64(bytes.count))
            switch random.next() % 7 {
            case 0: bytes[at] = pick(Self.interesting)
            case 1: bytes.insert(pick(Self.interesting), at: at)
            case 2: bytes.remove(at: at)
            case 3: bytes = Array(bytes.prefix(at))
            case 4:
                // A copy of a stretch somewhere else: duplicate keys, repeated values.
                let length = min(bytes.count - at, 1 + Int(random.next() % 80))
                let copy = bytes[at..<(at + length)]
                bytes.insert(contentsOf: copy, at: Int(random.next() % UInt64(bytes.count)))
            case 5:
                // Uppercase hex: addresses then need a checksum, hashes do not.
                for index in at..<min(bytes.count, at + 40) where (0x61...0x66).contains(bytes[index]) { bytes[index] -= 0x20 }
            default:
                bytes.insert(contentsOf: Array(pick(["\\u0030", "1e400", "[[[[", "null", "\"removed\":1,", "   "]).utf8), at: at)
            }
        }
        return bytes
    }
}

@Suite struct ByteDecodingTests {
    // MARK: Recorded answers

    /// Every recorded answer decodes to the same value, or fails the same way, both ways; the
    /// honest ones with a result are taken by the byte reader.
    @Test(
        arguments: RecordedVectors.cases([
            "eth_getBlockByNumber", "eth_getBlockByHash", "eth_getLogs", "eth_getFilterLogs", "eth_getTransactionReceipt", "eth_chainId",
            "eth_blockNumber",
        ]))
    func recordedAnswerBothWays(_ recorded: RecordedCase) async throws {
        let reply = Reply.raw(recorded.body)
        let agreeing: (Bool, Bool, String)
        switch recorded.method {
        case "eth_getBlockByNumber", "eth_getBlockByHash": agreeing = await ByteDecoder.block.run(reply)
        case "eth_getLogs", "eth_getFilterLogs": agreeing = await ByteDecoder.logs.run(reply)
        case "eth_getTransactionReceipt": agreeing = await ByteDecoder.receipt.run(reply)
        default: agreeing = await ByteDecoder.uint64.run(reply)
        }
        let (agree, taken, detail) = agreeing
        #expect(agree, "\(detail)")
        // Taken: every answer with a result and no error, except where the Foundation way must
        // speak (a `null` where a value is required, a receipt without `status`).
        let envelope = recorded.envelope
        let result = envelope["result"]
        let nullable = ["eth_getBlockByNumber", "eth_getBlockByHash", "eth_getTransactionReceipt"].contains(recorded.method)
        let hasResult = result != nil && envelope["error"] == nil && (nullable || !(result is NSNull))
        let refused = RecordedResponseTests.statusLessReceipts.contains(recorded.name)
        #expect(taken == (hasResult && !refused), "byte path taken: \(taken)")
    }

    /// How many recorded answers the byte reader takes, per method (the rest are errors,
    /// `null`s and receipts without `status`).
    @Test func recordedAnswersTaken() {
        var taken = [String: Int]()
        for recorded in RecordedVectors.all {
            let took: Bool
            switch recorded.method {
            case "eth_getBlockByNumber": took = isDecoded(RPCParse.block.decode(body: recorded.body))
            case "eth_getLogs", "eth_getFilterLogs": took = isDecoded(RPCParse.logs.decode(body: recorded.body))
            case "eth_getTransactionReceipt": took = isDecoded(RPCParse.receipt.decode(body: recorded.body))
            case "eth_chainId": took = isDecoded(RPCParse.uint64.decode(body: recorded.body))
            default: continue
            }
            if took { taken[recorded.method, default: 0] += 1 }
        }
        #expect(
            taken == [
                "eth_getBlockByNumber": 19, "eth_getLogs": 20, "eth_getFilterLogs": 1, "eth_getTransactionReceipt": 28, "eth_chainId": 2,
            ])
    }

    func isDecoded<T>(_ outcome: RPCResultDecoder<T>.ByteOutcome) -> Bool {
        if case .decoded = outcome { return true }
        return false
    }

    // MARK: Hostile and mutated answers

    static let casesPerDecoder = 300

    /// The fuzz test's hostile answers give the same outcome both ways, whichever decoder.
    @Test(arguments: ByteDecoder.allCases)
    func hostileAnswersBothWays(_ decoder: ByteDecoder) async {
        var taken = 0
        for index in 0..<Self.casesPerDecoder {
            var answers = HostileAnswers(seed: 0xB17E_0000 &+ UInt64(index) &* 31 &+ UInt64(decoder.rawValue.count))
            let reply = answers.reply()
            let (agree, took, detail) = await decoder.run(reply)
            #expect(agree, "case \(index): \(detail)")
            if took { taken += 1 }
        }
        // The generator's plausible answers reach the typed decoders now and then.
        if decoder == .block || decoder == .logs || decoder == .receipt { #expect(taken > 0) }
    }

    /// Honest answers changed a few bytes at a time (escapes, uppercase hex, duplicate keys,
    /// cut bodies, huge numbers, deep nesting) give the same outcome both ways.
    @Test(arguments: ByteDecoder.allCases)
    func mutatedAnswersBothWays(_ decoder: ByteDecoder) async {
        var taken = 0
        var answers = MutatedAnswers(seed: 0x5EED_0000 &+ UInt64(decoder.rawValue.count))
        for index in 0..<Self.casesPerDecoder {
            let (agree, took, detail) = await decoder.run(.raw(answers.body()))
            #expect(agree, "case \(index): \(detail)")
            if took { taken += 1 }
        }
        #expect(taken > 0, "some mutations leave an answer the byte reader takes")
        #expect(taken < Self.casesPerDecoder, "some mutations make it refuse")
    }

    // MARK: Exact cases

    static let log = FakeChain.standard().allLogs[0]

    static func logs(_ json: String) -> [UInt8] { Array("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[\(json)]}".utf8) }

    static let logCases: [(String, [UInt8], Bool, Result<[RPCLog], RPCFailure>)] = [
        ("honest", logs(log.json), true, .success([log.decoded])),
        ("empty list", Array(#"{"jsonrpc":"2.0","id":1,"result":[]}"#.utf8), true, .success([])),
        (
            "result before id", Array("{\"result\":[\(log.json)],\"id\":1,\"jsonrpc\":\"2.0\",\"error\":null}".utf8), true,
            .success([log.decoded])
        ),
        ("uppercase topics", logs(log.json.replacingOccurrences(of: "ddf252ad", with: "DDF252AD")), true, .success([log.decoded])),
        (
            "leading zeros", logs(log.json.replacingOccurrences(of: "\"logIndex\":\"0x0\"", with: "\"logIndex\":\"0x0000\"")), true,
            .success([log.decoded])
        ),
        (
            "checksummed address",
            logs(log.json.replacingOccurrences(of: FakeChain.usdc, with: "0x2791Bca1f2de4661ED88A30C99A7a9449Aa84174")),
            false, .success([log.decoded])
        ),
        (
            "wrong checksum", logs(log.json.replacingOccurrences(of: FakeChain.usdc, with: "0x2791BCa1f2de4661ED88A30C99A7a9449Aa84174")),
            false,
            .failure(
                .malformed(
                    "log.address: address 0x2791BCa1f2de4661ED88A30C99A7a9449Aa84174 has a wrong EIP-55 checksum "
                        + "(expected 0x2791Bca1f2de4661ED88A30C99A7a9449Aa84174); check for a typo, or write it in all lowercase"))
        ),
        (
            "index above the limit", logs(log.json.replacingOccurrences(of: "\"logIndex\":\"0x0\"", with: "\"logIndex\":\"0x80000000\"")),
            false, .failure(.malformed("log.logIndex: 2147483648 is above 2147483647"))
        ),
        (
            "17 significant digits",
            logs(log.json.replacingOccurrences(of: "\"logIndex\":\"0x0\"", with: "\"logIndex\":\"0x10000000000000000\"")), false,
            .failure(.malformed("log.logIndex: does not fit 64 bits"))
        ),
        (
            "removed as a number", logs(log.json.replacingOccurrences(of: "\"removed\":false", with: "\"removed\":0")), false,
            .success([log.decoded])
        ),
        ("an escape", logs(log.json.replacingOccurrences(of: "\"data\"", with: "\"d\\u0061ta\"")), false, .success([log.decoded])),
        (
            "an overflowing number", Array("{\"jsonrpc\":\"2.0\",\"id\":1e400,\"result\":[\(log.json)]}".utf8), false,
            .failure(.malformed("eth_getLogs: body is not JSON (\(logs(log.json).count + 4) bytes)"))
        ),
        (
            "trailing text", logs(log.json) + Array(" x".utf8), false,
            .failure(.malformed("eth_getLogs: body is not JSON (\(logs(log.json).count + 2) bytes)"))
        ),
        (
            "an error beside the result",
            Array("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[],\"error\":{\"code\":-32005,\"message\":\"slow\"}}".utf8),
            false, .failure(.rpc(code: -32005, message: "slow"))
        ),
        ("null", Array(#"{"jsonrpc":"2.0","id":1,"result":null}"#.utf8), false, .failure(.nullResult("eth_getLogs"))),
        (
            "two results", Array("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[],\"result\":[\(log.json)]}".utf8), false,
            .success([log.decoded])
        ),
    ]

    /// Exact outcomes for logs, and which answers the byte reader takes itself.
    @Test(arguments: logCases.indices)
    func exactLogAnswers(_ index: Int) async {
        let (name, body, taken, expected) = Self.logCases[index]
        let both = await bothWays("eth_getLogs", .raw(body), RPCParse.logs)
        #expect(both.bytes == expected, "\(name)")
        #expect(both.foundation == expected, "\(name)")
        #expect(both.taken == taken, "\(name)")
    }

    /// Nesting in a field the decoders skip: up to the reader's depth it is read, deeper it goes
    /// the Foundation way; 100,000 levels are refused without trapping.
    @Test(arguments: [(10, true), (60, true), (70, false), (100_000, false)])
    func nestingInASkippedField(_ depth: Int, _ taken: Bool) async {
        let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let body = Array("{\"jsonrpc\":\"2.0\",\"id\":1,\"extra\":\(nested),\"result\":\"0x10\"}".utf8)
        let both = await bothWays("eth_chainId", .raw(body), RPCParse.uint64)
        #expect(both.taken == taken)
        #expect(both.bytes == both.foundation)
        if depth < 512 { #expect(both.bytes == .success(16)) }
    }

    /// Quantities as the byte reader reads them, and as the Foundation way does.
    @Test(arguments: [
        ("\"0x0\"", true, Result<UInt64, RPCFailure>.success(0)),
        ("\"0x1000000000000\"", true, .success(1 << 48)),
        ("\"0x1000000000001\"", false, .failure(.malformed("block number 281474976710657 is above 281474976710656"))),
        ("\"0x\"", false, .failure(.malformed("result: '0x' is not a hex quantity"))),
        ("\"0X10\"", false, .success(16)),
        ("\"0x00000000000000000000010\"", true, .success(16)),
        ("12345", false, .failure(.malformed("expected a hex quantity"))),
        ("null", false, .failure(.nullResult("quantity"))),
        ("\"0xg\"", false, .failure(.malformed("result: '0xg' is not a hex quantity"))),
    ])
    func blockNumbers(_ json: String, _ taken: Bool, _ expected: Result<UInt64, RPCFailure>) async {
        let both = await bothWays("eth_blockNumber", .result(json), RPCParse.blockNumber)
        #expect(both.bytes == expected)
        #expect(both.foundation == expected)
        #expect(both.taken == taken)
    }

    /// A block with whole transaction objects keeps their hashes; the fake chain's blocks and
    /// receipts are taken and equal the Foundation way's.
    @Test func blocksAndReceipts() async {
        let chain = FakeChain.standard()
        for block in chain.blocks {
            let both = await bothWays("eth_getBlockByNumber", .result(block.json), RPCParse.block)
            #expect(both.taken)
            #expect(both.bytes == .success(block.decoded))
            for transaction in block.transactions {
                let receipt = await bothWays("eth_getTransactionReceipt", .result(chain.receiptJSON(transaction)), RPCParse.receipt)
                #expect(receipt.taken)
                #expect(receipt.bytes == receipt.foundation)
            }
        }
        let full = chain.blocks[1].json.replacingOccurrences(
            of: "\"transactions\":[\"\(chain.blocks[1].transactions[0])\",\"\(chain.blocks[1].transactions[1])\"]",
            with: "\"transactions\":[{\"hash\":\"\(chain.blocks[1].transactions[0])\",\"input\":\"0x\",\"accessList\":[]},"
                + "\"\(chain.blocks[1].transactions[1])\"]")
        #expect(full != chain.blocks[1].json)
        let both = await bothWays("eth_getBlockByNumber", .result(full), RPCParse.block)
        #expect(both.taken)
        #expect(both.bytes == .success(chain.blocks[1].decoded))
        let missing = await bothWays("eth_getBlockByNumber", .result("null"), RPCParse.block)
        #expect(missing.taken)
        #expect(missing.bytes == .success(nil))
    }
}
