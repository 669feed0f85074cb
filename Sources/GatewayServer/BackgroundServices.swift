import GatewayAPI
import GatewayStore
import Logging
import PostgresNIO
import ServiceLifecycle

/// The process's one listener for database change notices (`LISTEN gateway_changes`), fanned
/// out by the ``ChangeHub`` to the matcher, the webhook workers and the event streams.
struct ChangeFeed: Service {
    let hub: ChangeHub
    let client: PostgresClient
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown { await hub.listen(client: client, logger: logger) }
    }
}

/// Asks the database for `SELECT 1` every `interval`, giving up after `timeout`, and keeps
/// ``Availability`` up to date: while the database is away the API answers 503 at once.
struct DatabaseProbe: Service {
    let client: PostgresClient
    let availability: Availability
    let interval: Duration
    let timeout: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var wasUp = true
            while !Task.isCancelled {
                let failure = await probe()
                await availability.record(databaseUp: failure == nil, failure: failure)
                if wasUp != (failure == nil) {
                    if let failure {
                        logger.error("the database is away: requests get 503 until it answers", metadata: ["error": "\(failure)"])
                    } else {
                        logger.info("the database answers again")
                    }
                    wasUp = failure == nil
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Nil when the database answered in time, otherwise why not.
    func probe() async -> String? {
        let client = self.client
        let logger = self.logger
        return await withTaskGroup(of: String?.self) { group in
            group.addTask {
                do {
                    let rows = try await client.query("SELECT 1", logger: logger)
                    for try await _ in rows {}
                    return nil
                } catch {
                    return describeDatabaseError(error)
                }
            }
            group.addTask { [timeout] in
                try? await Task.sleep(for: timeout)
                return "no answer within \(timeout)"
            }
            let first = await group.next() ?? "no answer"
            group.cancelAll()
            return first
        }
    }
}
