import ChainMonitor
import ChainRPC
import EthereumCore
import Foundation
import GatewayAPI
import GatewayDomain
import GatewayStore
import Logging
import PostgresNIO
import ServiceLifecycle

/// Sends one network's refunds from its hot wallet: a thin driver that loads what is stored,
/// asks the domain's rules (``NonceRule``, ``RefundFeePolicy``, ``AttemptSchedule``,
/// ``BroadcastOutcome``, ``RefundReceipt``, ``RefundFinality``, ``WalletFunds``,
/// ``RefundLimits``), writes ahead, then sends.
///
/// One writer per (network, wallet): the service runs only while it holds the wallet's Postgres
/// advisory lock, so that of several gateway processes one signs at a time. Each pass:
/// 1. nonces the chain counts as used get their receipts (every attempt's hash is kept: an
///    older attempt may be the one mined); the others are re-sent or replaced on schedule;
/// 2. mined nonces are checked against the canonical chain: final ones end their refunds,
///    reorged ones are opened again and their bytes sent again;
/// 3. balances are read (and stored for operators);
/// 4. queued refunds are checked (the wallet's daily limit, fees under the cap, funds), then
///    each gets its nonce and signed transaction committed before the first broadcast.
public actor RefundSender: Service {
    public let chain: Chain
    public let wallet: HotWallet
    /// The store a pass writes through: the one of the lease the pass began under (bound
    /// for the pass's task, so that a pass abandoned at its deadline keeps its old lease's
    /// store and is fenced out), else the sender's current one.
    public var refunds: RefundStore { Self.passRefunds ?? currentRefunds }
    /// While ``run()`` holds the wallet, the store fenced by its current lease.
    private(set) var currentRefunds: RefundStore
    /// The store of the pass running in this task.
    @TaskLocal static var passRefunds: RefundStore?
    /// The same store without a lease, from which each lease's fenced store is made.
    let unfencedRefunds: RefundStore
    let balances: PostgresMonitorStore
    let configuration: RefundConfiguration
    let policy: RefundFeePolicy
    let client: PostgresClient
    let retryDelay: Duration
    /// Wakes the sender when a refund is queued, instead of at its next pass.
    let changes: ChangeHub?
    let logger: Logger
    /// Where the fee bumps, the send errors and the gas runway are reported.
    let metrics: MetricsRegistry?
    var lastBalanceSave: ContinuousClock.Instant?
    var lastRunway: ContinuousClock.Instant?

    public init(
        chain: Chain, wallet: HotWallet, refunds: RefundStore, balances: PostgresMonitorStore, configuration: RefundConfiguration,
        client: PostgresClient, retryDelay: Duration = .seconds(5), changes: ChangeHub? = nil, metrics: MetricsRegistry? = nil,
        logger: Logger
    ) {
        self.metrics = metrics
        self.chain = chain
        self.wallet = wallet
        self.currentRefunds = refunds
        self.unfencedRefunds = refunds
        self.balances = balances
        self.configuration = configuration
        self.policy = configuration.feePolicy(network: chain.network.name)
        self.client = client
        self.retryDelay = retryDelay
        self.changes = changes
        var logger = logger
        logger[metadataKey: "network"] = .string(chain.network.name)
        logger[metadataKey: "hot_wallet"] = .string(wallet.address.checksummed)
        self.logger = logger
    }

    var network: String { chain.network.name }
    var pool: ProviderPool { chain.pool }
    var address: Address { wallet.address }

    /// The lock that makes this process the wallet's only writer.
    public nonisolated var lock: AdvisoryLock {
        AdvisoryLock(name: "gateway.refunds.\(chain.network.name).\(wallet.address.lowercased)")
    }

    public func run() async throws {
        let lock = self.lock
        let network = self.network
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await lock.withLock(client: self.client, logger: self.logger) { _ in
                        try await self.takeLease()
                        try await self.loop()
                    }
                } catch {
                    // Another process may hold the wallet now: its runway is not known here.
                    self.metrics?.set("gateway_hot_wallet_gas_runway_refunds", ["network": network], .nan)
                    if Task.isCancelled { return }
                    self.logger.error("refund sender stopped; restarting", metadata: ["error": "\(describeDatabaseError(error))"])
                }
                try? await Task.sleep(for: self.retryDelay)
            }
        }
    }

    /// A new lease on the wallet: from now on only this sender's writes go through (one still
    /// running from an abandoned pass is refused).
    func takeLease() async throws {
        let holder = "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)"
        let lease = try await unfencedRefunds.acquireSenderLease(network: network, wallet: address, holder: holder)
        currentRefunds = unfencedRefunds.fenced(by: lease)
        logger.info("refund sender lease taken", metadata: ["epoch": "\(lease.epoch)"])
    }

    func loop() async throws {
        logger.info("refund sender running")
        let deadline = configuration.passDeadline
        while !Task.isCancelled {
            let mark = await changes?.mark() ?? 0
            do {
                // A pass with no end in sight (a call that never answers) is left behind; the
                // sender starts again under a new lease, which fences it out.
                let store = currentRefunds
                try await withDeadline(deadline) { try await Self.$passRefunds.withValue(store) { try await self.pass() } }
            } catch is CancellationError {
                return
            } catch let error as DeadlineExceeded {
                logger.error("refund pass abandoned; starting again under a new lease", metadata: ["error": "\(error)"])
                throw error
            } catch let error as StoreError where error.isRefundLeaseLost {
                throw error
            } catch {
                logger.error("refund pass failed; retrying", metadata: ["error": "\(describeDatabaseError(error))"])
            }
            // A queued refund wakes the sender at once; sent transactions are followed every
            // interval whatever happens.
            if let changes {
                await changes.wait(for: [.refunds(network)], after: mark, timeout: configuration.senderInterval)
                try Task.checkCancellation()
            } else {
                try await Task.sleep(for: configuration.senderInterval)
            }
        }
    }

    /// What one pass did, for tests and logs.
    public struct PassSummary: Sendable, Equatable {
        public var signed = 0
        public var sent = 0
        public var replaced = 0
        public var mined = 0
        public var finalized = 0
        public var reorged = 0
    }

    /// One pass over the wallet. Tests call it directly; ``run()`` calls it every
    /// ``RefundConfiguration/senderInterval`` while it holds the lock.
    @discardableResult
    public func pass() async throws -> PassSummary {
        var summary = PassSummary()
        try await refunds.adoptWaitingForWallet(network: network)
        guard let head = await pool.refreshHeads() else { return summary }
        var market: Market? = nil
        var (nonces, now) = try await refunds.unfinishedNonces(network: network, wallet: address)
        let funds = try await readBalances(head: head)
        await reportRunway(native: funds.native, market: &market)

        if nonces.contains(where: { $0.state == .open }) {
            let used = try await pool.quorumRead(.transactionCount(address, .latest), parse: RPCParse.uint64)
            for nonce in nonces where nonce.state == .open {
                if nonce.nonce < used {
                    if try await findMined(nonce) { summary.mined += 1 }
                } else {
                    try await keepSending(nonce, head: head, now: now, funds: funds, market: &market, summary: &summary)
                }
            }
        }
        let mined = nonces.filter { $0.state == .mined }
        if !mined.isEmpty {
            let finalized = chain.network.finality == .depthAndFinalized ? try await pool.finalizedBlock()?.number : nil
            var canonical: [UInt64: BlockHash?] = [:]
            for nonce in mined {
                try await checkFinality(nonce, head: head, finalized: finalized, canonical: &canonical, summary: &summary)
            }
        }

        let ready = try await refunds.readyToSign(network: network, limit: configuration.batchSize)
        if !ready.isEmpty {
            (nonces, now) = try await refunds.unfinishedNonces(network: network, wallet: address)
            try await signNew(ready, head: head, reserved: nonces.compactMap(\.need), funds: funds, market: &market, summary: &summary)
        }
        return summary
    }

    // MARK: Nonces on their way

    /// A nonce the chain counts as used: which of its attempts was mined, and what its receipt says.
    func findMined(_ nonce: RefundStore.WalletNonce) async throws -> Bool {
        for attempt in nonce.attempts.reversed() {
            guard let receipt = try await pool.quorumRead(.receipt(attempt.txHash), parse: RPCParse.receipt) else { continue }
            let facts = ReceiptFacts(
                transactionHash: receipt.transactionHash, blockNumber: receipt.blockNumber, blockHash: receipt.blockHash,
                status: receipt.status, from: receipt.from, to: receipt.to, transfers: receipt.logs.compactMap(\.transfer))
            let verdict: String
            if nonce.filler {
                verdict = "transferred"
            } else if let refund = nonce.refund, let destination = refund.destination {
                switch RefundReceipt.judge(
                    facts, token: refund.asset.tokenAddress, wallet: address, destination: destination, amount: refund.amount,
                    hashes: Set(nonce.attempts.map(\.txHash)))
                {
                case .transferred: verdict = "transferred"
                case .reverted: verdict = "reverted"
                case .mismatch(let why):
                    logger.error(
                        "refund transaction mined without the expected transfer", metadata: ["refund": "\(refund.id)", "why": "\(why)"])
                    verdict = "mismatch"
                }
            } else {
                verdict = "mismatch"
            }
            try await refunds.markMined(
                network: network, wallet: address, nonce: nonce.nonce, txHash: attempt.txHash, blockNumber: receipt.blockNumber,
                blockHash: receipt.blockHash, verdict: verdict)
            logger.info(
                "refund transaction mined",
                metadata: [
                    "refund": "\(nonce.refund?.id ?? "filler")", "nonce": "\(nonce.nonce)", "tx": "\(attempt.txHash)",
                    "attempt": "\(attempt.number)", "status": "\(receipt.status)",
                ])
            return true
        }
        logger.warning("nonce used on chain without a receipt for any attempt yet", metadata: ["nonce": "\(nonce.nonce)"])
        try await refunds.noteUnexplained(network: network, wallet: address, nonce: nonce.nonce, limit: configuration.unexplainedRounds)
        return false
    }

    /// A nonce not mined yet: re-send, replace, or wait, as ``AttemptSchedule`` says.
    func keepSending(
        _ nonce: RefundStore.WalletNonce, head: UInt64, now: Timestamp, funds: Funds, market: inout Market?, summary: inout PassSummary
    ) async throws {
        guard let newest = nonce.newest else { return }
        let outcome = newest.lastOutcome.flatMap { Self.outcome(named: $0, error: nil) }
        if newest.lastOutcome == "rejected" {
            // Refused for good: a refund whose transaction no pool ever took fails, and its nonce
            // is filled so that later nonces are not stuck behind a gap.
            if !nonce.filler {
                guard !nonce.everSent else { return }
                try await refunds.abandonNonce(network: network, wallet: address, nonce: nonce.nonce)
                logger.error("refund transaction refused by every provider; filling its nonce", metadata: ["nonce": "\(nonce.nonce)"])
            } else if let refused = try? SignedTransaction.decode(raw: newest.raw), refused.transaction.to == address {
                // The filler itself was refused: an operator must look; signing more would not help.
                logger.error("nonce filler refused by every provider", metadata: ["nonce": "\(nonce.nonce)"])
                return
            }
            let fees = try await marketFees(&market)
            try await replace(nonce, newest: newest, filler: true, fees: fees, head: head, summary: &summary)
            return
        }
        let action = AttemptSchedule.decide(
            outcome: outcome, sentAtHead: newest.sentAtHead, lastSentAt: newest.lastSentAt, head: head, now: now, policy: policy)
        switch action {
        case .wait:
            return
        case .resend:
            if outcome == .insufficientFunds, !funds.covers(newest.gasLimit, newest.fees) {
                if let refund = nonce.refund { try await refunds.noteWaiting(refundId: refund.id, reason: .insufficientFunds) }
                return
            }
            try await send(newest, head: head)
            summary.sent += 1
        case .replace:
            let required: UInt256?
            if case .underpriced(let minimum)? = try await lastRefusal(newest) { required = minimum } else { required = nil }
            let currentMarket = try await currentMarket(&market)
            switch policy.bump(newest.fees, baseFee: currentMarket.baseFee, rewards: currentMarket.rewards, requiredTip: required) {
            case .replace(let fees):
                guard funds.covers(newest.gasLimit, fees) else {
                    if let refund = nonce.refund { try await refunds.noteWaiting(refundId: refund.id, reason: .insufficientFunds) }
                    return
                }
                try await replace(nonce, newest: newest, filler: nonce.filler, fees: fees, head: head, summary: &summary)
                metrics?.add("gateway_refund_fee_bumps_total", ["network": network])
            case .atCap:
                if let refund = nonce.refund, !nonce.filler { try await refunds.noteWaiting(refundId: refund.id, reason: .feeAboveCap) }
                let since = newest.lastSentAt.map { now.unixSeconds - $0.unixSeconds } ?? policy.resendSeconds
                if since >= policy.resendSeconds {
                    try await send(newest, head: head)
                    summary.sent += 1
                }
            }
        }
    }

    /// Signs a replacement at the nonce (or a filler: nothing to the wallet itself), writes it,
    /// then sends it.
    func replace(
        _ nonce: RefundStore.WalletNonce, newest: RefundStore.Attempt, filler: Bool, fees: Fees, head: UInt64, summary: inout PassSummary
    ) async throws {
        let transaction: Transaction
        if filler {
            transaction = Transaction(
                type: .dynamicFee, chainId: chain.network.chainId, nonce: nonce.nonce, maxPriorityFeePerGas: fees.tip,
                maxFeePerGas: fees.maxFee, gasLimit: 21_000, to: address)
        } else {
            guard let refund = nonce.refund, let destination = refund.destination else { return }
            transaction = refundTransaction(refund, destination: destination, nonce: nonce.nonce, gasLimit: newest.gasLimit, fees: fees)
        }
        let signed = Self.sign(transaction, with: wallet.key)
        try await refunds.writeReplacement(signed, network: network, wallet: address, nonce: nonce.nonce)
        logger.info(
            filler ? "nonce filler signed" : "refund transaction replaced",
            metadata: ["nonce": "\(nonce.nonce)", "tx": "\(signed.hash)", "fees": "\(fees)", "replaces": "\(newest.txHash)"])
        summary.replaced += 1
        try await send(signed.asAttempt, head: head)
        summary.sent += 1
    }

    /// Sends the attempt's bytes to every provider and records what they said.
    func send(_ attempt: RefundStore.Attempt, head: UInt64) async throws {
        let result = await pool.broadcast(attempt.raw)
        let refusals = result.rejected.keys.sorted().compactMap { result.rejected[$0] }
        let outcome = BroadcastOutcome.combine(
            accepted: result.accepted.count, refusals: refusals, required: min(2, pool.providerCount))
        if let cause = RefundSendCause.classify(outcome, refusals: refusals) {
            metrics?.add("gateway_refund_send_errors_total", ["network": network, "cause": cause.rawValue])
        }
        Failpoint.hit("refund.after_broadcast")
        try await refunds.recordBroadcast(
            txHash: attempt.txHash, outcome: outcome, error: refusals.isEmpty ? nil : refusals.joined(separator: "\n"), head: head)
        if case .rejected = outcome {
            logger.error("transaction refused by every provider", metadata: ["tx": "\(attempt.txHash)", "answers": "\(refusals)"])
        }
    }

    /// The refusal the newest attempt last got, read again from what was stored.
    func lastRefusal(_ attempt: RefundStore.Attempt) async throws -> BroadcastOutcome? {
        guard let name = attempt.lastOutcome else { return nil }
        let error = try await refunds.lastError(txHash: attempt.txHash)
        return Self.outcome(named: name, error: error)
    }

    static func outcome(named name: String, error: String?) -> BroadcastOutcome? {
        switch name {
        case "accepted": return .accepted
        case "maybe_sent": return .maybeSent
        case "insufficient_funds": return .insufficientFunds
        case "underpriced":
            let parsed = BroadcastOutcome.combine(accepted: 0, refusals: error?.split(separator: "\n").map(String.init) ?? [], required: 1)
            if case .underpriced = parsed { return parsed }
            return .underpriced(minimumTip: nil)
        case "rejected": return .rejected(error ?? "")
        case "unavailable": return .unavailable
        default: return nil
        }
    }

    /// A mined nonce: still canonical and final, still waiting, or reorged out.
    /// `canonical` keeps the hashes read in this pass by height: refunds mined together cost one read.
    func checkFinality(
        _ nonce: RefundStore.WalletNonce, head: UInt64, finalized: UInt64?, canonical hashes: inout [UInt64: BlockHash?],
        summary: inout PassSummary
    ) async throws {
        guard let blockNumber = nonce.blockNumber, let blockHash = nonce.blockHash else { return }
        let canonical: BlockHash?
        if let known = hashes[blockNumber] {
            canonical = known
        } else {
            canonical = try await pool.quorumRead(.block(.number(blockNumber)), parse: RPCParse.block)?.hash
            hashes[blockNumber] = canonical
        }
        let verdict = RefundFinality.decide(
            minedBlock: blockNumber, minedHash: blockHash, canonicalHash: canonical, head: head, confirmations: chain.network.confirmations,
            finalized: finalized, needsFinalized: chain.network.finality == .depthAndFinalized)
        switch verdict {
        case .final:
            let refund = try await refunds.finalize(network: network, wallet: address, nonce: nonce.nonce)
            summary.finalized += 1
            logger.info(
                "refund final",
                metadata: ["refund": "\(refund?.id ?? "filler")", "status": "\(refund?.status.rawValue ?? "-")", "nonce": "\(nonce.nonce)"])
        case .reorged:
            try await refunds.reopen(network: network, wallet: address, nonce: nonce.nonce)
            summary.reorged += 1
            logger.warning("refund transaction's block left the chain; sending it again", metadata: ["nonce": "\(nonce.nonce)"])
            // The mined attempt's bytes first: they were valid in the block that is gone.
            if let mined = nonce.attempts.first(where: { $0.txHash == nonce.minedHash }) {
                try await send(mined, head: head)
                summary.sent += 1
            }
        case .waiting, .unknown:
            return
        }
    }

    // MARK: New refunds

    func signNew(
        _ ready: [Refund], head: UInt64, reserved: [WalletFunds.Need], funds: Funds, market: inout Market?, summary: inout PassSummary
    ) async throws {
        var reserved = reserved
        var walletRecent = try await refunds.walletRecentTotal(network: network, wallet: address)
        let currentMarket = try await currentMarket(&market)
        let pending = try await pool.quorumRead(.transactionCount(address, .pending), parse: RPCParse.uint64)
        let estimates = await estimateGas(ready)
        for refund in ready {
            guard let destination = refund.destination else { continue }
            let units = UnitAmount(baseUnits: refund.amount, decimals: refund.asset.decimals)
            guard configuration.limits.walletAllows(units, walletRecent: walletRecent) else {
                try await refunds.postpone(refund.id, reason: .walletDailyLimit, seconds: 60)
                continue
            }
            let fees: Fees
            switch policy.quote(baseFee: currentMarket.baseFee, rewards: currentMarket.rewards) {
            case .sign(let quoted): fees = quoted
            case .aboveCap(let wanted):
                logger.warning("refund waits: fees above the cap", metadata: ["refund": "\(refund.id)", "fees": "\(wanted)"])
                try await refunds.postpone(refund.id, reason: .feeAboveCap, seconds: 15)
                continue
            }
            let token = refund.asset.tokenAddress
            let tokenOnly = WalletFunds.Need(native: .zero, token: token, amount: refund.amount)
            if case .short = WalletFunds.check(native: funds.native, tokens: funds.tokens, reserved: reserved, need: tokenOnly) {
                try await refunds.postpone(refund.id, reason: .insufficientFunds, seconds: 5)
                continue
            }
            let data = ERC20.transferCallData(to: destination, amount: refund.amount)
            let estimate: UInt64
            switch estimates[refund.id] {
            case nil:
                continue
            case .success(let value)?:
                estimate = value
            case .failure(let error)?:
                if error.disposition == .final {
                    logger.error("refund transfer would revert", metadata: ["refund": "\(refund.id)", "error": "\(error)"])
                    try await refunds.failUnsigned(refund.id, reason: .simulationReverted)
                } else {
                    logger.warning("gas estimate failed; trying later", metadata: ["refund": "\(refund.id)", "error": "\(error)"])
                }
                continue
            }
            guard let gasLimit = policy.gasLimit(estimate: estimate) else {
                logger.error("gas estimate out of range; trying later", metadata: ["refund": "\(refund.id)", "estimate": "\(estimate)"])
                continue
            }
            let need = WalletFunds.Need(gasLimit: gasLimit, fees: fees, token: token, amount: refund.amount)
            if case .short(let asset, let missing) = WalletFunds.check(
                native: funds.native, tokens: funds.tokens, reserved: reserved, need: need)
            {
                logger.warning(
                    "refund waits for funds", metadata: ["refund": "\(refund.id)", "asset": "\(asset)", "missing": "\(missing)"])
                try await refunds.postpone(refund.id, reason: .insufficientFunds, seconds: 5)
                continue
            }
            let key = wallet.key
            let chainId = chain.network.chainId
            guard
                let (nonce, signed) = try await refunds.reserveAndWrite(
                    refundId: refund.id, network: network, wallet: address, pendingCount: pending, checkpoint: Failpoint.hit,
                    sign: { nonce in
                        Self.sign(
                            Transaction(
                                type: .dynamicFee, chainId: chainId, nonce: nonce, maxPriorityFeePerGas: fees.tip,
                                maxFeePerGas: fees.maxFee,
                                gasLimit: gasLimit, to: token, data: data), with: key)
                    })
            else { continue }
            Failpoint.hit("refund.after_commit")
            reserved.append(need)
            walletRecent = walletRecent + units
            summary.signed += 1
            logger.info(
                "refund signed", metadata: ["refund": "\(refund.id)", "nonce": "\(nonce)", "tx": "\(signed.hash)", "fees": "\(fees)"])
            try await send(signed.asAttempt, head: head)
            summary.sent += 1
        }
    }

    /// `eth_estimateGas` of each refund's transfer, asked eight at a time: with hosted providers
    /// a batch of refunds then costs a few round trips, not one per refund.
    func estimateGas(_ ready: [Refund]) async -> [String: Result<UInt64, RPCFailure>] {
        let calls = ready.compactMap { refund -> (String, RPCCall)? in
            guard let destination = refund.destination else { return nil }
            return (
                refund.id,
                .estimateGas(
                    from: address, to: refund.asset.tokenAddress, data: ERC20.transferCallData(to: destination, amount: refund.amount))
            )
        }
        let pool = self.pool
        return await withTaskGroup(of: (String, Result<UInt64, RPCFailure>).self) { group in
            var pending = calls.makeIterator()
            func start(_ next: (String, RPCCall)?) -> Bool {
                guard let (id, call) = next else { return false }
                group.addTask {
                    do throws(RPCFailure) {
                        return (id, .success(try await pool.read(call, parse: RPCParse.uint64)))
                    } catch {
                        return (id, .failure(error))
                    }
                }
                return true
            }
            for _ in 0..<8 {
                guard start(pending.next()) else { break }
            }
            var out: [String: Result<UInt64, RPCFailure>] = [:]
            for await (id, result) in group {
                out[id] = result
                _ = start(pending.next())
            }
            return out
        }
    }

    func refundTransaction(_ refund: Refund, destination: Address, nonce: UInt64, gasLimit: UInt64, fees: Fees) -> Transaction {
        Transaction(
            type: .dynamicFee, chainId: chain.network.chainId, nonce: nonce, maxPriorityFeePerGas: fees.tip, maxFeePerGas: fees.maxFee,
            gasLimit: gasLimit, to: refund.asset.tokenAddress, data: ERC20.transferCallData(to: destination, amount: refund.amount))
    }

    static func sign(_ transaction: Transaction, with key: PrivateKey) -> RefundStore.SignedAttempt {
        let signed = transaction.signed(with: key)
        return RefundStore.SignedAttempt(
            raw: signed.raw, hash: signed.hash, gasLimit: transaction.gasLimit,
            fees: Fees(tip: transaction.maxPriorityFeePerGas, maxFee: transaction.maxFeePerGas))
    }

    // MARK: Market and balances

    /// The next block's base fee and recent rewards at the policy's percentile.
    struct Market: Sendable {
        let baseFee: UInt256
        let rewards: [UInt256]
    }

    func currentMarket(_ cached: inout Market?) async throws -> Market {
        if let cached { return cached }
        let history = try await pool.read(
            .feeHistory(blocks: policy.historyBlocks, newest: .latest, percentiles: [policy.rewardPercentile]), parse: RPCParse.feeHistory)
        guard let baseFee = history.baseFeePerGas.last else { throw RPCFailure.malformed("eth_feeHistory: no base fee") }
        let market = Market(baseFee: baseFee, rewards: history.reward.compactMap(\.first))
        cached = market
        return market
    }

    func marketFees(_ cached: inout Market?) async throws -> Fees {
        let market = try await currentMarket(&cached)
        switch policy.quote(baseFee: market.baseFee, rewards: market.rewards) {
        case .sign(let fees), .aboveCap(let fees): return fees
        }
    }

    /// The wallet's balances at `head`.
    struct Funds: Sendable {
        let native: UInt256
        let tokens: [Address: UInt256]

        /// Whether the native balance pays `gasLimit` × the max fee (other reservations aside:
        /// a re-send or a replacement only replaces what its nonce already reserved).
        func covers(_ gasLimit: UInt64, _ fees: Fees) -> Bool {
            WalletFunds.check(
                native: native, tokens: tokens, reserved: [],
                need: WalletFunds.Need(gasLimit: gasLimit, fees: fees, token: nil, amount: .zero))
                == .enough
        }
    }

    /// Sets `gateway_hot_wallet_gas_runway_refunds` from the native balance just read and the
    /// fees a refund would be signed with now (``HotWalletThresholds/gasRunway(native:gasLimit:maxFeePerGas:)``
    /// with ``RefundFeePolicy/referenceGasLimit``), every ``RefundConfiguration/balanceInterval``:
    /// the fee history it needs is one more read, shared with the rest of the pass. A failed
    /// read leaves the last value.
    func reportRunway(native: UInt256, market: inout Market?) async {
        guard let metrics, lastRunway.map({ ContinuousClock.now - $0 >= configuration.balanceInterval }) ?? true else { return }
        do {
            let fees = try await marketFees(&market)
            let runway = HotWalletThresholds.gasRunway(native: native, gasLimit: policy.referenceGasLimit, maxFeePerGas: fees.maxFee)
            metrics.set("gateway_hot_wallet_gas_runway_refunds", ["network": network], Double(runway))
            lastRunway = .now
        } catch {
            logger.debug("gas runway not computed: fees unknown", metadata: ["error": "\(error)"])
        }
    }

    func readBalances(head: UInt64) async throws -> Funds {
        let native = try await pool.read(.balance(address, .number(head)), parse: RPCParse.quantity)
        var tokens: [Address: UInt256] = [:]
        var stored = [AddressBalance(address: address, token: nil, amount: native, blockNumber: head)]
        for token in chain.network.tokens {
            guard let tokenAddress = token.address else { continue }
            let data = try await pool.read(
                .call(to: tokenAddress, data: ERC20.balanceOfCallData(owner: address), .number(head)), parse: RPCParse.bytes)
            guard let amount = try? ERC20.decodeUInt256(data) else {
                throw RPCFailure.malformed("balanceOf(\(address)) of \(token.symbol) did not return one word")
            }
            tokens[tokenAddress] = amount
            stored.append(AddressBalance(address: address, token: tokenAddress, amount: amount, blockNumber: head))
        }
        if lastBalanceSave.map({ ContinuousClock.now - $0 >= configuration.balanceInterval }) ?? true {
            try await balances.saveBalances(network: network, stored)
            lastBalanceSave = .now
        }
        return Funds(native: native, tokens: tokens)
    }
}

extension RefundStore.SignedAttempt {
    /// The attempt as stored right after it was written, never sent.
    var asAttempt: RefundStore.Attempt {
        RefundStore.Attempt(
            txHash: hash, number: 0, raw: raw, gasLimit: gasLimit, fees: fees, lastOutcome: nil, sentAtHead: nil, lastSentAt: nil)
    }
}
