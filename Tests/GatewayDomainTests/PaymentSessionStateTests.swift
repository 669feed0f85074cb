import EthereumCore
import GatewayDomain
import Testing

@Suite struct PaymentSessionStateTests {
    static func key(_ n: UInt64, block: UInt64 = 1) -> PaymentKey {
        PaymentKey(transactionHash: TxHash(raw: Bytes32(0, 0, 0, n)), logIndex: 0, blockHash: BlockHash(raw: Bytes32(0, 0, 1, block)))
    }

    @Test func exactPaymentConfirmsThenCompletes() throws {
        var session = PaymentSessionState(amountDue: 100_000_137)
        #expect(try session.apply(.transferSeen(Self.key(1), amount: 100_000_137)) == [.confirming])
        #expect(session.status == .confirming)
        #expect(try session.apply(.transferConfirmed(Self.key(1))) == [.completed])
        #expect(session.status == .completed)
        #expect(session.overpaid == 0)
        #expect(try session.apply(.transferConfirmed(Self.key(1))) == [], "confirming twice changes nothing")
        #expect(try session.apply(.expire) == [], "a completed session does not expire")
    }

    @Test func underpaymentThenTopUp() throws {
        var session = PaymentSessionState(amountDue: 100)
        #expect(try session.apply(.transferSeen(Self.key(1), amount: 60)) == [.partiallyPaid])
        #expect(session.status == .pending)
        #expect(session.amountReceived == 60)
        #expect(session.underpaid == 40)
        #expect(try session.apply(.transferConfirmed(Self.key(1))) == [.partiallyPaid])
        #expect(try session.apply(.transferSeen(Self.key(2), amount: 40)) == [.confirming])
        #expect(try session.apply(.transferConfirmed(Self.key(2))) == [.completed])
        #expect(session.amountConfirmed == 100)
    }

    @Test func overpaymentIsRecordedOnCompletion() throws {
        var session = PaymentSessionState(amountDue: 100)
        _ = try session.apply(.transferSeen(Self.key(1), amount: 150))
        #expect(try session.apply(.transferConfirmed(Self.key(1))) == [.completed])
        #expect(session.overpaid == 50)
        #expect(session.underpaid == 0)
    }

    @Test func latePaymentIsRecordedNotCompleted() throws {
        var session = PaymentSessionState(amountDue: 100)
        #expect(try session.apply(.expire) == [.expired])
        #expect(try session.apply(.transferSeen(Self.key(1), amount: 100)) == [.latePayment])
        #expect(try session.apply(.transferConfirmed(Self.key(1))) == [])
        #expect(session.status == .expired)
        #expect(session.amountReceived == 0)
        #expect(session.latePayments.map(\.amount) == [100])
    }

    @Test func aPaymentInFlightPreventsExpiry() throws {
        var session = PaymentSessionState(amountDue: 100)
        _ = try session.apply(.transferSeen(Self.key(1), amount: 100))
        #expect(try session.apply(.expire) == [])
        #expect(session.status == .confirming)
    }

    @Test func reorgMovesTheSessionBackAndReinclusionCompletesIt() throws {
        var session = PaymentSessionState(amountDue: 100)
        _ = try session.apply(.transferSeen(Self.key(1, block: 10), amount: 100))
        #expect(try session.apply(.transferRemoved(Self.key(1, block: 10))) == [.reorged])
        #expect(session.status == .pending)
        #expect(session.amountReceived == 0)
        #expect(session.reason?.contains("reorg") == true)
        #expect(try session.apply(.transferSeen(Self.key(1, block: 11), amount: 100)) == [.confirming])
        #expect(try session.apply(.transferConfirmed(Self.key(1, block: 11))) == [.completed])
        #expect(session.payments.map(\.state) == [.removed, .confirmed])
    }

    @Test func reorgOfAPartialPaymentIsReported() throws {
        var session = PaymentSessionState(amountDue: 100)
        _ = try session.apply(.transferSeen(Self.key(1), amount: 30))
        #expect(try session.apply(.transferRemoved(Self.key(1))) == [.reorged])
        #expect(session.amountReceived == 0)
        #expect(try session.apply(.transferRemoved(Self.key(1))) == [], "removing twice changes nothing")
    }

    @Test func cancelOnlyWithoutPayments() throws {
        var fresh = PaymentSessionState(amountDue: 100)
        #expect(try fresh.apply(.cancel) == [.canceled])
        #expect(throws: SessionTransitionError.notCancelable(.canceled, hasPayments: false)) { try fresh.apply(.cancel) }
        var paid = PaymentSessionState(amountDue: 100)
        _ = try paid.apply(.transferSeen(Self.key(1), amount: 10))
        #expect(throws: SessionTransitionError.notCancelable(.pending, hasPayments: true)) { try paid.apply(.cancel) }
        #expect(paid.status == .pending)
        #expect(try fresh.apply(.transferSeen(Self.key(2), amount: 100)) == [.latePayment], "a payment to a canceled session is late")
    }

    @Test func failAndUnknownPayments() throws {
        var session = PaymentSessionState(amountDue: 100)
        #expect(try session.apply(.fail(reason: "operator")) == [.failed])
        #expect(session.reason == "operator")
        #expect(throws: SessionTransitionError.notFailable(.failed)) { try session.apply(.fail(reason: "again")) }
        #expect(throws: SessionTransitionError.unknownPayment(Self.key(9))) { try session.apply(.transferConfirmed(Self.key(9))) }
        #expect(throws: SessionTransitionError.unknownPayment(Self.key(9))) { try session.apply(.transferRemoved(Self.key(9))) }
    }

    /// Every input in every reachable status either changes nothing, moves along an allowed
    /// edge, or is refused with an error that leaves the state untouched.
    @Test func everyInputInEveryStatusIsHandled() throws {
        let allowed: Set<String> = [
            "pending>confirming", "pending>completed", "pending>expired", "pending>canceled", "pending>failed",
            "confirming>completed", "confirming>pending", "confirming>failed", "completed>confirming", "completed>pending",
            "expired>failed",
        ]
        let inputs: [SessionInput] = [
            .transferSeen(Self.key(1), amount: 100), .transferSeen(Self.key(2), amount: 40), .transferConfirmed(Self.key(1)),
            .transferRemoved(Self.key(1)), .expire, .cancel, .fail(reason: "x"),
        ]
        var frontier = [PaymentSessionState(amountDue: 100)]
        var visited = Set<PaymentSessionState>()
        while let state = frontier.popLast() {
            guard visited.insert(state).inserted, visited.count < 500 else { continue }
            for input in inputs {
                var next = state
                do {
                    _ = try next.apply(input)
                    if next.status != state.status {
                        #expect(
                            allowed.contains("\(state.status.rawValue)>\(next.status.rawValue)"),
                            "\(state.status) -\(input)-> \(next.status)")
                    }
                    #expect(next.amountConfirmed <= next.amountReceived)
                    frontier.append(next)
                } catch {
                    #expect(next == state, "a refused input changes nothing")
                }
            }
        }
        #expect(Set(visited.map(\.status)) == [.pending, .confirming, .completed, .expired, .canceled, .failed])
    }
}
