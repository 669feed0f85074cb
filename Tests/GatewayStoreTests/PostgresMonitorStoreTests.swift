import ChainMonitor
import EthereumCore
import Foundation
import GatewayStore
import PostgresNIO
import TestSupport
import Testing

@Suite struct PostgresMonitorStoreTests {
    typealias F = Fixture

    @Test func commitBlockInsertsTransfersWindowCheckpointAndSeenEvents() async throws {
        try await TestDatabase.withMigrated { client, _ in
            let store = PostgresMonitorStore(client: client)
            #expect(try await store.loadWindow(network: F.network).isEmpty)

            let block = F.block(100)
            let first = F.transfer(in: block, tx: 1, logIndex: 3, amount: 1_250_000)
            let second = F.transfer(in: block, tx: 2, logIndex: 7, amount: 42)
            // Given out of chain order: stored and announced in chain order.
            let stored = try await store.commitBlock(network: F.network, block: block, transfers: [second, first], windowSize: 12)
            #expect(stored.map(\.transfer) == [first, second])
            #expect(stored.allSatisfy { $0.state == .seen })
            #expect(Set(stored.map(\.id)).count == 2)
            #expect(try await store.transfers(network: F.network) == stored)
            #expect(try await store.unconfirmedTransfers(network: F.network) == stored)
            #expect(try await store.loadWindow(network: F.network) == [block])
            #expect(try await client.texts("SELECT number::text || ' ' || hash FROM monitor_checkpoints") == ["100 \(block.hash.hex)"])

            // Each new row is queued for the matcher, exactly as stored.
            let changes = try await client.changes()
            #expect(changes == expectedChanges(stored, state: .seen))
            #expect(changes[0].transfer.blockHash == block.hash && changes[0].transfer.transactionHash == F.txHash(1))
            #expect(changes[0].transfer.logIndex == 3 && changes[0].transfer.amount == 1_250_000)
            #expect(changes[0].transfer.from == F.payer && changes[0].transfer.to == F.merchant && changes[0].network == "testnet")

            // Stored as lowercase hex.
            #expect(try await client.texts("SELECT token FROM chain_transfers ORDER BY id LIMIT 1") == [F.token.lowercased])
        }
    }

    @Test func replayingCommitBlockIsIdempotent() async throws {
        try await TestDatabase.withMigrated { client, _ in
            let store = PostgresMonitorStore(client: client)
            let block = F.block(100)
            let transfers = [F.transfer(in: block, tx: 1), F.transfer(in: block, tx: 1, logIndex: 1)]
            let stored = try await store.commitBlock(network: F.network, block: block, transfers: transfers, windowSize: 5)
            #expect(stored.count == 2)

            // As after a crash: the same block again, and a duplicate in the list.
            let replay = try await store.commitBlock(network: F.network, block: block, transfers: transfers + [transfers[0]], windowSize: 5)
            #expect(replay.isEmpty)
            #expect(try await store.transfers(network: F.network) == stored)
            #expect(try await client.changes().count == 2)
            #expect(try await store.loadWindow(network: F.network) == [block])

            // A confirmed row is left alone by a replay as well.
            _ = try await store.confirm(ids: [stored[0].id])
            #expect(try await store.commitBlock(network: F.network, block: block, transfers: transfers, windowSize: 5).isEmpty)
            #expect(try await store.transfers(network: F.network).map(\.state) == [.confirmed, .seen])
            #expect(try await client.changes().map(\.state) == [.seen, .seen, .confirmed])
        }
    }

    @Test func windowKeepsTheNewestBlocks() async throws {
        try await TestDatabase.withMigrated { client, _ in
            let store = PostgresMonitorStore(client: client)
            for number in UInt64(1)...10 {
                _ = try await store.commitBlock(network: F.network, block: F.block(number), transfers: [], windowSize: 4)
            }
            #expect(try await store.loadWindow(network: F.network) == (7...10).map { F.block($0) })
            #expect(try await client.changes().isEmpty)
            // Another network has its own window.
            #expect(try await store.loadWindow(network: "other").isEmpty)
        }
    }

    @Test func commitBlockRefusesWhatIsNotAnAppend() async throws {
        try await TestDatabase.withMigrated { client, _ in
            let store = PostgresMonitorStore(client: client)
            _ = try await store.commitBlock(network: F.network, block: F.block(10), transfers: [], windowSize: 4)
            _ = try await store.commitBlock(network: F.network, block: F.block(11), transfers: [], windowSize: 4)

            let fork = F.block(11, fork: 1, parentFork: 0)
            await #expect(throws: StoreError.self) {
                try await store.commitBlock(network: F.network, block: fork, transfers: [F.transfer(in: fork, tx: 5)], windowSize: 4)
            }
            await #expect(throws: StoreError.self) {
                try await store.commitBlock(network: F.network, block: F.block(10), transfers: [], windowSize: 4)
            }
            await #expect(
                throws: StoreError.transferNotInBlock(
                    block: F.block(12).description, transfer: "\(F.txHash(9)):0 in #11 \(F.block(11).hash)")
            ) {
                try await store.commitBlock(
                    network: F.network, block: F.block(12), transfers: [F.transfer(in: F.block(11), tx: 9)], windowSize: 4)
            }
            await #expect(throws: StoreError.invalidWindowSize(0)) {
                try await store.commitBlock(network: F.network, block: F.block(12), transfers: [], windowSize: 0)
            }
            // Nothing of the refused calls was written.
            #expect(try await store.transfers(network: F.network).isEmpty)
            #expect(try await store.loadWindow(network: F.network) == [F.block(10), F.block(11)])
            #expect(try await client.changes().isEmpty)
        }
    }

    @Test func rollbackRemovesSeenAndConfirmedAboveTheAncestor() async throws {
        try await TestDatabase.withMigrated { client, _ in
            let store = PostgresMonitorStore(client: client)
            let b100 = F.block(100)
            let b101 = F.block(101)
            let b102 = F.block(102)
            let t1 = F.transfer(in: b100, tx: 1)
            let t2 = F.transfer(in: b101, tx: 2)
            let t3 = F.transfer(in: b102, tx: 3)
            let s1 = try await store.commitBlock(network: F.network, block: b100, transfers: [t1], windowSize: 10)
            let s2 = try await store.commitBlock(network: F.network, block: b101, transfers: [t2], windowSize: 10)
            let s3 = try await store.commitBlock(network: F.network, block: b102, transfers: [t3], windowSize: 10)
            // Another network's rows are never touched.
            let other = try await store.commitBlock(network: "other", block: F.block(200, fork: 9), transfers: [], windowSize: 10)
            #expect(other.isEmpty)
            let confirmed = try await store.confirm(ids: [s2[0].id])
            #expect(confirmed.map(\.state) == [.confirmed])

            let removed = try await store.rollback(network: F.network, to: b100)
            #expect(removed.map(\.id) == [s2[0].id, s3[0].id])
            #expect(removed.map(\.transfer) == [t2, t3])
            #expect(removed.allSatisfy { $0.state == .removed })
            #expect(try await store.transfers(network: F.network).map(\.state) == [.seen, .removed, .removed])
            #expect(try await store.unconfirmedTransfers(network: F.network) == s1)
            #expect(try await store.loadWindow(network: F.network) == [b100])
            #expect(try await store.loadWindow(network: "other") == [F.block(200, fork: 9)])
            #expect(try await client.texts("SELECT number::text FROM monitor_checkpoints WHERE network = 'testnet'") == ["100"])
            #expect(try await client.count("SELECT count(*) FROM chain_transfers WHERE state = 'removed' AND removed_at IS NOT NULL") == 2)

            let events = try await client.changes()
            #expect(
                events.map(\.state) == [
                    .seen, .seen, .seen, .confirmed, .removed, .removed,
                ])
            #expect(Set(events.suffix(2)) == Set(expectedChanges(removed, state: .removed)), "both removals are queued")
            #expect(events[3].state == .confirmed)

            // Rolling back again to the same ancestor changes nothing more.
            #expect(try await store.rollback(network: F.network, to: b100).isEmpty)
            #expect(try await client.changes().count == 6)
        }
    }

    @Test func removedRowIsRevivedWhenItsBlockIsCanonicalAgain() async throws {
        try await TestDatabase.withMigrated { client, _ in
            let store = PostgresMonitorStore(client: client)
            let b100 = F.block(100)
            let b101 = F.block(101)
            let fork101 = F.block(101, fork: 1, parentFork: 0)
            let original = F.transfer(in: b101, tx: 7)
            let onFork = F.transfer(in: fork101, tx: 7)  // the same log, mined in the other block

            _ = try await store.commitBlock(network: F.network, block: b100, transfers: [], windowSize: 10)
            let first = try await store.commitBlock(network: F.network, block: b101, transfers: [original], windowSize: 10)
            _ = try await store.rollback(network: F.network, to: b100)

            // The fork's block: a row of its own.
            let forked = try await store.commitBlock(network: F.network, block: fork101, transfers: [onFork], windowSize: 10)
            #expect(forked.count == 1)
            #expect(forked[0].id != first[0].id)
            #expect(forked[0].transfer.blockHash == fork101.hash)

            // Back to the first branch: the first row comes back, with its id.
            let removedFork = try await store.rollback(network: F.network, to: b100)
            #expect(removedFork.map(\.id) == [forked[0].id])
            let revived = try await store.commitBlock(network: F.network, block: b101, transfers: [original], windowSize: 10)
            #expect(revived == [StoredTransfer(id: first[0].id, transfer: original, state: .seen)])
            #expect(try await store.transfers(network: F.network).map(\.state) == [.seen, .removed])
            #expect(
                try await client.count(
                    "SELECT count(*) FROM chain_transfers WHERE state = 'seen' AND removed_at IS NULL AND confirmed_at IS NULL") == 1)

            let events = try await client.changes()
            #expect(
                events.map(\.state) == [
                    .seen, .removed, .seen, .removed, .seen,
                ])
            #expect(events.last == expectedChanges(revived, state: .seen).first)
            // Replaying the revival writes nothing more.
            #expect(try await store.commitBlock(network: F.network, block: b101, transfers: [original], windowSize: 10).isEmpty)
            #expect(try await client.changes().count == 5)
        }
    }

    @Test func confirmMovesOnlySeenRows() async throws {
        try await TestDatabase.withMigrated { client, _ in
            let store = PostgresMonitorStore(client: client)
            let b1 = F.block(1)
            let b2 = F.block(2)
            let b3 = F.block(3)
            let s1 = try await store.commitBlock(network: F.network, block: b1, transfers: [F.transfer(in: b1, tx: 1)], windowSize: 10)
            let s2 = try await store.commitBlock(
                network: F.network, block: b2, transfers: [F.transfer(in: b2, tx: 2, logIndex: 4), F.transfer(in: b2, tx: 2, logIndex: 1)],
                windowSize: 10)
            let s3 = try await store.commitBlock(network: F.network, block: b3, transfers: [F.transfer(in: b3, tx: 3)], windowSize: 10)
            #expect(s2.map(\.transfer.logIndex) == [1, 4])
            #expect(try await store.unconfirmedTransfers(network: F.network).map(\.id) == (s1 + s2 + s3).map(\.id))
            _ = try await store.rollback(network: F.network, to: b2)  // s3 is removed

            #expect(try await store.confirm(ids: []).isEmpty)
            let confirmed = try await store.confirm(ids: [s3[0].id, s2[1].id, s1[0].id, 999_999, s1[0].id])
            #expect(confirmed.map(\.id) == [s1[0].id, s2[1].id])
            #expect(confirmed.allSatisfy { $0.state == .confirmed })
            #expect(try await store.unconfirmedTransfers(network: F.network).map(\.id) == [s2[0].id])
            #expect(try await store.confirm(ids: [s1[0].id]).isEmpty, "a confirmed row is not confirmed twice")

            let events = try await client.changes().filter { $0.state == .confirmed }
            #expect(events.count == 2)
            #expect(events == expectedChanges(confirmed, state: .confirmed))
            #expect(
                try await client.count("SELECT count(*) FROM chain_transfers WHERE state = 'confirmed' AND confirmed_at IS NOT NULL") == 2)
        }
    }

    @Test func commitRangeRecordsBackfillAndMovesTheCheckpoint() async throws {
        try await TestDatabase.withMigrated { client, _ in
            let store = PostgresMonitorStore(client: client)
            let old = [F.transfer(in: F.block(40), tx: 40), F.transfer(in: F.block(10), tx: 10), F.transfer(in: F.block(25), tx: 25)]
            let checkpoint = F.block(50)
            let stored = try await store.commitRange(network: F.network, transfers: old, checkpoint: checkpoint)
            #expect(stored.map(\.transfer.blockNumber) == [10, 25, 40])
            #expect(try await store.loadWindow(network: F.network) == [checkpoint])
            #expect(try await client.changes().map(\.state) == [.seen, .seen, .seen])
            #expect(try await client.changes() == expectedChanges(stored, state: .seen))

            // A window built on top of it is reset by the next ranged commit.
            _ = try await store.commitBlock(network: F.network, block: F.block(51), transfers: [], windowSize: 10)
            _ = try await store.commitBlock(network: F.network, block: F.block(52), transfers: [], windowSize: 10)
            let jump = try await store.commitRange(
                network: F.network, transfers: [F.transfer(in: F.block(80), tx: 80)], checkpoint: F.block(90))
            #expect(jump.count == 1)
            #expect(try await store.loadWindow(network: F.network) == [F.block(90)])

            // A backfill behind the checkpoint leaves it where it is; a replay adds nothing.
            let backfill = try await store.commitRange(network: F.network, transfers: [F.transfer(in: F.block(5), tx: 5)], checkpoint: nil)
            #expect(backfill.count == 1)
            #expect(try await store.commitRange(network: F.network, transfers: old, checkpoint: nil).isEmpty)
            #expect(try await store.loadWindow(network: F.network) == [F.block(90)])
            #expect(try await client.texts("SELECT number::text FROM monitor_checkpoints") == ["90"])
            #expect(try await client.changes().count == 5)

            await #expect(throws: StoreError.self) {
                try await store.commitRange(network: F.network, transfers: [F.transfer(in: F.block(95), tx: 95)], checkpoint: F.block(90))
            }
        }
    }

    @Test func amountsRoundTripAtTheLimits() async throws {
        try await TestDatabase.withMigrated { client, _ in
            let store = PostgresMonitorStore(client: client)
            let block = F.block(7)
            let max = F.transfer(in: block, tx: 1, amount: .max)
            let zero = F.transfer(in: block, tx: 2, amount: .zero)
            let stored = try await store.commitBlock(network: F.network, block: block, transfers: [max, zero], windowSize: 3)
            #expect(stored.map(\.transfer.amount) == [.max, .zero])
            #expect(try await store.transfers(network: F.network).map(\.transfer.amount) == [.max, .zero])
            let maxText = "115792089237316195423570985008687907853269984665640564039457584007913129639935"
            #expect(UInt256.max.decimalString == maxText)
            #expect(try await client.texts("SELECT amount::text FROM chain_transfers ORDER BY log_index, id") == [maxText, "0"])
            #expect(try await client.changes().map(\.transfer.amount.decimalString) == [maxText, "0"])
            #expect(try await client.texts("SELECT pg_typeof(amount)::text FROM chain_transfers LIMIT 1") == ["numeric"])

            try await store.saveBalances(
                network: F.network, [AddressBalance(address: F.merchant, token: nil, amount: .max, blockNumber: 7)])
            #expect(try await store.balances(network: F.network).map(\.amount) == [.max])
        }
    }

    @Test func checkConstraintsRefuseNegativeAmountsAndMalformedHex() async throws {
        try await TestDatabase.withMigrated { client, _ in
            let hash = F.blockHash(1).hex
            let tx = F.txHash(1).hex
            let addr = F.merchant.lowercased
            func insert(amount: String, token: String = addr, blockHash: String = hash) async throws {
                try await client.query(
                    """
                    INSERT INTO chain_transfers (network, chain_id, block_number, block_hash, tx_hash, log_index, token, from_address,
                                                 to_address, amount)
                    VALUES ('testnet', 1, 1, \(blockHash), \(tx), 0, \(token), \(addr), \(addr), \(amount)::numeric)
                    """)
            }
            for (amount, token, blockHash) in [
                ("-1", addr, hash),
                ("115792089237316195423570985008687907853269984665640564039457584007913129639936", addr, hash),
                ("1", F.token.checksummed, hash),
                ("1", addr, hash.uppercased()),
                ("1", addr, "0x1234"),
            ] {
                var code: String?
                do { try await insert(amount: amount, token: token, blockHash: blockHash) } catch { code = databaseErrorCode(error) }
                #expect(code == "23514", "\(amount) \(token) \(blockHash) is refused by a CHECK constraint")
            }
            var balanceCode: String?
            do {
                try await client.query(
                    "INSERT INTO address_balances (network, address, asset, amount, block_number) VALUES ('testnet', \(addr), 'native', -5, 1)"
                )
            } catch { balanceCode = databaseErrorCode(error) }
            #expect(balanceCode == "23514")
            try await insert(amount: "0")
            #expect(try await client.count("SELECT count(*) FROM chain_transfers") == 1)
        }
    }

    @Test func watchedAddressesAndGeneration() async throws {
        try await TestDatabase.withMigrated { client, _ in
            let store = PostgresMonitorStore(client: client)
            let a = F.address(0xaa)
            let b = F.address(0xbb)
            let c = F.address(0xcc)
            let empty = try await store.watchedAddresses(network: F.network)
            #expect(empty.generation == 0)
            #expect(empty.addresses.isEmpty)
            #expect(try await store.watchGeneration(network: F.network) == 0)

            try await store.addWatched(network: F.network, addresses: [a, b, a])
            var watched = try await store.watchedAddresses(network: F.network)
            #expect(watched.generation == 1)
            #expect(watched.addresses == [a, b])
            #expect(try await client.texts("SELECT address FROM watched_addresses ORDER BY address") == [a.lowercased, b.lowercased])

            try await store.addWatched(network: F.network, addresses: [a])
            #expect(try await store.watchGeneration(network: F.network) == 1, "adding a watched address changes nothing")
            try await store.addWatched(network: F.network, addresses: [b, c])
            #expect(try await store.watchGeneration(network: F.network) == 2)

            try await store.removeWatched(network: F.network, addresses: [a, F.address(0xdd)])
            watched = try await store.watchedAddresses(network: F.network)
            #expect(watched.generation == 3)
            #expect(watched.addresses == [b, c])
            try await store.removeWatched(network: F.network, addresses: [F.address(0xdd)])
            try await store.removeWatched(network: F.network, addresses: [])
            try await store.addWatched(network: F.network, addresses: [])
            #expect(try await store.watchGeneration(network: F.network) == 3, "removing an unwatched address changes nothing")

            // Networks are separate.
            try await store.addWatched(network: "other", addresses: [a])
            #expect(try await store.watchedAddresses(network: "other").addresses == [a])
            #expect(try await store.watchGeneration(network: "other") == 1)
            #expect(try await store.watchGeneration(network: F.network) == 3)
        }
    }

    @Test func balancesAreUpserted() async throws {
        try await TestDatabase.withMigrated { client, _ in
            let store = PostgresMonitorStore(client: client)
            let wallet = F.address(0x33)
            try await store.saveBalances(
                network: F.network,
                [
                    AddressBalance(address: wallet, token: F.token, amount: 500, blockNumber: 10),
                    AddressBalance(address: wallet, token: nil, amount: 1_000_000_000_000_000_000, blockNumber: 10),
                ])
            #expect(
                try await store.balances(network: F.network) == [
                    AddressBalance(address: wallet, token: nil, amount: 1_000_000_000_000_000_000, blockNumber: 10),
                    AddressBalance(address: wallet, token: F.token, amount: 500, blockNumber: 10),
                ])

            // Newer readings replace the older ones; within one list the last one wins.
            try await store.saveBalances(
                network: F.network,
                [
                    AddressBalance(address: wallet, token: F.token, amount: 400, blockNumber: 11),
                    AddressBalance(address: wallet, token: F.token, amount: 0, blockNumber: 12),
                ])
            try await store.saveBalances(network: F.network, [])
            #expect(
                try await store.balances(network: F.network) == [
                    AddressBalance(address: wallet, token: nil, amount: 1_000_000_000_000_000_000, blockNumber: 10),
                    AddressBalance(address: wallet, token: F.token, amount: 0, blockNumber: 12),
                ])
            #expect(try await client.count("SELECT count(*) FROM address_balances") == 2)
            #expect(try await client.texts("SELECT asset FROM address_balances ORDER BY asset") == [F.token.lowercased, "native"])
            #expect(try await store.balances(network: "other").isEmpty)
        }
    }
}
