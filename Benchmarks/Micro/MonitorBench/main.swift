import ChainRPC
import EthereumCore
import Foundation

// RPC calls the chain monitor makes per new block with 1, 100, 10,000 and 100,000 watched
// addresses (expected constant: one log query per block covers every address), and the memory
// the monitor holds for them. It runs the built `gateway monitor` against the devchain through
// the fault proxy, which counts the calls, on a database of its own per count on the private
// Postgres; each count sees five blocks with one watched transfer each, sent only once the
// monitor has reported the one before. The monitor's idle polls while it waits for a block (an
// `eth_blockNumber` and a check of the tip) are counted too, alike for every count.
//
//   DATABASE_URL=$(Scripts/dev-postgres url) swift run -c release MonitorBench
//
// Environment: DATABASE_URL (the cluster; databases monitor_bench_N are created and dropped),
// GATEWAY_BIN (default: the main package's release build), BENCH_STATE (where the result
// file goes, default .state/bench).

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../..").standardizedFileURL
let environment = ProcessInfo.processInfo.environment
let python = root.appendingPathComponent(".venv/bin/python").path
let psql = "/usr/lib/postgresql/15/bin/psql"
let gateway = environment["GATEWAY_BIN"] ?? root.appendingPathComponent(".build/release/gateway").path
let stateDirectory = URL(fileURLWithPath: environment["BENCH_STATE"] ?? root.appendingPathComponent(".state/bench").path)
let merchant = try Address("0x00000000000000000000000000000000000d0d01")
let blocks = 5
let counts = [1, 100, 10_000, 100_000]

/// A child process, stopped when the benchmark ends.
final class Child {
    let process = Process()

    init(_ executable: String, _ arguments: [String], environment extra: [String: String] = [:], output: URL) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment.merging(extra) { $1 }
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// The resident set size in MB (VmRSS).
    var residentMegabytes: Double {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kilobytes / 1024
    }
}

/// Runs a program to completion; its standard output, or an error with what it printed.
@discardableResult
func run(_ executable: String, _ arguments: [String], environment extra: [String: String] = [:]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = environment.merging(extra) { $1 }
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("monitor-bench-\(UUID().uuidString).out")
    FileManager.default.createFile(atPath: output.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: output) }
    let handle = try FileHandle(forWritingTo: output)
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    process.waitUntilExit()
    try handle.close()
    let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
    guard process.terminationStatus == 0 else { throw BenchError("\(executable) \(arguments.joined(separator: " ")) failed: \(text)") }
    return text
}

/// Waits for `path` to hold a JSON object (an info file written when a server is ready).
func waitForInfo(_ path: URL, _ name: String) async throws -> [String: Any] {
    for _ in 0..<600 {
        if let data = try? Data(contentsOf: path), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            return object
        }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw BenchError("\(name) did not start")
}

/// Waits until `condition` holds, checking every 50 ms, for at most `seconds`.
func waitUntil(_ what: String, seconds: Int = 60, _ condition: () throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw BenchError("timed out waiting for \(what)")
}

/// The proxy's control port: `/reset` and `/stats` (calls by method).
struct ProxyControl {
    let url: String

    func reset() async throws {
        _ = try await HTTPTransport(url: url + "/reset").post(Array("{}".utf8), timeout: .seconds(5))
    }

    func calls() async throws -> [String: Int] {
        let response = try await HTTPTransport(url: url + "/stats").post(Array("{}".utf8), timeout: .seconds(5))
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        return object?["byMethod"] as? [String: Int] ?? [:]
    }
}

/// Lines of the monitor's output that report a transfer seen.
func seenEvents(_ output: URL) -> Int {
    let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
    return text.split(separator: "\n").filter { $0.contains("\"event\":\"seen\"") }.count
}

guard let clusterURL = environment["DATABASE_URL"] else { throw BenchError("set DATABASE_URL (Scripts/bench does)") }
guard FileManager.default.isExecutableFile(atPath: gateway) else {
    throw BenchError("no gateway at \(gateway): swift build -c release --product gateway in the repository root")
}
let work = FileManager.default.temporaryDirectory.appendingPathComponent("monitor-bench-\(ProcessInfo.processInfo.processIdentifier)")
try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
var children = [Child]()
defer {
    for child in children.reversed() { child.stop() }
    try? FileManager.default.removeItem(at: work)
}

let chainInfo = work.appendingPathComponent("devchain.json")
children.append(
    try Child(
        root.appendingPathComponent("Scripts/devchain").path, ["--port", "0", "--info", chainInfo.path],
        output: work.appendingPathComponent("devchain.log")))
let chain = try await waitForInfo(chainInfo, "the devchain")
let chainURL = chain["url"] as! String
let usdc = try Address((chain["tokens"] as! [String: [String: Any]])["USDC"]!["address"] as! String)
let sender = try PrivateKey(hex: (chain["accounts"] as! [[String: String]])[1]["privateKey"]!)
let chainClient = JSONRPCClient(transport: HTTPTransport(url: chainURL), timeout: .seconds(10))

let proxyInfo = work.appendingPathComponent("proxy.json")
children.append(
    try Child(
        python,
        [
            root.appendingPathComponent("Tests/Support/fault_proxy.py").path, "--upstream", chainURL, "--port", "0", "--control-port", "0",
            "--info", proxyInfo.path,
        ], output: work.appendingPathComponent("proxy.log")))
let proxy = try await waitForInfo(proxyInfo, "the fault proxy")
let control = ProxyControl(url: proxy["control"] as! String)

/// Sends one USDC transfer to the merchant; automine puts it in a block of its own.
func transfer(_ amount: UInt64) async throws {
    let nonce = try await chainClient.request(.transactionCount(sender.address, .pending), parse: RPCParse.uint64)
    let transaction = Transaction(
        type: .dynamicFee, chainId: 1337, nonce: nonce, maxPriorityFeePerGas: 1, maxFeePerGas: 10_000_000_000, gasLimit: 100_000,
        to: usdc, data: ERC20.transferCallData(to: merchant, amount: UInt256(amount)))
    _ = try await chainClient.request(.sendRawTransaction(transaction.signed(with: sender).raw), parse: RPCParse.txHash)
}

print("== Chain monitor: RPC calls per new block by watched addresses (expected constant), \(blocks) blocks each")
print("watched     calls/block   ratio to 1 address   monitor RSS MB   by method")
var rows = [[String: Any]]()
var baseline: Double? = nil
var baselineMemory: Double? = nil
for count in counts {
    let name = "monitor_bench_\(count)"
    let databaseURL = clusterURL.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/") + "/\(name)"
    try run(psql, ["-X", "-q", clusterURL, "-c", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"])
    try run(psql, ["-X", "-q", clusterURL, "-c", "CREATE DATABASE \(name)"])
    try run(gateway, ["migrate"], environment: ["DATABASE_URL": databaseURL])
    // The merchant and count - 1 made-up addresses, and the watch generation the monitor reloads on.
    try run(
        psql,
        [
            "-X", "-q", "-v", "ON_ERROR_STOP=1", databaseURL, "-c",
            """
            INSERT INTO watched_addresses (network, address) VALUES ('devnet', '\(merchant.lowercased)');
            INSERT INTO watched_addresses (network, address)
              SELECT 'devnet', '0xe' || lpad(to_hex(i), 39, '0') FROM generate_series(1, \(count - 1)) AS i;
            INSERT INTO watch_generations (network, generation) VALUES ('devnet', 1)
              ON CONFLICT (network) DO UPDATE SET generation = watch_generations.generation + 1;
            """,
        ])
    let output = work.appendingPathComponent("monitor-\(count).log")
    let monitor = try Child(
        gateway, ["monitor", "--network", "devnet", "--devchain-info", chainInfo.path, "--rpc", proxy["url"] as! String],
        environment: ["DATABASE_URL": databaseURL], output: output)
    children.append(monitor)
    // Started at the head: once it has read a block, its watch list is loaded.
    try await waitUntil("the monitor's first poll") {
        try run(psql, ["-X", "-qAt", databaseURL, "-c", "SELECT count(*) FROM monitor_blocks"]) != "0\n"
    }
    let memory = monitor.residentMegabytes
    try await control.reset()
    for index in 0..<blocks {
        try await transfer(UInt64(index + 1))
        try await waitUntil("transfer \(index + 1) to be seen") { seenEvents(output) >= index + 1 }
    }
    let calls = try await control.calls()
    monitor.stop()
    let perBlock = Double(calls.values.reduce(0, +)) / Double(blocks)
    if baseline == nil { baseline = perBlock }
    if baselineMemory == nil { baselineMemory = memory }
    let methods = calls.keys.sorted().map { "\($0)=\(calls[$0]!)" }.joined(separator: " ")
    print(String(format: "%-10d  %11.1f   %18.2f   %14.1f   %@", count, perBlock, perBlock / baseline!, memory, methods))
    rows.append(["watched": count, "callsPerBlock": perBlock, "residentMB": memory, "byMethod": calls])
    try run(psql, ["-X", "-q", clusterURL, "-c", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"])
}

// The result file Scripts/bench's table reads (Benchmarks/README.md describes the format).
let last = rows.last!
let growth = (last["callsPerBlock"] as! Double) / baseline!
let extraMemory = (last["residentMB"] as! Double) - baselineMemory!
let result: [String: Any] = [
    "benchmark": "monitor",
    "figures": [
        [
            "name": "monitor RPC calls per block, 100,000 watched", "value": last["callsPerBlock"] as! Double, "unit": "calls/block",
            "reference": ["name": "1 watched address", "value": baseline!, "unit": "calls/block", "kind": "limit"],
            "ratio": growth == 0 ? 0 : 1 / growth, "ratioMeans": "calls with 1 address / calls with 100,000", "goal": ["ratioAtLeast": 1.0],
        ],
        [
            "name": "monitor memory for 100,000 watched addresses", "value": extraMemory, "unit": "MB",
            "note": "gateway monitor's RSS with 100,000 addresses minus with 1",
        ],
    ],
    "details": rows,
]
try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys]).write(
    to: stateDirectory.appendingPathComponent("monitor.json"))
