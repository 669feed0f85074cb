import EthereumCore
import GatewayDomain
import Testing

/// What a session can refund, how a refund request is checked, the limits, the refund's state
/// machine, and what succeeded refunds do to the session.
@Suite struct RefundPlanTests {
    static let customer = try! Address("0x2000000000000000000000000000000000000002")
    static let wallet = try! Address("0x1000000000000000000000000000000000000001")

    /// A completed session due 12.500001, paid with the given confirmed payments (base units).
    static func paid(_ amounts: [UInt256], status: SessionStatus = .completed, late: Bool = false, removed: Bool = false) -> PaymentSession
    {
        Build.session(
            "ps_1", status: status,
            payments: amounts.enumerated().map { index, amount in
                Build.payment(amount, id: Int64(index + 1), state: removed ? .removed : .confirmed, late: late)
            })
    }

    static func refund(_ amount: UInt256, status: RefundStatus = .pending, session: PaymentSession = paid([12_500_001])) -> Refund {
        Refund(
            id: "re_\(amount)", merchantId: "mer_1", livemode: false, sessionId: session.id, asset: RefundAsset(session.options[0]),
            amount: amount, destination: customer, destinationSource: .address, reason: nil, metadata: [:], status: status,
            statusReason: status == .succeeded ? .final : .queued, approvalRequired: false, approvedAt: nil, clientSecret: "rcs_1",
            hotWallet: nil, nonce: nil, txHash: nil, createdAt: Timestamp(unixSeconds: 1_000), succeededAt: nil)
    }

    static func plan(
        _ request: NewRefundRequest, session: PaymentSession = paid([12_500_001]), refunds: [Refund] = [],
        limits: RefundLimits = .defaults, recent: UnitAmount = .zero
    ) throws(RequestError) -> RefundPlan {
        try RefundPlan.plan(
            request, session: session, refunds: refunds, limits: limits, merchantRecent: recent, hotWallets: ["devnet": wallet])
    }

    static func refusal(_ body: () throws(RequestError) -> RefundPlan) -> RequestError? {
        do throws(RequestError) {
            _ = try body()
            return nil
        } catch {
            return error
        }
    }

    // MARK: Refundable

    @Test(
        arguments: [
            // (payments, refunds (amount, status), received, held, refundable)
            ([12_500_001], [], 12_500_001, 0, 12_500_001),
            ([12_500_001, 3_000_000], [], 15_500_001, 0, 15_500_001),  // an overpayment is refundable
            ([12_500_001], [(5_000_000, RefundStatus.pending)], 12_500_001, 5_000_000, 7_500_001),
            ([12_500_001], [(5_000_000, .succeeded), (1, .requiresAction)], 12_500_001, 5_000_001, 7_500_000),
            ([12_500_001], [(5_000_000, .failed), (2_000_000, .canceled)], 12_500_001, 0, 12_500_001),
            ([12_500_001], [(12_500_001, .succeeded), (1, .pending)], 12_500_001, 12_500_002, 0),
        ] as [([UInt256], [(UInt256, RefundStatus)], UInt256, UInt256, UInt256)])
    func refundable(payments: [UInt256], refunds: [(UInt256, RefundStatus)], received: UInt256, held: UInt256, refundable: UInt256) {
        let session = Self.paid(payments)
        let assets = RefundableAsset.assets(of: session, refunds: refunds.map { Self.refund($0.0, status: $0.1, session: session) })
        #expect(assets.count == 1)
        #expect(assets.first?.received == received)
        #expect(assets.first?.held == held)
        #expect(assets.first?.refundable == refundable)
        #expect(assets.first?.payers == [Build.payer])
    }

    @Test func latePaymentsCountRemovedAndUnconfirmedDoNot() {
        #expect(
            RefundableAsset.assets(of: Self.paid([7_000_000], status: .expired, late: true), refunds: []).first?.refundable == 7_000_000)
        #expect(RefundableAsset.assets(of: Self.paid([7_000_000], removed: true), refunds: []).isEmpty)
        let seen = Build.session("ps_1", status: .confirming, payments: [Build.payment(12_500_001, state: .seen)])
        #expect(RefundableAsset.assets(of: seen, refunds: []).isEmpty)
    }

    // MARK: Requests

    @Test func aFullRefundToThePayer() throws {
        let plan = try Self.plan(NewRefundRequest(paymentSession: "ps_1", destination: "payer", reason: "duplicate"))
        #expect(plan.amount == 12_500_001)
        #expect(plan.destination == Build.payer)
        #expect(plan.destinationSource == .payer)
        #expect(plan.reason == .duplicate)
        #expect(plan.approvalRequired == false)
    }

    @Test func aPartialRefundToAnAddressAndOneForTheCustomerToGive() throws {
        let partial = try Self.plan(NewRefundRequest(paymentSession: "ps_1", amount: "2.5", destination: Self.customer.lowercased))
        #expect(partial.amount == 2_500_000)
        #expect(partial.destination == Self.customer)
        #expect(partial.destinationSource == .address)
        let asked = try Self.plan(NewRefundRequest(paymentSession: "ps_1", amount: "1.000000", metadata: ["order": "A-17"]))
        #expect(asked.destination == nil)
        #expect(asked.destinationSource == .customer)
        #expect(asked.metadata == ["order": "A-17"])
    }

    @Test(
        arguments: [
            // (amount, destination, reason, code, param)
            ("12.500002", nil, nil, "amount_exceeds_refundable", "amount"),
            ("0", nil, nil, "amount_invalid", "amount"),
            ("0.0000001", nil, nil, "amount_invalid", "amount"),
            ("-1", nil, nil, "amount_invalid", "amount"),
            ("1e3", nil, nil, "amount_invalid", "amount"),
            (" 1", nil, nil, "amount_invalid", "amount"),
            ("99999999999999999999999999999999999999999999999999999999999999999999999999999999", nil, nil, "amount_invalid", "amount"),
            (nil, "0x0000000000000000000000000000000000000000", nil, "destination_invalid", "destination"),
            (nil, Build.token.checksummed, nil, "destination_invalid", "destination"),
            (nil, Build.merchant.checksummed, nil, "destination_invalid", "destination"),
            (nil, wallet.checksummed, nil, "destination_invalid", "destination"),
            (nil, "0x70997970c51812dc3a010c7d01b50e0d17dc79C8", nil, "destination_invalid", "destination"),  // a wrong checksum
            (nil, "0x7099", nil, "destination_invalid", "destination"),
            (nil, "<script>", nil, "destination_invalid", "destination"),
            (nil, "PAYER", nil, "destination_invalid", "destination"),
            (nil, nil, "because", "reason_invalid", "reason"),
        ] as [(String?, String?, String?, String, String)])
    func refusals(amount: String?, destination: String?, reason: String?, code: String, param: String) {
        let error = Self.refusal {
            () throws(RequestError) in
            try Self.plan(NewRefundRequest(paymentSession: "ps_1", amount: amount, destination: destination, reason: reason))
        }
        #expect(error?.code == code)
        #expect(error?.param == param)
    }

    @Test func nothingLeftToRefund() {
        let session = Self.paid([12_500_001])
        let error = Self.refusal {
            () throws(RequestError) in
            try Self.plan(NewRefundRequest(paymentSession: "ps_1"), session: session, refunds: [Self.refund(12_500_001, session: session)])
        }
        #expect(error?.code == "nothing_to_refund")
        #expect(error?.kind == .unprocessable)
        let unpaid = Self.refusal { () throws(RequestError) in
            try Self.plan(NewRefundRequest(paymentSession: "ps_1"), session: Build.session("ps_1"))
        }
        #expect(unpaid?.code == "nothing_to_refund")
    }

    @Test func payerIsRefusedWhenSeveralAddressesPaid() throws {
        var session = Self.paid([5_000_000])
        let other = Payment(
            transfer: ChainTransfer(
                id: 7, network: "devnet", chainId: 1337, blockNumber: 11, blockHash: Build.blockHash(11), transactionHash: Build.txHash(7),
                logIndex: 0, token: Build.token, from: Self.customer, to: Build.merchant, amount: 7_500_001, state: .confirmed,
                confirmations: 2, seenAt: Timestamp(unixSeconds: 1_000)),
            token: "USDC", decimals: 6, credited: 7_500_001, late: false, matchedBy: .amount, confirmationsRequired: 2,
            createdAt: Timestamp(unixSeconds: 960))
        session = Build.session("ps_1", status: .completed, payments: session.payments + [other])
        let error = Self.refusal { () throws(RequestError) in
            try Self.plan(NewRefundRequest(paymentSession: "ps_1", destination: "payer"), session: session)
        }
        #expect(error?.code == "payer_ambiguous")
        #expect(
            try Self.plan(NewRefundRequest(paymentSession: "ps_1", destination: Self.customer.checksummed), session: session).amount
                == 12_500_001)
    }

    @Test func metadataRules() {
        let tooMany = Dictionary(uniqueKeysWithValues: (0...20).map { ("k\($0)", "v") })
        for metadata in [
            tooMany, ["": "v"], [String(repeating: "k", count: 41): "v"], ["k": String(repeating: "v", count: 501)], ["k": "a\u{0}b"],
        ] {
            let error = Self.refusal { () throws(RequestError) in
                try Self.plan(NewRefundRequest(paymentSession: "ps_1", metadata: metadata))
            }
            #expect(error?.param == "metadata")
        }
    }

    // MARK: Limits

    @Test func limitsAndApproval() throws {
        var limits = RefundLimits.defaults
        limits.perRefund = UnitAmount(decimal: "10")
        limits.approvalAbove = UnitAmount(decimal: "5")
        limits.merchantDaily = UnitAmount(decimal: "20")
        let big = Self.refusal { () throws(RequestError) in
            try Self.plan(NewRefundRequest(paymentSession: "ps_1", amount: "10.000001"), limits: limits)
        }
        #expect(big?.code == "amount_above_limit")
        #expect(try Self.plan(NewRefundRequest(paymentSession: "ps_1", amount: "10"), limits: limits).approvalRequired == true)
        #expect(try Self.plan(NewRefundRequest(paymentSession: "ps_1", amount: "5"), limits: limits).approvalRequired == false)
        let daily = Self.refusal {
            () throws(RequestError) in
            try Self.plan(NewRefundRequest(paymentSession: "ps_1", amount: "5"), limits: limits, recent: UnitAmount(decimal: "15.5")!)
        }
        #expect(daily?.code == "daily_limit_exceeded")
        #expect(
            try Self.plan(NewRefundRequest(paymentSession: "ps_1", amount: "5"), limits: limits, recent: UnitAmount(decimal: "15")!).amount
                == 5_000_000)
        #expect(limits.walletAllows(UnitAmount(decimal: "1")!, walletRecent: UnitAmount(decimal: "99999")!))
        #expect(!limits.walletAllows(UnitAmount(decimal: "2")!, walletRecent: UnitAmount(decimal: "99999")!))
        #expect(
            RefundLimits(perRefund: nil, merchantDaily: nil, walletDaily: nil, approvalAbove: nil).needsApproval(
                UnitAmount(decimal: "1000000")!) == false)
    }

    @Test(
        arguments: [
            ("1000", 6, 1_000_000_000, true),
            ("0.5", 18, 500_000_000_000_000_000, true),
            ("1", 0, 1, true),
            ("1", 6, 999_999, false),
        ] as [(String, Int, UInt256, Bool)])
    func unitsCompareAcrossDecimals(text: String, decimals: Int, baseUnits: UInt256, equal: Bool) {
        #expect((UnitAmount(decimal: text) == UnitAmount(baseUnits: baseUnits, decimals: decimals)) == equal)
    }

    @Test func unitsText() {
        #expect(UnitAmount(decimal: "1000")?.description == "1000.00")
        #expect(UnitAmount(baseUnits: 1_234_567, decimals: 6).description == "1.234567")
        #expect(UnitAmount(decimal: "1e3") == nil)
        #expect(
            UnitAmount(baseUnits: .max, decimals: 0) + UnitAmount(baseUnits: 1, decimals: 0) == UnitAmount(baseUnits: .max, decimals: 0))
    }

    // MARK: The refund's state machine

    @Test(
        arguments: [
            // (approval required, destination, wallet, status, reason)
            (false, true, true, RefundStatus.pending, RefundStatusReason.queued),
            (true, true, true, .requiresAction, .awaitingApproval),
            (true, false, true, .requiresAction, .awaitingApproval),
            (false, false, true, .requiresAction, .awaitingDestination),
            (false, true, false, .requiresAction, .hotWalletMissing),
        ] as [(Bool, Bool, Bool, RefundStatus, RefundStatusReason)])
    func newRefund(approval: Bool, destination: Bool, wallet: Bool, status: RefundStatus, reason: RefundStatusReason) {
        let state = RefundState.new(approvalRequired: approval, destination: destination ? Self.customer : nil, walletAvailable: wallet)
        #expect(state.status == status)
        #expect(state.reason == reason)
    }

    @Test func approvalThenDestinationThenTheChain() throws {
        var state = RefundState.new(approvalRequired: true, destination: nil, walletAvailable: true)
        #expect(try state.apply(.approve(walletAvailable: true)) == [])
        #expect(state.reason == .awaitingDestination)
        #expect(throws: RefundTransitionError.notAwaitingApproval(.requiresAction)) { try state.apply(.approve(walletAvailable: true)) }
        #expect(try state.apply(.setDestination(Self.customer, walletAvailable: true)) == [])
        #expect(state.status == .pending && state.reason == .queued && state.isReadyToSign)
        #expect(throws: RefundTransitionError.destinationAlreadySet) {
            try state.apply(.setDestination(Self.customer, walletAvailable: true))
        }
        #expect(try state.apply(.wait(.insufficientFunds)) == [])
        #expect(state.isReadyToSign)
        #expect(try state.apply(.signed) == [])
        #expect(!state.isReadyToSign)
        #expect(throws: RefundTransitionError.notCancelable(.pending, signed: true)) { try state.apply(.cancel) }
        #expect(try state.apply(.broadcast) == [])
        #expect(state.reason == .broadcast)
        #expect(try state.apply(.mined) == [])
        #expect(try state.apply(.reorged) == [])
        #expect(state.reason == .reorged)
        #expect(try state.apply(.broadcast) == [])
        #expect(try state.apply(.mined) == [])
        #expect(try state.apply(.finalized) == [.succeeded])
        #expect(state.status == .succeeded && state.reason == .final)
        #expect(try state.apply(.finalized) == [], "final twice changes nothing")
        #expect(try state.apply(.fail(.reverted)) == [], "a succeeded refund never fails")
    }

    @Test func cancelOnlyBeforeSigning() throws {
        var waiting = RefundState.new(approvalRequired: false, destination: nil, walletAvailable: true)
        #expect(try waiting.apply(.cancel) == [.canceled])
        #expect(waiting.status == .canceled)
        #expect(throws: RefundTransitionError.notCancelable(.canceled, signed: false)) { try waiting.apply(.cancel) }
        #expect(throws: RefundTransitionError.ended(.canceled)) { try waiting.apply(.setDestination(Self.customer, walletAvailable: true)) }
        var queued = RefundState.new(approvalRequired: false, destination: Self.customer, walletAvailable: true)
        #expect(try queued.apply(.cancel) == [.canceled])
    }

    @Test func revertedAndRejectedFail() throws {
        var state = RefundState.new(approvalRequired: false, destination: Self.customer, walletAvailable: true)
        _ = try state.apply(.signed)
        _ = try state.apply(.mined)
        #expect(try state.apply(.fail(.reverted)) == [.failed])
        #expect(state.status == .failed && state.reason == .reverted)
        #expect(throws: RefundTransitionError.ended(.failed)) { try state.apply(.finalized) }
    }

    @Test func aWalletFoundLaterQueuesTheRefund() throws {
        var state = RefundState.new(approvalRequired: false, destination: Self.customer, walletAvailable: false)
        #expect(state.reason == .hotWalletMissing)
        _ = try state.apply(.walletFound)
        #expect(state.status == .pending && state.reason == .queued)
        var asked = RefundState.new(approvalRequired: false, destination: nil, walletAvailable: false)
        _ = try asked.apply(.walletFound)
        #expect(asked.reason == .awaitingDestination, "a wallet does not replace the customer's answer")
    }

    @Test func aNonceTakenElsewhereWaitsForAnOperatorUntilMined() throws {
        var state = RefundState.new(approvalRequired: false, destination: Self.customer, walletAvailable: true)
        _ = try state.apply(.signed)
        _ = try state.apply(.nonceConflict)
        #expect(state.status == .requiresAction && state.reason == .nonceConflict)
        #expect(throws: RefundTransitionError.notCancelable(.requiresAction, signed: true)) { try state.apply(.cancel) }
        _ = try state.apply(.mined)
        #expect(state.status == .pending && state.reason == .mined)
    }

    // MARK: The session

    @Test func succeededRefundsMoveACompletedSession() throws {
        var state = PaymentSessionState(
            amountDue: 100, status: .completed,
            payments: [SessionPayment(key: PaymentSessionStateTests.key(1), amount: 100, state: .confirmed, late: false)], reason: nil)
        #expect(try state.apply(.refunded(total: 40)) == [.partiallyRefunded])
        #expect(state.status == .partiallyRefunded && state.amountRefunded == 40)
        #expect(try state.apply(.refunded(total: 40)) == [], "the same total again changes nothing")
        #expect(try state.apply(.refunded(total: 100)) == [.refunded])
        #expect(state.status == .refunded)
    }

    @Test func anExpiredSessionKeepsItsStatusWhenItsLatePaymentIsRefunded() throws {
        var state = PaymentSessionState(
            amountDue: 100, status: .expired,
            payments: [SessionPayment(key: PaymentSessionStateTests.key(1), amount: 100, state: .confirmed, late: true)], reason: nil)
        #expect(try state.apply(.refunded(total: 100)) == [.refunded])
        #expect(state.status == .expired && state.amountRefunded == 100)
    }

    @Test func aRefundedSessionStaysCompletedInTime() {
        let completed = Timestamp(unixSeconds: 500)
        let timeline = SessionTimeline(completedAt: completed, monitorUntil: Timestamp(unixSeconds: 600))
        let after = timeline.after(
            previous: .completed, status: .partiallyRefunded, now: Timestamp(unixSeconds: 700), lateWindowSeconds: 10)
        #expect(after.completedAt == completed)
        #expect(after.monitorUntil == Timestamp(unixSeconds: 710))
    }

    @Test func refundedUnitsAtTheSessionsScale() {
        let session = Self.paid([12_500_001])
        let refunds = [
            Self.refund(2_000_000, status: .succeeded, session: session), Self.refund(1_000_000, status: .pending, session: session),
            Self.refund(500_000, status: .succeeded, session: session),
        ]
        #expect(session.refundedUnits(refunds) == 2_500_000)
    }

    @Test func theRefundsJSON() {
        let refund = Self.refund(2_500_000)
        let json = ResourceJSON.refund(refund, publicBaseURL: "https://pay.example").serialized
        #expect(
            json
                == #"{"id":"re_2500000","object":"refund","livemode":false,"payment_session":"ps_1","network":"devnet","token":"USDC","token_address":"0x5FbDB2315678afecb367f032d93F642f64180aa3","amount":"2.50","amount_base_units":"2500000","destination":"0x2000000000000000000000000000000000000002","destination_source":"address","reason":null,"status":"pending","status_reason":"queued","tx_hash":null,"refund_url":null,"metadata":{},"created_at":"1970-01-01T00:16:40Z","succeeded_at":null}"#
        )
    }
}
