import GatewayStore
import Logging
import PostgresNIO
import TestSupport
import Testing

/// The change notices the triggers send: a statement that inserted no row sends none (an
/// empty dispatch once woke every webhook worker again at once, for ever), one that inserted
/// rows sends its topic.
@Suite(.serialized) struct ChangeNoticeTests {
    static let logger = Logger(label: "gateway.change-notice.tests")

    @Test func anInsertOfNoRowSendsNoNoticeAndAnInsertOfRowsDoes() async throws {
        let client = try await TestDatabase.client(prefix: "notice_test")
        let hub = ChangeHub()
        let listener = Task { await hub.listen(client: client, logger: Self.logger) }
        defer { listener.cancel() }
        for _ in 0..<300 where await hub.lastChange(of: .outbox) == nil { try await Task.sleep(for: .milliseconds(50)) }
        let before = await hub.mark()

        for table in ["transfer_changes", "outbox_events", "webhook_deliveries"] {
            try await client.query(PostgresQuery(unsafeSQL: "INSERT INTO \(table) SELECT * FROM \(table) WHERE false"), logger: Self.logger)
        }
        // Notices arrive in commit order: once this one is in, an earlier one would be too.
        try await client.query("SELECT pg_notify('gateway_changes', 'credentials')", logger: Self.logger)
        try await waitUntil { await hub.lastChange(of: .credentials) ?? 0 > before }
        #expect(await hub.lastChange(of: .outbox) ?? 0 <= before)
        #expect(await hub.lastChange(of: .transfers) ?? 0 <= before)

        let sentinel = await hub.mark()
        try await client.query(
            "INSERT INTO outbox_events (type, payload) VALUES ('payment.created', '{}'::jsonb)", logger: Self.logger)
        try await waitUntil { await hub.lastChange(of: .outbox) ?? 0 > sentinel }
        #expect(await hub.lastChange(of: .outbox) ?? 0 > sentinel)
    }

    func waitUntil(_ condition: () async -> Bool) async throws {
        for _ in 0..<300 where !(await condition()) { try await Task.sleep(for: .milliseconds(50)) }
    }
}
