import ChainRPC
import Foundation
import Testing

/// `ProviderPool.quorumBlocks`: blocks asked in JSON-RPC batches, believed only on the same
/// agreement as single quorum reads; whatever a batch spoils is read again on its own.
@Suite struct BatchBlockTests {
    /// A provider serving `chain` to single calls and batches; `batchLie` may change one
    /// element of a batch answer (the call's block number in, the element's result JSON out).
    static func provider(
        _ url: String, _ chain: FakeChain, batchLie: @escaping @Sendable (UInt64, String) -> String = { $1 }
    ) -> ScriptedTransport {
        ScriptedTransport(url) { request in
            guard request.method == "batch" else { return chainReply(chain, .none, request) }
            var elements: [String] = []
            for case let envelope as [String: Any] in request.params {
                let id = envelope["id"] as? Int ?? 0
                let params = envelope["params"] as? [Any] ?? []
                let single = SentRequest(method: envelope["method"] as? String ?? "?", params: params, id: id, number: 0)
                guard case .result(let json) = chainReply(chain, .none, single) else { continue }
                let number = (params.first as? String).flatMap(hexUInt64) ?? 0
                elements.append(#"{"jsonrpc":"2.0","id":\#(id),"result":\#(batchLie(number, json))}"#)
            }
            return .raw(Array(("[" + elements.joined(separator: ",") + "]").utf8))
        }
    }

    /// Blocks 100...350 without transactions.
    static let chain = FakeChain(blocks: (100...350).map { ChainBlock(number: $0, transactions: [], logs: []) })

    @Test func honestProvidersAnswerInBatches() async throws {
        let providers = [Self.provider("https://a.example", Self.chain), Self.provider("https://b.example", Self.chain)]
        let pool = pool(providers)
        let numbers = Array(UInt64(100)...UInt64(350)) + [100, 999]
        let blocks = try await pool.quorumBlocks(numbers)
        #expect(blocks.count == 252)
        for number in UInt64(100)...UInt64(350) { #expect(blocks[number] == .some(Self.chain.block(number: number)!.decoded)) }
        // A height the chain has not reached is nil on both: agreed.
        #expect(blocks[999] == .some(nil))
        // 252 heights in batches of 100: three batches to each provider, nothing else.
        for provider in providers { #expect(provider.methods == ["batch", "batch", "batch"]) }
    }

    @Test func aBlockOneBatchGetsWrongIsReadAgainAlone() async throws {
        // Provider a answers block 102 with block 103 and block 104 with another hash in its batches.
        let liar = Self.provider("https://a.example", Self.chain) { number, json in
            switch number {
            case 102: return Self.chain.block(number: 103)!.json
            case 104: return json.replacingOccurrences(of: Self.chain.block(number: 104)!.hash, with: fakeHash("forged"))
            default: return json
            }
        }
        let honest = Self.provider("https://b.example", Self.chain)
        let pool = pool([liar, honest])
        let blocks = try await pool.quorumBlocks(Array(100...110))
        for number in UInt64(100)...UInt64(110) { #expect(blocks[number] == .some(Self.chain.block(number: number)!.decoded)) }
        // Both spoiled heights were read again alone, from both providers.
        let singles = (liar.params + honest.params).compactMap { $0.first as? String }.filter { $0.hasPrefix("0x") }.sorted()
        #expect(singles == ["0x66", "0x66", "0x68", "0x68"])
    }

    @Test func aFailedBatchFallsBackToSingleReads() async throws {
        let failing = ScriptedTransport("https://a.example") { request in
            request.method == "batch" ? .http(status: 500, retryAfter: nil, body: "down") : chainReply(Self.chain, .none, request)
        }
        let pool = pool([failing, Self.provider("https://b.example", Self.chain)])
        let blocks = try await pool.quorumBlocks([101, 103])
        #expect(blocks[101] == .some(Self.chain.block(number: 101)!.decoded))
        #expect(blocks[103] == .some(Self.chain.block(number: 103)!.decoded))
        #expect(failing.methods.filter { $0 == "eth_getBlockByNumber" }.count == 2)
    }

    /// Hostile batch answers: none is believed, none traps; the blocks are read again alone.
    @Test(
        arguments: [
            "not json at all",
            #"{"jsonrpc":"2.0","id":1,"result":"0x1"}"#,
            #"[{"jsonrpc":"2.0","id":1,"result":{"number":"0xffffffffffffffff","hash":"0x00"}}]"#,
            #"[{"jsonrpc":"2.0","id":1,"result":[1,2,3]},{"jsonrpc":"2.0","id":1,"result":null},{"id":"x"}]"#,
            #"[{"jsonrpc":"2.0","id":18446744073709551615,"result":null},{"jsonrpc":"2.0","id":2,"error":{"code":-32000,"message":"no"}}]"#,
            "[" + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "]",
        ])
    func hostileBatchAnswersAreReadAgainAlone(body: String) async throws {
        let hostile = ScriptedTransport("https://a.example") { request in
            request.method == "batch" ? .raw(Array(body.utf8)) : chainReply(Self.chain, .none, request)
        }
        let pool = pool([hostile, Self.provider("https://b.example", Self.chain)])
        let blocks = try await pool.quorumBlocks([100, 101])
        #expect(blocks[100] == .some(Self.chain.block(number: 100)!.decoded))
        #expect(blocks[101] == .some(Self.chain.block(number: 101)!.decoded))
        #expect(hostile.methods.filter { $0 == "eth_getBlockByNumber" }.count == 2)
    }

    @Test func disagreementThatPersistsIsAnError() async {
        // One provider forges block 101 everywhere: two providers never agree on it.
        let forging = ScriptedTransport("https://a.example") { request in
            let reply = chainReply(Self.chain, .none, request)
            if request.method == "eth_getBlockByNumber", request.params.first as? String == "0x65", case .result(let json) = reply {
                return .result(json.replacingOccurrences(of: Self.chain.block(number: 101)!.hash, with: fakeHash("forged")))
            }
            return reply
        }
        let pool = pool([forging, Self.provider("https://b.example", Self.chain)], fastConfiguration(rounds: 1))
        let result = await outcome { () async throws(RPCFailure) in try await pool.quorumBlocks([101]) }
        guard case .failure(let failure) = result else {
            Issue.record("a block two providers disagree on was believed")
            return
        }
        #expect("\(failure)".contains("fewer than 2 providers agreed"))
    }
}
