import Benchmark
import ChainRPC
import EthereumCore
import Foundation

// Transfer logs decoded from one eth_getLogs answer and filtered to the watched addresses, the
// way the monitor does it: through JSONRPCClient, first with the byte decoders
// (RPCParse.logs), then with the Foundation decoders alone (RPCParse.logs.object: what every
// answer went through before). The answer is Benchmarks/make_logs_answer.py's (Scripts/bench
// writes it to .state/bench/); web3.py and orjson read the same file (Benchmarks/decode_peers.py).

/// The answer, the watched addresses and the expected count, from the files the generator wrote.
struct LogsAnswer: Sendable {
    let body: [UInt8]
    let watched: Set<Address>
    let logs: Int
    let kept: Int

    static func load() -> LogsAnswer {
        let directory =
            ProcessInfo.processInfo.environment["BENCH_INPUTS"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../../.state/bench/inputs")
        let answer = directory.appendingPathComponent("logs-answer.json")
        guard let body = try? Data(contentsOf: answer),
            let meta = try? Data(contentsOf: directory.appendingPathComponent("logs-answer.meta.json")),
            let object = try? JSONSerialization.jsonObject(with: meta) as? [String: Any], let watched = object["watched"] as? [String],
            let logs = object["logs"] as? Int, let kept = object["kept"] as? Int
        else {
            fatalError("no answer at \(answer.path): run .venv/bin/python Benchmarks/make_logs_answer.py first (Scripts/bench does)")
        }
        return LogsAnswer(body: Array(body), watched: Set(watched.map { try! Address($0) }), logs: logs, kept: kept)
    }
}

/// A provider that answers every call with the same body, in memory.
struct FixedAnswer: RPCTransport {
    let body: [UInt8]
    var displayURL: String { "memory://answer" }
    func post(_ body: [UInt8], timeout: Duration) async throws(RPCFailure) -> RPCHTTPResponse {
        RPCHTTPResponse(status: 200, retryAfter: nil, body: self.body)
    }
}

/// Decodes the answer through `client` with `decoder` and counts the Transfers to watched addresses.
func keptTransfers(_ client: JSONRPCClient, _ decoder: RPCResultDecoder<[RPCLog]>, _ watched: Set<Address>) async throws -> Int {
    let call = RPCCall.logs(.transfers(.range(from: .number(0), to: .number(1)), tokens: []))
    let logs = try await client.request(call, parse: decoder)
    return logs.reduce(0) { count, log in
        guard let transfer = log.transfer, watched.contains(transfer.to) else { return count }
        return count + 1
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident], warmupIterations: 2, maxDuration: .seconds(5),
        maxIterations: 1_000)
    let answer = LogsAnswer.load()
    let client = JSONRPCClient(transport: FixedAnswer(body: answer.body))

    Benchmark("Transfer logs, byte decoders x\(answer.logs)") { benchmark in
        let kept = try await keptTransfers(client, RPCParse.logs, answer.watched)
        if kept != answer.kept { benchmark.error("kept \(kept) transfers, expected \(answer.kept)") }
    }
    Benchmark("Transfer logs, Foundation decoders x\(answer.logs)") { benchmark in
        let kept = try await keptTransfers(client, RPCResultDecoder(RPCParse.logs.object), answer.watched)
        if kept != answer.kept { benchmark.error("kept \(kept) transfers, expected \(answer.kept)") }
    }
}
