import ChainRPC
import EthereumCore
import Foundation
import GatewayDomain
import GatewayServer
import HTTPTypes
import TestSupport

/// Refunds on the checkout fixture: a funded devnet hot wallet, a completed session, and the
/// refund sender driven one pass at a time.
extension CheckoutFixture {
    /// A fixture whose devnet refunds are signed by a fresh hot wallet, funded (unless
    /// `funded` is false) with 1 ETH and 1,000 USDC and USDT from devchain account 3.
    static func withHotWallet(
        confirmations: Int = 2, refunds: RefundConfiguration = RefundConfiguration(), chainArguments: [String] = [],
        funded: Bool = true
    ) async throws -> (CheckoutFixture, PrivateKey) {
        let key = PrivateKey.random()
        let fixture = try await CheckoutFixture(
            confirmations: confirmations, hotWallet: key, refunds: refunds, chainArguments: chainArguments)
        if funded { try await fixture.fund(key.address) }
        return (fixture, key)
    }

    var sender: RefundSender { app.senders[0] }

    /// Sends 1 ETH and 1,000 of each token to `address` from devchain account 3.
    func fund(_ address: Address, native: UInt256 = UInt256(1_000_000_000_000_000_000), tokens: UInt256 = 1_000_000_000) async throws {
        try await sendNative(to: address, amount: native, from: 3)
        if !tokens.isZero {
            try await chain.transfer(token: chain.usdc, from: 3, to: address, amount: tokens)
            try await chain.transfer(token: chain.usdt, from: 3, to: address, amount: tokens)
        }
    }

    func sendNative(to address: Address, amount: UInt256, from account: Int) async throws {
        let sender = chain.keys[account]
        let nonce = try await chain.client().request(.transactionCount(sender.address, .pending), parse: RPCParse.uint64)
        let tx = Transaction(
            type: .dynamicFee, chainId: chain.chainId, nonce: nonce, maxPriorityFeePerGas: 1, maxFeePerGas: 10_000_000_000,
            gasLimit: 21_000, to: address, value: amount)
        try await chain.send(tx.signed(with: sender).raw)
    }

    /// A session of `amount` USDC, paid in full (plus `extra` base units) from account 1 and
    /// completed.
    func completedSession(_ amount: String = "12.50", extra: UInt256 = .zero) async throws -> JSONObject {
        let created = try await createSession(#"{"amount":"\#(amount)","currency":"USDC"}"#)
        try await pay(created.options[0], amount: created.amountDue + extra)
        try await sync()
        try await advance(confirmations)
        let session = try await session(created.id)
        guard session.string("status") == "completed" else { throw FixtureError("session is \(session.string("status") ?? "?")") }
        return session
    }

    func createRefund(_ body: String, key: String? = nil, headers: HTTPFields = [:]) async throws -> Reply {
        try await call(.post, "/v1/refunds", body: body, key: key.map { .some($0) } ?? .none, headers: headers)
    }

    func refund(_ id: String) async throws -> JSONObject {
        try await call(.get, "/v1/refunds/\(id)").json
    }

    /// Runs sender passes, mining a block and syncing between them, until the refund has
    /// `status` (and `reason`, when given), for at most `passes` passes.
    @discardableResult
    func drive(_ refundId: String, to status: String, reason: String? = nil, passes: Int = 20) async throws -> JSONObject {
        var last = JSONObject()
        for _ in 0..<passes {
            try await sender.pass()
            last = try await refund(refundId)
            if last.string("status") == status, reason == nil || last.string("status_reason") == reason { return last }
            try await chain.mine(1)
            try await sync()
        }
        throw FixtureError(
            "refund \(refundId) is \(last.string("status") ?? "?")/\(last.string("status_reason") ?? "?"), not \(status)/\(reason ?? "*")")
    }

    /// The raw attempts stored for a refund, oldest first.
    func attempts(of refundId: String) async throws -> [(hash: String, raw: [UInt8], nonce: Int64)] {
        let rows = try await client.query(
            """
            SELECT a.tx_hash, a.raw, a.nonce FROM refund_attempts a JOIN hot_wallet_nonces n
              ON n.network = a.network AND n.address = a.address AND n.nonce = a.nonce
            WHERE n.refund_id = \(refundId) ORDER BY a.attempt
            """, logger: Self.logger)
        var out: [(hash: String, raw: [UInt8], nonce: Int64)] = []
        for try await (hash, raw, nonce) in rows.decode((String, Data, Int64).self) {
            out.append((hash: hash, raw: Array(raw), nonce: nonce))
        }
        return out
    }

    /// The token Transfer logs of a mined transaction.
    func transfers(in txHash: String) async throws -> [TransferEvent] {
        let hash = try TxHash(hex: txHash)
        guard let receipt = try await chain.client().request(.receipt(hash), parse: RPCParse.receipt) else { return [] }
        return receipt.logs.compactMap(\.transfer)
    }
}
