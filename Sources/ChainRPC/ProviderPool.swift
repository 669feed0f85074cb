import EthereumCore
import Metrics

/// The providers of one network, used as one honest source: health and circuit breakers,
/// retries with backoff, failover, head tracking, adaptive log ranges, quorum reads and
/// broadcast (CHAIN-RULES rules 1, 2, 5, 6, 7, 8).
public actor ProviderPool {
    public struct Configuration: Sendable {
        /// Rounds over all providers before a read gives up.
        public var maxRounds = 3
        public var baseBackoff: Duration = .milliseconds(100)
        public var maxBackoff: Duration = .seconds(5)
        public var breakerThreshold = 3
        public var breakerOpenFor: Duration = .seconds(2)
        public var initialLogRange: UInt64 = 2_000
        public var maxLogRange: UInt64 = 10_000
        /// Providers that must agree on a critical read (a block hash, a receipt, a log set).
        public var quorum = 1

        public init() {}
    }

    struct Member {
        let client: JSONRPCClient
        var breaker: CircuitBreaker
        var latencyMs: Double?
        var outOfSync = false
        var lastFailure: String?
    }

    public let network: String
    let configuration: Configuration
    var members: [Member]
    public private(set) var heads = HeadTracker()
    /// JSON-RPC calls sent so far, to every provider: lets callers measure calls per block.
    public private(set) var callCount = 0

    public init(network: String, clients: [JSONRPCClient], configuration: Configuration = .init()) {
        precondition(!clients.isEmpty, "a provider pool needs at least one provider")
        self.network = network
        self.configuration = configuration
        self.members = clients.map {
            Member(client: $0, breaker: CircuitBreaker(threshold: configuration.breakerThreshold, openFor: configuration.breakerOpenFor))
        }
    }

    public var providerCount: Int { members.count }

    // MARK: Reads with failover

    /// Providers to try now, healthiest and fastest first.
    func candidates() -> [Int] {
        let now = ContinuousClock.now
        var allowed = [Int]()
        for index in members.indices where !members[index].outOfSync {
            if members[index].breaker.allowsRequest(now: now) { allowed.append(index) }
        }
        return allowed.sorted { a, b in
            let (ma, mb) = (members[a], members[b])
            if ma.breaker.isHealthy != mb.breaker.isHealthy { return ma.breaker.isHealthy }
            return (ma.latencyMs ?? 0) < (mb.latencyMs ?? 0)
        }
    }

    /// One call to one provider, with its outcome recorded for health and metrics.
    func attempt<T: Sendable>(_ index: Int, _ call: RPCCall, parse: @escaping @Sendable (Any) throws(RPCFailure) -> T) async throws(RPCFailure) -> T {
        let client = members[index].client
        callCount += 1
        let started = ContinuousClock.now
        let dimensions = [("network", network), ("provider", client.transport.displayURL), ("method", call.method)]
        do {
            let value = try await client.request(call, parse: parse)
            let elapsed = ContinuousClock.now - started
            let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            members[index].latencyMs = members[index].latencyMs.map { $0 * 0.8 + ms * 0.2 } ?? ms
            members[index].breaker.recordSuccess()
            Counter(label: "rpc_requests_total", dimensions: dimensions + [("outcome", "ok")]).increment()
            Timer(label: "rpc_request_duration_seconds", dimensions: dimensions)
                .recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
            return value
        } catch {
            // A wrong request (invalid params, a revert) was still answered properly.
            if error.disposition == .final {
                members[index].breaker.recordSuccess()
            } else {
                members[index].breaker.recordFailure(now: .now)
            }
            members[index].lastFailure = error.description
            Counter(label: "rpc_requests_total", dimensions: dimensions + [("outcome", "\(error.disposition)")]).increment()
            throw error
        }
    }

    /// Reads `call` from the first provider that answers well. Transient failures back off
    /// (honouring Retry-After) between rounds; unfit providers are skipped; a final failure
    /// (invalid params, execution reverted) or one for which `passThrough` is true is thrown
    /// at once. When every provider failed every round, the error lists them all.
    public func read<T: Sendable>(
        _ call: RPCCall, parse: @escaping @Sendable (Any) throws(RPCFailure) -> T,
        passThrough: @Sendable (RPCFailure) -> Bool = { _ in false }
    ) async throws(RPCFailure) -> T {
        var failures = [String]()
        for round in 0..<configuration.maxRounds {
            var retryAfter: Double? = nil
            for index in candidates() {
                do {
                    return try await attempt(index, call, parse: parse)
                } catch {
                    if error.disposition == .final || passThrough(error) { throw error }
                    failures.append("\(members[index].client.transport.displayURL): \(error)")
                    if let seconds = error.retryAfter { retryAfter = max(retryAfter ?? 0, seconds) }
                }
            }
            if round + 1 < configuration.maxRounds {
                let delay = retryDelay(attempt: round, retryAfter: retryAfter, base: configuration.baseBackoff, cap: configuration.maxBackoff)
                try? await Task.sleep(for: delay)
            }
        }
        throw .allProvidersFailed(failures.isEmpty ? ["no provider is available (all circuit breakers open)"] : failures)
    }

    /// Reads `call` until `quorum` providers return equal values (a block hash, a receipt, a
    /// log set). Disagreeing or failing providers do not count; if no value reaches the
    /// quorum the read fails as inconsistent rather than trusting one source.
    public func quorumRead<T: Sendable & Hashable>(
        _ call: RPCCall, quorum: Int? = nil, parse: @escaping @Sendable (Any) throws(RPCFailure) -> T
    ) async throws(RPCFailure) -> T {
        let needed = quorum ?? configuration.quorum
        if needed <= 1 { return try await read(call, parse: parse) }
        var votes = [T: Int]()
        var failures = [String]()
        for index in candidates() {
            do {
                let value = try await attempt(index, call, parse: parse)
                votes[value, default: 0] += 1
                if votes[value]! >= needed { return value }
            } catch {
                if error.disposition == .final { throw error }
                failures.append("\(members[index].client.transport.displayURL): \(error)")
            }
        }
        if votes.isEmpty { throw .allProvidersFailed(failures) }
        throw .inconsistent("\(call.method): fewer than \(needed) providers agreed (\(votes.count) different answers)")
    }

    // MARK: Heads

    /// Asks every available provider for its head, updates the tracker and returns the pool's
    /// safe head (rule 1): never lower than before, and with several providers a height at
    /// least two of them have reached.
    @discardableResult
    public func refreshHeads() async -> UInt64? {
        var answered = Set<Int>()
        for index in candidates() {
            if let head = try? await attempt(index, .blockNumber, parse: RPCParse.uint64) {
                heads.record(head: head, provider: index)
                answered.insert(index)
                Gauge(label: "rpc_provider_head", dimensions: [("network", network), ("provider", members[index].client.transport.displayURL)])
                    .record(Int64(head))
            } else {
                heads.forget(provider: index)
            }
        }
        return heads.updateSafeHead(among: answered)
    }

    public var safeHead: UInt64? { heads.safeHead }

    /// The `finalized` block, from providers whose finalized height is not below the highest
    /// one seen (rule 5); a provider that falls behind is out of sync until it catches up.
    public func finalizedBlock() async throws(RPCFailure) -> RPCBlock? {
        var best: RPCBlock? = nil
        var failures = [String]()
        for index in members.indices {
            do {
                guard let block = try await attempt(index, .block(.finalized), parse: RPCParse.block) else { continue }
                let inSync = heads.record(finalized: block.number, provider: index)
                members[index].outOfSync = !inSync
                if inSync, block.number >= (best?.number ?? 0) { best = block }
            } catch {
                if error.disposition == .final { continue }
                failures.append("\(members[index].client.transport.displayURL): \(error)")
            }
        }
        if best == nil && !failures.isEmpty { throw .allProvidersFailed(failures) }
        return best
    }

    // MARK: Logs

    /// Logs matching `filter(from, to)` over `from...to`, fetched in adaptively sized ranges
    /// (rule 6). Every log must lie in the range it was asked for and not be marked removed;
    /// results are in chain order.
    public func logs(from: UInt64, to: UInt64, filter: @Sendable (UInt64, UInt64) -> LogFilter) async throws(RPCFailure) -> [RPCLog] {
        var sizer = LogRangeSizer(initial: configuration.initialLogRange, max: configuration.maxLogRange)
        var result = [RPCLog]()
        var start = from
        while start <= to {
            let end = min(to, start &+ sizer.span &- 1)
            let requested = end - start + 1
            do throws(RPCFailure) {
                let logs = try await read(.logs(filter(start, end)), parse: RPCParse.logs, passThrough: { $0.isLogRangeTooLarge })
                for log in logs where log.blockNumber < start || log.blockNumber > end || log.removed {
                    throw RPCFailure.inconsistent("eth_getLogs returned a log of block \(log.blockNumber) for range \(start)...\(end)")
                }
                result += logs
                sizer.succeeded()
                start = end + 1
            } catch where error.isLogRangeTooLarge && requested > 1 {
                sizer.tooLarge(requested: requested, suggested: error.suggestedLogRange)
            }
        }
        return result.sorted { ($0.blockNumber, $0.logIndex) < ($1.blockNumber, $1.logIndex) }
    }

    /// ERC-20 `Transfer` logs of `tokens` to `recipients` in one block, fetched pinned to its
    /// hash and checked against the block (rule 2): each log must carry the block's hash and
    /// number and a transaction of the block. An empty answer while the block's bloom says a
    /// matching transfer may be there is not believed: other providers are asked, and it is
    /// accepted only when every provider that answered agrees and there is more than one.
    public func transferLogs(in block: RPCBlock, tokens: [Address], to recipients: [Address]) async throws(RPCFailure) -> [RPCLog] {
        let bloom = try? LogsBloom(bytes: block.logsBloom)
        let mayHaveTransfers = tokens.contains { bloom?.mightContainTransfer(token: $0, to: recipients) ?? true }
        let call = RPCCall.logs(.transfers(.hash(block.hash), tokens: tokens, to: recipients))
        var failures = [String]()
        for round in 0..<configuration.maxRounds {
            var emptyProviders = Set<Int>()
            var otherFailures = 0
            for index in candidates() {
                do throws(RPCFailure) {
                    let logs = try await attempt(index, call, parse: RPCParse.logs)
                    let transactions = Set(block.transactions)
                    for log in logs where log.blockHash != block.hash || log.blockNumber != block.number || !transactions.contains(log.transactionHash) {
                        throw RPCFailure.inconsistent("log \(log.transactionHash)#\(log.logIndex) does not belong to block \(block.number) \(block.hash)")
                    }
                    if !logs.isEmpty || !mayHaveTransfers { return logs.sorted { $0.logIndex < $1.logIndex } }
                    emptyProviders.insert(index)
                    failures.append("\(members[index].client.transport.displayURL): no logs although the block's bloom may hold a transfer")
                } catch {
                    if error.disposition == .final { throw error }
                    otherFailures += 1
                    failures.append("\(members[index].client.transport.displayURL): \(error)")
                }
            }
            // A bloom can match by chance: when two or more providers, and every provider
            // asked in this round, answer "none", believe them. One provider's word is not enough.
            if emptyProviders.count >= 2 && otherFailures == 0 { return [] }
            if round + 1 < configuration.maxRounds {
                try? await Task.sleep(for: retryDelay(attempt: round, retryAfter: nil, base: configuration.baseBackoff, cap: configuration.maxBackoff))
            }
        }
        throw .allProvidersFailed(failures)
    }

    // MARK: Broadcast

    /// What each provider said to a raw transaction.
    public struct BroadcastResult: Sendable {
        public let hash: TxHash
        /// Providers that accepted it (or already knew it).
        public let accepted: [String]
        /// Providers that refused it, with their reason.
        public let rejected: [String: String]
    }

    /// Sends the same raw transaction to every available provider (rule 8). "already known"
    /// counts as accepted. The transaction hash is computed locally, never taken from a provider.
    public func broadcast(_ raw: [UInt8]) async -> BroadcastResult {
        let hash = TxHash(raw: Keccak256.hash(raw))
        var accepted = [String]()
        var rejected = [String: String]()
        for index in candidates() {
            let name = members[index].client.transport.displayURL
            do {
                _ = try await attempt(index, .sendRawTransaction(raw), parse: RPCParse.txHash)
                accepted.append(name)
            } catch {
                if case .rpc(_, let message) = error, message.lowercased().contains("already known") || message.lowercased().contains("known transaction") {
                    accepted.append(name)
                } else {
                    rejected[name] = error.description
                }
            }
        }
        return BroadcastResult(hash: hash, accepted: accepted, rejected: rejected)
    }

    // MARK: Status

    /// One provider's state, for operators.
    public struct ProviderStatus: Sendable {
        public let url: String
        public let head: UInt64?
        public let healthy: Bool
        public let latencyMs: Double?
        public let lastFailure: String?
    }

    public func status() -> [ProviderStatus] {
        members.indices.map { index in
            let member = members[index]
            return ProviderStatus(
                url: member.client.transport.displayURL, head: heads.reported[index],
                healthy: member.breaker.isHealthy && !member.outOfSync && heads.reported[index] != nil, latencyMs: member.latencyMs,
                lastFailure: member.lastFailure)
        }
    }
}
