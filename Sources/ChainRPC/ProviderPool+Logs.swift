import EthereumCore

extension ProviderPool {
    // MARK: Ranged logs

    /// Logs matching `filter(from, to)` over `from...to`, fetched in adaptively sized ranges
    /// (rule 6); results are in chain order. Every log must lie in the range it was asked for
    /// and not be marked removed, or that provider's answer is refused and another is asked.
    ///
    /// With several providers each range goes to two providers at once (wall time stays about
    /// one query) and their answers are reconciled (rule 11): the union is taken, a log both
    /// report counts, and a log only one reports counts when another provider's receipt
    /// confirms it; one that a receipt denies is dropped and its reporter marked. A range only
    /// one provider could answer fails rather than trust that provider.
    public func logs(from: UInt64, to: UInt64, filter: @Sendable (UInt64, UInt64) -> LogFilter) async throws(RPCFailure) -> [RPCLog] {
        guard from <= to else { return [] }
        var sizer = LogRangeSizer(initial: configuration.initialLogRange, max: configuration.maxLogRange)
        var result = [RPCLog]()
        var start = from
        while true {
            let end = to - start < sizer.span ? to : start + (sizer.span - 1)
            let requested = end - start == .max ? UInt64.max : end - start + 1
            let call = RPCCall.logs(filter(start, end))
            let gathered: Gathered<[RPCLog]>
            do throws(RPCFailure) {
                gathered = try await gather(
                    call, count: corroborators, parse: RPCParse.logs,
                    check: { _, logs in Self.rangeVerdict(logs, start, end) },
                    passThrough: { $0.isLogRangeTooLarge && requested > 1 },
                    mapFailure: { $0.refusingAbsurdSuggestion(within: start...end) })
            } catch {
                guard error.isLogRangeTooLarge && requested > 1 else { throw error }
                sizer.tooLarge(requested: requested, suggested: error.suggestedLogRange)
                continue
            }
            guard gathered.answers.count >= corroborators else {
                throw .allProvidersFailed(gathered.failures + ["only one provider answered eth_getLogs for \(start)...\(end); two must"])
            }
            result += corroborators == 1 ? gathered.answers[0].value : try await corroborate(gathered.answers, call: call.method)
            sizer.succeeded()
            if end == to { break }
            start = end + 1
        }
        return result.sorted { ($0.blockNumber, $0.logIndex) < ($1.blockNumber, $1.logIndex) }
    }

    static func rangeVerdict(_ logs: [RPCLog], _ start: UInt64, _ end: UInt64) -> Verdict {
        for log in logs where log.blockNumber < start || log.blockNumber > end || log.removed {
            return .falseAnswer(.outsideRange, "eth_getLogs returned a log of block \(log.blockNumber) for range \(start)...\(end)")
        }
        return duplicateVerdict(logs)
    }

    static func duplicateVerdict(_ logs: [RPCLog]) -> Verdict {
        var positions = Set<LogCorroboration.Position>()
        for log in logs where !positions.insert(LogCorroboration.Position(log)).inserted {
            return .falseAnswer(.duplicate, "two logs #\(log.logIndex) of block \(log.blockHash) in one answer")
        }
        return .accept
    }

    // MARK: Transfers of one block

    /// ERC-20 `Transfer` logs of `tokens` to `recipients` in one block, fetched pinned to its
    /// hash and checked against the block (rules 2 and 11): each log must carry the block's
    /// hash and number and a transaction of the block, and its address and topics must all be
    /// in the block's `logsBloom` (a bloom has no false negatives). An answer that fails is a
    /// false answer: it is refused, counted against that provider, and another is asked.
    ///
    /// When the bloom rules out every such transfer, one provider's (empty) answer is enough.
    /// Otherwise, with one provider, an empty answer is not believed (it fails after every
    /// round); with several, two providers are asked at once and their answers reconciled as
    /// in ``logs(from:to:filter:)``: nothing one provider alone reports counts, and a log
    /// one provider left out is not lost when another reports it and a receipt confirms it.
    public func transferLogs(in block: RPCBlock, tokens: [Address], to recipients: [Address]) async throws(RPCFailure) -> [RPCLog] {
        let bloom = try? LogsBloom(bytes: block.logsBloom)
        let mayHaveTransfers = tokens.contains { bloom?.mightContainTransfer(token: $0, to: recipients) ?? true }
        let call = RPCCall.logs(.transfers(.hash(block.hash), tokens: tokens, to: recipients))
        let transactions = Set(block.transactions)
        let belongs = { (_: Int, logs: [RPCLog]) -> Verdict in Self.blockVerdict(logs, block, transactions, bloom) }
        if !mayHaveTransfers || corroborators == 1 {
            let gathered = try await gather(
                call, count: 1, parse: RPCParse.logs,
                check: { index, logs -> Verdict in
                    let verdict = belongs(index, logs)
                    if case .falseAnswer = verdict { return verdict }
                    if logs.isEmpty && mayHaveTransfers { return .incomplete("no logs although the block's bloom may hold a transfer") }
                    return .accept
                })
            return gathered.answers[0].value.sorted { $0.logIndex < $1.logIndex }
        }
        let gathered = try await gather(call, count: 2, parse: RPCParse.logs, check: belongs)
        // Two providers that agree, or a proof against the header when they cannot (one of two
        // lies, or disputes cannot be settled): never one provider's word.
        guard gathered.answers.count >= 2 else {
            do throws(RPCFailure) {
                return try await provenTransferLogs(in: block, tokens: tokens, to: recipients)
            } catch {
                throw .allProvidersFailed(
                    gathered.failures + ["only one provider answered the logs of block \(block.number) and no proof held: \(error)"])
            }
        }
        do throws(RPCFailure) {
            return try await corroborate(gathered.answers, call: call.method).sorted { $0.logIndex < $1.logIndex }
        } catch {
            guard case .inconsistent = error else { throw error }
            return try await provenTransferLogs(in: block, tokens: tokens, to: recipients)
        }
    }

    static func blockVerdict(_ logs: [RPCLog], _ block: RPCBlock, _ transactions: Set<TxHash>, _ bloom: LogsBloom?) -> Verdict {
        for log in logs {
            let name = "log \(log.transactionHash)#\(log.logIndex)"
            if log.blockHash != block.hash || log.blockNumber != block.number || !transactions.contains(log.transactionHash) || log.removed
            {
                return .falseAnswer(.notInBlock, "\(name) does not belong to block \(block.number) \(block.hash)")
            }
            if let bloom, !bloom.mightContain(log.address.bytes) || !log.topics.allSatisfy({ bloom.mightContain($0.bytes) }) {
                return .falseAnswer(.notInBloom, "\(name) is not in the logsBloom of block \(block.number) \(block.hash)")
            }
        }
        return duplicateVerdict(logs)
    }

    // MARK: Corroboration

    /// Reconciles log sets from two or more providers (``LogCorroboration``): fetches the
    /// receipts that settle where they differ, marks the providers found lying or partial,
    /// and returns the logs that count. Fails as inconsistent when a log can be neither
    /// confirmed nor denied, or two versions of one log stand against each other.
    func corroborate(_ answers: [(provider: Int, value: [RPCLog])], call method: String) async throws(RPCFailure) -> [RPCLog] {
        var tally = LogCorroboration()
        for answer in answers { tally.add(logSet: answer.value, from: answer.provider) }
        while true {
            let answered = answers.map(\.provider)
            let others = candidates().filter { !answered.contains($0) }
            let requests = tally.nextRequests(available: answered.filter { members[$0].breaker.isHealthy } + others)
            if requests.isEmpty { break }
            let evidence = await withTaskGroup(of: (LogCorroboration.Request, [Evidence]).self) { group in
                for request in requests {
                    let blocks = tally.blockHashes(of: request.transaction)
                    let knowsBlocks = tally.logSets.contains(request.provider)
                    group.addTask { (request, await self.witness(request, blocks: blocks, knowsBlocks: knowsBlocks)) }
                }
                var all = [(LogCorroboration.Request, [Evidence])]()
                for await item in group { all.append(item) }
                return all.sorted { ($0.0.provider, $0.0.transaction.raw) < ($1.0.provider, $1.0.transaction.raw) }
            }
            for (request, items) in evidence {
                tally.noEvidence(request)
                for item in items {
                    switch item {
                    case .receipt(let receipt): tally.add(receipt: receipt, from: request.provider)
                    case .absent(let block): tally.add(absence: request.transaction, in: block, from: request.provider)
                    }
                }
            }
        }
        let outcome = tally.outcome()
        for (index, reason) in outcome.liars.sorted(by: { $0.key < $1.key }) { markFalseAnswer(index, .forged, reason) }
        for (index, reason) in outcome.partial.sorted(by: { $0.key < $1.key }) { markFalseAnswer(index, .partial, reason) }
        if !outcome.unresolved.isEmpty {
            throw .inconsistent("\(method): the providers' logs could not be reconciled: " + outcome.unresolved.joined(separator: "; "))
        }
        return outcome.logs
    }

    /// What a witness said about a transaction.
    enum Evidence: Sendable {
        case receipt(RPCReceipt)
        /// The transaction is not in this block, which the witness has (or answered logs for).
        case absent(BlockHash)
    }

    /// Asks `request.provider` for its receipt of `request.transaction`. When it has none,
    /// asks it for each block the transaction's logs name: a block it has, or one it answered
    /// logs for (`knowsBlocks`), that does not list the transaction denies those logs. A
    /// receipt that does not hold together (logs of another transaction or block) is a false
    /// answer and no evidence.
    func witness(_ request: LogCorroboration.Request, blocks: [BlockHash], knowsBlocks: Bool) async -> [Evidence] {
        let index = request.provider
        let transaction = request.transaction
        let receipt: RPCReceipt?
        switch await outcome(index, .receipt(transaction), parse: RPCParse.receipt) {
        case .failure: return []
        case .success(let value): receipt = value
        }
        if let receipt {
            let foreign = receipt.logs.first {
                $0.transactionHash != transaction || $0.blockHash != receipt.blockHash || $0.blockNumber != receipt.blockNumber
            }
            if receipt.transactionHash != transaction || foreign != nil {
                markFalseAnswer(index, .badReceipt, "its receipt for \(transaction) holds logs of another transaction or block")
                return []
            }
            return [.receipt(receipt)]
        }
        var evidence = [Evidence]()
        for hash in blocks {
            switch await outcome(index, .block(hash: hash), parse: RPCParse.block) {
            case .success(let block?) where block.hash == hash:
                if !block.transactions.contains(transaction) { evidence.append(.absent(hash)) }
            case .success(nil) where knowsBlocks:
                evidence.append(.absent(hash))
            default:
                break
            }
        }
        return evidence
    }
}
