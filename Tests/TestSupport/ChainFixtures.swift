import ChainRPC
import EthereumCore
import Foundation

/// A program the tests started (the devchain, a fault proxy), stopped with SIGTERM.
public final class ManagedProcess: @unchecked Sendable {
    public let process = Process()
    public let info: [String: Any]
    public let infoFile: URL

    /// Starts `executable arguments… --info FILE` and waits until FILE appears (the program's
    /// "ready" signal), for at most `timeout` seconds.
    public init(_ executable: URL, _ arguments: [String], timeout: Double = 90) async throws {
        infoFile = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-it-\(UUID().uuidString).json")
        process.executableURL = executable
        process.arguments = arguments + ["--info", infoFile.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let data = FileManager.default.contents(atPath: infoFile.path),
                let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            {
                info = object
                return
            }
            guard process.isRunning, Date() < deadline else {
                process.terminate()
                throw FixtureError("\(executable.lastPathComponent) did not become ready")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// SIGTERM, then SIGKILL if the program has not exited within three seconds.
    public func stop() {
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

public struct FixtureError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A running devchain: its URL, chain id, tokens and funded accounts.
public final class Devchain: Sendable {
    public let process: ManagedProcess
    public let url: String
    public let chainId: UInt64
    public let usdc: Address
    public let usdt: Address
    public let keys: [PrivateKey]

    public init(arguments: [String] = []) async throws {
        let script = Paths.repositoryRoot.appendingPathComponent("Scripts/devchain")
        process = try await ManagedProcess(script, ["--port", "0"] + arguments)
        let info = process.info
        url = info["url"] as! String
        chainId = (info["chainId"] as! NSNumber).uint64Value
        let tokens = info["tokens"] as! [String: [String: Any]]
        usdc = try Address(tokens["USDC"]!["address"] as! String)
        usdt = try Address(tokens["USDT"]!["address"] as! String)
        keys = try (info["accounts"] as! [[String: String]]).map { try PrivateKey(hex: $0["privateKey"]!) }
    }

    public func client(timeout: Duration = .seconds(30)) -> JSONRPCClient {
        JSONRPCClient(transport: HTTPTransport(url: url), timeout: timeout)
    }

    /// Sends `amount` base units of `token` from account `from` to `to`; automine puts it in a new block.
    @discardableResult
    public func transfer(token: Address, from: Int, to: Address, amount: UInt256) async throws -> TxHash {
        try await send(try await signedTransfer(token: token, from: from, to: to, amount: amount))
    }

    /// A signed token transfer from account `from`, at its next pending nonce, not yet sent.
    public func signedTransfer(token: Address, from: Int, to: Address, amount: UInt256) async throws -> [UInt8] {
        let sender = keys[from]
        let nonce = try await client().request(.transactionCount(sender.address, .pending), parse: RPCParse.uint64)
        let tx = Transaction(
            type: .dynamicFee, chainId: chainId, nonce: nonce, maxPriorityFeePerGas: 1, maxFeePerGas: 10_000_000_000, gasLimit: 100_000,
            to: token, data: ERC20.transferCallData(to: to, amount: amount))
        return tx.signed(with: sender).raw
    }

    /// Sends a raw transaction.
    @discardableResult
    public func send(_ raw: [UInt8]) async throws -> TxHash {
        try await client().request(.sendRawTransaction(raw), parse: RPCParse.txHash)
    }

    /// The current head.
    public func head() async throws -> UInt64 {
        try await client().request(.blockNumber, parse: RPCParse.uint64)
    }

    /// A snapshot id for `revert`.
    public func snapshot() async throws -> String {
        try await client().request(RPCCall("evm_snapshot")) { value throws(RPCFailure) in
            guard let id = value as? String else { throw RPCFailure.malformed("evm_snapshot") }
            return id
        }
    }

    public func revert(_ id: String) async throws {
        try await control("evm_revert", [.string(id)])
    }

    /// Mines `count` empty blocks.
    public func mine(_ count: Int = 1) async throws {
        try await control("devchain_mine", [.int(count)])
    }

    /// Calls a control method (`evm_mine`, `evm_snapshot`, ...).
    public func control(_ method: String, _ params: [RPCParam] = []) async throws {
        _ = try await client().request(RPCCall(method, params)) { _ throws(RPCFailure) in true }
    }

    deinit { process.stop() }
}

/// A fault-injecting proxy in front of an upstream URL (Tests/Support/fault_proxy.py).
public final class FaultProxy: Sendable {
    public let process: ManagedProcess
    public let url: String
    public let control: String

    public init(upstream: String) async throws {
        let script = Paths.repositoryRoot.appendingPathComponent("Tests/Support/fault_proxy.py")
        process = try await ManagedProcess(Paths.python, [script.path, "--upstream", upstream, "--port", "0", "--control-port", "0"])
        url = process.info["url"] as! String
        control = process.info["control"] as! String
    }

    public func client(timeout: Duration = .seconds(5)) -> JSONRPCClient {
        JSONRPCClient(transport: HTTPTransport(url: url), timeout: timeout)
    }

    /// Switches the proxy to `mode` with its parameters (see fault_proxy.py).
    public func fault(_ mode: String, _ parameters: [String: Any] = [:]) async throws {
        var body = parameters
        body["mode"] = mode
        try await post("/fault", body)
    }

    public func reset() async throws { try await post("/reset", [:]) }

    /// JSON-RPC calls the proxy has seen, by method.
    public func calls() async throws -> [String: Int] {
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
public func testPool(_ clients: [JSONRPCClient], quorum: Int = 1, rounds: Int = 3, network: String = "devnet") -> ProviderPool {
    var configuration = ProviderPool.Configuration()
    configuration.baseBackoff = .milliseconds(50)
    configuration.maxBackoff = .seconds(3)
    configuration.quorum = quorum
    configuration.maxRounds = rounds
    configuration.breakerOpenFor = .milliseconds(200)
    return ProviderPool(network: network, clients: clients, configuration: configuration)
}
