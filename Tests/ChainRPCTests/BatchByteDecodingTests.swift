import EthereumCore
import Foundation
import Testing

@testable import ChainRPC

// Batch answers decoded from their bytes against the same answers decoded the Foundation way:
// the honest answer is taken by the byte reader and gives the same blocks; every other answer
// is refused by it and gives exactly what the Foundation way gives.

@Suite struct BatchByteDecodingTests {
    /// The recorded blocks the byte reader takes, as the `result` JSON of each.
    static let recordedBlocks: [String] = RecordedVectors.cases(["eth_getBlockByNumber"]).compactMap { recorded in
        guard case .decoded(let block) = RPCParse.block.decode(body: recorded.body), block != nil,
            let result = recorded.envelope["result"], let data = try? JSONSerialization.data(withJSONObject: result)
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// One element of a batch answer.
    static func element(id: String, result: String) -> String { #"{"jsonrpc":"2.0","id":\#(id),"result":\#(result)}"# }

    /// The honest answer for the recorded blocks, last id first.
    static func honest(_ results: [String]) -> String {
        "[" + results.enumerated().reversed().map { element(id: "\($0.offset + 1)", result: $0.element) }.joined(separator: ",") + "]"
    }

    /// Sends `results.count` block calls to a provider answering `body`, both ways.
    func bothWays(_ body: String, calls count: Int) async -> (
        bytes: Result<[Result<RPCBlock?, RPCFailure>], RPCFailure>,
        foundation: Result<[Result<RPCBlock?, RPCFailure>], RPCFailure>, taken: Bool
    ) {
        let transport = ScriptedTransport("https://batch.example", always: .raw(Array(body.utf8)))
        let client = JSONRPCClient(transport: transport, timeout: .seconds(1))
        let calls = (0..<count).map { RPCCall.block(.number(UInt64($0))) }
        let bytes = await outcome { () async throws(RPCFailure) in try await client.batch(calls, parse: RPCParse.block) }
        let foundation = await outcome { () async throws(RPCFailure) in try await client.batch(calls, parse: RPCParse.block.object) }
        return (bytes, foundation, RPCParse.block.decodeBatch(body: Array(body.utf8), count: count) != nil)
    }

    @Test func recordedBlocksAreThere() {
        #expect(Self.recordedBlocks.count >= 10)
    }

    @Test func honestBatchIsTakenAndEqualsTheFoundationWay() async throws {
        let results = Self.recordedBlocks
        let both = await bothWays(Self.honest(results), calls: results.count)
        #expect(both.taken)
        #expect(both.bytes == both.foundation)
        let blocks = try both.bytes.get()
        #expect(blocks.count == results.count)
        #expect(blocks.allSatisfy { (try? $0.get()) != nil })
        // In call order, whatever order the answer came in.
        for (position, result) in results.enumerated() {
            let expected = RPCParse.block.decode(body: Array(#"{"jsonrpc":"2.0","id":1,"result":\#(result)}"#.utf8))
            guard case .decoded(let block) = expected else {
                Issue.record("recorded block \(position) not taken alone")
                continue
            }
            #expect(try blocks[position].get() == block)
        }
    }

    /// Answers the byte reader must refuse, each with what makes it unusual.
    static let unusual: [(String, @Sendable (String, String) -> String)] = [
        ("a repeated id", { a, b in "[\(element(id: "1", result: a)),\(element(id: "1", result: b))]" }),
        ("an id out of range", { a, b in "[\(element(id: "1", result: a)),\(element(id: "3", result: b))]" }),
        ("id zero", { a, b in "[\(element(id: "0", result: a)),\(element(id: "2", result: b))]" }),
        ("a negative id", { a, b in "[\(element(id: "-1", result: a)),\(element(id: "2", result: b))]" }),
        ("a string id", { a, b in "[\(element(id: #""1""#, result: a)),\(element(id: "2", result: b))]" }),
        ("a fractional id", { a, b in "[\(element(id: "1.0", result: a)),\(element(id: "2", result: b))]" }),
        ("an exponent id", { a, b in "[\(element(id: "1e0", result: a)),\(element(id: "2", result: b))]" }),
        ("a leading zero", { a, b in "[\(element(id: "01", result: a)),\(element(id: "2", result: b))]" }),
        ("a ten-digit id", { a, b in "[\(element(id: "1000000001", result: a)),\(element(id: "2", result: b))]" }),
        ("2^64 as id", { a, b in "[\(element(id: "18446744073709551616", result: a)),\(element(id: "2", result: b))]" }),
        ("a missing answer", { a, _ in "[\(element(id: "1", result: a))]" }),
        ("an element without id", { a, b in #"[{"jsonrpc":"2.0","result":\#(a)},\#(element(id: "2", result: b))]"# }),
        ("an element without result", { a, _ in #"[\#(element(id: "1", result: a)),{"jsonrpc":"2.0","id":2}]"# }),
        (
            "an error beside",
            { a, _ in #"[\#(element(id: "1", result: a)),{"jsonrpc":"2.0","id":2,"error":{"code":-32000,"message":"x"}}]"# }
        ),
        (
            "an error and a result",
            { a, b in #"[\#(element(id: "1", result: a)),{"jsonrpc":"2.0","id":2,"result":\#(b),"error":{"code":1}}]"# }
        ),
        ("two results", { a, b in #"[\#(element(id: "1", result: a)),{"jsonrpc":"2.0","id":2,"result":\#(b),"result":null}]"# }),
        ("two ids", { a, b in #"[\#(element(id: "1", result: a)),{"jsonrpc":"2.0","id":2,"id":2,"result":\#(b)}]"# }),
        ("an element that is not an object", { a, _ in "[\(element(id: "1", result: a)),2]" }),
        ("trailing bytes", { a, b in "[\(element(id: "1", result: a)),\(element(id: "2", result: b))]x" }),
        ("a trailing comma", { a, b in "[\(element(id: "1", result: a)),\(element(id: "2", result: b)),]" }),
        ("an object, not an array", { a, _ in element(id: "1", result: a) }),
        ("an empty array", { _, _ in "[]" }),
        ("a truncated answer", { a, b in String("[\(element(id: "1", result: a)),\(element(id: "2", result: b))]".dropLast(7)) }),
        ("a block of another type", { a, _ in #"[\#(element(id: "1", result: a)),\#(element(id: "2", result: "\"0x1\""))]"# }),
        ("a null block", { a, _ in "[\(element(id: "1", result: a)),\(element(id: "2", result: "null"))]" }),
    ]

    @Test(arguments: unusual.indices)
    func unusualBatchesGoTheFoundationWay(_ index: Int) async {
        let (name, make) = Self.unusual[index]
        let body = make(Self.recordedBlocks[0], Self.recordedBlocks[1])
        let both = await bothWays(body, calls: 2)
        // A null block is honest (the node has none) and is taken; everything else is refused.
        #expect(both.taken == (name == "a null block"), "\(name)")
        #expect(both.bytes == both.foundation, "\(name): bytes \(both.bytes) foundation \(both.foundation)")
    }
}
