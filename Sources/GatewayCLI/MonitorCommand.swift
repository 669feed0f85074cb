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
        commandName: "monitor", subcommands: [RunCommand.self, RewindCommand.self], defaultSubcommand: RunCommand.self)
}

/// `gateway monitor [run]`: the monitor in the foreground.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
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
    @OptionGroup var logOptions: LogOptions

    func run() async throws {
        logOptions.bootstrap()
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
                let lease = try await store.acquireLease(
                    network: network.name, holder: "gateway monitor \(ProcessInfo.processInfo.processIdentifier)")
                let (events, continuation) = ChainMonitor.eventStream()
                let monitor = ChainMonitor(
                    pool: pool, store: store.fenced(by: lease), configuration: configuration, events: continuation, logger: logger)
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

/// `gateway monitor rewind`: the way out of a halt after a reorg deeper than the window.
struct RewindCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rewind",
        abstract: "Restart a halted network's monitor from a block the operator checked: later transfers become removed.",
        discussion: """
            A reorg deeper than the reorg window halts the network's monitor (gateway serve and /health show it) so that it
            cannot absorb what it cannot check. Find a block both the old and the new chain share (a block explorer, several
            providers), then rewind to it: every transfer recorded above it becomes removed (sessions move back through the
            matcher, with payment.reorged events), the monitor restarts from it and records again what the canonical chain
            holds. Blocks are read from the network's providers; the block must be there now.
            """)

    @OptionGroup var chain: ChainOptions
    @OptionGroup var database: DatabaseOptions
    @Option(help: "The block to restart from (a block the old and the new chain share).") var toBlock: UInt64

    func run() async throws {
        let (network, pool) = try await chain.connect()
        guard let block = try await pool.quorumRead(.block(.number(toBlock)), parse: RPCParse.block) else {
            throw CLIError("no provider of \(network.name) has block \(toBlock)")
        }
        try await database.withStore { _, store in
            let removed = try await store.rewind(
                network: network.name, to: BlockRef(number: block.number, hash: block.hash, parentHash: block.parentHash),
                blockTimestamp: block.timestamp, holder: "gateway monitor rewind")
            printJSON([
                "network": network.name, "block": NSNumber(value: block.number), "hash": block.hash.hex,
                "removedTransfers": NSNumber(value: removed.count),
            ])
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
        guard network.tokens.allSatisfy({ $0.address != nil }) else {
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
            // Every log is checked against the canonical block at its height, as the monitor does.
            let monitor = ChainMonitor(pool: pool, store: store, configuration: ChainMonitor.Configuration(network: network))
            let progress = Progress(total: last - fromBlock + 1)
            var ranges: [ClosedRange<UInt64>] = []
            var start = fromBlock
            while start <= last {
                let end = min(last, start + chunk - 1)
                ranges.append(start...end)
                if end == last { break }
                start = end + 1
            }
            let from = fromBlock
            let found = try await monitor.backfill(ranges: ranges) { range, _ in progress.advance(to: range.upperBound - from + 1) }
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
final class Progress: Sendable {
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
