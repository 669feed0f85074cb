import ChainMonitor
import EthereumCore
import Foundation
import GatewayStore
import PostgresNIO
import TestSupport
import Testing

/// The balance history the monitor's saves keep for the console's charts: one sample per
/// address and asset per 15 minutes, nothing older than 8 days, read back 7 days at a time.
@Suite struct BalanceHistoryTests {
    typealias F = Fixture

    static let wallet = F.address(0x33)

    static func save(_ store: PostgresMonitorStore, native: UInt256, token: UInt256, block: UInt64, network: String = F.network)
        async throws
    {
        try await store.saveBalances(
            network: network,
            [
                AddressBalance(address: wallet, token: nil, amount: native, blockNumber: block),
                AddressBalance(address: wallet, token: F.token, amount: token, blockNumber: block),
            ])
    }

    /// Every sample as `network asset amount block`, oldest first.
    static func samples(_ client: PostgresClient) async throws -> [String] {
        try await client.texts(
            """
            SELECT network || ' ' || asset || ' ' || amount::text || ' ' || block_number::text FROM balance_samples
            ORDER BY sampled_at, asset = 'native' DESC, id
            """)
    }

    @Test func aSampleIsAddedOnlyWhenTheNewestIsFifteenMinutesOld() async throws {
        try await TestDatabase.withMigrated { client, _ in
            let store = PostgresMonitorStore(client: client)
            let token = F.token.lowercased
            try await Self.save(store, native: 5, token: 70, block: 1)
            try await Self.save(store, native: 6, token: 80, block: 2)
            // Two saves within 15 minutes: one sample per asset, the first; the latest balance is the second.
            #expect(try await Self.samples(client) == ["testnet native 5 1", "testnet \(token) 70 1"])
            #expect(try await store.balances(network: F.network).map(\.amount) == [6, 80])

            // The newest samples 14 minutes old: still none.
            try await client.query("UPDATE balance_samples SET sampled_at = now() - interval '14 minutes'")
            try await Self.save(store, native: 7, token: 90, block: 3)
            #expect(try await client.count("SELECT count(*) FROM balance_samples") == 2)

            // 16 minutes old: a second sample of each asset.
            try await client.query("UPDATE balance_samples SET sampled_at = now() - interval '16 minutes'")
            try await Self.save(store, native: 8, token: 100, block: 4)
            #expect(
                try await Self.samples(client) == [
                    "testnet native 5 1", "testnet \(token) 70 1", "testnet native 8 4", "testnet \(token) 100 4",
                ])

            // One asset's newest sample old enough, the other's not: only the first gets one.
            try await client.query(
                "UPDATE balance_samples SET sampled_at = sampled_at - interval '16 minutes' WHERE asset = 'native' AND block_number = 4")
            try await Self.save(store, native: 9, token: 110, block: 5)
            #expect(
                try await client.texts("SELECT amount::text FROM balance_samples WHERE asset = 'native' ORDER BY id") == ["5", "8", "9"])
            #expect(
                try await client.texts("SELECT amount::text FROM balance_samples WHERE asset <> 'native' ORDER BY id") == ["70", "100"])
        }
    }

    @Test func samplesOlderThanEightDaysOfTheNetworkAreDeleted() async throws {
        try await TestDatabase.withMigrated { client, _ in
            let store = PostgresMonitorStore(client: client)
            try await Self.save(store, native: 1, token: 10, block: 1)
            try await Self.save(store, native: 2, token: 20, block: 2, network: "other")
            try await client.query("UPDATE balance_samples SET sampled_at = now() - interval '9 days'")
            try await client.query(
                "UPDATE balance_samples SET sampled_at = now() - interval '7 days 23 hours' WHERE network = 'testnet' AND asset <> 'native'"
            )

            try await Self.save(store, native: 3, token: 30, block: 3)
            // The 9-day-old sample of this network is gone, the 8-day-old one stays, the other
            // network's are left to its own saves.
            #expect(
                try await Self.samples(client) == [
                    "other native 2 2", "other \(F.token.lowercased) 20 2", "testnet \(F.token.lowercased) 10 1", "testnet native 3 3",
                    "testnet \(F.token.lowercased) 30 3",
                ])
        }
    }

    @Test func theConsoleReadsSevenDaysOfOneAddressOldestFirst() async throws {
        try await TestDatabase.withMigrated { client, _ in
            let store = PostgresMonitorStore(client: client)
            let console = ConsoleStore(client: client)
            #expect(try await console.balanceHistory(network: F.network, address: Self.wallet.checksummed).isEmpty)

            for (step, minutesAgo) in [(1, "7 days 1 minute"), (2, "6 days"), (3, "3 hours")] as [(UInt64, String)] {
                try await Self.save(store, native: UInt256(step), token: UInt256(step * 10), block: step)
                try await client.query(
                    PostgresQuery(
                        unsafeSQL: "UPDATE balance_samples SET sampled_at = now() - interval '\(minutesAgo)' WHERE block_number = \(step)"))
            }
            try await Self.save(store, native: .max, token: 0, block: 4)
            // Another address and another network are not read.
            try await store.saveBalances(network: F.network, [AddressBalance(address: F.payer, token: nil, amount: 77, blockNumber: 4)])
            try await Self.save(store, native: 99, token: 99, block: 4, network: "other")

            let history = try await console.balanceHistory(network: F.network, address: Self.wallet.checksummed)
            #expect(Set(history.keys) == ["native", F.token.lowercased])
            #expect(history["native"]?.map(\.amount) == [2, 3, .max])
            #expect(history[F.token.lowercased]?.map(\.amount) == [20, 30, 0])
            let times = history["native"]?.map(\.time) ?? []
            let now = Int64(Date().timeIntervalSince1970)
            #expect(times.count == 3 && times == times.sorted())
            #expect(times.first.map { abs(now - 6 * 86_400 - $0) < 120 } == true)
            #expect(times.last.map { abs(now - $0) < 120 } == true)

            // The limit keeps the newest.
            let limited = try await console.balanceHistory(network: F.network, address: Self.wallet.lowercased, limit: 2)
            #expect(limited["native"]?.map(\.amount) == [.max])
            #expect(limited[F.token.lowercased]?.map(\.amount) == [0])
        }
    }
}
