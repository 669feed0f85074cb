import Logging
import PostgresNIO

/// One event for the outbox: its type and the object it carries, for one merchant and mode.
struct OutboxRow {
    let type: String
    let payload: String
    let merchantId: String
    let livemode: Bool
}

enum Outbox {
    /// Inserts `rows` in their order in one statement (nothing when there are none); the
    /// webhook workers deliver them.
    static func insert(_ rows: [OutboxRow], on connection: PostgresConnection, logger: Logger) async throws {
        guard !rows.isEmpty else { return }
        try await connection.query(
            """
            INSERT INTO outbox_events (type, payload, merchant_id, livemode)
            SELECT u.type, u.payload::jsonb, u.merchant_id, u.livemode
            FROM unnest(\(rows.map(\.type))::text[], \(rows.map(\.payload))::text[], \(rows.map(\.merchantId))::text[],
                        \(rows.map(\.livemode))::boolean[]) WITH ORDINALITY
                 AS u(type, payload, merchant_id, livemode, ord)
            ORDER BY u.ord
            """, logger: logger)
    }
}
