import ArgumentParser
import ChainConfig
import ChainMonitor
import ChainRPC
import EthereumCore
import Foundation
import GatewayStore
import Logging
import PostgresNIO
import UnixSignals

/// `gateway monitor`: runs one network's chain monitor in the foreground and prints every
/// transfer state change as one JSON object per line.
struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Run the chain monitor of one network against DATABASE_URL, printing transfer events as JSON lines.",
        discussion: """
            Every ERC-20 Transfer of the network's tokens to a watched address is stored; it is confirmed at the
            network's depth (and at or below the finalized block in depth+finalized mode); a reorg moves it to
            removed. Watched addresses given here are added to the stored watch list. Events:
            {"event": "seen"|"confirming"|"confirmed"|"removed", "blockNumber", "blockHash", "transactionHash",
            "logIndex", "token", "from", "to", "amount", "confirmations"}. Stops on SIGTERM or SIGINT.
            """)

    @OptionGroup var chain: ChainOptions
    @OptionGroup var database: DatabaseOptions
    @Option(name: .customLong("watch"), help: "Address to watch (repeatable).") var watch: [String] = []
    @Option(help: "Confirmation depth (default: the network's).") var confirmations: Int?
    @Option(help: "First block when the network has no checkpoint yet (default: the current head).") var fromBlock: UInt64?
    @Option(name: .customLong("balance"), help: "Address whose native and token balances are kept (repeatable).")
    var balanceAddresses: [String] = []

    func run() async throws {
        let (network, pool) = try await chain.connect()
        guard network.tokens.allSatisfy({ $0.address != nil }) else {
            throw CLIError("\(network.name) has tokens without an address; pass --devchain-info FILE")
        }
        if let confirmations, !(1...10_000).contains(confirmations) { throw CLIError("--confirmations must be 1...10000") }
        let watched = try parseAddresses(watch, option: "--watch")
        var configuration = ChainMonitor.Configuration(network: network, confirmations: confirmations)
        configuration.start = fromBlock.map { .block($0) } ?? .head
        configuration.balanceAddresses = try parseAddresses(balanceAddresses, option: "--balance")

        try await database.withStore { client, store in
            let logger = makeLogger(label: "gateway.monitor")
            let ran: Void? = try await AdvisoryLock.monitor(network: network.name).withLock(client: client, logger: logger) { _ in
                if !watched.isEmpty { try await store.addWatched(network: network.name, addresses: watched) }
                let (events, continuation) = ChainMonitor.eventStream()
                let monitor = ChainMonitor(pool: pool, store: store, configuration: configuration, events: continuation, logger: logger)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await event in events { printEvent(event) }
                    }
                    group.addTask { try await monitor.run() }
                    group.addTask { try await waitForTermination() }
                    _ = try await group.next()
                    group.cancelAll()
                }
            }
            guard ran != nil else { throw CLIError("another monitor is already running for \(network.name) on this database") }
        }
    }
}

/// `gateway scan`: backfills a block range for the watched addresses.
struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Backfill Transfer logs to watched addresses over a block range into the database (progress on a terminal).")

    @OptionGroup var chain: ChainOptions
    @OptionGroup var database: DatabaseOptions
    @Option(help: "First block (inclusive).") var fromBlock: UInt64
    @Option(help: "Last block (inclusive; default: the pool's safe head).") var toBlock: UInt64?
    @Option(name: .customLong("watch"), help: "Address to add to the watch list first (repeatable).") var watch: [String] = []
    @Option(help: "Blocks per committed chunk.") var chunk: UInt64 = 2_000

    func run() async throws {
        let (network, pool) = try await chain.connect()
        let tokens = network.tokens.compactMap(\.address)
        guard tokens.count == network.tokens.count else {
            throw CLIError("\(network.name) has tokens without an address; pass --devchain-info FILE")
        }
        guard chunk >= 1 else { throw CLIError("--chunk must be at least 1") }
        let extra = try parseAddresses(watch, option: "--watch")
        guard let head = await pool.refreshHeads() else { throw CLIError("no provider of \(network.name) reported a head") }
        let last = toBlock ?? head
        guard fromBlock <= last else { throw CLIError("--from-block is above the last block \(last)") }
        try await database.withStore { _, store in
            if !extra.isEmpty { try await store.addWatched(network: network.name, addresses: extra) }
            let watched = try await store.watchedAddresses(network: network.name).addresses
            guard !watched.isEmpty else { throw CLIError("no watched addresses on \(network.name): pass --watch ADDRESS") }
            let recipients = watched.count <= 500 ? Array(watched) : []
            let progress = Progress(total: last - fromBlock + 1)
            var start = fromBlock
            var found = 0
            while start <= last {
                let end = min(last, start + chunk - 1)
                let logs = try await pool.logs(from: start, to: end) { from, to in
                    .transfers(.range(from: .number(from), to: .number(to)), tokens: tokens, to: recipients)
                }
                let transfers = logs.compactMap { log -> ObservedTransfer? in
                    guard let transfer = log.transfer, watched.contains(transfer.to) else { return nil }
                    return ObservedTransfer(
                        chainId: network.chainId, blockNumber: log.blockNumber, blockHash: log.blockHash,
                        transactionHash: log.transactionHash, logIndex: log.logIndex, token: log.address, from: transfer.from,
                        to: transfer.to, amount: transfer.amount)
                }
                found += try await store.commitRange(network: network.name, transfers: transfers, checkpoint: nil).count
                progress.advance(to: end - fromBlock + 1)
                start = end + 1
            }
            progress.finish()
            printJSON([
                "network": network.name, "fromBlock": NSNumber(value: fromBlock), "toBlock": NSNumber(value: last),
                "newTransfers": NSNumber(value: found),
            ])
        }
    }
}

func parseAddresses(_ texts: [String], option: String) throws -> [Address] {
    try texts.map { text in
        do { return try Address(text) } catch { throw CLIError("\(option): \(error)") }
    }
}

/// One event as one JSON line, written straight to standard output (no buffering).
func printEvent(_ event: MonitorEvent) {
    let t = event.transfer
    let object: [String: Any] = [
        "event": event.kind.rawValue, "blockNumber": NSNumber(value: t.blockNumber), "blockHash": t.blockHash.hex,
        "transactionHash": t.transactionHash.hex, "logIndex": NSNumber(value: t.logIndex), "token": t.token.checksummed,
        "from": t.from.checksummed, "to": t.to.checksummed, "amount": t.amount.decimalString,
        "confirmations": NSNumber(value: event.confirmations),
    ]
    guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
    data.append(0x0a)
    FileHandle.standardOutput.write(data)
}

/// Returns when the process receives SIGTERM or SIGINT.
func waitForTermination() async throws {
    for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) { return }
}

/// A progress line on standard error when it is a terminal.
final class Progress {
    let total: UInt64
    let enabled = isatty(STDERR_FILENO) == 1
    init(total: UInt64) { self.total = total }

    func advance(to done: UInt64) {
        guard enabled else { return }
        let percent = total == 0 ? 100 : done * 100 / total
        let filled = Int(percent / 4)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 25 - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total) blocks (\(percent)%)".utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
