import ChainConfig
import ChainMonitor
import ChainRPC
import EthereumCore
import Foundation
import GatewayStore
import PostgresNIO
import TestSupport

// RPC calls the chain monitor makes per new block with 1, 100, 10,000 and 100,000 watched
// addresses (counted at a proxy in front of the devchain; expected constant), and the
// monitor's memory with 100,000 watched addresses. Needs DATABASE_URL (Scripts/bench starts
// the dev Postgres) and the devchain's Python environment.

func residentMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
        let kb = Double(line.split(separator: " ").dropFirst().first ?? "")
    else { return 0 }
    return kb / 1024
}

/// Runs one administrative statement on the server's default database.
func administer(_ server: DatabaseConfiguration, _ sql: String) async throws {
    let connection = try await server.connect()
    _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: .init(label: "bench"))
    try await connection.close()
}

guard let serverURL = ProcessInfo.processInfo.environment["DATABASE_URL"] else {
    fatalError("set DATABASE_URL (Scripts/bench does)")
}
let server = try DatabaseConfiguration(url: serverURL)
let blocks = 5

print("== Chain monitor: RPC calls per new block by watched addresses (expected constant), \(blocks) blocks each")
print("watched     calls/block   ratio to 1 address   by method")
var baseline: Double? = nil
for count in [1, 100, 10_000, 100_000] {
    let name = "monitor_bench_\(count)"
    try await administer(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    try await administer(server, "CREATE DATABASE \(name)")
    try await withPostgresClient(server.with(database: name)) { client in
        _ = try await Migrator(client: client).migrate()
        let store = PostgresMonitorStore(client: client)
        let chain = try await Devchain()
        let proxy = try await FaultProxy(upstream: chain.url)
        let merchant = try Address("0x00000000000000000000000000000000000d0d01")
        var addresses = [merchant]
        for index in 1..<count { addresses.append(try Address(bytes: Keccak256.hash(text: "watched \(index)").bytes.suffix(20))) }
        for chunk in stride(from: 0, to: addresses.count, by: 10_000) {
            try await store.addWatched(network: "devnet", addresses: Array(addresses[chunk..<min(addresses.count, chunk + 10_000)]))
        }
        let catalog = try NetworkCatalog.load(directory: Paths.repositoryRoot.appendingPathComponent("Networks"))
        let network = catalog["devnet"]!.withTokenAddresses(["USDC": chain.usdc, "USDT": chain.usdt])
        let before = residentMegabytes()
        let monitor = ChainMonitor(pool: testPool([proxy.client()]), store: store, configuration: .init(network: network, confirmations: 3))
        try await monitor.pollOnce()
        let after = residentMegabytes()
        try await proxy.reset()
        var found = 0
        for index in 0..<blocks {
            try await chain.transfer(token: chain.usdc, from: 1, to: merchant, amount: UInt256(UInt64(index + 1)))
            found += try await monitor.pollOnce().blocksProcessed
        }
        let calls = try await proxy.calls()
        let perBlock = Double(calls.values.reduce(0, +)) / Double(blocks)
        if baseline == nil { baseline = perBlock }
        let methods = calls.keys.sorted().map { "\($0)=\(calls[$0]!)" }.joined(separator: " ")
        print(String(format: "%-10d  %11.1f   %18.2f   %@", count, perBlock, perBlock / baseline!, methods))
        if count == 100_000 {
            print(
                String(
                    format:
                        "memory: process RSS %.1f MB before the monitor loaded its watch list, %.1f MB after (+%.1f MB for 100,000 addresses)",
                    before, after, after - before))
        }
        precondition(found == blocks, "every block was processed")
    }
    try await administer(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
}
