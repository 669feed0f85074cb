import Foundation
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

/// Ends the process `limit` after a shutdown signal, whatever the services are waiting for (a
/// database that does not answer, a provider that hangs): the last resort behind the graceful
/// shutdown and the cancellation that come first. It runs on a thread of its own, so a blocked
/// cooperative pool cannot delay it. The exit status is then 1 (0 after a clean stop).
struct ShutdownDeadline: Service {
    let limit: Duration
    let logger: Logger

    func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            return
        }
        let limit = self.limit
        let logger = self.logger
        let thread = Thread {
            let seconds = Double(limit.components.seconds) + Double(limit.components.attoseconds) / 1e18
            Thread.sleep(forTimeInterval: max(seconds, 0))
            logger.warning("services did not stop within the shutdown grace period: exiting now", metadata: ["grace": "\(limit)"])
            exit(1)
        }
        thread.start()
    }
}
