import ChainRPC
import EthereumCore
import Foundation
import TestSupport
import Testing

/// One recorded JSON-RPC answer: the body a real node sent for `method`.
struct RecordedCase: Sendable, CustomTestStringConvertible {
    /// The vector file, relative to the vectors folder, with `#n` when the file holds several exchanges.
    let name: String
    /// The folder the file was counted under.
    let folder: String
    let method: String
    let body: [UInt8]
    var testDescription: String { name }

    /// The parsed response envelope.
    var envelope: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
}

enum RecordedVectors {
    static let erigonMethods = [
        "eth_getBlockByNumber", "eth_getBlockByHash", "eth_getTransactionReceipt", "eth_getTransactionByHash", "eth_getLogs",
        "eth_feeHistory", "eth_chainId", "eth_blockNumber",
    ]
    static let transcriptMethods = [
        "eth_getBlockByNumber", "eth_getLogs", "eth_getTransactionReceipt", "eth_getTransactionByHash", "eth_feeHistory", "eth_chainId",
    ]

    static let all: [RecordedCase] = erigon() + polygonETL() + gethGolden() + transcripts()

    static func cases(_ methods: Set<String>) -> [RecordedCase] { all.filter { methods.contains($0.method) } }

    /// erigontech/rpc-tests: a JSON list of `{request, response}` per file.
    static func erigon() -> [RecordedCase] {
        var out = [RecordedCase]()
        for network in ["mainnet", "polygon-pos"] {
            for method in erigonMethods {
                let folder = "erigon-rpc-tests/integration/\(network)/\(method)"
                for path in vectorFiles(under: folder, withExtension: "json") {
                    guard let list = try? jsonVector(path) as? [[String: Any]] else { continue }
                    for (index, exchange) in list.enumerated() {
                        let request = exchange["request"] as? [String: Any]
                        guard let response = exchange["response"],
                            let body = try? JSONSerialization.data(withJSONObject: response)
                        else { continue }
                        out.append(
                            RecordedCase(
                                name: list.count > 1 ? "\(path)#\(index)" : path, folder: folder,
                                method: request?["method"] as? String ?? method, body: Array(body)))
                    }
                }
            }
        }
        return out
    }

    /// blockchain-etl/polygon-etl: whole response envelopes named `web3_response.<method>_<params>.json`.
    static func polygonETL() -> [RecordedCase] {
        let folder = "polygon-etl/cli/tests/resources"
        return vectorFiles(under: folder, withExtension: "json").compactMap { path in
            let file = path.split(separator: "/").last.map(String.init) ?? path
            let parts = file.replacingOccurrences(of: "web3_response.", with: "").split(separator: "_")
            guard parts.count >= 2, let data = try? Paths.readVector(path) else { return nil }
            return RecordedCase(name: path, folder: folder, method: "\(parts[0])_\(parts[1])", body: Array(data))
        }
    }

    /// go-ethereum's ethapi golden files hold a bare `result`; wrap it the way geth sends it.
    static func gethGolden() -> [RecordedCase] {
        let folder = "go-ethereum/internal/ethapi/testdata"
        return vectorFiles(under: folder, withExtension: "json").compactMap { path in
            let file = path.split(separator: "/").last.map(String.init) ?? path
            guard file.hasPrefix("eth_getTransactionReceipt-"), let text = try? textVector(path) else { return nil }
            let body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\(text)}"
            return RecordedCase(name: path, folder: folder, method: "eth_getTransactionReceipt", body: Array(body.utf8))
        }
    }

    /// ethereum/execution-apis conformance transcripts: `>> request` and `<< response` lines.
    static func transcripts() -> [RecordedCase] {
        var out = [RecordedCase]()
        for method in transcriptMethods {
            let folder = "execution-apis/tests/\(method)"
            for path in vectorFiles(under: folder, withExtension: "io") {
                guard let text = try? textVector(path) else { continue }
                let responses = text.split(separator: "\n").filter { $0.hasPrefix("<< ") }.map { Array($0.dropFirst(3).utf8) }
                for (index, body) in responses.enumerated() {
                    out.append(
                        RecordedCase(name: responses.count > 1 ? "\(path)#\(index)" : path, folder: folder, method: method, body: body))
                }
            }
        }
        return out
    }
}

/// What the recorded envelope says the client must produce.
enum RecordedExpectation {
    case value(Any)
    case null
    case rpc(code: Int, message: String)
    case neitherResultNorError

    init(_ envelope: [String: Any]) {
        if let error = envelope["error"] as? [String: Any] {
            self = .rpc(code: error["code"] as? Int ?? 0, message: error["message"] as? String ?? "")
        } else if let result = envelope["result"] {
            self = result is NSNull ? .null : .value(result)
        } else {
            self = .neitherResultNorError
        }
    }
}

/// Sends the recorded case's method to a provider that answers with the recorded body.
func replay<T: Sendable>(_ recorded: RecordedCase, _ parse: @escaping @Sendable (Any) throws(RPCFailure) -> T) async -> (
    Result<T, RPCFailure>, ScriptedTransport
) {
    let transport = ScriptedTransport("https://recorded.example", always: .raw(recorded.body))
    let client = JSONRPCClient(transport: transport, timeout: .seconds(1))
    let result = await outcome { () async throws(RPCFailure) -> T in try await client.request(RPCCall(recorded.method), parse: parse) }
    return (result, transport)
}

/// Replays `recorded` and checks every outcome that carries no value: a JSON-RPC error comes
/// back as exactly that error, an answer with neither result nor error (erigon's answer to a
/// fee history past its head) is malformed, and a
/// `null` result gives `null`. Returns the decoding outcome and the recorded JSON result when
/// the node answered with a value, nil otherwise.
func replayValue<T: Sendable & Equatable>(
    _ recorded: RecordedCase, _ parse: @escaping @Sendable (Any) throws(RPCFailure) -> T, null: Result<T, RPCFailure>,
    sourceLocation: SourceLocation = #_sourceLocation
) async -> (result: Result<T, RPCFailure>, value: Any)? {
    let (result, transport) = await replay(recorded, parse)
    #expect(transport.methods == [recorded.method], sourceLocation: sourceLocation)
    switch RecordedExpectation(recorded.envelope) {
    case .null:
        #expect(result == null, sourceLocation: sourceLocation)
    case .rpc(let code, let message):
        #expect(result == .failure(.rpc(code: code, message: message)), sourceLocation: sourceLocation)
    case .neitherResultNorError:
        #expect(result == .failure(.malformed("\(recorded.method): response has neither result nor error")), sourceLocation: sourceLocation)
    case .value(let value):
        return (result, value)
    }
    return nil
}

// MARK: Field-by-field comparison with the JSON

private func string(_ object: [String: Any], _ key: String) -> String { (object[key] as? String ?? "<missing \(key)>").lowercased() }
private func number(_ object: [String: Any], _ key: String) -> UInt64? { (object[key] as? String).flatMap(hexUInt64) }

func checkLog(_ log: RPCLog, against json: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(log.address.lowercased == string(json, "address"), sourceLocation: sourceLocation)
    #expect(log.topics.map(\.hex) == (json["topics"] as? [String] ?? []).map { $0.lowercased() }, sourceLocation: sourceLocation)
    #expect(Hex.encode(log.data) == string(json, "data"), sourceLocation: sourceLocation)
    #expect(log.blockNumber == number(json, "blockNumber"), sourceLocation: sourceLocation)
    #expect(log.blockHash.hex == string(json, "blockHash"), sourceLocation: sourceLocation)
    #expect(log.transactionHash.hex == string(json, "transactionHash"), sourceLocation: sourceLocation)
    #expect(log.transactionIndex == number(json, "transactionIndex"), sourceLocation: sourceLocation)
    #expect(log.logIndex == number(json, "logIndex"), sourceLocation: sourceLocation)
    #expect(log.removed == (json["removed"] as? Bool ?? false), sourceLocation: sourceLocation)
}

@Suite struct RecordedResponseTests {
    // MARK: Every file is read

    @Test func everyFolderIsCounted() {
        var counts = [String: Int]()
        for recorded in RecordedVectors.all { counts[recorded.folder, default: 0] += 1 }
        let mainnet = "erigon-rpc-tests/integration/mainnet/"
        let polygon = "erigon-rpc-tests/integration/polygon-pos/"
        #expect(counts[mainnet + "eth_getBlockByNumber"] == 5)
        #expect(counts[mainnet + "eth_getBlockByHash"] == nil)
        #expect(counts[mainnet + "eth_getTransactionReceipt"] == 10)
        #expect(counts[mainnet + "eth_getTransactionByHash"] == 7)
        #expect(counts[mainnet + "eth_getLogs"] == 12)
        #expect(counts[mainnet + "eth_feeHistory"] == 20)
        #expect(counts[mainnet + "eth_chainId"] == 1)
        #expect(counts[mainnet + "eth_blockNumber"] == nil)
        #expect(counts[polygon + "eth_getTransactionReceipt"] == 1)
        #expect(counts[polygon + "eth_getTransactionByHash"] == 1)
        #expect(counts[polygon + "eth_getLogs"] == 2)
        #expect(counts["polygon-etl/cli/tests/resources"] == 8)
        #expect(counts["go-ethereum/internal/ethapi/testdata"] == 8)
        #expect(counts["execution-apis/tests/eth_getBlockByNumber"] == 10)
        #expect(counts["execution-apis/tests/eth_getLogs"] == 9)
        #expect(counts["execution-apis/tests/eth_getTransactionReceipt"] == 9)
        #expect(counts["execution-apis/tests/eth_getTransactionByHash"] == 9)
        #expect(counts["execution-apis/tests/eth_feeHistory"] == 1)
        #expect(counts["execution-apis/tests/eth_chainId"] == 1)
        #expect(RecordedVectors.all.count == 114)
        let methods = Dictionary(grouping: RecordedVectors.all, by: \.method).mapValues(\.count)
        #expect(
            methods == [
                "eth_getBlockByNumber": 19, "eth_getTransactionReceipt": 31, "eth_getTransactionByHash": 17, "eth_getLogs": 23,
                "eth_getFilterLogs": 1, "eth_feeHistory": 21, "eth_chainId": 2,
            ])
    }

    // MARK: Blocks

    @Test(arguments: RecordedVectors.cases(["eth_getBlockByNumber", "eth_getBlockByHash"]))
    func block(_ recorded: RecordedCase) async throws {
        guard let (result, value) = await replayValue(recorded, RPCParse.block, null: .success(nil)) else { return }
        let json = try #require(value as? [String: Any])
        let block = try #require(try result.get())
        #expect(block.number == number(json, "number"))
        #expect(block.hash.hex == string(json, "hash"))
        #expect(block.parentHash.hex == string(json, "parentHash"))
        #expect(block.timestamp == number(json, "timestamp"))
        #expect(block.gasUsed == number(json, "gasUsed"))
        #expect(block.gasLimit == number(json, "gasLimit"))
        #expect(Hex.encode(block.logsBloom) == string(json, "logsBloom"))
        #expect(block.baseFeePerGas?.hexQuantity == (json["baseFeePerGas"] as? String).map(canonicalQuantity))
        let transactions = try #require(json["transactions"] as? [Any])
        let hashes = transactions.map { entry in
            ((entry as? String) ?? ((entry as? [String: Any])?["hash"] as? String) ?? "<none>").lowercased()
        }
        #expect(block.transactions.count == transactions.count)
        #expect(block.transactions.map(\.hex) == hashes)
    }

    /// A few blocks pinned to exact numbers, so a silent change in the files is noticed.
    @Test func knownBlocks() async throws {
        let expectations: [(String, UInt64, Int)] = [
            ("erigon-rpc-tests/integration/mainnet/eth_getBlockByNumber/test_01.json", 4_306_300, 145),
            ("erigon-rpc-tests/integration/mainnet/eth_getBlockByNumber/test_04.json", 16_000_001, 123),
            ("erigon-rpc-tests/integration/mainnet/eth_getBlockByNumber/test_12.json", 0, 0),
            ("erigon-rpc-tests/integration/mainnet/eth_getBlockByNumber/test_13.json", 19_665_755, 233),
            (
                "polygon-etl/cli/tests/resources/test_export_blocks_job/block_with_logs/web3_response.eth_getBlockByNumber_0xcf1974_true.json",
                13_572_468, 5
            ),
            (
                "polygon-etl/cli/tests/resources/test_stream/blocks_with_transfers/web3_response.eth_getBlockByNumber_0x898a07_true.json",
                9_013_767, 2
            ),
        ]
        for (name, expectedNumber, expectedCount) in expectations {
            let recorded = try #require(RecordedVectors.all.first { $0.name == name })
            let block = try #require(try await replay(recorded, RPCParse.block).0.get())
            #expect(block.number == expectedNumber, "\(name)")
            #expect(block.transactions.count == expectedCount, "\(name)")
        }
    }

    // MARK: Logs

    @Test(arguments: RecordedVectors.cases(["eth_getLogs", "eth_getFilterLogs"]))
    func logs(_ recorded: RecordedCase) async throws {
        guard let (result, value) = await replayValue(recorded, RPCParse.logs, null: .failure(.nullResult("eth_getLogs"))) else { return }
        let list = try #require(value as? [[String: Any]])
        let logs = try result.get()
        #expect(logs.count == list.count)
        for (log, json) in zip(logs, list) { checkLog(log, against: json) }
    }

    /// A `null` answer to `eth_getLogs` is an error, never an empty list (rule 2).
    @Test func nullLogsAreAnError() async {
        let recorded = RecordedCase(
            name: "null", folder: "", method: "eth_getLogs", body: Array(#"{"jsonrpc":"2.0","id":1,"result":null}"#.utf8))
        #expect(await replay(recorded, RPCParse.logs).0 == .failure(.nullResult("eth_getLogs")))
    }

    @Test func recordedLogErrorsAreExact() async throws {
        let expected: [String: RPCFailure] = [
            "execution-apis/tests/eth_getLogs/filter-error-future-block-range.io":
                .rpc(code: -32602, message: "block range extends beyond current head block"),
            "execution-apis/tests/eth_getLogs/filter-error-invalid-blockHash-and-range.io":
                .rpc(
                    code: -32602,
                    message: "invalid argument 0: cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other"),
            "execution-apis/tests/eth_getLogs/filter-error-reversed-block-range.io": .rpc(
                code: -32602, message: "invalid block range params"),
        ]
        for (name, failure) in expected {
            let recorded = try #require(RecordedVectors.all.first { $0.name == name }, "missing \(name)")
            let result = await replay(recorded, RPCParse.logs).0
            #expect(result == .failure(failure), "\(name)")
            #expect(failure.disposition == .final)
        }
    }

    // MARK: Receipts

    /// Receipts from before Byzantium carry `root` instead of `status`. The gateway cannot
    /// tell success from failure without `status`, so the decoder refuses them.
    static let statusLessReceipts: Set<String> = [
        "execution-apis/tests/eth_getTransactionReceipt/get-legacy-contract.io",
        "execution-apis/tests/eth_getTransactionReceipt/get-legacy-input.io",
        "execution-apis/tests/eth_getTransactionReceipt/get-legacy-receipt.io",
    ]

    @Test(arguments: RecordedVectors.cases(["eth_getTransactionReceipt"]))
    func receipt(_ recorded: RecordedCase) async throws {
        guard let (result, value) = await replayValue(recorded, RPCParse.receipt, null: .success(nil)) else { return }
        let json = try #require(value as? [String: Any])
        if Self.statusLessReceipts.contains(recorded.name) {
            #expect(json["status"] == nil && json["root"] is String)
            #expect(result == .failure(.malformed("receipt.status: missing or not a string")))
            return
        }
        let receipt = try #require(try result.get())
        #expect(receipt.transactionHash.hex == string(json, "transactionHash"))
        #expect(receipt.blockHash.hex == string(json, "blockHash"))
        #expect(receipt.blockNumber == number(json, "blockNumber"))
        #expect(receipt.transactionIndex == number(json, "transactionIndex"))
        #expect(receipt.from.lowercased == string(json, "from"))
        #expect(receipt.to?.lowercased == (json["to"] as? String)?.lowercased())
        #expect(receipt.status == number(json, "status"))
        #expect(receipt.gasUsed == number(json, "gasUsed"))
        #expect(receipt.effectiveGasPrice?.hexQuantity == (json["effectiveGasPrice"] as? String).map(canonicalQuantity))
        #expect(receipt.contractAddress?.lowercased == (json["contractAddress"] as? String)?.lowercased())
        #expect(Hex.encode(receipt.logsBloom) == string(json, "logsBloom"))
        let logs = try #require(json["logs"] as? [[String: Any]])
        #expect(receipt.logs.count == logs.count)
        for (log, logJSON) in zip(receipt.logs, logs) { checkLog(log, against: logJSON) }
    }

    // MARK: Transactions

    @Test(arguments: RecordedVectors.cases(["eth_getTransactionByHash"]))
    func transaction(_ recorded: RecordedCase) async throws {
        guard let (result, value) = await replayValue(recorded, RPCParse.transaction, null: .success(nil)) else { return }
        let json = try #require(value as? [String: Any])
        let transaction = try #require(try result.get())
        #expect(transaction.hash.hex == string(json, "hash"))
        #expect(transaction.type == ((json["type"] as? String).flatMap(hexUInt64) ?? 0))
        #expect(transaction.from.lowercased == string(json, "from"))
        #expect(transaction.to?.lowercased == (json["to"] as? String)?.lowercased())
        #expect(transaction.nonce == number(json, "nonce"))
        #expect(transaction.value.hexQuantity == canonicalQuantity(string(json, "value")))
        #expect(Hex.encode(transaction.input) == string(json, "input"))
        #expect(transaction.gas == number(json, "gas"))
        #expect(transaction.blockHash?.hex == (json["blockHash"] as? String)?.lowercased())
        #expect(transaction.blockNumber == number(json, "blockNumber"))
        #expect(transaction.transactionIndex == number(json, "transactionIndex"))
    }

    // MARK: Fee history and plain quantities

    @Test(arguments: RecordedVectors.cases(["eth_feeHistory"]))
    func feeHistory(_ recorded: RecordedCase) async throws {
        guard
            let (result, value) = await replayValue(
                recorded, RPCParse.feeHistory, null: .failure(.malformed("feeHistory: expected an object")))
        else { return }
        let json = try #require(value as? [String: Any])
        let history = try result.get()
        #expect(history.oldestBlock == number(json, "oldestBlock"))
        let baseFees = try #require(json["baseFeePerGas"] as? [String])
        #expect(history.baseFeePerGas.map(\.hexQuantity) == baseFees.map(canonicalQuantity))
        let ratios = try #require(json["gasUsedRatio"] as? [Any])
        #expect(history.gasUsedRatio.count == ratios.count)
        #expect(history.baseFeePerGas.count == ratios.count + 1)
        let rewards = (json["reward"] as? [[String]]) ?? []
        #expect(history.reward.map { $0.map(\.hexQuantity) } == rewards.map { $0.map(canonicalQuantity) })
    }

    @Test(arguments: RecordedVectors.cases(["eth_chainId", "eth_blockNumber"]))
    func plainQuantity(_ recorded: RecordedCase) async throws {
        let (result, _) = await replay(recorded, RPCParse.uint64)
        let text = try #require(recorded.envelope["result"] as? String, "expected a result in \(recorded.name)")
        #expect(result == .success(try #require(hexUInt64(text))))
    }

    @Test func chainIdsAreExact() async throws {
        let mainnet = try #require(RecordedVectors.all.first { $0.name.hasSuffix("mainnet/eth_chainId/test_01.json") })
        #expect(await replay(mainnet, RPCParse.uint64).0 == .success(1))
        let hive = try #require(RecordedVectors.all.first { $0.name.hasSuffix("eth_chainId/get-chain-id.io") })
        #expect(await replay(hive, RPCParse.uint64).0 == .success(3_503_995_874_084_926))
    }

    // MARK: Polygon fee-transfer logs and the USDC (PoS) transfer

    static let polygonReceipts = [
        "polygon-etl/cli/tests/resources/test_export_receipts_job/receipts_with_logs/web3_response.eth_getTransactionReceipt_0x01a776a4ed599573efdd5caf4a97debf42a9363d754a90c1bf29307831e613a1.json",
        "polygon-etl/cli/tests/resources/test_export_receipts_job/receipts_with_logs_eip_1559/web3_response.eth_getTransactionReceipt_0xcc6321f62e241e512bdbf7f466adfd2bd78543ee4a8efb69c2d58a5451ddb25d.json",
        "polygon-etl/cli/tests/resources/test_stream/blocks_with_transfers/web3_response.eth_getTransactionReceipt_0x4c4ff26c9a472f663dbd9ae3e94befa299e7f645702c04cd335e4e0578209665.json",
    ]
    static let usdcReceipt = polygonReceipts[2]

    static func polygonReceipt(_ path: String) throws -> RPCReceipt {
        let envelope = try #require(try jsonVector(path) as? [String: Any])
        return try #require(try RPCParse.receipt(envelope["result"] as Any))
    }

    @Test func polygonFeeTransferLogsAreNotTransfers() throws {
        let maticToken = try Address("0x0000000000000000000000000000000000001010")
        var systemLogs = 0
        for path in Self.polygonReceipts {
            for log in try Self.polygonReceipt(path).logs where log.address == maticToken {
                systemLogs += 1
                #expect(log.transfer == nil, "log \(log.logIndex) of \(path)")
                #expect(log.topics.count == 4)
            }
        }
        // 1 LogFeeTransfer; 2 LogTransfer + 1 LogFeeTransfer; 1 LogFeeTransfer.
        #expect(systemLogs == 5)
    }

    @Test func polygonUSDCTransferIsDecodedExactly() throws {
        let receipt = try Self.polygonReceipt(Self.usdcReceipt)
        let usdc = try Address("0x2791bca1f2de4661ed88a30c99a7a9449aa84174")
        let transfers = receipt.logs.compactMap(\.transfer)
        #expect(
            transfers == [
                TransferEvent(
                    token: usdc, from: try Address("0x4d97dcd97ec945f40cf65f87097ace5ea0476045"),
                    to: try Address("0xa48ee028dee3e4c691381a9bae7f16e710cd7154"), amount: UInt256(154_016_066))
            ])
        #expect(receipt.logs.firstIndex { $0.transfer != nil } == 1)
        #expect(receipt.logs[1].logIndex == 1)
        #expect(receipt.status == 1)
        #expect(receipt.blockNumber == 9_013_767)
    }

    @Test func polygonEIP1559ReceiptTransfersAreDecoded() throws {
        let receipt = try Self.polygonReceipt(Self.polygonReceipts[1])
        let transfers = receipt.logs.compactMap(\.transfer)
        #expect(
            transfers.map(\.token.lowercased) == [
                "0x0d500b1d8e8ef31e21c99d1db9a6444d3adf1270", "0xa247b0476c11dab0be132e91fe63b2b7085d7c0e",
            ])
        #expect(
            transfers.map(\.to.lowercased) == ["0x68b3465833fb72a70ecdf485e0e4c7bd8665fc45", "0xb1f30b7df529845ab92dfd39e3eefeadc37f9fcc"])
    }

    // MARK: Log blooms of recorded receipts

    @Test(arguments: polygonReceipts + ["go-ethereum/internal/ethapi/testdata/eth_getTransactionReceipt-with-logs.json"])
    func recordedBloomIsTheBloomOfItsLogs(_ path: String) throws {
        let receipt: RPCReceipt
        if path.hasPrefix("go-ethereum") {
            receipt = try #require(try RPCParse.receipt(try jsonVector(path)))
        } else {
            receipt = try Self.polygonReceipt(path)
        }
        #expect(!receipt.logs.isEmpty)
        var reference = ReferenceBloom()
        for log in receipt.logs {
            reference.add(log.address.bytes)
            for topic in log.topics { reference.add(topic.bytes) }
        }
        #expect(reference.bytes == receipt.logsBloom)
        let bloom = try LogsBloom(bytes: receipt.logsBloom)
        #expect(!bloom.isEmpty)
        for log in receipt.logs {
            #expect(bloom.mightContain(log.address.bytes))
            for topic in log.topics { #expect(bloom.mightContain(topic.bytes)) }
        }
    }

    @Test func usdcReceiptBloomMatchesTheRecipientOnly() throws {
        let receipt = try Self.polygonReceipt(Self.usdcReceipt)
        let bloom = try LogsBloom(bytes: receipt.logsBloom)
        let usdc = try Address("0x2791bca1f2de4661ed88a30c99a7a9449aa84174")
        let recipient = try Address("0xa48ee028dee3e4c691381a9bae7f16e710cd7154")
        #expect(bloom.mightContainTransfer(token: usdc, to: [recipient]))
        #expect(bloom.mightContainTransfer(token: usdc, to: []))

        // Polygon USDT and 0x…dEaD are not in this bloom: at least one of their bits is clear.
        let usdtPolygon = try Address("0xc2132d05d31c914a87c6611c10748aeb04b58e8f")
        let dead = try Address("0x000000000000000000000000000000000000dead")
        #expect(!ReferenceBloom.contains(usdtPolygon.bytes, in: receipt.logsBloom))
        #expect(!ReferenceBloom.contains(dead.word.bytes, in: receipt.logsBloom))
        #expect(!bloom.mightContain(usdtPolygon.bytes))
        #expect(!bloom.mightContain(dead.word.bytes))
        #expect(!bloom.mightContainTransfer(token: usdtPolygon, to: []))
        #expect(!bloom.mightContainTransfer(token: usdc, to: [dead]))
        #expect(bloom.mightContainTransfer(token: usdc, to: [dead, recipient]))
    }

    @Test func bloomRejectsWrongLength() throws {
        #expect(throws: FixedBytesError.self) { try LogsBloom(bytes: [UInt8](repeating: 0, count: 255)) }
        #expect(try LogsBloom(bytes: [UInt8](repeating: 0, count: 256)).isEmpty)
    }
}
