import ChainRPC
import EthereumCore
import Foundation
import TestSupport
import Testing

/// Each fault a hosted provider shows, injected by the proxy in front of a real devchain:
/// the pool still returns the right answer through another provider, or a clear error when
/// no provider can give it; stale or fabricated data is not accepted.
@Suite(.serialized) struct FaultTests {
    @Test func refusedConnections() async throws {
        let chain = try await Devchain()
        let proxy = try await FaultProxy(upstream: chain.url)
        try await proxy.fault("refuse")
        let head = try await testPool([proxy.client(), chain.client()]).read(.blockNumber, parse: RPCParse.uint64)
        #expect(head == 2)
        await #expect(throws: RPCFailure.self) {
            try await testPool([proxy.client()], rounds: 2).read(.blockNumber, parse: RPCParse.uint64)
        }
        do {
            _ = try await testPool([proxy.client()], rounds: 1).read(.blockNumber, parse: RPCParse.uint64)
        } catch {
            guard case .allProvidersFailed(let reasons) = error else { throw error }
            #expect(reasons.count == 1)
            #expect(reasons[0].contains("transport error"))
        }
    }

    @Test func delayBeyondTheTimeout() async throws {
        let chain = try await Devchain()
        let proxy = try await FaultProxy(upstream: chain.url)
        // Far longer than the timeout, so that a loaded machine cannot let the answer arrive
        // before the timer fires; nothing waits for the sleeping proxy.
        try await proxy.fault("delay", ["seconds": 20])
        let pool = testPool([proxy.client(timeout: .milliseconds(500)), chain.client()])
        #expect(try await pool.read(.chainId, parse: RPCParse.uint64) == 1337)
        do {
            _ = try await testPool([proxy.client(timeout: .milliseconds(500))], rounds: 1).read(.chainId, parse: RPCParse.uint64)
            Issue.record("a provider slower than the timeout must not answer")
        } catch {
            #expect("\(error)".contains("timed out"))
        }
    }

    @Test func rateLimitedWithRetryAfter() async throws {
        let chain = try await Devchain()
        let proxy = try await FaultProxy(upstream: chain.url)
        try await proxy.fault("http429", ["retryAfter": 1, "count": 1])
        let pool = testPool([proxy.client()])
        let started = ContinuousClock.now
        #expect(try await pool.read(.blockNumber, parse: RPCParse.uint64) == 2)
        #expect(ContinuousClock.now - started >= .milliseconds(900), "the pool waited as Retry-After asked")
        #expect(try await proxy.calls()["eth_blockNumber"] == 2)
    }

    @Test func serverErrorsAreRetried() async throws {
        let chain = try await Devchain()
        let proxy = try await FaultProxy(upstream: chain.url)
        try await proxy.fault("http500", ["count": 2])
        #expect(try await testPool([proxy.client()]).read(.blockNumber, parse: RPCParse.uint64) == 2)
        #expect(try await proxy.calls()["eth_blockNumber"] == 3)
    }

    @Test func jsonRPCErrorsFailOver() async throws {
        let chain = try await Devchain()
        let proxy = try await FaultProxy(upstream: chain.url)
        try await proxy.fault("rpc_error", ["code": -32000, "message": "internal node trouble"])
        #expect(try await testPool([proxy.client(), chain.client()]).read(.blockNumber, parse: RPCParse.uint64) == 2)
        do {
            _ = try await testPool([proxy.client()], rounds: 1).read(.blockNumber, parse: RPCParse.uint64)
            Issue.record("an error object is never a success")
        } catch {
            #expect("\(error)".contains("JSON-RPC error -32000: internal node trouble"))
        }
    }

    @Test func truncatedJSON() async throws {
        let chain = try await Devchain()
        let proxy = try await FaultProxy(upstream: chain.url)
        try await proxy.fault("truncated")
        let block = try await testPool([proxy.client(), chain.client()]).read(.block(.latest), parse: RPCParse.block)
        #expect(block?.number == 2)
        await #expect(throws: RPCFailure.self) {
            try await testPool([proxy.client()], rounds: 1).read(.block(.latest), parse: RPCParse.block)
        }
    }

    /// A provider 5 blocks behind: the pool's safe head is what two providers agree on and
    /// never goes backwards, and it never goes above what the providers serve.
    @Test func staleHead() async throws {
        let chain = try await Devchain()
        try await chain.control("devchain_mine", [.int(20)])
        let proxy = try await FaultProxy(upstream: chain.url)
        try await proxy.fault("stale_head", ["behind": 5])
        let pool = testPool([proxy.client(), chain.client()])
        #expect(await pool.refreshHeads() == 17)
        try await proxy.reset()
        #expect(await pool.refreshHeads() == 22)
        try await proxy.fault("stale_head", ["behind": 5])
        #expect(await pool.refreshHeads() == 22, "the safe head never goes backwards")
        let alone = testPool([proxy.client()])
        #expect(await alone.refreshHeads() == 17)
    }

    /// The newest block's logs come back empty from one provider although the block's
    /// bloom holds our transfer: the pool asks the other provider and finds the payment;
    /// with only the lying provider it fails rather than record "no payment".
    @Test func emptyLogsForTheNewestBlock() async throws {
        let chain = try await Devchain()
        let merchant = try Address("0x00000000000000000000000000000000000beef1")
        let hash = try await chain.transfer(token: chain.usdc, from: 1, to: merchant, amount: 1_234_567)
        let proxy = try await FaultProxy(upstream: chain.url)
        try await proxy.fault("empty_logs_newest")
        let block = try #require(try await chain.client().request(.block(.latest), parse: RPCParse.block))
        let logs = try await testPool([proxy.client(), chain.client()]).transferLogs(
            in: block, tokens: [chain.usdc, chain.usdt], to: [merchant])
        #expect(logs.map(\.transactionHash) == [hash])
        #expect(logs.first?.transfer?.amount == 1_234_567)
        await #expect(throws: RPCFailure.self) {
            try await testPool([proxy.client()], rounds: 2).transferLogs(in: block, tokens: [chain.usdc, chain.usdt], to: [merchant])
        }
    }

    /// A provider invents a transfer to the merchant. Where a quorum is asked, the invented
    /// log set is not accepted; pinned to the block, the invented log is rejected because its
    /// transaction is not in the block.
    @Test func fabricatedTransfer() async throws {
        let chain = try await Devchain()
        let merchant = try Address("0x00000000000000000000000000000000000beef2")
        _ = try await chain.transfer(token: chain.usdc, from: 1, to: try Address("0x00000000000000000000000000000000000beef3"), amount: 5)
        let proxy = try await FaultProxy(upstream: chain.url)
        try await proxy.fault("fabricate_transfer", ["token": chain.usdc.lowercased, "to": merchant.lowercased, "amount": "1000000000"])
        let filter = LogFilter.transfers(.range(from: .number(0), to: .latest), tokens: [chain.usdc], to: [merchant])
        let lying = try await proxy.client().request(.logs(filter), parse: RPCParse.logs)
        #expect(lying.count == 1, "the proxy does fabricate")
        do {
            _ = try await testPool([proxy.client(), chain.client()], quorum: 2).quorumRead(.logs(filter), parse: RPCParse.logs)
            Issue.record("a fabricated log set must not reach a quorum")
        } catch {
            #expect("\(error)".contains("fewer than 2 providers agreed"))
        }
        let second = try await FaultProxy(upstream: chain.url)
        let agreed = try await testPool([proxy.client(), chain.client(), second.client()], quorum: 2).quorumRead(
            .logs(filter), parse: RPCParse.logs)
        #expect(agreed.isEmpty, "two honest providers outvote the liar")
        let block = try #require(try await chain.client().request(.block(.latest), parse: RPCParse.block))
        await #expect(throws: RPCFailure.self) {
            try await testPool([proxy.client()], rounds: 1).transferLogs(in: block, tokens: [chain.usdc], to: [merchant])
        }
        let fakeHash = try #require(lying.first?.transactionHash)
        await #expect(throws: RPCFailure.self) {
            try await testPool([proxy.client(), chain.client()], quorum: 2).quorumRead(.receipt(fakeHash), parse: RPCParse.receipt)
        }
    }

    /// The same raw transaction to every provider: the second copy is "already known" and
    /// still counts as accepted.
    @Test func broadcastToEveryProvider() async throws {
        let chain = try await Devchain()
        let proxy = try await FaultProxy(upstream: chain.url)
        try await chain.control("evm_setAutomine", [.bool(false)])
        let key = chain.keys[2]
        let tx = Transaction(
            type: .dynamicFee, chainId: chain.chainId, nonce: 0, maxPriorityFeePerGas: 1, maxFeePerGas: 10_000_000_000, gasLimit: 100_000,
            to: chain.usdt, data: ERC20.transferCallData(to: try Address("0x00000000000000000000000000000000000beef4"), amount: 7))
        let signed = tx.signed(with: key)
        let result = await testPool([chain.client(), proxy.client()]).broadcast(signed.raw)
        #expect(result.hash == signed.hash)
        #expect(result.accepted.count == 2, "\(result.rejected)")
        try await chain.control("evm_mine")
        let receipt = try await chain.client().request(.receipt(signed.hash), parse: RPCParse.receipt)
        #expect(receipt?.status == 1)
        #expect(receipt?.logs.first?.transfer?.amount == 7)
    }
}
