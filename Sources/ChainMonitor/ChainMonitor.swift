import ChainConfig
import ChainRPC
import EthereumCore
import Logging
import Metrics

/// The monitor of one network: follows the canonical chain block by block, records every
/// ERC-20 Transfer to a watched address, undoes what a reorg removed, and confirms transfers
/// at depth (and finality where configured). One log query per block covers every watched
/// address of every token, so RPC calls per block do not grow with the watch list.
///
/// `pollOnce()` does one round of work and is what tests drive; `run()` polls until cancelled.
public actor ChainMonitor {
    public enum StartPoint: Sendable, Hashable {
        /// Start at the current head (a new deployment).
        case head
        /// Start at this block (backfill from a known height).
        case block(UInt64)
    }

    public struct Configuration: Sendable {
        /// The network, with every token address known.
        public var network: NetworkConfig
        public var policy: ConfirmationPolicy
        public var pollInterval: Duration
        /// Poll often when the next block is due and rarely in between (``PollPacer``); off,
        /// every poll waits `pollInterval`.
        public var adaptivePolling = true
        /// Blocks kept to detect reorgs; a reorg deeper than this stops the monitor.
        public var windowSize: Int
        /// Where to begin when nothing was processed before.
        public var start: StartPoint = .head
        /// Addresses whose native and token balances are kept (hot wallets, receiving addresses).
        public var balanceAddresses: [Address] = []
        public var balanceInterval: Duration = .seconds(30)
        /// Alert when `finalized` has not advanced for this long (depth+finalized mode).
        public var finalityStallLimit: Duration
        /// Ranged `eth_getLogs` is used for blocks older than the window when the monitor is
        /// more than this many blocks behind.
        public var rangeCatchUpThreshold: UInt64 = 64
        /// Blocks per catch-up step: each step is one transaction and one progress line.
        public var catchUpChunk: UInt64 = 20_000

        /// Defaults from the network's definition: its depth (or `confirmations`), its finality
        /// mode, a poll interval of half a block (0.2 s to 5 s) and its reorg window.
        public init(network: NetworkConfig, confirmations: Int? = nil) {
            self.network = network
            self.policy = ConfirmationPolicy(
                depth: confirmations ?? network.confirmations, requiresFinalized: network.finality == .depthAndFinalized)
            let half = Int64(network.blockTimeMs / 2)
            self.pollInterval = .milliseconds(min(5_000, max(200, half)))
            self.windowSize = max(network.reorgWindow, (confirmations ?? network.confirmations) + 2)
            self.finalityStallLimit = .milliseconds(Int64(network.blockTimeMs) * 64)
        }
    }

    /// What one poll did.
    public struct PollReport: Sendable, Equatable {
        public var head: UInt64?
        public var tip: UInt64?
        public var blocksProcessed = 0
        public var reorgs = 0
        public var rpcCalls = 0
    }

    public let configuration: Configuration
    let pool: ProviderPool
    let store: any MonitorStore
    let logger: Logger
    var window: ReorgWindow
    var loaded = false
    var watched = Set<Address>()
    var watchGeneration: Int64 = -1
    var finality = FinalityWatch()
    var lastReportedConfirmations: [Int64: Int] = [:]
    var lastBalanceRefresh: ContinuousClock.Instant?
    public private(set) var balances: [AddressBalance] = []
    /// Where transfer events go, when someone listens (`gateway monitor` prints them).
    let continuation: AsyncStream<MonitorEvent>.Continuation?
    /// The network's token contracts, looked up for every log.
    let tokens: [Address]
    var name: String { configuration.network.name }

    /// `events`, when given, receives every transfer event (see ``eventStream(capacity:)``);
    /// the gateway itself reads the store, not events.
    public init(
        pool: ProviderPool, store: any MonitorStore, configuration: Configuration, events: AsyncStream<MonitorEvent>.Continuation? = nil,
        logger: Logger = Logger(label: "gateway.monitor")
    ) {
        self.pool = pool
        self.store = store
        self.configuration = configuration
        self.logger = logger
        self.window = ReorgWindow(capacity: configuration.windowSize)
        self.tokens = configuration.network.tokens.compactMap(\.address)
        self.continuation = events
    }

    /// A stream for ``init(pool:store:configuration:events:logger:)``'s `events`, keeping the
    /// newest `capacity` events when its reader falls behind.
    public static func eventStream(capacity: Int = 10_000) -> (AsyncStream<MonitorEvent>, AsyncStream<MonitorEvent>.Continuation) {
        AsyncStream.makeStream(of: MonitorEvent.self, bufferingPolicy: .bufferingNewest(capacity))
    }

    // MARK: Running

    /// Polls until the task is cancelled. A failed poll is logged and retried after a backoff;
    /// nothing is recorded from a poll that failed part-way except whole blocks.
    public func run() async throws {
        var failures = 0
        let clock = ContinuousClock()
        let pacer = PollPacer(blockTime: .milliseconds(configuration.network.blockTimeMs), coarse: configuration.pollInterval)
        var lastHead: UInt64?
        var newHeadAt: ContinuousClock.Instant?
        while !Task.isCancelled {
            do {
                let report = try await pollOnce()
                failures = 0
                if let head = report.head, head > (lastHead ?? 0) {
                    if lastHead != nil { newHeadAt = clock.now }
                    lastHead = head
                }
                let delay =
                    configuration.adaptivePolling
                    ? pacer.delay(sinceNewHead: newHeadAt.map { clock.now - $0 }) : configuration.pollInterval
                try await Task.sleep(for: delay)
            } catch is CancellationError {
                break
            } catch let error as MonitorError where error.isFatal {
                logger.critical("monitor stopped", metadata: ["network": "\(name)", "error": "\(error)"])
                continuation?.finish()
                throw error
            } catch let error as any StopsMonitor where error.stopsMonitor {
                logger.critical("monitor stopped", metadata: ["network": "\(name)", "error": "\(error)"])
                continuation?.finish()
                throw error
            } catch {
                failures += 1
                logger.warning("poll failed; retrying", metadata: ["network": "\(name)", "error": "\(error)", "failures": "\(failures)"])
                try? await Task.sleep(
                    for: retryDelay(attempt: failures, retryAfter: nil, base: configuration.pollInterval, cap: .seconds(30)))
            }
        }
        continuation?.finish()
    }

    /// One round: refresh the watch list and the head, check the tip for a reorg, process new
    /// blocks up to the pool's safe head, then update confirmations and (when due) balances.
    @discardableResult
    public func pollOnce() async throws -> PollReport {
        var report = PollReport()
        let callsBefore = await pool.callCount
        if !loaded {
            if let reason = try await store.haltReason(network: name) { throw MonitorError.halted(network: name, reason: reason) }
            window = ReorgWindow(blocks: try await store.loadWindow(network: name), capacity: configuration.windowSize)
            loaded = true
        }
        try await refreshWatchList()
        guard let head = await pool.refreshHeads() else { throw MonitorError.noHead(name) }
        report.head = head

        // A longer new chain shows itself by the next block's parent hash; a chain that is not
        // longer than ours is caught by comparing the block at the head's height.
        if let tip = window.tip, head <= tip.number, let block = try await canonicalBlock(head), window.agreement(with: block) == .different
        {
            try await handleReorg(at: block.number)
            report.reorgs += 1
        }
        var next: UInt64
        if let tip = window.tip {
            next = tip.number + 1
        } else {
            switch configuration.start {
            case .head:
                next = try await FirstBlock.find(since: try await store.earliestPaymentTime(network: name), head: head) { number in
                    guard let block = try await fetchBlock(number) else { throw MonitorError.blockUnavailable(number) }
                    return block.timestamp
                }
                if next < head {
                    logger.info(
                        "first start: scanning from the block of the oldest open session",
                        metadata: ["network": "\(name)", "from": "\(next)", "head": "\(head)"])
                }
            case .block(let number): next = number
            }
        }
        var ranges = true
        // The next catch-up range's transfers, read while the current range is committed.
        var ahead: (range: ClosedRange<UInt64>, transfers: Task<[ObservedTransfer], any Error>)? = nil
        defer { ahead?.transfers.cancel() }
        while next <= head {
            let deepEnd = head >= UInt64(configuration.windowSize) ? head - UInt64(configuration.windowSize) : 0
            if ranges, let range = catchUpRange(from: next, deepEnd: deepEnd) {
                let transfers: Task<[ObservedTransfer], any Error>
                if let prefetched = ahead, prefetched.range == range {
                    transfers = prefetched.transfers
                } else {
                    ahead?.transfers.cancel()
                    transfers = Task { try await self.verifiedTransfers(from: range.lowerBound, to: range.upperBound) }
                }
                // Left unread when the range turned out to need a walk back first.
                defer { transfers.cancel() }
                ahead = nil
                if range.upperBound < deepEnd, let following = catchUpRange(from: range.upperBound + 1, deepEnd: deepEnd) {
                    ahead = (following, Task { try await self.verifiedTransfers(from: following.lowerBound, to: following.upperBound) })
                }
                let end = range.upperBound
                do {
                    if try await catchUp(from: next, to: end, head: head, transfers: transfers) {
                        next = end + 1
                    } else {
                        report.reorgs += 1
                        next = (window.tip?.number ?? next - 1) + 1
                    }
                } catch let error as RPCFailure {
                    // The providers' ranges could not be reconciled (a lying provider beside one
                    // honest one): block by block, where each block's logs can be proven.
                    logger.warning("ranged catch-up failed; going block by block", metadata: ["network": "\(name)", "error": "\(error)"])
                    ranges = false
                    ahead?.transfers.cancel()
                    ahead = nil
                }
                continue
            }
            let calls = await pool.callCount
            switch try await processBlock(next) {
            case .processed:
                report.blocksProcessed += 1
                Counter(label: "gateway_monitor_blocks_processed_total", dimensions: [("network", name)]).increment()
                Recorder(label: "gateway_monitor_rpc_calls_per_block", dimensions: [("network", name)]).record(await pool.callCount - calls)
                next += 1
            case .reorged:
                report.reorgs += 1
                next = (window.tip?.number ?? next - 1) + 1
            case .unavailable:
                next = head + 1
            }
        }
        report.tip = window.tip?.number
        if let tip = window.tip?.number {
            Gauge(label: "gateway_monitor_lag_blocks", dimensions: [("network", name)]).record(Int64(clamping: head &- min(head, tip)))
            try await updateConfirmations(tip: tip)
        }
        try await refreshBalancesIfDue(head: head)
        report.rpcCalls = await pool.callCount - callsBefore
        return report
    }

    // MARK: Blocks

    enum BlockOutcome { case processed, reorged, unavailable }

    /// The chain's block at `number` as the pool (with its quorum) reports it; nil if no
    /// provider has it yet.
    func canonicalBlock(_ number: UInt64) async throws -> BlockRef? {
        try await fetchBlock(number).map(\.ref)
    }

    func fetchBlock(_ number: UInt64) async throws -> RPCBlock? {
        try await pool.quorumRead(.block(.number(number)), parse: RPCParse.block)
    }

    /// The blocks at `numbers`, each believed as ``fetchBlock(_:)`` believes one, asked in
    /// JSON-RPC batches (``ProviderPool/quorumBlocks(_:)``): a caught-up range with logs in
    /// thousands of blocks costs tens of round trips, not thousands. A block no provider has
    /// fails the whole read.
    func fetchBlocks(_ numbers: [UInt64]) async throws -> [UInt64: RPCBlock] {
        var blocks: [UInt64: RPCBlock] = [:]
        for (number, block) in try await pool.quorumBlocks(numbers) {
            guard let block else { throw MonitorError.blockUnavailable(number) }
            blocks[number] = block
        }
        return blocks
    }

    func processBlock(_ number: UInt64) async throws -> BlockOutcome {
        guard let block = try await fetchBlock(number) else { return .unavailable }
        let ref = block.ref
        switch window.fit(ref) {
        case .extends:
            let logs = try await pool.transferLogs(in: block, tokens: tokens, to: [])
            let observed = logs.compactMap { observedTransfer($0, blockTimestamp: block.timestamp) }
            let stored = try await store.commitBlock(
                network: name, block: ref, blockTimestamp: block.timestamp, transfers: observed, windowSize: configuration.windowSize)
            window.append(ref)
            for row in stored { publish(.seen, row.transfer, confirmations: 1) }
            return .processed
        case .parentMismatch:
            try await handleReorg(at: number - 1)
            return .reorged
        case .notNext:
            throw MonitorError.inconsistent("block \(number) does not follow the tip \(window.tip?.description ?? "-")")
        }
    }

    /// A log as a transfer to a watched address of a watched token, or nil.
    func observedTransfer(_ log: RPCLog, blockTimestamp: UInt64?) -> ObservedTransfer? {
        guard let transfer = log.transfer, watched.contains(transfer.to), tokens.contains(log.address) else { return nil }
        return ObservedTransfer(
            chainId: configuration.network.chainId, blockNumber: log.blockNumber, blockHash: log.blockHash,
            transactionHash: log.transactionHash, logIndex: log.logIndex, token: log.address, from: transfer.from, to: transfer.to,
            amount: transfer.amount, blockTimestamp: blockTimestamp)
    }

    /// Walks back from `number` by comparing the chain's blocks with the window until they
    /// agree (the common ancestor), then rolls the store and the window back to it. Only a
    /// different hash counts as evidence; a block the providers do not return stops the walk
    /// for this poll. A reorg deeper than the window halts the monitor, persisted, until an
    /// operator rewinds it (`gateway monitor rewind`): restarting must not absorb the reorg.
    func handleReorg(at number: UInt64) async throws {
        let oldTip = window.tip?.number ?? number
        var height = number
        while true {
            guard let ours = window.block(at: height) else { try await haltDeepReorg() }
            guard let theirs = try await canonicalBlock(height) else { throw MonitorError.blockUnavailable(height) }
            if theirs.hash == ours.hash {
                let removed = try await store.rollback(network: name, to: ours)
                window.truncate(above: ours.number)
                let depth = oldTip - ours.number
                logger.warning(
                    "reorg", metadata: ["network": "\(name)", "ancestor": "\(ours)", "depth": "\(depth)", "removed": "\(removed.count)"])
                Counter(label: "gateway_monitor_reorgs_total", dimensions: [("network", name)]).increment()
                Recorder(label: "gateway_monitor_reorg_depth_blocks", dimensions: [("network", name)]).record(Int64(clamping: depth))
                for row in removed {
                    lastReportedConfirmations[row.id] = nil
                    publish(.removed, row.transfer, confirmations: 0)
                }
                return
            }
            guard height > 0 else { try await haltDeepReorg() }
            height -= 1
        }
    }

    /// Persists the halt, then stops.
    func haltDeepReorg() async throws -> Never {
        Counter(label: "gateway_monitor_deep_reorgs_total", dimensions: [("network", name)]).increment()
        let error = MonitorError.reorgDeeperThanWindow(network: name, window: configuration.windowSize)
        try await store.halt(network: name, reason: error.description)
        throw error
    }

    /// Blocks older than the reorg window, read with ranged `eth_getLogs` (adaptive ranges) and
    /// recorded in one transaction with the checkpoint moved to `to`; progress is logged.
    ///
    /// Continuity is never assumed (CHAIN-RULES rule 12): the first block of the range must
    /// build on our tip (else the chain reorganised while we were away: walk back first, and
    /// return false), and every log's block hash must be the canonical hash at its height,
    /// read from the providers. Returns true when the range was recorded.
    func catchUp(from: UInt64, to: UInt64, head: UInt64, transfers reading: Task<[ObservedTransfer], any Error>) async throws -> Bool {
        if let tip = window.tip, tip.number + 1 == from {
            guard let first = try await fetchBlock(from) else { throw MonitorError.blockUnavailable(from) }
            if first.parentHash != tip.hash {
                try await handleReorg(at: tip.number)
                return false
            }
        }
        guard let end = try await fetchBlock(to) else { throw MonitorError.blockUnavailable(to) }
        let transfers = try await reading.value
        let stored = try await store.commitRange(
            network: name, transfers: transfers, checkpoint: end.ref, checkpointTimestamp: end.timestamp)
        window = ReorgWindow(blocks: [end.ref], capacity: configuration.windowSize)
        logger.info(
            "catching up",
            metadata: ["network": "\(name)", "from": "\(from)", "to": "\(to)", "head": "\(head)", "transfers": "\(stored.count)"])
        Gauge(label: "gateway_monitor_lag_blocks", dimensions: [("network", name)]).record(Int64(clamping: head &- min(head, to)))
        for row in stored {
            publish(.seen, row.transfer, confirmations: ConfirmationPolicy.confirmations(blockNumber: row.transfer.blockNumber, tip: to))
        }
        return true
    }

    /// The catch-up range that starts at `from`, when the blocks from `from` to `deepEnd` (those
    /// below the reorg window) are enough of them to be read in ranges.
    func catchUpRange(from: UInt64, deepEnd: UInt64) -> ClosedRange<UInt64>? {
        guard deepEnd >= from, deepEnd - from >= configuration.rangeCatchUpThreshold else { return nil }
        return from...min(deepEnd, from + max(1, configuration.catchUpChunk) - 1)
    }

    /// Transfers to watched addresses in `from...to` from ranged `eth_getLogs`, each checked
    /// against the canonical block at its height (which also gives its timestamp). A log whose
    /// block is not the chain's block at that height fails the range, to be read again.
    func verifiedTransfers(from: UInt64, to: UInt64) async throws -> [ObservedTransfer] {
        let recipients = watched.count <= 500 ? Array(watched) : []
        let tokens = self.tokens
        let logs = try await pool.logs(from: from, to: to) { start, stop in
            .transfers(.range(from: .number(start), to: .number(stop)), tokens: tokens, to: recipients)
        }
        let wanted = logs.filter { log in log.transfer.map { watched.contains($0.to) } ?? false && tokens.contains(log.address) }
        let blocks = try await fetchBlocks(Set(wanted.map(\.blockNumber)).sorted())
        return try wanted.compactMap { log in
            guard let block = blocks[log.blockNumber], block.hash == log.blockHash else {
                throw MonitorError.inconsistent(
                    "log \(log.transactionHash)#\(log.logIndex) names a block that is not canonical at #\(log.blockNumber)")
            }
            return observedTransfer(log, blockTimestamp: block.timestamp)
        }
    }

    /// Records transfers to watched addresses in `from...to`, behind the checkpoint (a backfill
    /// of history): every log checked against the canonical block at its height. Returns the
    /// rows that were new.
    public func backfill(from: UInt64, to: UInt64) async throws -> [StoredTransfer] {
        try await refreshWatchList()
        return try await store.commitRange(
            network: name, transfers: try await verifiedTransfers(from: from, to: to), checkpoint: nil, checkpointTimestamp: nil)
    }

    /// ``backfill(from:to:)`` over consecutive `ranges`, in order, each committed on its own:
    /// the next range is read from the providers (logs, then the blocks that prove them) while
    /// the current one is being committed, so the providers' time and the database's overlap.
    /// `committed` hears of each range once it is stored, with how many rows were new. Returns
    /// the number of new rows. A failure stops at the range that failed; the ranges before it
    /// stay committed.
    public func backfill(
        ranges: [ClosedRange<UInt64>], committed: @Sendable (ClosedRange<UInt64>, Int) -> Void = { _, _ in }
    ) async throws -> Int {
        guard let first = ranges.first else { return 0 }
        try await refreshWatchList()
        var ahead = Task { try await self.verifiedTransfers(from: first.lowerBound, to: first.upperBound) }
        defer { ahead.cancel() }
        var found = 0
        for (position, range) in ranges.enumerated() {
            let transfers = try await ahead.value
            if position + 1 < ranges.count {
                let next = ranges[position + 1]
                ahead = Task { try await self.verifiedTransfers(from: next.lowerBound, to: next.upperBound) }
            }
            let stored = try await store.commitRange(network: name, transfers: transfers, checkpoint: nil, checkpointTimestamp: nil)
            found += stored.count
            committed(range, stored.count)
        }
        return found
    }

    // MARK: Confirmations

    func updateConfirmations(tip: UInt64) async throws {
        var finalized: UInt64? = nil
        if configuration.policy.requiresFinalized {
            finalized = try await pool.finalizedBlock()?.number
            if let finalized { finality.record(finalized, at: .now) }
            let stalled = finality.isStalled(now: .now, limit: configuration.finalityStallLimit)
            Gauge(label: "gateway_monitor_finalized_stalled", dimensions: [("network", name)]).record(stalled ? 1 : 0)
            if stalled {
                logger.error(
                    "finalized block is not advancing",
                    metadata: ["network": "\(name)", "finalized": "\(finality.lastFinalized.map(String.init) ?? "none")"])
            }
        }
        let pending = try await store.unconfirmedTransfers(network: name)
        var ready = [Int64]()
        for row in pending {
            let transfer = row.transfer
            let canonical: Bool
            if let ours = window.block(at: transfer.blockNumber) {
                canonical = ours.hash == transfer.blockHash
            } else {
                // Older than the window: reorgs that deep stop the monitor, so it stands.
                canonical = transfer.blockNumber < (window.oldest?.number ?? 0)
            }
            let confirmations = ConfirmationPolicy.confirmations(blockNumber: transfer.blockNumber, tip: tip)
            if configuration.policy.isConfirmed(blockNumber: transfer.blockNumber, tip: tip, finalized: finalized, canonical: canonical) {
                ready.append(row.id)
            } else if canonical, lastReportedConfirmations[row.id] != confirmations {
                lastReportedConfirmations[row.id] = confirmations
                if confirmations > 1 { publish(.confirming, transfer, confirmations: confirmations) }
            }
        }
        guard !ready.isEmpty else { return }
        for row in try await store.confirm(ids: ready) {
            lastReportedConfirmations[row.id] = nil
            publish(
                .confirmed, row.transfer, confirmations: ConfirmationPolicy.confirmations(blockNumber: row.transfer.blockNumber, tip: tip))
        }
    }

    func publish(_ kind: MonitorEvent.Kind, _ transfer: ObservedTransfer, confirmations: Int) {
        if kind != .confirming {
            Counter(label: "gateway_monitor_transfers_total", dimensions: [("network", name), ("state", kind.rawValue)]).increment()
        }
        continuation?.yield(
            MonitorEvent(kind: kind, network: name, transfer: transfer, confirmations: confirmations, required: configuration.policy.depth))
    }

    // MARK: Watch list

    /// Adds addresses to the watch list (persisted; effective from the next poll).
    public func watch(_ addresses: [Address]) async throws {
        try await store.addWatched(network: name, addresses: addresses)
        try await refreshWatchList()
    }

    /// Removes addresses from the watch list (persisted; effective from the next poll).
    public func unwatch(_ addresses: [Address]) async throws {
        try await store.removeWatched(network: name, addresses: addresses)
        try await refreshWatchList()
    }

    public var watchedAddresses: Set<Address> { watched }

    func refreshWatchList() async throws {
        let generation = try await store.watchGeneration(network: name)
        guard generation != watchGeneration else { return }
        let (current, addresses) = try await store.watchedAddresses(network: name)
        watched = addresses
        watchGeneration = current
        Gauge(label: "gateway_monitor_watched_addresses", dimensions: [("network", name)]).record(addresses.count)
    }

    // MARK: Balances

    func refreshBalancesIfDue(head: UInt64) async throws {
        guard !configuration.balanceAddresses.isEmpty else { return }
        if let last = lastBalanceRefresh, ContinuousClock.now - last < configuration.balanceInterval { return }
        var fresh = [AddressBalance]()
        for address in configuration.balanceAddresses {
            let native = try await pool.read(.balance(address, .number(head)), parse: RPCParse.quantity)
            fresh.append(AddressBalance(address: address, token: nil, amount: native, blockNumber: head))
            for token in tokens {
                let data = try await pool.read(
                    .call(to: token, data: ERC20.balanceOfCallData(owner: address), .number(head)), parse: RPCParse.bytes)
                guard let amount = try? ERC20.decodeUInt256(data) else {
                    throw MonitorError.inconsistent("balanceOf(\(address)) on \(token) returned \(data.count) bytes")
                }
                fresh.append(AddressBalance(address: address, token: token, amount: amount, blockNumber: head))
            }
        }
        try await store.saveBalances(network: name, fresh)
        balances = fresh
        lastBalanceRefresh = .now
    }
}

extension RPCBlock {
    var ref: BlockRef { BlockRef(number: number, hash: hash, parentHash: parentHash) }
}

/// Why the monitor could not go on.
public enum MonitorError: Error, Sendable, CustomStringConvertible {
    case noHead(String)
    case blockUnavailable(UInt64)
    case inconsistent(String)
    case reorgDeeperThanWindow(network: String, window: Int)
    /// An operator must look before the monitor runs again (`gateway monitor rewind`).
    case halted(network: String, reason: String)

    /// A fatal error stops the monitor instead of being retried.
    public var isFatal: Bool {
        switch self {
        case .reorgDeeperThanWindow, .halted: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .noHead(let network): return "no provider of \(network) reported a head"
        case .blockUnavailable(let number): return "block \(number) is not available from any provider yet"
        case .inconsistent(let text): return text
        case .reorgDeeperThanWindow(let network, let window):
            return
                "\(network): reorg deeper than the \(window)-block window; the monitor stops so an operator can check the chain"
                + " (gateway monitor rewind)"
        case .halted(let network, let reason):
            return "\(network): the monitor is halted until an operator rewinds it (gateway monitor rewind): \(reason)"
        }
    }
}
