import EthereumCore

extension ProviderPool {
    /// The most `eth_getBlockByNumber` calls sent in one JSON-RPC batch.
    public static let blocksPerBatch = 100

    /// The blocks at `numbers` (nil where a provider has none), each believed on the agreement
    /// ``quorumRead(_:quorum:parse:)`` asks for: the pool's quorum of providers returned the
    /// same block, at the height asked. They are asked in JSON-RPC batches of
    /// ``blocksPerBatch``, from the healthiest providers at once. A block on which those did not
    /// agree (a provider failed, left it out, answered another height or another block) is read
    /// again on its own with ``quorumRead(_:quorum:parse:)``: a batch never lowers the bar, and
    /// a spoiled batch costs only the reads it spoiled.
    public func quorumBlocks(_ numbers: [UInt64]) async throws(RPCFailure) -> [UInt64: RPCBlock?] {
        let needed = max(1, min(configuration.quorum, providerCount))
        let heights = Array(Set(numbers)).sorted()
        var blocks: [UInt64: RPCBlock?] = [:]
        var alone: [UInt64] = []
        var start = 0
        while start < heights.count {
            let chunk = Array(heights[start..<min(start + Self.blocksPerBatch, heights.count)])
            start += chunk.count
            let providers = Array(candidates().prefix(needed))
            guard providers.count == needed else {
                alone += chunk
                continue
            }
            let calls = chunk.map { RPCCall.block(.number($0)) }
            let answers = await withTaskGroup(of: (Int, [Result<RPCBlock?, RPCFailure>]?).self) { group in
                for index in providers { group.addTask { (index, await self.batchAttempt(index, calls)) } }
                var out: [Int: [Result<RPCBlock?, RPCFailure>]] = [:]
                for await (index, results) in group { out[index] = results }
                return out
            }
            for (position, number) in chunk.enumerated() {
                let votes = providers.map { index -> RPCBlock?? in
                    guard let results = answers[index], position < results.count, case .success(let block) = results[position],
                        block == nil || block?.number == number
                    else { return nil }
                    return .some(block)
                }
                if let first = votes.first, let agreed = first, votes.allSatisfy({ $0 == first }) {
                    blocks[number] = agreed
                } else {
                    alone.append(number)
                }
            }
        }
        for number in alone {
            blocks[number] = try await quorumRead(.block(.number(number)), parse: RPCParse.block)
        }
        return blocks
    }

    /// One batch to one provider, with its outcome recorded for health and metrics like a
    /// single call's; nil when the batch as a whole failed.
    func batchAttempt(_ index: Int, _ calls: [RPCCall]) async -> [Result<RPCBlock?, RPCFailure>]? {
        try? await recorded(index, updatesLatency: false) { client async throws(RPCFailure) in
            try await client.batch(calls, parse: RPCParse.block)
        }
    }
}
