import ChainMonitor
import EthereumCore
import Logging
import PostgresNIO
import TestSupport
import Testing

@testable import GatewayStore

/// A call that never answers and ignores cancellation, as a database call on a connection that
/// died at the wrong moment can: it waits until the test releases it.
actor Hang {
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private(set) var entered = 0

    func wait() async {
        entered += 1
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        for continuation in waiting { continuation.resume() }
        waiting = []
    }
}

struct Boom: Error, Equatable {}

/// Every background database call has a deadline: a call that never answers is abandoned (and
/// its transaction rolled back) instead of stalling the monitor, the matcher or the webhooks.
struct DeadlineTests {
    @Test func aCallInTimeReturnsItsResult() async throws {
        let value = try await withDeadline(.seconds(5)) { 42 }
        #expect(value == 42)
    }

    @Test func aCallsOwnErrorIsRethrownAsIs() async throws {
        await #expect(throws: Boom()) { try await withDeadline(.seconds(5)) { () async throws -> Int in throw Boom() } }
    }

    @Test func aCallThatNeverAnswersIsAbandonedAtItsDeadline() async throws {
        let hang = Hang()
        await #expect(throws: DeadlineExceeded(limit: .milliseconds(100))) {
            try await withDeadline(.milliseconds(100)) { await hang.wait() }
        }
        #expect(await hang.entered == 1)
        await hang.release()
    }

    @Test func cancellingTheCallerDoesNotWaitForTheCall() async throws {
        let hang = Hang()
        let caller = Task { try await withDeadline(.seconds(3600)) { await hang.wait() } }
        while await hang.entered == 0 { await Task.yield() }
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        await hang.release()
    }

    @Test func anAbandonedMonitorStoreCallStopsTheMonitor() async throws {
        let hang = Hang()
        let store = BoundedMonitorStore(HangingMonitorStore(hang: hang), limit: .milliseconds(100))
        do {
            _ = try await store.loadWindow(network: "testnet")
            Issue.record("the call returned")
        } catch {
            #expect(error as? DeadlineExceeded == DeadlineExceeded(limit: .milliseconds(100)))
            // ChainMonitor.run rethrows such errors: MonitorService starts a new monitor under a
            // new lease, which fences the abandoned call out.
            #expect((error as? any StopsMonitor)?.stopsMonitor == true)
        }
        await hang.release()
    }

    @Test func aTransactionAbandonedAtItsDeadlineIsRolledBack() async throws {
        try await TestDatabase.withMigrated { client, _ in
            try await client.query("CREATE TABLE deadline_probe (n int)")
            await #expect(throws: DeadlineExceeded(limit: .milliseconds(200))) {
                try await withDeadline(.milliseconds(200)) {
                    try await withTransaction(client: client, logger: Logger(label: "test")) { connection in
                        try await connection.query("INSERT INTO deadline_probe VALUES (1)", logger: Logger(label: "test"))
                        try await connection.query("SELECT pg_sleep(1)", logger: Logger(label: "test"))
                    }
                }
            }
            // The abandoned transaction goes on until pg_sleep returns, then rolls back.
            try await Task.sleep(for: .seconds(2))
            #expect(try await client.count("SELECT count(*) FROM deadline_probe") == 0)
            let idle = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'"
            #expect(try await client.count(idle) == 0)
        }
    }
}

/// A monitor store whose every call hangs.
struct HangingMonitorStore: MonitorStore {
    let hang: Hang

    func loadWindow(network: String) async throws -> [BlockRef] {
        await hang.wait()
        return []
    }
    func commitBlock(network: String, block: BlockRef, blockTimestamp: UInt64?, transfers: [ObservedTransfer], windowSize: Int)
        async throws -> [StoredTransfer]
    {
        await hang.wait()
        return []
    }
    func commitRange(network: String, transfers: [ObservedTransfer], checkpoint: BlockRef?, checkpointTimestamp: UInt64?)
        async throws -> [StoredTransfer]
    {
        await hang.wait()
        return []
    }
    func rollback(network: String, to ancestor: BlockRef) async throws -> [StoredTransfer] {
        await hang.wait()
        return []
    }
    func unconfirmedTransfers(network: String) async throws -> [StoredTransfer] {
        await hang.wait()
        return []
    }
    func confirm(ids: [Int64]) async throws -> [StoredTransfer] {
        await hang.wait()
        return []
    }
    func transfers(network: String) async throws -> [StoredTransfer] {
        await hang.wait()
        return []
    }
    func watchedAddresses(network: String) async throws -> (generation: Int64, addresses: Set<Address>) {
        await hang.wait()
        return (0, [])
    }
    func watchGeneration(network: String) async throws -> Int64 {
        await hang.wait()
        return 0
    }
    func addWatched(network: String, addresses: [Address]) async throws { await hang.wait() }
    func removeWatched(network: String, addresses: [Address]) async throws { await hang.wait() }
    func earliestPaymentTime(network: String) async throws -> UInt64? {
        await hang.wait()
        return nil
    }
    func saveBalances(network: String, _ balances: [AddressBalance]) async throws { await hang.wait() }
    func halt(network: String, reason: String) async throws { await hang.wait() }
    func haltReason(network: String) async throws -> String? {
        await hang.wait()
        return nil
    }
}
