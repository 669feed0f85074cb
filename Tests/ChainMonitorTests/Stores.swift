import ChainMonitor
import GatewayStore
import TestSupport

/// The store the scenario tests run on: a real Postgres (`DATABASE_URL`, started by
/// Scripts/test with Scripts/dev-postgres), a fresh migrated database for each call.
func makeStore() async throws -> any MonitorStore {
    PostgresMonitorStore(client: try await TestDatabase.client(prefix: "monitor_test"))
}
