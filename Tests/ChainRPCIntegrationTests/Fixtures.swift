import ChainRPC
import EthereumCore
import Foundation
import TestSupport

/// A program the tests started (the devchain, a fault proxy), stopped with SIGTERM.
final class ManagedProcess: @unchecked Sendable {
    let process = Process()
    let info: [String: Any]
    let infoFile: URL

    /// Starts `executable arguments… --info FILE` and waits until FILE appears (the program's
    /// "ready" signal), for at most `timeout` seconds.
    init(_ executable: URL, _ arguments: [String], timeout: Double = 90) throws {
        infoFile = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-it-\(UUID().uuidString).json")
        process.executableURL = executable
        process.arguments = arguments + ["--info", infoFile.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let data = FileManager.default.contents(atPath: infoFile.path),
               let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] {
                info = object
                return
            }
            guard process.isRunning, Date() < deadline else {
                process.terminate()
                throw FixtureError("\(executable.lastPathComponent) did not become ready")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// SIGTERM, then SIGKILL if the program has not exited within three seconds.
    func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(3)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        try? FileManager.default.removeItem(at: infoFile)
    }

    deinit { stop() }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A running devchain: its URL, chain id, tokens and funded accounts.
final class Devchain: Sendable {
    let process: ManagedProcess
    let url: String
    let chainId: UInt64
    let usdc: Address
    let usdt: Address
    let keys: [PrivateKey]

    init() throws {
        let script = Paths.repositoryRoot.appendingPathComponent("Scripts/devchain")
        process = try ManagedProcess(script, ["--port", "0"])
        let info = process.info
        url = info["url"] as! String
        chainId = (info["chainId"] as! NSNumber).uint64Value
        let tokens = info["tokens"] as! [String: [String: Any]]
        usdc = try Address(tokens["USDC"]!["address"] as! String)
        usdt = try Address(tokens["USDT"]!["address"] as! String)
        keys = try (info["accounts"] as! [[String: String]]).map { try PrivateKey(hex: $0["privateKey"]!) }
    }

    func client(timeout: Duration = .seconds(5)) -> JSONRPCClient {
        JSONRPCClient(transport: HTTPTransport(url: url), timeout: timeout)
    }

    /// Sends `amount` base units of `token` from account `from` to `to`; automine puts it in a new block.
    func transfer(token: Address, from: Int, to: Address, amount: UInt256) async throws -> TxHash {
        let client = client()
        let sender = keys[from]
        let nonce = try await client.request(.transactionCount(sender.address, .pending), parse: RPCParse.uint64)
        let tx = Transaction(
            type: .dynamicFee, chainId: chainId, nonce: nonce, maxPriorityFeePerGas: 1, maxFeePerGas: 10_000_000_000, gasLimit: 100_000,
            to: token, data: ERC20.transferCallData(to: to, amount: amount))
        return try await client.request(.sendRawTransaction(tx.signed(with: sender).raw), parse: RPCParse.txHash)
    }

    /// Calls a control method (`evm_mine`, `evm_snapshot`, ...).
    func control(_ method: String, _ params: [RPCParam] = []) async throws {
        _ = try await client().request(RPCCall(method, params)) { _ throws(RPCFailure) in true }
    }

    deinit { process.stop() }
}

/// A fault-injecting proxy in front of an upstream URL (Tests/Support/fault_proxy.py).
final class FaultProxy: Sendable {
    let process: ManagedProcess
    let url: String
    let control: String

    init(upstream: String) throws {
        let script = Paths.repositoryRoot.appendingPathComponent("Tests/Support/fault_proxy.py")
        process = try ManagedProcess(Paths.python, [script.path, "--upstream", upstream, "--port", "0", "--control-port", "0"])
        url = process.info["url"] as! String
        control = process.info["control"] as! String
    }

    func client(timeout: Duration = .seconds(5)) -> JSONRPCClient {
        JSONRPCClient(transport: HTTPTransport(url: url), timeout: timeout)
    }

    /// Switches the proxy to `mode` with its parameters (see fault_proxy.py).
    func fault(_ mode: String, _ parameters: [String: Any] = [:]) async throws {
        var body = parameters
        body["mode"] = mode
        try await post("/fault", body)
    }

    func reset() async throws { try await post("/reset", [:]) }

    /// JSON-RPC calls the proxy has seen, by method.
    func calls() async throws -> [String: Int] {
        let response = try await HTTPTransport(url: control + "/stats").post(Array("{}".utf8), timeout: .seconds(5))
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        return object?["byMethod"] as? [String: Int] ?? [:]
    }

    private func post(_ path: String, _ body: [String: Any]) async throws {
        let data = try JSONSerialization.data(withJSONObject: body)
        let response = try await HTTPTransport(url: control + path).post(Array(data), timeout: .seconds(5))
        guard response.status == 200 else { throw FixtureError("proxy control \(path) answered \(response.status)") }
    }

    deinit { process.stop() }
}

/// A pool over `clients` with short backoffs, as tests want.
func testPool(_ clients: [JSONRPCClient], quorum: Int = 1, rounds: Int = 3) -> ProviderPool {
    var configuration = ProviderPool.Configuration()
    configuration.baseBackoff = .milliseconds(50)
    configuration.maxBackoff = .seconds(3)
    configuration.quorum = quorum
    configuration.maxRounds = rounds
    configuration.breakerOpenFor = .milliseconds(200)
    return ProviderPool(network: "devnet", clients: clients, configuration: configuration)
}
