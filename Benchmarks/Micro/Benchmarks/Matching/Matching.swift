import Benchmark
import EthereumCore
import GatewayDomain

// Matching a batch of transfers to payment sessions, in memory: PaymentMatch.decide over the
// candidate sessions of one merchant address, and SessionLedger applying the whole batch (match,
// state machine, changes to write). 1,000 transfers against 200 pending sessions of 10 USDC,
// each with its own amount due (10 USDC plus an offset); 200 transfers pay one session's exact
// amount due each, the other 800 pay amounts no session is due.

let merchantAddress = try! Address("0x00000000000000000000000000000000000d0d01")
let usdc = try! Address("0x5fbdb2315678afecb367f032d93f642f64180aa3")
let now = Timestamp(unixSeconds: 1_750_000_000)
let sessionCount = 200
let transferCount = 1_000

func session(_ index: Int) -> PaymentSession {
    let due = UInt256(10_000_000 + UInt64(index))
    let option = PaymentOption(
        position: 0, network: "devnet", chainId: 1337, token: "USDC", tokenAddress: usdc, decimals: 6, payTo: merchantAddress,
        amountDue: due, confirmations: 3)
    return PaymentSession(
        id: "ps_bench\(index)", merchantId: "mer_bench", livemode: false, status: .pending, statusReason: nil, amount: "10.00",
        currency: "USDC", scale: 6, priceUnits: UInt256(10_000_000), offsetUnits: UInt64(index), description: nil, metadata: [],
        successURL: nil, cancelURL: nil, clientSecret: "secret_\(index)", expiresAt: Timestamp(unixSeconds: now.unixSeconds + 3_600),
        timeline: SessionTimeline(completedAt: nil, monitorUntil: nil), createdAt: now, options: [option], payments: [], claims: [],
        reservations: [AmountReservation(network: "devnet", token: usdc, payTo: merchantAddress, amount: due, kind: .amountDue)])
}

func transfer(_ index: Int) -> ChainTransfer {
    // Transfers 0, 2, 4, ... 398 pay session index/2 exactly; the others pay more than any session is due.
    let pays = index % 2 == 0 && index / 2 < sessionCount
    let amount = pays ? UInt256(10_000_000 + UInt64(index / 2)) : UInt256(20_000_000 + UInt64(index))
    return ChainTransfer(
        id: Int64(index + 1), network: "devnet", chainId: 1337, blockNumber: 1_000 + UInt64(index / 10),
        blockHash: BlockHash(raw: Keccak256.hash(text: "block \(index / 10)")),
        transactionHash: TxHash(raw: Keccak256.hash(text: "tx \(index)")),
        logIndex: UInt64(index % 10), token: usdc, from: try! Address("0x00000000000000000000000000000000000bad01"), to: merchantAddress,
        amount: amount, state: .seen, confirmations: 1, seenAt: now)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal], warmupIterations: 2, maxDuration: .seconds(3), maxIterations: 10_000)
    let sessions = (0..<sessionCount).map(session)
    let transfers = (0..<transferCount).map(transfer)

    Benchmark("PaymentMatch.decide x\(transferCount) over \(sessionCount) sessions") { benchmark in
        var matched = 0
        for transfer in transfers where PaymentMatch.decide(transfer, candidates: sessions) != nil { matched += 1 }
        if matched != sessionCount { benchmark.error("matched \(matched), expected \(sessionCount)") }
    }

    Benchmark("SessionLedger x\(transferCount) over \(sessionCount) sessions") { benchmark in
        var ledger = SessionLedger(sessions: sessions, now: now, lateWindowSeconds: 3_600)
        for transfer in transfers { _ = try ledger.apply(transfer: transfer, boundTo: nil) }
        let changes = ledger.changes
        if changes.count != sessionCount { benchmark.error("\(changes.count) sessions changed, expected \(sessionCount)") }
        blackHole(changes)
    }
}
