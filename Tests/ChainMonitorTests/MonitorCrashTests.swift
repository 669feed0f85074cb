import ChainMonitor
import ChainRPC
import EthereumCore
import Foundation
import GatewayStore
import PostgresNIO
import TestSupport
import Testing

/// `gateway monitor` is killed with SIGKILL again and again while payments arrive; after a
/// last restart the stored transfers equal what web3.py sees on chain, with no duplicates.
@Suite(.serialized) struct MonitorCrashTests {
    @Test func sigkillMidBlockLosesAndDuplicatesNothing() async throws {
        let serverURL = ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""
        let server = try TestDatabase.server()
        let database = try await TestDatabase.create(prefix: "monitor_crash", migrate: false)
        let name = database.database
        let databaseURL = serverURL.replacingOccurrences(of: "/" + server.database, with: "/" + name)

        let chain = try await Devchain()
        let merchants = try [Address("0x00000000000000000000000000000000000e0e01"), Address("0x00000000000000000000000000000000000e0e02")]
        let start = try await chain.head() + 1
        let arguments =
            [
                "monitor", "--network", "devnet", "--devchain-info", chain.process.infoFile.path, "--confirmations", "3",
                "--from-block", "\(start)", "--database-url", databaseURL,
            ] + merchants.flatMap { ["--watch", $0.checksummed] }
        var monitor = try startMonitor(arguments)
        var rng = SystemRandomNumberGenerator()
        for round in 0..<8 {
            for index in 0..<3 {
                let to = index == 2 ? try Address("0x00000000000000000000000000000000000e0e99") : merchants[(round + index) % 2]
                try await chain.transfer(
                    token: index == 1 ? chain.usdt : chain.usdc, from: 1 + index, to: to, amount: UInt256(UInt64(round * 10 + index + 1)))
            }
            try await Task.sleep(for: .milliseconds(Int64.random(in: 50...700, using: &rng)))
            kill(monitor.processIdentifier, SIGKILL)
            monitor.waitUntilExit()
            if round % 3 == 0 { try await chain.mine(2) }
            monitor = try startMonitor(arguments)
        }
        try await chain.mine(3)
        let head = try await chain.head()
        let expected = try web3Transfers(chain: chain, merchants: merchants, from: start, to: head)
        #expect(expected.count == 16)
        var stored = [String]()
        var lastError: (any Error)? = nil
        for _ in 0..<100 {
            // The restarted monitor may still be applying migrations the killed one rolled back.
            do {
                stored = try await storedTransfers(database)
                lastError = nil
            } catch {
                lastError = error
            }
            if stored == expected { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        if let lastError { Issue.record("reading the stored transfers failed: \(String(reflecting: lastError))") }
        monitor.terminate()
        monitor.waitUntilExit()
        let cleanup = try await server.connect()
        _ = try? await cleanup.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: TestDatabase.logger)
        try await cleanup.close()
        #expect(stored == expected)
        #expect(Set(stored).count == stored.count, "no duplicates")
    }

    func startMonitor(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = Paths.gatewayBinary
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// `transactionHash:logIndex:blockHash:amount` of every non-removed stored transfer.
    func storedTransfers(_ database: DatabaseConfiguration) async throws -> [String] {
        let connection = try await database.connect()
        defer { Task { try? await connection.close() } }
        let rows = try await connection.query(
            "SELECT tx_hash, log_index, block_hash, amount::text FROM chain_transfers WHERE state <> 'removed'", logger: TestDatabase.logger
        )
        var out = [String]()
        for try await (tx, index, block, amount) in rows.decode((String, Int, String, String).self) {
            out.append("\(tx):\(index):\(block):\(amount)")
        }
        return out.sorted()
    }

    /// The same, from web3.py over both tokens.
    func web3Transfers(chain: Devchain, merchants: [Address], from: UInt64, to: UInt64) throws -> [String] {
        let script = Paths.repositoryRoot.appendingPathComponent("Tests/CrossCheck/web3_transfers.py")
        var out = [String]()
        for token in [chain.usdc, chain.usdt] {
            let result = try runProcess(
                Paths.python,
                [script.path, "--rpc", chain.url, "--token", token.checksummed, "--from-block", "\(from)", "--to-block", "\(to)"]
                    + merchants.flatMap { ["--to", $0.checksummed] })
            guard result.status == 0 else { throw FixtureError("web3.py failed: \(result.stderr)") }
            for line in result.stdout.split(separator: "\n") {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                out.append("\(object["transactionHash"]!):\(object["logIndex"]!):\(object["blockHash"]!):\(object["amount"]!)")
            }
        }
        return out.sorted()
    }
}
