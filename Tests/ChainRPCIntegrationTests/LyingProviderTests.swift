import ChainRPC
import EthereumCore
import Foundation
import TestSupport
import Testing

/// Providers that lie, in front of a real devchain, beside honest ones (CHAIN-RULES rules
/// 11 and 13): absurd numbers are refused without a trap and fail over, and nothing a single
/// provider says makes the pool believe a transfer or a finalized block.
@Suite(.serialized) struct LyingProviderTests {
    static let merchant = try! Address("0x00000000000000000000000000000000000beef7")

    /// The pool, with the liar first or second beside one or two honest clients.
    static func pair(_ liar: JSONRPCClient, _ honest: [JSONRPCClient], liarFirst: Bool) -> ProviderPool {
        testPool(liarFirst ? [liar] + honest : honest + [liar])
    }

    // MARK: Absurd numbers

    @Test func headNearTwoToTheSixtyFour() async throws {
        let chain = try await Devchain()
        let liar = try await LyingProxy(upstream: chain.url, lie: ["head": "0xffffffffffffffff"])
        let alone = testPool([liar.client()])
        #expect(await alone.refreshHeads() == nil)
        #expect(await alone.status().first?.lastFailure == "malformed response: block number 18446744073709551615 is above 281474976710656")
        #expect(try await testPool([liar.client(), chain.client()]).read(.blockNumber, parse: RPCParse.blockNumber) == 2)
        let second = try await FaultProxy(upstream: chain.url)
        #expect(await testPool([liar.client(), chain.client(), second.client()]).refreshHeads() == 2)
    }

    @Test(arguments: ["inf", "-inf", "nan", "-1", "1e999", "86401"])
    func retryAfterThatCannotBeHonoured(_ value: String) async throws {
        let chain = try await Devchain()
        let proxy = try await FaultProxy(upstream: chain.url)
        try await proxy.fault("http429", ["retryAfter": value])
        #expect(try await testPool([proxy.client(), chain.client()]).read(.blockNumber, parse: RPCParse.blockNumber) == 2)
        do {
            _ = try await testPool([proxy.client()], rounds: 2).read(.blockNumber, parse: RPCParse.blockNumber)
            Issue.record("a provider that only answers 429 has no block number to give")
        } catch {
            guard case .allProvidersFailed(let reasons) = error else { throw error }
            #expect(reasons.count == 2)
            #expect(reasons.allSatisfy { $0.contains("malformed response: HTTP 429 with an unusable Retry-After") }, "\(reasons)")
        }
    }

    // MARK: Forged transfers

    /// A real transfer to the merchant in a block of its own.
    static func payment(_ chain: Devchain, amount: UInt256 = 5) async throws -> (RPCBlock, TxHash) {
        let hash = try await chain.transfer(token: chain.usdc, from: 1, to: merchant, amount: amount)
        let block = try #require(try await chain.client().request(.block(.latest), parse: RPCParse.block))
        #expect(block.transactions == [hash])
        return (block, hash)
    }

    @Test(arguments: [true, false])
    func forgedTransferInARealTransaction(liarFirst: Bool) async throws {
        let chain = try await Devchain()
        let (block, hash) = try await Self.payment(chain)
        let liar = try await LyingProxy(upstream: chain.url, lie: ["forge": ["to": Self.merchant.lowercased, "amount": "5000000000"]])
        let lying = try await liar.client().request(.logs(.transfers(.hash(block.hash), tokens: [chain.usdc])), parse: RPCParse.logs)
        #expect(lying.map(\.logIndex) == [0, 1000], "the liar does forge, inside the real transaction")
        #expect(lying.last?.transactionHash == hash)

        let pool = Self.pair(liar.client(), [chain.client()], liarFirst: liarFirst)
        let logs = try await pool.transferLogs(in: block, tokens: [chain.usdc, chain.usdt], to: [])
        #expect(logs.map(\.transactionHash) == [hash])
        #expect(logs.map(\.transfer?.amount) == [5])
        let status = await pool.status()
        #expect(status.map(\.falseAnswers) == (liarFirst ? [1, 0] : [0, 1]))

        // Ranged, for catching up: the same forgery in every block is dropped.
        let honest = try await testPool([chain.client()]).logs(from: 0, to: block.number) { from, to in
            .transfers(.range(from: .number(from), to: .number(to)), tokens: [chain.usdc])
        }
        let ranged = try await Self.pair(liar.client(), [chain.client()], liarFirst: liarFirst).logs(from: 0, to: block.number) {
            from, to in
            .transfers(.range(from: .number(from), to: .number(to)), tokens: [chain.usdc])
        }
        #expect(ranged == honest)
        #expect(ranged.contains { $0.transactionHash == hash })
    }

    /// The fault proxy's made-up transaction is not in the block: refused as a false answer
    /// pinned to the block, and denied by the honest provider over a range.
    @Test(arguments: [true, false])
    func fabricatedTransferInAMadeUpTransaction(liarFirst: Bool) async throws {
        let chain = try await Devchain()
        let (block, hash) = try await Self.payment(chain)
        let proxy = try await FaultProxy(upstream: chain.url)
        try await proxy.fault(
            "fabricate_transfer", ["token": chain.usdc.lowercased, "to": Self.merchant.lowercased, "amount": "1000000000"])
        // One honest answer is not two, but the honest provider's receipts prove the block's logs
        // against its header: exactly the real ones.
        let proven = try await Self.pair(proxy.client(), [chain.client()], liarFirst: liarFirst).transferLogs(
            in: block, tokens: [chain.usdc], to: [])
        #expect(proven.map(\.transactionHash) == [hash])
        let second = try await FaultProxy(upstream: chain.url)
        let logs = try await Self.pair(proxy.client(), [chain.client(), second.client()], liarFirst: liarFirst)
            .transferLogs(in: block, tokens: [chain.usdc], to: [])
        #expect(logs.map(\.transactionHash) == [hash])

        let ranged = try await Self.pair(proxy.client(), [chain.client()], liarFirst: liarFirst).logs(from: block.number, to: block.number)
        { from, to in
            .transfers(.range(from: .number(from), to: .number(to)), tokens: [chain.usdc], to: [Self.merchant])
        }
        #expect(ranged.map(\.transactionHash) == [hash])
        #expect(ranged.map(\.transfer?.amount) == [5])
    }

    @Test(arguments: [true, false])
    func changedAmount(liarFirst: Bool) async throws {
        let chain = try await Devchain()
        let (block, hash) = try await Self.payment(chain)
        let liar = try await LyingProxy(upstream: chain.url, lie: ["inflate": "5000000000"])
        // Two providers that disagree on an amount settle nothing by themselves; the proof against
        // the header settles it, with the real amount.
        let settled = try await Self.pair(liar.client(), [chain.client()], liarFirst: liarFirst).transferLogs(
            in: block, tokens: [chain.usdc], to: [])
        #expect(settled.map(\.transfer?.amount) == [5])
        let second = try await FaultProxy(upstream: chain.url)
        let pool = Self.pair(liar.client(), [chain.client(), second.client()], liarFirst: liarFirst)
        let logs = try await pool.transferLogs(in: block, tokens: [chain.usdc], to: [])
        #expect(logs.map(\.transactionHash) == [hash])
        #expect(logs.map(\.transfer?.amount) == [5])
    }

    @Test(arguments: [true, false])
    func partialLogsLoseNoPayment(liarFirst: Bool) async throws {
        let chain = try await Devchain()
        let (block, hash) = try await Self.payment(chain)
        let liar = try await LyingProxy(upstream: chain.url, lie: ["drop": true])
        let pool = Self.pair(liar.client(), [chain.client()], liarFirst: liarFirst)
        let logs = try await pool.transferLogs(in: block, tokens: [chain.usdc, chain.usdt], to: [Self.merchant])
        #expect(logs.map(\.transactionHash) == [hash])
        let status = await pool.status()
        #expect(status.map(\.falseAnswers) == (liarFirst ? [1, 0] : [0, 1]))
        #expect(status.allSatisfy { !$0.breaker.isOpen }, "a partial answer is a failure, not a proven lie")
    }

    // MARK: Finality

    @Test(arguments: [true, false])
    func inflatedFinalized(liarFirst: Bool) async throws {
        let chain = try await Devchain(arguments: ["--finality-depth", "2"])
        try await chain.mine(10)
        let liar = try await LyingProxy(upstream: chain.url, lie: ["finalized": 10_000_000])
        let second = try await FaultProxy(upstream: chain.url)
        for honest in [[chain.client()], [chain.client(), second.client()]] {
            let pool = Self.pair(liar.client(), honest, liarFirst: liarFirst)
            #expect(try await pool.finalizedBlock()?.number == 10)
            #expect(try await pool.finalizedBlock()?.number == 10, "and again: honest providers stay in sync")
            let outOfSync = await pool.status().map(\.outOfSync)
            #expect(outOfSync == (liarFirst ? [true] + honest.map { _ in false } : honest.map { _ in false } + [true]))
        }
        #expect(try await testPool([liar.client()]).finalizedBlock()?.number == 10_000_000, "one provider is all a pool of one has")
    }
}

extension CircuitBreaker.State {
    var isOpen: Bool {
        if case .open = self { return true }
        return false
    }
}
