import EthereumCore
import Metrics

/// The providers of one network, used as one honest source: health and circuit breakers,
/// retries with backoff, failover, head tracking, adaptive log ranges, quorum reads and
/// broadcast (CHAIN-RULES rules 1, 2, 5, 6, 7, 8, 11 and 13).
///
/// With two or more providers no single provider decides what the gateway believes: the safe
/// head and the finalized height are what two providers have reached, blocks and receipts are
/// read with a quorum of two, and a log counts only when a second provider agrees on it. With
/// one provider every answer is that provider's word (``trustsSingleProvider``).
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
        /// Providers that must agree on a critical read (a block, a receipt) when
        /// ``ProviderPool/quorumRead(_:quorum:parse:)`` is not given one. A pool with fewer
        /// providers needs all of them (a pool of one provider trusts it).
        public var quorum = 2
        /// How many blocks a provider's head, or its finalized block, may lie above the
        /// pool's before that provider counts as out of sync. Honest providers differ by a few
        /// blocks at the tip (bor#142 saw heads go back 1 to 3 blocks) and by an epoch or a
        /// milestone in finality; 1,000 blocks is over three hours on Ethereum and half an hour
        /// on Polygon, far beyond either, and far below what a lie needs to matter.
        public var maxHeadLead: UInt64 = 1_000

        public init() {}
    }

    /// Why an answer was refused as false, for metrics and operators.
    enum FalseAnswer: String {
        /// A log whose address or topics are not in its block's `logsBloom`.
        case notInBloom = "not_in_bloom"
        /// A log that names another block, or a transaction that is not in its block.
        case notInBlock = "not_in_block"
        /// A ranged log outside the range, or marked removed.
        case outsideRange = "outside_range"
        /// Two logs at one position in one answer.
        case duplicate
        /// A log that another provider's receipt denies, or a self-contradiction.
        case forged
        /// A receipt that does not hold together (logs of another transaction or block).
        case badReceipt = "bad_receipt"
        /// A log set that missed a log another provider reported and confirmed.
        case partial
        /// A head or finalized block far above the other providers'.
        case farAhead = "far_ahead"

        /// Lies open the circuit breaker at once; a partial answer or a head far ahead counts
        /// as an ordinary failure (a node behind at the tip, or a lagging majority, is not proof
        /// of lying).
        var opensBreaker: Bool {
            switch self {
            case .partial, .farAhead: return false
            default: return true
            }
        }
    }

    struct Member {
        let client: JSONRPCClient
        var breaker: CircuitBreaker
        var latencyMs: Double?
        /// Its head was far above the others' at the last refresh.
        var headFarAhead = false
        /// Its finalized block was below the pool's, or far above it, at the last check.
        var finalizedOutOfSync = false
        var lastFailure: String?
        var falseAnswers = 0

        var outOfSync: Bool { headFarAhead || finalizedOutOfSync }
    }

    public let network: String
    let configuration: Configuration
    var members: [Member]
    public private(set) var heads = HeadTracker()
    /// The finalized block the pool last agreed on (see ``finalizedBlock()``).
    var agreedFinalizedBlock: RPCBlock?
    /// JSON-RPC calls sent so far, to every provider: lets callers measure calls per block.
    public private(set) var callCount = 0

    /// The number of providers configured.
    public nonisolated let providerCount: Int
    /// Each provider's URL with any credentials redacted, in configuration order: the
    /// `provider` label of the metrics.
    public nonisolated let providerNames: [String]

    /// True when the pool has a single provider and so believes it fully: its logs, heads and
    /// finalized block are not cross-checked against anyone. The gateway says so at start-up
    /// and on /health; configure a second provider to remove it.
    public nonisolated var trustsSingleProvider: Bool { providerCount == 1 }

    public init(network: String, clients: [JSONRPCClient], configuration: Configuration = .init()) {
        precondition(!clients.isEmpty, "a provider pool needs at least one provider")
        self.network = network
        self.configuration = configuration
        self.providerCount = clients.count
        self.providerNames = clients.map(\.transport.displayURL)
        self.members = clients.map {
            Member(client: $0, breaker: CircuitBreaker(threshold: configuration.breakerThreshold, openFor: configuration.breakerOpenFor))
        }
    }

    /// Providers that must agree before the pool believes something: 2 with several
    /// providers, 1 with one.
    var corroborators: Int { min(2, providerCount) }

    // MARK: Reads with failover

    /// Providers to try now, healthiest and fastest first.
    func candidates() -> [Int] {
        reachable().filter { !members[$0].outOfSync }
    }

    /// Providers whose breaker lets a request through, in sync or not (head and finality
    /// checks ask these, so that a provider can come back in sync), healthiest and fastest first.
    func reachable() -> [Int] {
        let now = ContinuousClock.now
        var allowed = [Int]()
        for index in members.indices where members[index].breaker.allowsRequest(now: now) { allowed.append(index) }
        return allowed.sorted { a, b in
            let (ma, mb) = (members[a], members[b])
            if ma.breaker.isHealthy != mb.breaker.isHealthy { return ma.breaker.isHealthy }
            return (ma.latencyMs ?? 0) < (mb.latencyMs ?? 0)
        }
    }

    func name(_ index: Int) -> String { members[index].client.transport.displayURL }

    /// One call to one provider, with its outcome recorded for health and metrics.
    func attempt<T: Sendable>(
        _ index: Int, _ call: RPCCall, parse: RPCResultDecoder<T>
    ) async throws(RPCFailure) -> T {
        try await recorded(index, updatesLatency: true) { client async throws(RPCFailure) in try await client.request(call, parse: parse) }
    }

    /// One request to one provider (`send` with its client), with its outcome recorded for
    /// health and metrics; `updatesLatency`: its time counts in the provider's latency (single
    /// calls, not batches).
    func recorded<T: Sendable>(
        _ index: Int, updatesLatency: Bool, _ send: (JSONRPCClient) async throws(RPCFailure) -> T
    ) async throws(RPCFailure) -> T {
        let client = members[index].client
        callCount += 1
        let started = ContinuousClock.now
        let dimensions = [("network", network), ("provider", client.transport.displayURL)]
        do throws(RPCFailure) {
            let value = try await send(client)
            let elapsed = ContinuousClock.now - started
            if updatesLatency {
                let ms = Double(elapsed.clampedNanoseconds) / 1e6
                members[index].latencyMs = members[index].latencyMs.map { $0 * 0.8 + ms * 0.2 } ?? ms
            }
            members[index].breaker.recordSuccess()
            Counter(label: "gateway_rpc_requests_total", dimensions: dimensions + [("outcome", "ok")]).increment()
            Timer(label: "gateway_rpc_request_duration_seconds", dimensions: dimensions).recordNanoseconds(elapsed.clampedNanoseconds)
            return value
        } catch {
            // A wrong request (invalid params, a revert) was still answered properly.
            if error.disposition == .final {
                members[index].breaker.recordSuccess()
            } else {
                members[index].breaker.recordFailure(now: .now)
            }
            members[index].lastFailure = error.description
            Counter(label: "gateway_rpc_requests_total", dimensions: dimensions + [("outcome", "\(error.disposition)")]).increment()
            throw error
        }
    }

    /// ``attempt(_:_:parse:)`` with its outcome as a value, for concurrent calls.
    func outcome<T: Sendable>(
        _ index: Int, _ call: RPCCall, parse: RPCResultDecoder<T>
    ) async -> Result<T, RPCFailure> {
        do throws(RPCFailure) {
            return .success(try await attempt(index, call, parse: parse))
        } catch {
            return .failure(error)
        }
    }

    /// Counts a false answer against a provider: lies open its breaker at once.
    func markFalseAnswer(_ index: Int, _ kind: FalseAnswer, _ reason: String) {
        if kind.opensBreaker {
            members[index].breaker.recordFalseAnswer(now: .now)
        } else {
            members[index].breaker.recordFailure(now: .now)
        }
        members[index].falseAnswers += 1
        members[index].lastFailure = reason
        Counter(
            label: "gateway_rpc_false_answers_total",
            dimensions: [("network", network), ("provider", name(index)), ("kind", kind.rawValue)]
        )
        .increment()
    }

    /// Reads `call` from the first provider that answers well. Transient failures back off
    /// (honouring Retry-After) between rounds; unfit providers are skipped; a final failure
    /// (invalid params, execution reverted) or one for which `passThrough` is true is thrown
    /// at once. When every provider failed every round, the error lists them all.
    public func read<T: Sendable>(
        _ call: RPCCall, parse: RPCResultDecoder<T>,
        passThrough: @Sendable (RPCFailure) -> Bool = { _ in false }
    ) async throws(RPCFailure) -> T {
        let gathered = try await gather(call, count: 1, parse: parse, passThrough: passThrough)
        guard let answer = gathered.answers.first else { throw .allProvidersFailed(gathered.failures) }
        return answer.value
    }

    /// ``read(_:parse:passThrough:)`` with a result parsed from Foundation's objects.
    public func read<T: Sendable>(
        _ call: RPCCall, parse: @escaping @Sendable (Any) throws(RPCFailure) -> T,
        passThrough: @Sendable (RPCFailure) -> Bool = { _ in false }
    ) async throws(RPCFailure) -> T {
        try await read(call, parse: RPCResultDecoder(parse), passThrough: passThrough)
    }

    /// Reads `call` until `quorum` providers return equal values (a block, a receipt, a log
    /// set); the first `quorum` providers are asked at once, then one more at a time.
    /// Disagreeing or failing providers do not count; if no value reaches the quorum the read
    /// fails as inconsistent rather than trusting one source. Without `quorum`, the pool's
    /// (``Configuration/quorum``, at most the number of providers).
    public func quorumRead<T: Sendable & Hashable>(
        _ call: RPCCall, quorum: Int? = nil, parse: RPCResultDecoder<T>
    ) async throws(RPCFailure) -> T {
        let needed = quorum ?? max(1, min(configuration.quorum, providerCount))
        if needed <= 1 { return try await read(call, parse: parse) }
        var votes = [T: Int]()
        var failures = [String]()
        var asked = Set<Int>()
        var width = needed
        while true {
            let gathered = try await collect(call, count: width, rounds: 1, excluding: asked, parse: parse)
            failures += gathered.failures
            for answer in gathered.answers {
                let count = votes[answer.value, default: 0] + 1
                votes[answer.value] = count
                if count >= needed { return answer.value }
            }
            asked.formUnion(gathered.asked)
            if gathered.answers.isEmpty { break }
            width = 1
        }
        if votes.isEmpty { throw .allProvidersFailed(failures.isEmpty ? [Self.noProvider] : failures) }
        throw .inconsistent("\(call.method): fewer than \(needed) providers agreed (\(votes.count) different answers)")
    }

    /// ``quorumRead(_:quorum:parse:)`` with a result parsed from Foundation's objects.
    public func quorumRead<T: Sendable & Hashable>(
        _ call: RPCCall, quorum: Int? = nil, parse: @escaping @Sendable (Any) throws(RPCFailure) -> T
    ) async throws(RPCFailure) -> T {
        try await quorumRead(call, quorum: quorum, parse: RPCResultDecoder(parse))
    }

    // MARK: Concurrent answers

    /// What ``gather(_:count:rounds:excluding:parse:check:passThrough:mapFailure:)`` collected.
    struct Gathered<T: Sendable>: Sendable {
        var answers: [(provider: Int, value: T)] = []
        /// Each failed or refused attempt, as "provider: failure", in round and provider order.
        var failures: [String] = []
        /// Every provider that was asked.
        var asked: Set<Int> = []
    }

    /// What a caller makes of one answer.
    enum Verdict {
        case accept
        /// Not wrong, but not enough (no logs although the bloom may hold some): try elsewhere
        /// without counting it against the provider.
        case incomplete(String)
        /// Refused as false; counted against the provider.
        case falseAnswer(FalseAnswer, String)
    }

    static let noProvider = "no provider is available (all circuit breakers open)"

    /// ``collect(_:count:rounds:excluding:parse:check:passThrough:mapFailure:)``, where no
    /// answer at all is an `allProvidersFailed` listing every failure.
    func gather<T: Sendable>(
        _ call: RPCCall, count: Int, rounds: Int? = nil, excluding: Set<Int> = [],
        parse: RPCResultDecoder<T>,
        check: (Int, T) -> Verdict = { _, _ in .accept },
        passThrough: (RPCFailure) -> Bool = { _ in false },
        mapFailure: (RPCFailure) -> RPCFailure = { $0 }
    ) async throws(RPCFailure) -> Gathered<T> {
        let gathered = try await collect(
            call, count: count, rounds: rounds, excluding: excluding, parse: parse, check: check, passThrough: passThrough,
            mapFailure: mapFailure)
        if gathered.answers.isEmpty { throw .allProvidersFailed(gathered.failures.isEmpty ? [Self.noProvider] : gathered.failures) }
        return gathered
    }

    /// Answers to `call` from `count` distinct providers, asked concurrently (the healthiest
    /// and fastest first; a provider that fails or is refused is replaced by the next one).
    /// Rounds back off like ``read(_:parse:passThrough:)``; providers that answered are not
    /// asked again. A final failure, or one for which `passThrough` is true, is thrown at once
    /// (after the calls in flight finish). Fewer than `count` answers, or none, are returned
    /// when no more could be had.
    func collect<T: Sendable>(
        _ call: RPCCall, count: Int, rounds: Int? = nil, excluding: Set<Int> = [],
        parse: RPCResultDecoder<T>,
        check: (Int, T) -> Verdict = { _, _ in .accept },
        passThrough: (RPCFailure) -> Bool = { _ in false },
        mapFailure: (RPCFailure) -> RPCFailure = { $0 }
    ) async throws(RPCFailure) -> Gathered<T> {
        var gathered = Gathered<T>()
        var answered = excluding
        let totalRounds = max(1, rounds ?? configuration.maxRounds)
        for round in 0..<totalRounds {
            let order = candidates().filter { !answered.contains($0) }
            var retryAfter: Double? = nil
            var roundFailures = [Int: String]()
            var stop: RPCFailure? = nil
            await withTaskGroup(of: (Int, Result<T, RPCFailure>).self) { group in
                var next = 0
                var inFlight = 0
                while true {
                    // Keep `count` answers coming: replace every provider that failed.
                    while gathered.answers.count + inFlight < count, next < order.count {
                        let (position, index) = (next, order[next])
                        group.addTask { (position, await self.outcome(index, call, parse: parse)) }
                        gathered.asked.insert(index)
                        next += 1
                        inFlight += 1
                    }
                    guard let (position, result) = await group.next() else { return }
                    inFlight -= 1
                    let index = order[position]
                    switch result.mapError(mapFailure) {
                    case .success(let value):
                        switch check(index, value) {
                        case .accept:
                            gathered.answers.append((index, value))
                            answered.insert(index)
                        case .incomplete(let reason):
                            roundFailures[position] = "\(name(index)): \(reason)"
                        case .falseAnswer(let kind, let reason):
                            markFalseAnswer(index, kind, reason)
                            roundFailures[position] = "\(name(index)): \(RPCFailure.inconsistent(reason))"
                        }
                    case .failure(let error):
                        if error.disposition == .final || passThrough(error) {
                            stop = error
                            return
                        }
                        roundFailures[position] = "\(name(index)): \(error)"
                        if let seconds = error.retryAfter { retryAfter = max(retryAfter ?? 0, seconds) }
                    }
                }
            }
            if let stop { throw stop }
            gathered.failures += roundFailures.sorted { $0.key < $1.key }.map(\.value)
            if gathered.answers.count >= count { return gathered }
            if round + 1 < totalRounds {
                let delay = retryDelay(
                    attempt: round, retryAfter: retryAfter, base: configuration.baseBackoff, cap: configuration.maxBackoff)
                try? await Task.sleep(for: delay)
            }
        }
        return gathered
    }

    /// `call` to every provider in `providers` at once; outcomes by provider.
    func askAll<T: Sendable>(
        _ providers: [Int], _ call: RPCCall, parse: RPCResultDecoder<T>
    ) async -> [Int: Result<T, RPCFailure>] {
        await withTaskGroup(of: (Int, Result<T, RPCFailure>).self) { group in
            for index in providers { group.addTask { (index, await self.outcome(index, call, parse: parse)) } }
            var results = [Int: Result<T, RPCFailure>]()
            for await (index, result) in group { results[index] = result }
            return results
        }
    }

    // MARK: Heads

    /// Asks every provider whose breaker allows it for its head, updates the tracker and
    /// returns the pool's safe head (rule 1): never lower than before, and with several
    /// providers a height at least two of them have reached (one answer alone does not move
    /// it, and one provider far ahead does not either). A head above
    /// ``RPCLimits/maxBlockNumber`` is a malformed answer; a head more than
    /// ``Configuration/maxHeadLead`` above the others puts that provider, and not the others,
    /// out of sync until it comes back within the lead (rule 11).
    @discardableResult
    public func refreshHeads() async -> UInt64? {
        headsAskedAt = .now
        let asked = reachable()
        var reports = [Int: UInt64]()
        for (index, result) in await askAll(asked, .blockNumber, parse: RPCParse.blockNumber) {
            if case .success(let head) = result { reports[index] = head }
        }
        let ahead = HeadTracker.farAhead(reports, maxLead: configuration.maxHeadLead)
        for index in asked {
            guard let head = reports[index] else {
                heads.forget(provider: index)
                continue
            }
            heads.record(head: head, provider: index)
            members[index].headFarAhead = ahead.contains(index)
            if ahead.contains(index) {
                markFalseAnswer(
                    index, .farAhead, "head \(head) is more than \(configuration.maxHeadLead) blocks above the other providers'")
            }
        }
        // The second-highest head already leaves one provider's outlier out.
        return heads.updateSafeHead(among: Set(reports.keys), required: corroborators)
    }

    public var safeHead: UInt64? { heads.safeHead }

    /// When the providers' heads were last asked for (by the monitor, or for an operator).
    public private(set) var headsAskedAt: ContinuousClock.Instant?

    /// Asks the providers for their heads unless someone did within `age`: a process whose
    /// monitor runs elsewhere still knows its providers' health when an operator asks.
    public func refreshHeads(ifOlderThan age: Duration) async {
        if let asked = headsAskedAt, ContinuousClock.now - asked < age { return }
        await refreshHeads()
    }

    /// The `finalized` block (rules 5 and 11). Every provider whose breaker allows it is asked
    /// at once. With several providers the pool's finalized height is the second-highest
    /// reported, a height two providers have finalized, and never decreases; one report alone
    /// leaves it where it was. A provider below it is out of sync until it catches up, and
    /// so is one more than ``Configuration/maxHeadLead`` above it, without making the others
    /// look out of sync. Returns the block one in-sync provider reported at that height (or
    /// the block last agreed on), nil while there is none.
    public func finalizedBlock() async throws(RPCFailure) -> RPCBlock? {
        let asked = reachable()
        var blocks = [Int: RPCBlock]()
        var failures = [String]()
        let results = await askAll(asked, .block(.finalized), parse: RPCParse.block)
        for index in asked {
            switch results[index] ?? .success(nil) {
            case .success(let block?): blocks[index] = block
            case .failure(let error) where error.disposition != .final: failures.append("\(name(index)): \(error)")
            default: break
            }
        }
        let round = heads.agreeFinalized(blocks.mapValues(\.number), required: corroborators, maxLead: configuration.maxHeadLead)
        for index in blocks.keys.sorted() {
            members[index].finalizedOutOfSync = round.outOfSync.contains(index)
            if round.farAhead.contains(index), let number = blocks[index]?.number {
                markFalseAnswer(
                    index, .farAhead, "finalized block \(number) is more than \(configuration.maxHeadLead) blocks above the pool's")
            }
        }
        if blocks.isEmpty && !failures.isEmpty { throw .allProvidersFailed(failures) }
        guard let agreed = round.agreed else { return nil }
        if let index = blocks.keys.sorted().first(where: { blocks[$0]?.number == agreed && !round.outOfSync.contains($0) }) {
            agreedFinalizedBlock = blocks[index]
        }
        return agreedFinalizedBlock?.number == agreed ? agreedFinalizedBlock : nil
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
            let name = name(index)
            do {
                _ = try await attempt(index, .sendRawTransaction(raw), parse: RPCParse.txHash)
                accepted.append(name)
            } catch {
                if case .rpc(_, let message) = error,
                    message.lowercased().contains("already known") || message.lowercased().contains("known transaction")
                {
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
        /// Its head or finalized block disagrees with the other providers' (far ahead, or
        /// finalized behind the pool's); it is not asked until that passes.
        public let outOfSync: Bool
        /// Answers of this provider refused as false so far (logs not in the bloom or denied by
        /// another provider, partial log sets, heads far ahead).
        public let falseAnswers: Int
        /// Its circuit breaker: open after repeated failures, or at once after a false answer.
        public let breaker: CircuitBreaker.State
    }

    public func status() -> [ProviderStatus] {
        members.indices.map { index in
            let member = members[index]
            return ProviderStatus(
                url: name(index), head: heads.reported[index],
                healthy: member.breaker.isHealthy && !member.outOfSync && heads.reported[index] != nil, latencyMs: member.latencyMs,
                lastFailure: member.lastFailure, outOfSync: member.outOfSync, falseAnswers: member.falseAnswers,
                breaker: member.breaker.state)
        }
    }
}
