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

    @Test func everySessionsNoticeIsRememberedOnlyUpToABoundAndAForgottenOneStillWakes() async throws {
        let hub = ChangeHub(retainedTopics: 8)
        let old = await hub.mark()
        await hub.publish(.credentials)
        let afterCredentials = await hub.mark()
        // Twenty sessions change: no more than 8 topics are kept (the ninth halves them: 21
        // notices leave the last 4 kept at the 19th and the two after).
        for index in 0..<20 { await hub.publish(.session("ps_\(index)")) }
        #expect(await hub.rememberedTopics == 6)
        // The newest are exact: a mark taken after a session's notice sees no change of it.
        let recent = await hub.mark()
        #expect(await hub.changed([.session("ps_19")], after: old))
        #expect(!(await hub.changed([.session("ps_19")], after: recent)))
        #expect(!(await hub.changed([.session("ps_0")], after: recent)))
        // Forgotten topics count as changed for marks older than what was forgotten, never for newer ones.
        #expect(await hub.changed([.credentials], after: afterCredentials), "forgotten: woken once for nothing")
        #expect(await hub.changed([.session("ps_0")], after: old))
        #expect(await hub.changed([.session("never")], after: old))
        #expect(!(await hub.changed([.session("never")], after: recent)))
        // A wait on a forgotten topic with an old mark returns at once; with a new one it times out.
        await hub.wait(for: [.credentials], after: old, timeout: .seconds(3600))
        let started = ContinuousClock.now
        await hub.wait(for: [.credentials], after: recent, timeout: .milliseconds(50))
        #expect(ContinuousClock.now - started >= .milliseconds(50))
    }

    func waitUntil(_ condition: () async -> Bool) async throws {
        for _ in 0..<300 where !(await condition()) { try await Task.sleep(for: .milliseconds(50)) }
    }
}
