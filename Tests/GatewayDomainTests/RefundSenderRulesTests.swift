import EthereumCore
import GatewayDomain
import Testing

/// The refund sender's decisions, as tables: nonces, fees and bumps, replacement timing, what
/// providers' answers mean, what a receipt means, finality, and the wallet's funds.
@Suite struct RefundSenderRulesTests {
    static let gwei = RefundFeePolicy.gwei

    // MARK: Nonces

    @Test(
        arguments: [
            // (largest stored, pending count from the providers, next)
            (nil, 0, 0),
            (nil, 7, 7),  // a wallet used before the gateway knew it
            (4, 3, 5),  // the providers lag behind what we wrote: never lower than ours
            (4, 5, 5),
            (4, 9, 9),  // someone else used the wallet: never reuse a nonce the chain counts
            (UInt64(Int64.max) - 2, 0, UInt64(Int64.max) - 1),
        ] as [(UInt64?, UInt64, UInt64)])
    func nextNonce(largest: UInt64?, pending: UInt64, next: UInt64) {
        #expect(NonceRule.next(largestStored: largest, pendingCount: pending) == next)
    }

    @Test(
        arguments: [
            (nil, UInt64.max),
            (UInt64(Int64.max) - 1, 0),
            (nil, UInt64(Int64.max)),
        ] as [(UInt64?, UInt64)])
    func absurdNoncesAreRefused(largest: UInt64?, pending: UInt64) {
        #expect(NonceRule.next(largestStored: largest, pendingCount: pending) == nil)
    }

    // MARK: Fees

    static var polygon: RefundFeePolicy { RefundFeePolicy.defaults(network: "polygon") }

    @Test(
        arguments: [
            // (base fee, rewards, expected tip, expected max fee) on Polygon: floor 30 gwei, cap 1,000 gwei
            (100 * gwei, [], 30 * gwei, 230 * gwei),
            (100 * gwei, [1 * gwei, 2 * gwei, 3 * gwei], 30 * gwei, 230 * gwei),  // below the floor: the floor
            (100 * gwei, [40 * gwei, 50 * gwei, 900 * gwei], 50 * gwei, 250 * gwei),  // the median, not the outlier
            (100 * gwei, [40 * gwei, 60 * gwei, 50 * gwei, 45 * gwei], 45 * gwei, 245 * gwei),  // lower median of an even count
            (.zero, [], 30 * gwei, 30 * gwei),
        ] as [(UInt256, [UInt256], UInt256, UInt256)])
    func quote(baseFee: UInt256, rewards: [UInt256], tip: UInt256, maxFee: UInt256) {
        #expect(Self.polygon.quote(baseFee: baseFee, rewards: rewards) == .sign(Fees(tip: tip, maxFee: maxFee)))
    }

    @Test func feesAboveTheCapWait() {
        // 2 × 490 + 30 = 1,010 gwei > 1,000.
        #expect(
            Self.polygon.quote(baseFee: 490 * Self.gwei, rewards: []) == .aboveCap(Fees(tip: 30 * Self.gwei, maxFee: 1_010 * Self.gwei)))
        // A provider's absurd reward cannot make the gateway overpay.
        #expect(Self.polygon.quote(baseFee: .zero, rewards: [.max]) == .aboveCap(Fees(tip: .max, maxFee: .max)))
        #expect(Self.polygon.quote(baseFee: .max, rewards: []) == .aboveCap(Fees(tip: 30 * Self.gwei, maxFee: .max)))
    }

    @Test(
        arguments: [
            // (old tip, old max fee, base fee, required tip, expected tip, expected max fee); Polygon, +25%
            (30 * gwei, 230 * gwei, 100 * gwei, nil, 38 * gwei - gwei / 2, 2875 * gwei / 10),
            // The market moved above the bump: the market wins.
            (30 * gwei, 230 * gwei, 300 * gwei, nil, 3 * gwei * 125 / 10, 6375 * gwei / 10),
            // A pool named its floor: at least that.
            (30 * gwei, 230 * gwei, 100 * gwei, 60 * gwei, 60 * gwei, 2875 * gwei / 10),
        ] as [(UInt256, UInt256, UInt256, UInt256?, UInt256, UInt256)])
    func bump(oldTip: UInt256, oldMax: UInt256, baseFee: UInt256, required: UInt256?, tip: UInt256, maxFee: UInt256) {
        let bump = Self.polygon.bump(Fees(tip: oldTip, maxFee: oldMax), baseFee: baseFee, rewards: [], requiredTip: required)
        #expect(bump == .replace(Fees(tip: tip, maxFee: maxFee)))
        if case .replace(let fees) = bump {
            // geth's and bor's txpool: both strictly above the old ones and at least +10%.
            #expect(fees.tip > oldTip && fees.tip * 100 >= oldTip * 110)
            #expect(fees.maxFee > oldMax && fees.maxFee * 100 >= oldMax * 110)
        }
    }

    @Test func bumpNearTheCapTakesTheSmallestValidRaiseThenStops() {
        let policy = Self.polygon
        // +25% would be 1,125 gwei; the smallest valid raise (+10% and 1 wei) still fits: max fee at the cap.
        #expect(
            policy.bump(Fees(tip: 30 * Self.gwei, maxFee: 900 * Self.gwei), baseFee: 100 * Self.gwei, rewards: [])
                == .replace(Fees(tip: 33 * Self.gwei + 1, maxFee: 1_000 * Self.gwei)))
        // At 950 gwei even +10% passes the cap: no replacement, keep re-sending.
        #expect(policy.bump(Fees(tip: 30 * Self.gwei, maxFee: 950 * Self.gwei), baseFee: 100 * Self.gwei, rewards: []) == .atCap)
        // A zero tip still rises by at least one wei.
        var devnet = RefundFeePolicy.defaults(network: "devnet")
        devnet.minTip = .zero
        #expect(devnet.bump(Fees(tip: .zero, maxFee: 10), baseFee: 1, rewards: []) == .replace(Fees(tip: 1, maxFee: 13)))
    }

    @Test(
        arguments: [
            (21_000, 26_250),
            (51_234, 64_043),
            (300_000, 300_000),  // the margin stops at the most a refund may use
            (0, nil),
            (300_001, nil),  // a provider's absurd estimate is refused
            (UInt64.max, nil),
        ] as [(UInt64, UInt64?)])
    func gasLimit(estimate: UInt64, limit: UInt64?) {
        #expect(Self.polygon.gasLimit(estimate: estimate) == limit)
    }

    @Test func defaultsPerNetwork() {
        #expect(RefundFeePolicy.defaults(network: "polygon").minTip == 30 * Self.gwei)
        #expect(RefundFeePolicy.defaults(network: "polygon").replaceAfterBlocks == 5)
        #expect(RefundFeePolicy.defaults(network: "ethereum").replaceAfterBlocks == 3)
        #expect(RefundFeePolicy.defaults(network: "ethereum").maxFee == 200 * Self.gwei)
        #expect(RefundFeePolicy.defaults(network: "devnet").resendSeconds == 5)
        #expect(RefundFeePolicy.defaults(network: "amoy") == RefundFeePolicy.defaults(network: "polygon"))
    }

    // MARK: What providers said

    @Test(
        arguments: [
            ("JSON-RPC error -32000: already known", BroadcastOutcome.Answer.maybeSent),
            ("JSON-RPC error -32000: nonce too low: next nonce 5, tx nonce 4", .maybeSent),
            ("JSON-RPC error -32000: replacement transaction underpriced", .maybeSent),
            ("JSON-RPC error -32010: Transaction with the same hash was already imported.", .maybeSent),
            ("JSON-RPC error -32000: insufficient funds for gas * price + value: balance 0, tx cost 1, overshot 1", .insufficientFunds),
            (
                "JSON-RPC error -32000: transaction underpriced: gas tip cap 1, minimum needed 25000000000",
                .underpriced(minimumTip: 25_000_000_000)
            ),
            (
                "JSON-RPC error -32000: transaction gas price below minimum: gas tip cap 1, minimum needed 30000000000",
                .underpriced(minimumTip: 30_000_000_000)
            ),
            (
                "JSON-RPC error -32000: max fee per gas less than block base fee: address 0x…, maxFeePerGas: 1, baseFee: 7",
                .underpriced(minimumTip: nil)
            ),
            (
                "JSON-RPC error -32000: transaction underpriced: gas tip cap 1, minimum needed 99999999999999999999999999999999999999999999999999999999999999999999999999999999",
                .underpriced(minimumTip: nil)
            ),
            ("JSON-RPC error -32000: intrinsic gas too low: gas 20000, minimum needed 21000", .rejected("intrinsic gas too low")),
            ("JSON-RPC error -32000: invalid sender: invalid chain id for signer: have 1 want 137", .rejected("invalid sender")),
            ("JSON-RPC error -32000: exceeds block gas limit", .rejected("exceeds block gas limit")),
            ("JSON-RPC error -32000: rlp: expected input list", .rejected("rlp:")),
            ("JSON-RPC error -32603: internal error", .unusable),
            ("JSON-RPC error -32005: rate limit exceeded", .unusable),
            ("transport error: connection refused", .unusable),
            ("request timed out", .unusable),
            ("HTTP 502", .unusable),
            ("malformed response: expected a transaction hash", .unusable),
            // Only a JSON-RPC error is read: text elsewhere proves nothing.
            ("transport error: already known", .unusable),
        ] as [(String, BroadcastOutcome.Answer)])
    func answer(description: String, meaning: BroadcastOutcome.Answer) {
        #expect(BroadcastOutcome.answer(description) == meaning)
    }

    @Test(
        arguments: [
            // (accepted, refusals, required providers, outcome)
            (1, ["JSON-RPC error -32000: invalid sender"], 2, BroadcastOutcome.accepted),
            (0, ["request timed out", "JSON-RPC error -32000: already known"], 2, .maybeSent),
            (0, ["JSON-RPC error -32000: insufficient funds for gas", "JSON-RPC error -32000: nonce too low"], 2, .maybeSent),
            (0, ["JSON-RPC error -32000: insufficient funds for gas", "request timed out"], 2, .insufficientFunds),
            (
                0,
                [
                    "JSON-RPC error -32000: transaction underpriced: gas tip cap 1, minimum needed 25",
                    "JSON-RPC error -32000: transaction underpriced: gas tip cap 1, minimum needed 30",
                ], 2, .underpriced(minimumTip: 30)
            ),
            (0, ["JSON-RPC error -32000: invalid sender", "JSON-RPC error -32000: intrinsic gas too low"], 2, .rejected("invalid sender")),
            // One provider's word is not enough to give a transaction up when two must agree...
            (0, ["JSON-RPC error -32000: invalid sender", "request timed out"], 2, .unavailable),
            (0, ["JSON-RPC error -32000: invalid sender"], 2, .unavailable),
            // ...but it is with one provider.
            (0, ["JSON-RPC error -32000: invalid sender"], 1, .rejected("invalid sender")),
            (0, [], 1, .unavailable),
            (0, ["HTTP 429", "transport error: reset"], 2, .unavailable),
        ] as [(Int, [String], Int, BroadcastOutcome)])
    func combine(accepted: Int, refusals: [String], required: Int, outcome: BroadcastOutcome) {
        #expect(BroadcastOutcome.combine(accepted: accepted, refusals: refusals, required: required) == outcome)
    }

    // MARK: When to send again

    @Test(
        arguments: [
            // (outcome, sent at head, seconds since last sent (nil: never), head, action); devnet: replace after 3 blocks, re-send every 5 s
            (nil, nil, nil, 100, AttemptSchedule.Action.resend),  // written ahead, never sent (a crash): send
            (BroadcastOutcome.accepted, 100, 1, 101, .wait),
            (.accepted, 100, 5, 101, .resend),
            (.accepted, 100, 1, 103, .replace),
            (.maybeSent, 100, 1, 102, .wait),
            (.maybeSent, 100, 1, 104, .replace),
            (.accepted, 100, 1, 99, .wait),  // a head below the attempt's (another provider) is not "blocks passed"
            (.underpriced(minimumTip: 5), nil, 0, 100, .replace),
            (.insufficientFunds, nil, 0, 100, .wait),
            (.insufficientFunds, nil, 1, 100, .resend),
            (.unavailable, nil, 2, 100, .resend),
            (.rejected("invalid sender"), nil, 100, 200, .wait),
        ] as [(BroadcastOutcome?, UInt64?, Int64?, UInt64, AttemptSchedule.Action)])
    func schedule(outcome: BroadcastOutcome?, sentAtHead: UInt64?, since: Int64?, head: UInt64, action: AttemptSchedule.Action) {
        let now = Timestamp(unixSeconds: 10_000)
        let action2 = AttemptSchedule.decide(
            outcome: outcome, sentAtHead: sentAtHead, lastSentAt: since.map { Timestamp(unixSeconds: 10_000 - $0) }, head: head, now: now,
            policy: .defaults(network: "devnet"))
        #expect(action2 == action)
    }

    // MARK: Receipts and finality

    static let wallet = try! Address("0x1000000000000000000000000000000000000001")
    static let customer = try! Address("0x2000000000000000000000000000000000000002")
    static let token = try! Address("0x5FbDB2315678afecb367f032d93F642f64180aa3")
    static let hash = TxHash(raw: Bytes32(0, 0, 0, 1))

    static func receipt(status: UInt64 = 1, from: Address = wallet, to: Address? = token, transfers: [TransferEvent]) -> ReceiptFacts {
        ReceiptFacts(
            transactionHash: hash, blockNumber: 10, blockHash: BlockHash(raw: Bytes32(0, 0, 0, 10)), status: status, from: from, to: to,
            transfers: transfers)
    }

    static func transfer(from: Address = wallet, to: Address = customer, amount: UInt256 = 5_000_000, token: Address = token)
        -> TransferEvent
    {
        TransferEvent(token: token, from: from, to: to, amount: amount)
    }

    @Test(
        arguments: [
            (receipt(transfers: [transfer()]), RefundReceipt.Verdict.transferred),
            (receipt(status: 0, transfers: []), .reverted),
            (
                receipt(transfers: []),
                .mismatch(
                    "the receipt does not carry exactly one Transfer of 5000000 base units to 0x2000000000000000000000000000000000000002")
            ),
            (
                receipt(transfers: [transfer(amount: 4_999_999)]),
                .mismatch(
                    "the receipt does not carry exactly one Transfer of 5000000 base units to 0x2000000000000000000000000000000000000002")
            ),
            (
                receipt(transfers: [transfer(to: wallet)]),
                .mismatch(
                    "the receipt does not carry exactly one Transfer of 5000000 base units to 0x2000000000000000000000000000000000000002")
            ),
            (
                receipt(transfers: [transfer(), transfer()]),
                .mismatch(
                    "the receipt does not carry exactly one Transfer of 5000000 base units to 0x2000000000000000000000000000000000000002")
            ),
            (
                receipt(transfers: [transfer(token: customer)]),
                .mismatch(
                    "the receipt does not carry exactly one Transfer of 5000000 base units to 0x2000000000000000000000000000000000000002")
            ),
            (receipt(status: 2, transfers: [transfer()]), .mismatch("receipt status 2")),
            (receipt(from: customer, transfers: [transfer()]), .mismatch("the receipt's sender is not the hot wallet")),
            (receipt(to: customer, transfers: [transfer()]), .mismatch("the transaction was not sent to the token contract")),
        ] as [(ReceiptFacts, RefundReceipt.Verdict)])
    func receiptVerdict(receipt: ReceiptFacts, verdict: RefundReceipt.Verdict) {
        #expect(
            RefundReceipt.judge(
                receipt, token: Self.token, wallet: Self.wallet, destination: Self.customer, amount: 5_000_000, hashes: [Self.hash])
                == verdict)
    }

    @Test func aReceiptOfAnotherTransactionIsNotOurs() {
        let verdict = RefundReceipt.judge(
            Self.receipt(transfers: [Self.transfer()]), token: Self.token, wallet: Self.wallet, destination: Self.customer,
            amount: 5_000_000, hashes: [TxHash(raw: Bytes32(9, 9, 9, 9))])
        #expect(verdict == .mismatch("the receipt is of another transaction"))
    }

    static let mined = BlockHash(raw: Bytes32(0, 0, 0, 100))
    static let other = BlockHash(raw: Bytes32(0, 0, 0, 101))

    @Test(
        arguments: [
            // (canonical hash, head, confirmations, finalized, needs finalized, verdict), mined in block 100
            (mined, 102, 3, nil, false, RefundFinality.Verdict.final),
            (mined, 101, 3, nil, false, .waiting),
            (mined, 99, 3, nil, false, .waiting),
            (other, 110, 3, nil, false, .reorged),
            (nil, 110, 3, nil, false, .unknown),
            (mined, 170, 64, 99, true, .waiting),  // deep enough, not finalized
            (mined, 170, 64, 100, true, .final),
            (mined, 170, 64, nil, true, .waiting),
            (mined, 100, 0, nil, false, .final),  // a depth of 0 counts as 1
        ] as [(BlockHash?, UInt64, Int, UInt64?, Bool, RefundFinality.Verdict)])
    func finality(
        canonical: BlockHash?, head: UInt64, confirmations: Int, finalized: UInt64?, needsFinalized: Bool, verdict: RefundFinality.Verdict
    ) {
        #expect(
            RefundFinality.decide(
                minedBlock: 100, minedHash: Self.mined, canonicalHash: canonical, head: head, confirmations: confirmations,
                finalized: finalized, needsFinalized: needsFinalized) == verdict)
    }

    // MARK: Funds

    @Test(
        arguments: [
            // (native, token balance, reserved, need, verdict)
            (1_000_000, 10, [], WalletFunds.Need(native: 1_000_000, token: token, amount: 10), WalletFunds.Verdict.enough),
            (999_999, 10, [], WalletFunds.Need(native: 1_000_000, token: token, amount: 10), .short(asset: "native", missing: 1)),
            (1_000_000, 9, [], WalletFunds.Need(native: 1_000_000, token: token, amount: 10), .short(asset: token.checksummed, missing: 1)),
            // In-flight refunds hold their gas and tokens until mined.
            (
                2_000_000, 20, [WalletFunds.Need(native: 1_000_000, token: token, amount: 15)],
                WalletFunds.Need(native: 1_000_000, token: token, amount: 10), .short(asset: token.checksummed, missing: 5)
            ),
            (
                1_500_000, 100, [WalletFunds.Need(native: 1_000_000, token: nil, amount: 0)],
                WalletFunds.Need(native: 1_000_000, token: token, amount: 10), .short(asset: "native", missing: 500_000)
            ),
            (
                .max, .max, [WalletFunds.Need(native: .max, token: token, amount: .max)],
                WalletFunds.Need(native: 1, token: token, amount: 1), .enough
            ),
        ] as [(UInt256, UInt256, [WalletFunds.Need], WalletFunds.Need, WalletFunds.Verdict)])
    func funds(native: UInt256, tokenBalance: UInt256, reserved: [WalletFunds.Need], need: WalletFunds.Need, verdict: WalletFunds.Verdict) {
        #expect(WalletFunds.check(native: native, tokens: [Self.token: tokenBalance], reserved: reserved, need: need) == verdict)
    }

    @Test func gasCostSaturates() {
        #expect(WalletFunds.Need(gasLimit: 60_000, fees: Fees(tip: 1, maxFee: 2), token: nil, amount: 0).native == 120_000)
        #expect(WalletFunds.Need(gasLimit: .max, fees: Fees(tip: 1, maxFee: .max), token: nil, amount: 0).native == .max)
    }
}
