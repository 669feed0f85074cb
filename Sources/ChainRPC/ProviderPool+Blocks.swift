import EthereumCore

extension ProviderPool {
    /// The most `eth_getBlockByNumber` calls sent in one JSON-RPC batch.
    public static let blocksPerBatch = 100

    /// The blocks at `numbers` (nil where a provider has none), each believed on the agreement
    /// ``quorumRead(_:quorum:parse:)`` asks for: the pool's quorum of providers returned the
    /// same block, at the height asked. They are asked in JSON-RPC batches of
    /// ``blocksPerBatch``, from the healthiest providers at once, up to ``batchesInFlight``
    /// batches at a time. A block on which those did not
    /// agree (a provider failed, left it out, answered another height or another block) is read
    /// again on its own with ``quorumRead(_:quorum:parse:)``: a batch never lowers the bar, and
    /// a spoiled batch costs only the reads it spoiled.
    public func quorumBlocks(_ numbers: [UInt64]) async throws(RPCFailure) -> [UInt64: RPCBlock?] {
        let needed = max(1, min(configuration.quorum, providerCount))
        let heights = Array(Set(numbers)).sorted()
        let chunks = stride(from: 0, to: heights.count, by: Self.blocksPerBatch).map {
            Array(heights[$0..<min($0 + Self.blocksPerBatch, heights.count)])
        }
        var blocks: [UInt64: RPCBlock?] = [:]
        var alone: [UInt64] = []
        // Up to ``batchesInFlight`` batches are out at once; each is tallied as it comes back.
        let tallies = await withTaskGroup(of: (chunk: [UInt64], votes: [[RPCBlock??]]?).self) { group in
            var next = 0
            func send() {
                let chunk = chunks[next]
                next += 1
                group.addTask { (chunk, await self.votes(on: chunk, needed: needed)) }
            }
            while next < min(Self.batchesInFlight, chunks.count) { send() }
            var out: [(chunk: [UInt64], votes: [[RPCBlock??]]?)] = []
            for await tally in group {
                out.append(tally)
                if next < chunks.count { send() }
            }
            return out
        }
        for (chunk, votes) in tallies {
            // Too few providers to ask: read alone.
            guard let votes else {
                alone += chunk
                continue
            }
            for (position, number) in chunk.enumerated() {
                let ballots = votes.map { $0[position] }
                if let first = ballots.first, let agreed = first, ballots.allSatisfy({ $0 == first }) {
                    blocks[number] = agreed
                } else {
                    alone.append(number)
                }
            }
        }
        for number in alone.sorted() {
            blocks[number] = try await quorumRead(.block(.number(number)), parse: RPCParse.block)
        }
        return blocks
    }

    /// The most batches of one ``quorumBlocks(_:)`` out at once.
    public static let batchesInFlight = 4

    /// One batch of `chunk` to each of the `needed` healthiest providers: per provider, per
    /// height, the block it gave (`.some(nil)`: it has none), or nil where it failed, left the
    /// height out or answered another height. Nil when fewer than `needed` can be asked.
    func votes(on chunk: [UInt64], needed: Int) async -> [[RPCBlock??]]? {
        let providers = Array(candidates().prefix(needed))
        guard providers.count == needed else { return nil }
        let calls = chunk.map { RPCCall.block(.number($0)) }
        let answers = await withTaskGroup(of: (Int, [Result<RPCBlock?, RPCFailure>]?).self) { group in
            for index in providers { group.addTask { (index, await self.batchAttempt(index, calls)) } }
            var out: [Int: [Result<RPCBlock?, RPCFailure>]] = [:]
            for await (index, results) in group { out[index] = results }
            return out
        }
        return providers.map { index in
            chunk.enumerated().map { position, number -> RPCBlock?? in
                guard let results = answers[index], position < results.count, case .success(let block) = results[position],
                    block == nil || block?.number == number
                else { return nil }
                return .some(block)
            }
        }
    }

    /// One batch to one provider, with its outcome recorded for health and metrics like a
    /// single call's; nil when the batch as a whole failed.
    func batchAttempt(_ index: Int, _ calls: [RPCCall]) async -> [Result<RPCBlock?, RPCFailure>]? {
        try? await recorded(index, updatesLatency: false) { client async throws(RPCFailure) in
            try await client.batch(calls, parse: RPCParse.block)
        }
    }
}
