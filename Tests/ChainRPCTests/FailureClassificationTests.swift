import ChainRPC
import EthereumCore
import Foundation
import Testing

/// One failure and what rule 7 says to do about it.
struct ClassificationCase: Sendable, CustomTestStringConvertible {
    let name: String
    let failure: RPCFailure
    let expected: RPCFailure.Disposition
    var testDescription: String { name }
}

/// One error message and what it says about an `eth_getLogs` range.
struct RangeCase: Sendable, CustomTestStringConvertible {
    let name: String
    let failure: RPCFailure
    let tooLarge: Bool
    let suggested: ClosedRange<UInt64>?
    var testDescription: String { name }
}

@Suite struct FailureClassificationTests {
    static let classification: [ClassificationCase] = [
        ClassificationCase(name: "HTTP 429 with Retry-After", failure: .http(status: 429, retryAfter: 2), expected: .retry),
        ClassificationCase(name: "HTTP 429 without Retry-After", failure: .http(status: 429, retryAfter: nil), expected: .retry),
        ClassificationCase(name: "HTTP 408", failure: .http(status: 408, retryAfter: nil), expected: .retry),
        ClassificationCase(name: "HTTP 500", failure: .http(status: 500, retryAfter: nil), expected: .retry),
        ClassificationCase(name: "HTTP 502", failure: .http(status: 502, retryAfter: nil), expected: .retry),
        ClassificationCase(name: "HTTP 503", failure: .http(status: 503, retryAfter: 5), expected: .retry),
        ClassificationCase(name: "HTTP 504", failure: .http(status: 504, retryAfter: nil), expected: .retry),
        ClassificationCase(name: "HTTP 400", failure: .http(status: 400, retryAfter: nil), expected: .failover),
        ClassificationCase(name: "HTTP 401", failure: .http(status: 401, retryAfter: nil), expected: .failover),
        ClassificationCase(name: "HTTP 403", failure: .http(status: 403, retryAfter: nil), expected: .failover),
        ClassificationCase(name: "HTTP 404", failure: .http(status: 404, retryAfter: nil), expected: .failover),
        ClassificationCase(name: "timeout", failure: .timeout, expected: .retry),
        ClassificationCase(name: "connection refused", failure: .transport("connection refused"), expected: .failover),
        ClassificationCase(
            name: "truncated JSON", failure: .malformed("eth_blockNumber: body is not JSON (30 bytes)"), expected: .failover),
        ClassificationCase(
            name: "-32005 too many results",
            failure: .rpc(code: -32005, message: "query returned more than 10000 results. Try with this block range [0x1D2A, 0x1D3F]."),
            expected: .retry),
        ClassificationCase(name: "-32005 limit exceeded", failure: .rpc(code: -32005, message: "limit exceeded"), expected: .retry),
        ClassificationCase(name: "-32000 header not found", failure: .rpc(code: -32000, message: "header not found"), expected: .retry),
        ClassificationCase(name: "null result", failure: .nullResult("eth_getBlockByNumber"), expected: .retry),
        ClassificationCase(name: "code 3 execution reverted", failure: .rpc(code: 3, message: "execution reverted"), expected: .final),
        ClassificationCase(
            name: "code 3 execution reverted with reason",
            failure: .rpc(code: 3, message: "execution reverted: ERC20: transfer amount exceeds balance"),
            expected: .final),
        ClassificationCase(
            name: "-32602 invalid params",
            failure: .rpc(code: -32602, message: "invalid argument 0: hex string has length 3, want 40 for common.Address"),
            expected: .final),
        ClassificationCase(
            name: "-32601 method not found",
            failure: .rpc(code: -32601, message: "the method eth_getBlockReceipts does not exist/is not available"),
            expected: .failover),
        ClassificationCase(name: "-32000 nonce too low", failure: .rpc(code: -32000, message: "nonce too low"), expected: .failover),
        ClassificationCase(name: "-32000 already known", failure: .rpc(code: -32000, message: "already known"), expected: .failover),
        ClassificationCase(name: "inconsistent answer", failure: .inconsistent("log of another block"), expected: .failover),
    ]

    @Test(arguments: classification)
    func disposition(_ testCase: ClassificationCase) {
        #expect(testCase.failure.disposition == testCase.expected)
    }

    @Test func retryAfterIsOnlyTakenFromHTTPFailures() {
        #expect(RPCFailure.http(status: 429, retryAfter: 2).retryAfter == 2)
        #expect(RPCFailure.http(status: 503, retryAfter: nil).retryAfter == nil)
        #expect(RPCFailure.timeout.retryAfter == nil)
        #expect(RPCFailure.rpc(code: -32005, message: "rate limited").retryAfter == nil)
    }

    // MARK: Through JSONRPCClient with a fake transport

    static func client(_ reply: Reply) -> (JSONRPCClient, ScriptedTransport) {
        let transport = ScriptedTransport("https://fake.example", always: reply)
        return (JSONRPCClient(transport: transport, timeout: .seconds(1)), transport)
    }

    @Test func errorBodyWithStatus200IsNeverSuccess() async {
        let body = #"{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"header not found"},"result":"0x10"}"#
        let (client, _) = Self.client(.raw(Array(body.utf8)))
        let result = await outcome { () async throws(RPCFailure) -> UInt64 in try await client.request(.blockNumber, parse: RPCParse.uint64)
        }
        #expect(result == .failure(.rpc(code: -32000, message: "header not found")))
        #expect(result.failureDisposition == .retry)

        let (reverting, _) = Self.client(.rpcError(code: 3, message: "execution reverted"))
        let call = RPCCall.call(to: try! Address("0x2791bca1f2de4661ed88a30c99a7a9449aa84174"), data: [0x70, 0xa0, 0x82, 0x31])
        let reverted = await outcome { () async throws(RPCFailure) -> [UInt8] in try await reverting.request(call, parse: RPCParse.bytes) }
        #expect(reverted == .failure(.rpc(code: 3, message: "execution reverted")))
        #expect(reverted.failureDisposition == .final)
    }

    @Test func http429CarriesRetryAfter() async {
        let (client, transport) = Self.client(.http(status: 429, retryAfter: 2, body: "Too Many Requests"))
        let result = await outcome { () async throws(RPCFailure) -> UInt64 in try await client.request(.blockNumber, parse: RPCParse.uint64)
        }
        #expect(result == .failure(.http(status: 429, retryAfter: 2)))
        #expect(result.failureDisposition == .retry)
        #expect(transport.methods == ["eth_blockNumber"])
    }

    @Test func http503IsRetriedAnd401FailsOver() async {
        let (unavailable, _) = Self.client(.http(status: 503, retryAfter: nil, body: "<html>Service Unavailable</html>"))
        let first = await outcome { () async throws(RPCFailure) -> UInt64 in try await unavailable.request(.chainId, parse: RPCParse.uint64)
        }
        #expect(first == .failure(.http(status: 503, retryAfter: nil)))
        let (unauthorized, _) = Self.client(.http(status: 401, retryAfter: nil, body: #"{"error":"invalid project id"}"#))
        let second = await outcome { () async throws(RPCFailure) -> UInt64 in
            try await unauthorized.request(.chainId, parse: RPCParse.uint64)
        }
        #expect(second == .failure(.http(status: 401, retryAfter: nil)))
        #expect(second.failureDisposition == .failover)
    }

    @Test func truncatedJSONIsMalformed() async {
        let body = #"{"jsonrpc":"2.0","id":1,"result":{"number":"0x10","hash":"0xab"#
        let (client, _) = Self.client(.raw(Array(body.utf8)))
        let result = await outcome { () async throws(RPCFailure) -> RPCBlock? in
            try await client.request(.block(.latest), parse: RPCParse.block)
        }
        #expect(result == .failure(.malformed("eth_getBlockByNumber: body is not JSON (\(body.utf8.count) bytes)")))
        #expect(result.failureDisposition == .failover)
    }

    @Test func transportFailuresPassThrough() async {
        let (refused, _) = Self.client(.fail(.transport("connection refused")))
        let a = await outcome { () async throws(RPCFailure) -> UInt64 in try await refused.request(.blockNumber, parse: RPCParse.uint64) }
        #expect(a == .failure(.transport("connection refused")))
        #expect(a.failureDisposition == .failover)
        let (slow, _) = Self.client(.fail(.timeout))
        let b = await outcome { () async throws(RPCFailure) -> UInt64 in try await slow.request(.blockNumber, parse: RPCParse.uint64) }
        #expect(b == .failure(.timeout))
        #expect(b.failureDisposition == .retry)
    }

    @Test func resultOfTheWrongShapeIsMalformed() async {
        let (client, _) = Self.client(.result(#"["0x1"]"#))
        let result = await outcome { () async throws(RPCFailure) -> UInt64 in try await client.request(.blockNumber, parse: RPCParse.uint64)
        }
        #expect(result == .failure(.malformed("expected a hex quantity")))
        let (batchAnswer, _) = Self.client(.raw(Array(#"[{"jsonrpc":"2.0","id":1,"result":"0x1"}]"#.utf8)))
        let single = await outcome { () async throws(RPCFailure) -> UInt64 in
            try await batchAnswer.request(.blockNumber, parse: RPCParse.uint64)
        }
        #expect(single == .failure(.malformed("eth_blockNumber: batch answer to a single call")))
    }

    @Test func batchKeepsCallOrderWhenAnswersArriveOutOfOrder() async throws {
        let body = """
            [{"jsonrpc":"2.0","id":2,"error":{"code":-32602,"message":"invalid argument 0: hex string without 0x prefix"}},\
            {"jsonrpc":"2.0","id":1,"result":"0x10d4f"}]
            """
        let (client, transport) = Self.client(.raw(Array(body.utf8)))
        let calls = [RPCCall.blockNumber, RPCCall("eth_getBalance", [.string("abc"), .string("latest")])]
        let results = try await client.batch(calls, parse: RPCParse.uint64)
        #expect(results == [.success(68_943), .failure(.rpc(code: -32602, message: "invalid argument 0: hex string without 0x prefix"))])

        // The request was one JSON array with ids 1 and 2, in call order.
        let sent = try #require(transport.params.first as? [[String: Any]])
        #expect(transport.methods == ["batch"])
        #expect(sent.map { $0["method"] as? String } == ["eth_blockNumber", "eth_getBalance"])
        #expect(sent.map { $0["id"] as? Int } == [1, 2])
    }

    @Test func batchCallWithoutAnswerFails() async throws {
        let (client, _) = Self.client(.raw(Array(#"[{"jsonrpc":"2.0","id":2,"result":"0x2"}]"#.utf8)))
        let results = try await client.batch([.blockNumber, .chainId], parse: RPCParse.uint64)
        #expect(results == [.failure(.malformed("batch: no answer for eth_blockNumber")), .success(2)])
    }

    // MARK: Log range suggestions (rule 6)

    static let ranges: [RangeCase] = [
        RangeCase(
            name: "Infura -32005 with a range",
            failure: .rpc(code: -32005, message: "query returned more than 10000 results. Try with this block range [0x1D2A, 0x1D3F]."),
            tooLarge: true, suggested: 7466...7487),
        RangeCase(
            name: "Alchemy response size with a range",
            failure: .rpc(
                code: -32602,
                message:
                    "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [0xb5d7d0, 0xb5e1a3]"
            ),
            tooLarge: true, suggested: 11_917_264...11_919_779),
        RangeCase(
            name: "block range too large", failure: .rpc(code: -32000, message: "block range too large"), tooLarge: true, suggested: nil),
        RangeCase(
            name: "exceed maximum block range", failure: .rpc(code: -32000, message: "exceed maximum block range: 5000"), tooLarge: true,
            suggested: nil),
        RangeCase(name: "-32005 without text", failure: .rpc(code: -32005, message: ""), tooLarge: true, suggested: nil),
        RangeCase(
            name: "decimal range", failure: .rpc(code: -32005, message: "too many results, try [100, 199]"), tooLarge: true,
            suggested: 100...199),
        RangeCase(
            name: "reversed range is no suggestion", failure: .rpc(code: -32005, message: "Try with this block range [0x20, 0x10]."),
            tooLarge: true,
            suggested: nil),
        RangeCase(name: "nonce too low", failure: .rpc(code: -32000, message: "nonce too low"), tooLarge: false, suggested: nil),
        RangeCase(name: "header not found", failure: .rpc(code: -32000, message: "header not found"), tooLarge: false, suggested: nil),
        RangeCase(name: "execution reverted", failure: .rpc(code: 3, message: "execution reverted"), tooLarge: false, suggested: nil),
        RangeCase(
            name: "geth reversed range (invalid params)", failure: .rpc(code: -32602, message: "invalid block range params"),
            tooLarge: false,
            suggested: nil),
        RangeCase(name: "timeout", failure: .timeout, tooLarge: false, suggested: nil),
        RangeCase(name: "HTTP 413", failure: .http(status: 413, retryAfter: nil), tooLarge: false, suggested: nil),
        RangeCase(
            name: "bracketed range in a transport error", failure: .transport("reset while reading [0x1, 0x2]"), tooLarge: false,
            suggested: nil),
    ]

    @Test(arguments: ranges)
    func logRange(_ testCase: RangeCase) {
        #expect(testCase.failure.isLogRangeTooLarge == testCase.tooLarge)
        #expect(testCase.failure.suggestedLogRange == testCase.suggested)
    }

    // MARK: Provider URLs in logs

    @Test func redactedURLDropsCredentialsAndKeys() {
        let alchemy = redactedURL("https://user:secret@eth-mainnet.g.alchemy.com/v2/KEY123")
        #expect(alchemy == "https://eth-mainnet.g.alchemy.com/…")
        #expect(!alchemy.contains("secret"))
        #expect(!alchemy.contains("KEY123"))
        #expect(!alchemy.contains("user"))

        #expect(redactedURL("http://127.0.0.1:8545") == "http://127.0.0.1:8545")
        #expect(redactedURL("http://127.0.0.1:8545/") == "http://127.0.0.1:8545")

        let query = redactedURL("https://polygon.rpc.example.org/rpc?apikey=QUERYKEY42")
        #expect(query == "https://polygon.rpc.example.org/…?…")
        #expect(!query.contains("QUERYKEY42"))
        let rootQuery = redactedURL("https://rpc.example.org/?apikey=QUERYKEY42")
        #expect(rootQuery == "https://rpc.example.org?…")
        #expect(!rootQuery.contains("QUERYKEY42"))

        #expect(redactedURL("https://node.example:8443/KEY") == "https://node.example:8443/…")
        #expect(
            HTTPTransport(url: "https://user:secret@eth-mainnet.g.alchemy.com/v2/KEY123").displayURL
                == "https://eth-mainnet.g.alchemy.com/…")
    }
}

extension Result where Failure == RPCFailure {
    var failureDisposition: RPCFailure.Disposition? {
        if case .failure(let failure) = self { return failure.disposition }
        return nil
    }
}
