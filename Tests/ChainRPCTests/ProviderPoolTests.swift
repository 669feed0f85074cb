import ChainRPC
import EthereumCore
import Foundation
import TestSupport
import Testing

@Suite struct ProviderPoolReadTests {
    let one = redactedURL("https://one.example/v2/KEY1")
    let two = redactedURL("https://two.example/v2/KEY2")

    @Test func failsOverWhenTheFirstProviderRefuses() async {
        let first = ScriptedTransport(one, always: .fail(.transport("connection refused")))
        let second = ScriptedTransport(two, always: .result(#""0x1312d00""#))
        let providers = pool([first, second])
        let result = await outcome { () async throws(RPCFailure) -> UInt64 in try await providers.read(.blockNumber, parse: RPCParse.uint64)
        }
        #expect(result == .success(20_000_000))
        #expect(first.methods == ["eth_blockNumber"])
        #expect(second.methods == ["eth_blockNumber"])
    }

    @Test func finalErrorIsThrownWithoutTryingOthers() async {
        let message = "invalid argument 0: hex string has length 3, want 40 for common.Address"
        let first = ScriptedTransport(one, always: .rpcError(code: -32602, message: message))
        let second = ScriptedTransport(two, always: .result(#""0x0""#))
        let providers = pool([first, second])
        let call = RPCCall.balance(try! Address("0x2791bca1f2de4661ed88a30c99a7a9449aa84174"))
        let result = await outcome { () async throws(RPCFailure) -> UInt256 in try await providers.read(call, parse: RPCParse.quantity) }
        #expect(result == .failure(.rpc(code: -32602, message: message)))
        #expect(first.callCount == 1)
        #expect(second.callCount == 0)
    }

    @Test func allProvidersFailingListsBoth() async {
        let first = ScriptedTransport(one, always: .fail(.transport("connection refused")))
        let second = ScriptedTransport(two, always: .http(status: 503, retryAfter: nil, body: "busy"))
        let providers = pool([first, second], fastConfiguration(rounds: 1))
        let result = await outcome { () async throws(RPCFailure) -> UInt64 in try await providers.read(.chainId, parse: RPCParse.uint64) }
        #expect(
            result
                == .failure(
                    .allProvidersFailed(["https://one.example/…: transport error: connection refused", "https://two.example/…: HTTP 503"])))
        #expect(result.failureDisposition == .final)
    }

    @Test func everyRoundIsTriedBeforeGivingUp() async {
        let first = ScriptedTransport(one, always: .fail(.timeout))
        let second = ScriptedTransport(two, always: .rpcError(code: -32000, message: "header not found"))
        let providers = pool([first, second], fastConfiguration(rounds: 3))
        let result = await outcome { () async throws(RPCFailure) -> UInt64 in try await providers.read(.blockNumber, parse: RPCParse.uint64)
        }
        let round = ["https://one.example/…: request timed out", "https://two.example/…: JSON-RPC error -32000: header not found"]
        #expect(result == .failure(.allProvidersFailed(round + round + round)))
        #expect(first.callCount == 3)
        #expect(second.callCount == 3)
    }

    @Test func rateLimitedProviderIsRetriedAfterBackoff() async {
        let only = ScriptedTransport(one) { request in
            request.number == 0 ? .http(status: 429, retryAfter: 0.002, body: "slow down") : .result(#""0x89""#)
        }
        let providers = pool([only])
        let started = ContinuousClock.now
        let result = await outcome { () async throws(RPCFailure) -> UInt64 in try await providers.read(.chainId, parse: RPCParse.uint64) }
        #expect(result == .success(137))
        #expect(only.callCount == 2)
        #expect(ContinuousClock.now - started >= .milliseconds(2))
    }

    @Test func quorumReadRequiresAgreement() async {
        let disagreeing = pool([ScriptedTransport(one, always: .result(#""0x89""#)), ScriptedTransport(two, always: .result(#""0x1""#))])
        let split = await outcome { () async throws(RPCFailure) -> UInt64 in
            try await disagreeing.quorumRead(.chainId, quorum: 2, parse: RPCParse.uint64)
        }
        #expect(split == .failure(.inconsistent("eth_chainId: fewer than 2 providers agreed (2 different answers)")))

        let agreeing = pool([ScriptedTransport(one, always: .result(#""0x89""#)), ScriptedTransport(two, always: .result(#""0x89""#))])
        let agreed = await outcome { () async throws(RPCFailure) -> UInt64 in
            try await agreeing.quorumRead(.chainId, quorum: 2, parse: RPCParse.uint64)
        }
        #expect(agreed == .success(137))
    }

    @Test func refreshHeadsKeepsTheSafeHead() async {
        let first = ScriptedTransport(one) { request in .result(request.number == 0 ? #""0x64""# : #""0x5a""#) }
        let second = ScriptedTransport(two) { request in .result(request.number == 0 ? #""0x5f""# : #""0x5a""#) }
        let providers = pool([first, second])
        #expect(await providers.refreshHeads() == 95)
        #expect(await providers.safeHead == 95)
        #expect(await providers.refreshHeads() == 95)
        #expect(await providers.safeHead == 95)
        let heads = await providers.heads
        #expect(heads.reported == [0: 90, 1: 90])
        #expect(heads.regressions == [0: 1, 1: 1])
        #expect(first.methods == ["eth_blockNumber", "eth_blockNumber"])
    }

    @Test func refreshHeadsForgetsProvidersThatFail() async {
        let first = ScriptedTransport(one) { request in request.number == 0 ? .result(#""0x64""#) : .fail(.timeout) }
        let second = ScriptedTransport(two, always: .result(#""0x62""#))
        let providers = pool([first, second])
        #expect(await providers.refreshHeads() == 98)
        // Only the second provider answers now: one provider's word does not move the safe head, which stays.
        #expect(await providers.refreshHeads() == 98)
        #expect(await providers.heads.reported == [1: 98])
    }
}

@Suite struct ProviderPoolLogTests {
    static let usdc = try! Address("0x2791bca1f2de4661ed88a30c99a7a9449aa84174")
    static let recipient = try! Address("0xa48ee028dee3e4c691381a9bae7f16e710cd7154")
    static let sender = try! Address("0x4d97dcd97ec945f40cf65f87097ace5ea0476045")

    static func transferLog(block: UInt64, blockHash: String, tx: String, logIndex: UInt64, amount: UInt64 = 1_000_000) -> String {
        logJSON(
            address: usdc.lowercased, topics: [ERC20.transferTopic.hex, sender.word.hex, recipient.word.hex], data: word(amount),
            blockNumber: block, blockHash: blockHash, transactionHash: tx, logIndex: logIndex)
    }

    @Test func rangeIsSplitAfterASuggestionAndLogsComeBackInChainOrder() async throws {
        // Logs at these (block, logIndex) positions; the provider lists them newest first.
        let positions: [(UInt64, UInt64)] = [(1_099, 2), (1_050, 7), (1_005, 1), (1_000, 3), (1_000, 0)]
        let provider = ScriptedTransport("https://logs.example") { request in
            guard let from = request.filterNumber("fromBlock"), let to = request.filterNumber("toBlock") else {
                return .rpcError(code: -32602, message: "missing range")
            }
            if to - from + 1 > 20 {
                return .rpcError(
                    code: -32005,
                    message: "query returned more than 10000 results. Try with this block range [\(quantity(from)), \(quantity(from + 9))]."
                )
            }
            let logs = positions.filter { (from...to).contains($0.0) }.map { block, index in
                Self.transferLog(block: block, blockHash: fakeHash("block \(block)"), tx: fakeHash("tx \(block)"), logIndex: index)
            }
            return .result("[" + logs.joined(separator: ",") + "]")
        }
        let providers = pool([provider], fastConfiguration(initialLogRange: 100))
        let logs = try await providers.logs(from: 1_000, to: 1_099) { from, to in
            .transfers(.range(from: .number(from), to: .number(to)), tokens: [Self.usdc])
        }
        #expect(logs.map { [$0.blockNumber, $0.logIndex] } == [[1_000, 0], [1_000, 3], [1_005, 1], [1_050, 7], [1_099, 2]])
        #expect(
            logs.allSatisfy { $0.transfer == TransferEvent(token: Self.usdc, from: Self.sender, to: Self.recipient, amount: 1_000_000) })
        #expect(logs.first?.blockHash.hex == fakeHash("block 1000"))

        let ranges = provider.params.map { params -> [UInt64] in
            let filter = params.first as? [String: Any] ?? [:]
            return ["fromBlock", "toBlock"].map { hexUInt64(filter[$0] as? String ?? "") ?? 0 }
        }
        #expect(
            ranges == [
                [1_000, 1_099],  // refused, with the suggestion [1000, 1009]
                [1_000, 1_009], [1_010, 1_020], [1_021, 1_032], [1_033, 1_045], [1_046, 1_059], [1_060, 1_074], [1_075, 1_090],
                [1_091, 1_099],
            ])
        // One query per range for the token's Transfer events.
        let filter = try #require(provider.params.first?.first as? [String: Any])
        #expect(filter["address"] as? String == Self.usdc.lowercased)
        let topics = try #require(filter["topics"] as? [Any])
        #expect(topics.count == 3)
        #expect(topics[0] as? String == ERC20.transferTopic.hex)
        #expect(topics[1] is NSNull && topics[2] is NSNull)
    }

    @Test func rangeIsHalvedWithoutASuggestion() async throws {
        let provider = ScriptedTransport("https://logs.example") { request in
            let from = request.filterNumber("fromBlock") ?? 0
            let to = request.filterNumber("toBlock") ?? 0
            return to - from + 1 > 30 ? .rpcError(code: -32000, message: "block range too large") : .result("[]")
        }
        let providers = pool([provider], fastConfiguration(initialLogRange: 100))
        let logs = try await providers.logs(from: 0, to: 49) { from, to in
            .transfers(.range(from: .number(from), to: .number(to)), tokens: [Self.usdc])
        }
        #expect(logs.isEmpty)
        let ranges = provider.params.map { params -> [UInt64] in
            let filter = params.first as? [String: Any] ?? [:]
            return ["fromBlock", "toBlock"].map { hexUInt64(filter[$0] as? String ?? "") ?? 0 }
        }
        #expect(ranges == [[0, 49], [0, 24], [25, 49]])
    }

    /// geth's answer to a reversed range is an invalid-params error: final, not a hint to shrink the range.
    @Test func invalidParamsErrorIsNotTakenAsARangeHint() async {
        let provider = ScriptedTransport("https://logs.example", always: .rpcError(code: -32602, message: "invalid block range params"))
        let providers = pool([provider], fastConfiguration(initialLogRange: 100))
        let result = await outcome { () async throws(RPCFailure) -> [RPCLog] in
            try await providers.logs(from: 0, to: 99) { from, to in
                .transfers(.range(from: .number(from), to: .number(to)), tokens: [Self.usdc])
            }
        }
        #expect(result == .failure(.rpc(code: -32602, message: "invalid block range params")))
        #expect(provider.callCount == 1)
    }

    @Test func logOutsideTheRequestedRangeIsNotAccepted() async {
        let provider = ScriptedTransport("https://logs.example") { _ in
            .result("[" + Self.transferLog(block: 2_000, blockHash: fakeHash("block 2000"), tx: fakeHash("tx"), logIndex: 0) + "]")
        }
        let providers = pool([provider], fastConfiguration(initialLogRange: 100))
        let result = await outcome { () async throws(RPCFailure) -> [RPCLog] in
            try await providers.logs(from: 1_000, to: 1_099) { from, to in
                .transfers(.range(from: .number(from), to: .number(to)), tokens: [Self.usdc])
            }
        }
        // A false answer: the provider's breaker opens at once, so later rounds have no one to ask.
        #expect(
            result
                == .failure(
                    .allProvidersFailed([
                        "https://logs.example: inconsistent response: eth_getLogs returned a log of block 2000 for range 1000...1099"
                    ])))
        #expect(provider.callCount == 1)
    }

    @Test func removedLogIsNotAccepted() async {
        let provider = ScriptedTransport("https://logs.example") { _ in
            .result(
                "["
                    + logJSON(
                        address: Self.usdc.lowercased, topics: [ERC20.transferTopic.hex, Self.sender.word.hex, Self.recipient.word.hex],
                        data: word(5),
                        blockNumber: 1_010, blockHash: fakeHash("block 1010"), transactionHash: fakeHash("tx"), logIndex: 0, removed: true)
                    + "]")
        }
        let providers = pool([provider], fastConfiguration(initialLogRange: 100))
        let result = await outcome { () async throws(RPCFailure) -> [RPCLog] in
            try await providers.logs(from: 1_000, to: 1_099) { from, to in
                .transfers(.range(from: .number(from), to: .number(to)), tokens: [Self.usdc])
            }
        }
        #expect(
            result
                == .failure(
                    .allProvidersFailed([
                        "https://logs.example: inconsistent response: eth_getLogs returned a log of block 1010 for range 1000...1099"
                    ])))
    }

    // MARK: Transfers pinned to a block hash (rule 2)

    static let blockNumber: UInt64 = 500
    static let blockHash = fakeHash("block 500")
    static let transaction = fakeHash("tx in block 500")

    /// A block whose bloom holds the USDC address, the Transfer topic and the recipient word.
    static func block(bloomWithTransfer: Bool) -> RPCBlock {
        var bloom = ReferenceBloom()
        if bloomWithTransfer {
            bloom.add(usdc.bytes)
            bloom.add(ERC20.transferTopic.bytes)
            bloom.add(sender.word.bytes)
            bloom.add(recipient.word.bytes)
        }
        return RPCBlock(
            number: blockNumber, hash: try! BlockHash(hex: blockHash), parentHash: try! BlockHash(hex: fakeHash("block 499")),
            timestamp: 1_700_000_000, logsBloom: bloom.bytes, transactions: [try! TxHash(hex: transaction)], baseFeePerGas: 30_000_000_000,
            gasUsed: 21_000, gasLimit: 30_000_000)
    }

    static var goodLog: String { transferLog(block: blockNumber, blockHash: blockHash, tx: transaction, logIndex: 4) }

    @Test func referenceBloomAgreesWithLogsBloom() throws {
        let bloom = try LogsBloom(bytes: Self.block(bloomWithTransfer: true).logsBloom)
        #expect(bloom.mightContainTransfer(token: Self.usdc, to: [Self.recipient]))
        #expect(try !LogsBloom(bytes: Self.block(bloomWithTransfer: false).logsBloom).mightContainTransfer(token: Self.usdc, to: []))
    }

    /// A receipt of the block's transaction holding `logs`.
    static func receipt(_ logs: [String]) -> String {
        """
        {"transactionHash":"\(transaction)","blockHash":"\(blockHash)","blockNumber":"\(quantity(blockNumber))","transactionIndex":"0x0",\
        "from":"\(sender.lowercased)","to":"\(usdc.lowercased)","status":"0x1","gasUsed":"0xc350","logs":[\(logs.joined(separator: ","))],\
        "logsBloom":"0x00"}
        """
    }

    /// A provider that answers eth_getLogs with `logs` and receipts with `receiptLogs`.
    static func provider(_ url: String, logs: [String], receiptLogs: [String]) -> ScriptedTransport {
        ScriptedTransport(url) { request in
            request.method == "eth_getLogs" ? .result("[" + logs.joined(separator: ",") + "]") : .result(receipt(receiptLogs))
        }
    }

    @Test func emptyAnswerIsNotBelievedWhenTheBloomMatches() async throws {
        // The first provider's logs miss the transfer that its own receipt (and the second provider) holds.
        let first = Self.provider("https://one.example", logs: [], receiptLogs: [Self.goodLog])
        let second = Self.provider("https://two.example", logs: [Self.goodLog], receiptLogs: [Self.goodLog])
        let providers = pool([first, second])
        let logs = try await providers.transferLogs(in: Self.block(bloomWithTransfer: true), tokens: [Self.usdc], to: [Self.recipient])
        #expect(logs.count == 1)
        #expect(logs.first?.logIndex == 4)
        #expect(logs.first?.transfer == TransferEvent(token: Self.usdc, from: Self.sender, to: Self.recipient, amount: 1_000_000))
        #expect(first.methods == ["eth_getLogs", "eth_getTransactionReceipt"])
        #expect(second.methods == ["eth_getLogs"])
        #expect(await providers.status().map(\.falseAnswers) == [1, 0])

        // The query is pinned to the block hash, for the token's transfers to the recipient.
        let filter = try #require(first.params.first?.first as? [String: Any])
        #expect(filter["blockHash"] as? String == Self.blockHash)
        #expect(filter["fromBlock"] == nil && filter["toBlock"] == nil)
        #expect(filter["address"] as? String == Self.usdc.lowercased)
        let topics = try #require(filter["topics"] as? [Any])
        #expect(topics.count == 3)
        #expect(topics[0] as? String == ERC20.transferTopic.hex)
        #expect(topics[1] is NSNull)
        #expect(topics[2] as? String == Self.recipient.word.hex)
    }

    @Test func emptyAnswersFromTwoProvidersAreBelieved() async throws {
        let first = Self.provider("https://one.example", logs: [], receiptLogs: [])
        let second = Self.provider("https://two.example", logs: [], receiptLogs: [])
        let logs = try await pool([first, second]).transferLogs(
            in: Self.block(bloomWithTransfer: true), tokens: [Self.usdc], to: [Self.recipient])
        #expect(logs.isEmpty, "a bloom can match by chance; two providers agree there is nothing")
        #expect(first.methods == ["eth_getLogs"])
        #expect(second.methods == ["eth_getLogs"])
    }

    @Test func emptyAnswerIsBelievedWhenTheBloomRulesATransferOut() async throws {
        let first = ScriptedTransport("https://one.example", always: .result("[]"))
        let second = ScriptedTransport("https://two.example", always: .result("[" + Self.goodLog + "]"))
        let providers = pool([first, second])
        let logs = try await providers.transferLogs(in: Self.block(bloomWithTransfer: false), tokens: [Self.usdc], to: [Self.recipient])
        #expect(logs.isEmpty)
        #expect(first.callCount + second.callCount == 1)
    }

    @Test func logOfAnotherBlockIsRejected() async throws {
        let wrongHash = Self.transferLog(block: Self.blockNumber, blockHash: fakeHash("uncle of 500"), tx: Self.transaction, logIndex: 4)
        let first = Self.provider("https://one.example", logs: [wrongHash], receiptLogs: [Self.goodLog])
        let second = Self.provider("https://two.example", logs: [Self.goodLog], receiptLogs: [Self.goodLog])
        let third = Self.provider("https://three.example", logs: [Self.goodLog], receiptLogs: [Self.goodLog])
        let providers = pool([first, second, third])
        let logs = try await providers.transferLogs(in: Self.block(bloomWithTransfer: true), tokens: [Self.usdc], to: [Self.recipient])
        #expect(logs.map(\.blockHash.hex) == [Self.blockHash])
        #expect(first.methods == ["eth_getLogs"])
        #expect(second.methods == ["eth_getLogs"])
        #expect(third.methods == ["eth_getLogs"])
        let status = await providers.status()
        #expect(status.map(\.falseAnswers) == [1, 0, 0])
        #expect(status[0].lastFailure == "log \(Self.transaction)#4 does not belong to block 500 \(Self.blockHash)")
    }

    @Test func logOutsideTheBloomIsALie() async throws {
        let stranger = try Address("0x00000000000000000000000000000000000bad01")
        let forged = logJSON(
            address: Self.usdc.lowercased, topics: [ERC20.transferTopic.hex, Self.sender.word.hex, stranger.word.hex], data: word(5),
            blockNumber: Self.blockNumber, blockHash: Self.blockHash, transactionHash: Self.transaction, logIndex: 9)
        let lying = Self.provider("https://lying.example", logs: [Self.goodLog, forged], receiptLogs: [Self.goodLog, forged])
        let honest = Self.provider("https://honest.example", logs: [Self.goodLog], receiptLogs: [Self.goodLog])
        let block = Self.block(bloomWithTransfer: true)
        let alone = await outcome { () async throws(RPCFailure) -> [RPCLog] in
            try await pool([lying], fastConfiguration(rounds: 1)).transferLogs(in: block, tokens: [Self.usdc], to: [])
        }
        #expect(
            alone
                == .failure(
                    .allProvidersFailed([
                        "https://lying.example: inconsistent response: log \(Self.transaction)#9 is not in the logsBloom of block 500 \(Self.blockHash)"
                    ])))
        let providers = pool([lying, honest, Self.provider("https://third.example", logs: [Self.goodLog], receiptLogs: [Self.goodLog])])
        let logs = try await providers.transferLogs(in: block, tokens: [Self.usdc], to: [])
        #expect(logs.map(\.logIndex) == [4])
        let status = await providers.status()
        #expect(status.map(\.falseAnswers) == [1, 0, 0])
        #expect(status.map(\.breaker.isOpen) == [true, false, false])
    }

    @Test func logsThatNeverMatchTheBlockFail() async {
        let wrongHash = Self.transferLog(block: Self.blockNumber, blockHash: fakeHash("uncle of 500"), tx: Self.transaction, logIndex: 4)
        let foreignTx = Self.transferLog(block: Self.blockNumber, blockHash: Self.blockHash, tx: fakeHash("not in block"), logIndex: 9)
        let first = ScriptedTransport("https://one.example", always: .result("[" + wrongHash + "]"))
        let second = ScriptedTransport("https://two.example", always: .result("[" + foreignTx + "]"))
        let providers = pool([first, second], fastConfiguration(rounds: 1))
        let block = Self.block(bloomWithTransfer: true)
        let result = await outcome { () async throws(RPCFailure) -> [RPCLog] in
            try await providers.transferLogs(in: block, tokens: [Self.usdc], to: [Self.recipient])
        }
        #expect(
            result
                == .failure(
                    .allProvidersFailed([
                        "https://one.example: inconsistent response: log \(Self.transaction)#4 does not belong to block 500 \(Self.blockHash)",
                        "https://two.example: inconsistent response: log \(fakeHash("not in block"))#9 does not belong to block 500 \(Self.blockHash)",
                    ])))
    }

    @Test func oneProviderThatKeepsAnsweringEmptyIsNotBelieved() async {
        let only = ScriptedTransport("https://one.example", always: .result("[]"))
        let providers = pool([only], fastConfiguration(rounds: 2))
        let block = Self.block(bloomWithTransfer: true)
        let result = await outcome { () async throws(RPCFailure) -> [RPCLog] in
            try await providers.transferLogs(in: block, tokens: [Self.usdc], to: [Self.recipient])
        }
        let failure = "https://one.example: no logs although the block's bloom may hold a transfer"
        #expect(result == .failure(.allProvidersFailed([failure, failure])))
        #expect(only.callCount == 2)
    }
}

@Suite struct ProviderPoolBroadcastTests {
    /// execution-apis `eth_sendRawTransaction/send-legacy-transaction.io`: the raw transaction and the hash geth returned.
    static func recordedLegacyTransaction() throws -> (raw: [UInt8], hash: String) {
        let text = try textVector("execution-apis/tests/eth_sendRawTransaction/send-legacy-transaction.io")
        let lines = text.split(separator: "\n")
        let request = try #require(lines.first { $0.hasPrefix(">> ") }?.dropFirst(3))
        let response = try #require(lines.first { $0.hasPrefix("<< ") }?.dropFirst(3))
        let requestJSON = try #require(try JSONSerialization.jsonObject(with: Data(request.utf8)) as? [String: Any])
        let responseJSON = try #require(try JSONSerialization.jsonObject(with: Data(response.utf8)) as? [String: Any])
        let raw = try #require((requestJSON["params"] as? [String])?.first)
        return (try Hex.decode(raw), try #require(responseJSON["result"] as? String))
    }

    @Test func alreadyKnownCountsAsAcceptedAndTheHashIsLocal() async throws {
        let (raw, hash) = try Self.recordedLegacyTransaction()
        #expect(hash == "0xb55b6dfd4ba0bb2b00283b0e84cda496c90bc7c5ae9025e07edc3a7fbaf6a269")
        let knowing = ScriptedTransport("https://one.example", always: .rpcError(code: -32000, message: "already known"))
        // A provider that lies about the hash must not change the result.
        let lying = ScriptedTransport("https://two.example", always: .result("\"\(fakeHash("some other hash"))\""))
        let refusing = ScriptedTransport("https://three.example", always: .rpcError(code: -32000, message: "nonce too low"))
        let providers = pool([knowing, lying, refusing])
        let result = await providers.broadcast(raw)
        #expect(result.hash.hex == hash)
        #expect(result.accepted == ["https://one.example", "https://two.example"])
        #expect(result.rejected == ["https://three.example": "JSON-RPC error -32000: nonce too low"])

        // Every provider received the same raw bytes.
        for transport in [knowing, lying, refusing] {
            #expect(transport.methods == ["eth_sendRawTransaction"])
            #expect(transport.params.first?.first as? String == Hex.encode(raw))
        }
    }
}
