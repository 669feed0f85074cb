import EthereumCore

/// Decides which logs count when several providers answered the same log query
/// (CHAIN-RULES rule 11: no single provider is the truth). It does no IO: the pool feeds it
/// the providers' log sets and the receipts it fetched, asks it which receipts to fetch next,
/// and finally what to believe.
///
/// A log is known by its position, (block hash, log index). It counts when two providers
/// vouch for the same log at its position, each through its log set or through its receipt
/// for the log's transaction. So the union of the log sets is taken (a partial set loses
/// nothing another provider reports) and every log in it must be corroborated:
///
/// - a log that one provider reports and another's receipt denies (the transaction has no
///   such log, or lies in another block) is dropped, and its reporter is a liar;
/// - a provider whose log set missed a log that counts sent a partial answer;
/// - a provider that contradicts itself (two logs at one position, or a receipt that denies
///   its own log) is a liar, and nothing it said counts;
/// - two versions of one position that no further provider settles, or a log nobody could
///   confirm or deny, leave the query unresolved: the caller fails and retries, never guesses.
///
/// Another kind of evidence fits the same tally: a log proven against its block header (the
/// receipts root recomputed from `eth_getBlockReceipts`, the header hashed to the block hash)
/// would vouch for it as an independent witness.
public struct LogCorroboration: Sendable {
    /// Where a log sits in the chain.
    public struct Position: Hashable, Sendable {
        public let blockHash: BlockHash
        public let logIndex: UInt64

        public init(_ log: RPCLog) {
            blockHash = log.blockHash
            logIndex = log.logIndex
        }
    }

    /// A receipt to fetch: `provider`'s word on `transaction`.
    public struct Request: Hashable, Sendable {
        public let transaction: TxHash
        public let provider: Int

        public init(transaction: TxHash, provider: Int) {
            self.transaction = transaction
            self.provider = provider
        }
    }

    /// Who says what about one position.
    struct Claims: Sendable {
        /// Each version of the log seen at this position, with the providers vouching for it.
        var vouchers: [RPCLog: Set<Int>] = [:]
        /// Versions that providers' receipts deny, with those providers.
        var deniers: [RPCLog: Set<Int>] = [:]
        /// Providers whose log set held some version of this position.
        var inLogSet: Set<Int> = []
        /// The order versions were first seen in, so that results do not depend on hashing.
        var order: [RPCLog] = []
    }

    var claims: [Position: Claims] = [:]
    /// Providers whose log sets are part of the tally.
    public private(set) var logSets: Set<Int> = []
    /// Providers that contradicted themselves, with what they said.
    public private(set) var contradicted: [Int: String] = [:]
    /// Receipts already asked for (whatever the answer), never asked twice.
    public private(set) var asked: Set<Request> = []

    public init() {}

    /// A provider's answer to the query, already checked against its block or range.
    public mutating func add(logSet logs: [RPCLog], from provider: Int) {
        logSets.insert(provider)
        for log in logs {
            let position = Position(log)
            claims[position, default: Claims()].inLogSet.insert(provider)
            vouch(provider, for: log, at: position)
        }
    }

    /// A provider's receipt for a transaction (checked to hold only logs of that transaction
    /// and block). For every position of that transaction it vouches for the receipt's log at
    /// that index, or denies the versions of that transaction there when the receipt has no
    /// log at that index or puts the transaction in another block.
    public mutating func add(receipt: RPCReceipt, from provider: Int) {
        asked.insert(Request(transaction: receipt.transactionHash, provider: provider))
        for position in positions(of: receipt.transactionHash) {
            if receipt.blockHash == position.blockHash, let log = receipt.logs.first(where: { $0.logIndex == position.logIndex }) {
                vouch(provider, for: log, at: position)
            } else {
                for version in versions(at: position) where version.transactionHash == receipt.transactionHash {
                    deny(provider, version, at: position)
                }
            }
        }
    }

    /// A provider's word that `transaction` is not in the block `blockHash`: it has no
    /// receipt for it, and that block (which it has, or whose range it answered) does not
    /// list it.
    public mutating func add(absence transaction: TxHash, in blockHash: BlockHash, from provider: Int) {
        asked.insert(Request(transaction: transaction, provider: provider))
        for position in positions(of: transaction) where position.blockHash == blockHash {
            for version in versions(at: position) where version.transactionHash == transaction {
                deny(provider, version, at: position)
            }
        }
    }

    /// Notes that a request was made and brought no evidence (an error, a null receipt for a
    /// block the provider does not have), so that it is not made again.
    public mutating func noEvidence(_ request: Request) {
        asked.insert(request)
    }

    /// The block hashes at which `transaction` has a reported log.
    public func blockHashes(of transaction: TxHash) -> [BlockHash] {
        var seen = Set<BlockHash>()
        return sortedPositions().filter { position in
            versions(at: position).contains { $0.transactionHash == transaction } && seen.insert(position.blockHash).inserted
        }.map(\.blockHash)
    }

    /// The receipts to fetch next: for each version of a position that no two providers agree
    /// on yet, the first provider of `available` (in order of preference) that does not vouch
    /// for it, has not contradicted itself and has not been asked about its transaction.
    /// Empty when nothing more can be learned from these providers.
    public func nextRequests(available: [Int]) -> [Request] {
        var requests = [Request]()
        var seen = Set<Request>()
        for position in sortedPositions() where settled(position) == nil {
            for version in versions(at: position) {
                let vouching = claims[position]?.vouchers[version] ?? []
                let witness = available.first { provider in
                    !vouching.contains(provider) && contradicted[provider] == nil
                        && !asked.contains(Request(transaction: version.transactionHash, provider: provider))
                }
                if let witness {
                    let request = Request(transaction: version.transactionHash, provider: witness)
                    if seen.insert(request).inserted { requests.append(request) }
                }
            }
        }
        return requests
    }

    /// What the tally decided.
    public struct Outcome: Sendable, Equatable {
        /// The logs that count, in chain order.
        public var logs: [RPCLog] = []
        /// Providers that sent something that is not so, with the first reason.
        public var liars: [Int: String] = [:]
        /// Providers whose log set missed a log that counts, with the first one missed.
        public var partial: [Int: String] = [:]
        /// Positions that could not be settled, described.
        public var unresolved: [String] = []
    }

    /// The decision, once ``nextRequests(available:)`` has nothing more to ask.
    public func outcome() -> Outcome {
        var outcome = Outcome()
        for (provider, reason) in contradicted.sorted(by: { $0.key < $1.key }) { outcome.liars[provider] = reason }
        for position in sortedPositions() {
            guard let claim = claims[position] else { continue }
            let name = "log #\(position.logIndex) of block \(position.blockHash)"
            let live = claim.order.filter { !(claim.vouchers[$0] ?? []).isEmpty }
            let winners = live.filter { (claim.vouchers[$0] ?? []).count >= 2 }
            if winners.count == 1, let winner = winners.first {
                outcome.logs.append(winner)
                for version in live where version != winner {
                    for provider in (claim.vouchers[version] ?? []).sorted() where outcome.liars[provider] == nil {
                        outcome.liars[provider] = "reported a \(name) that two other providers contradict"
                    }
                }
                for provider in (claim.deniers[winner] ?? []).sorted() where outcome.liars[provider] == nil {
                    outcome.liars[provider] = "denied the \(name) that two other providers vouch for"
                }
                for provider in logSets.subtracting(claim.inLogSet).sorted()
                where outcome.partial[provider] == nil && contradicted[provider] == nil {
                    outcome.partial[provider] = "its logs missed the \(name) (transaction \(winner.transactionHash))"
                }
            } else if winners.count > 1 {
                outcome.unresolved.append("\(name): providers vouch for \(winners.count) different logs")
            } else if live.count == 1, let only = live.first, let deniers = claim.deniers[only], !deniers.isEmpty {
                for provider in (claim.vouchers[only] ?? []).sorted() where outcome.liars[provider] == nil {
                    outcome.liars[provider] =
                        "reported a \(name) (transaction \(only.transactionHash)) that another provider's receipt denies"
                }
            } else if live.count > 1 {
                outcome.unresolved.append("\(name): providers disagree and no other provider settles it")
            } else if live.count == 1, let only = live.first {
                outcome.unresolved.append("\(name) (transaction \(only.transactionHash)): no second provider confirmed or denied it")
            }
        }
        // A provider named a liar needs no second, milder name.
        for provider in outcome.liars.keys { outcome.partial[provider] = nil }
        outcome.logs.sort { ($0.blockNumber, $0.logIndex) < ($1.blockNumber, $1.logIndex) }
        return outcome
    }

    // MARK: Tally

    /// The version two or more providers vouch for, when exactly one has.
    func settled(_ position: Position) -> RPCLog? {
        guard let claim = claims[position] else { return nil }
        let winners = claim.order.filter { (claim.vouchers[$0] ?? []).count >= 2 }
        return winners.count == 1 ? winners.first : nil
    }

    mutating func vouch(_ provider: Int, for log: RPCLog, at position: Position) {
        guard contradicted[provider] == nil else { return }
        let claim = claims[position] ?? Claims()
        if let other = claim.vouchers.first(where: { $0.key != log && $0.value.contains(provider) })?.key {
            return contradict(
                provider,
                "gave two different logs #\(position.logIndex) of block \(position.blockHash) "
                    + "(transactions \(other.transactionHash) and \(log.transactionHash))")
        }
        if claim.deniers[log]?.contains(provider) == true {
            return contradict(provider, "both denied and gave log #\(position.logIndex) of block \(position.blockHash)")
        }
        if claims[position]?.vouchers[log] == nil { claims[position, default: Claims()].order.append(log) }
        claims[position, default: Claims()].vouchers[log, default: []].insert(provider)
    }

    mutating func deny(_ provider: Int, _ log: RPCLog, at position: Position) {
        guard contradicted[provider] == nil else { return }
        if claims[position]?.vouchers[log]?.contains(provider) == true {
            return contradict(provider, "its receipt denies its own log #\(position.logIndex) of block \(position.blockHash)")
        }
        claims[position, default: Claims()].deniers[log, default: []].insert(provider)
    }

    /// A provider that contradicts itself is a liar: everything it said is struck out.
    mutating func contradict(_ provider: Int, _ reason: String) {
        contradicted[provider] = reason
        for position in claims.keys {
            for version in claims[position]?.vouchers.keys.map({ $0 }) ?? [] {
                claims[position]?.vouchers[version]?.remove(provider)
            }
            for version in claims[position]?.deniers.keys.map({ $0 }) ?? [] {
                claims[position]?.deniers[version]?.remove(provider)
            }
        }
    }

    func versions(at position: Position) -> [RPCLog] { claims[position]?.order ?? [] }

    func positions(of transaction: TxHash) -> [Position] {
        sortedPositions().filter { position in versions(at: position).contains { $0.transactionHash == transaction } }
    }

    /// Positions in chain order (block number, then log index), the block hash breaking ties.
    func sortedPositions() -> [Position] {
        claims.keys.sorted { a, b in
            let numberA = claims[a]?.order.first?.blockNumber ?? 0
            let numberB = claims[b]?.order.first?.blockNumber ?? 0
            return (numberA, a.logIndex, a.blockHash.raw) < (numberB, b.logIndex, b.blockHash.raw)
        }
    }
}
