/// Which session a new transfer pays, decided from the candidate sessions the database found
/// for it (sessions that claimed its transaction, and sessions with a reserved option to its
/// network, token and address). Pure: the store fetches, this decides, the state machine
/// applies.
///
/// The rules, in order:
/// 1. a checkout claim: the session's page reported this transaction and one of its options
///    pays the transfer's token and address (any amount), unless the session was canceled;
/// 2. the exact amount due of a reserved option;
/// 3. the exact remaining amount of a partially paid pending session, when exactly one
///    session qualifies.
public enum PaymentMatch {
    public enum Reason: String, Sendable, Hashable {
        case claim
        case amountDue = "amount_due"
        case remainder
    }

    public struct Decision: Sendable, Hashable {
        public let sessionId: String
        public let reason: Reason

        public init(sessionId: String, reason: Reason) {
            self.sessionId = sessionId
            self.reason = reason
        }

        /// How the payment row records the match.
        public var matchedBy: MatchedBy { reason == .claim ? .transaction : .amount }
    }

    public static func decide(_ transfer: ChainTransfer, candidates: [PaymentSession]) -> Decision? {
        guard transfer.state != .removed else { return nil }
        let claim = CheckoutClaim(network: transfer.network, transactionHash: transfer.transactionHash)
        for session in candidates where session.claims.contains(claim) && session.status != .canceled {
            if session.option(network: transfer.network, token: transfer.token, to: transfer.to) != nil {
                return Decision(sessionId: session.id, reason: .claim)
            }
        }
        for session in candidates {
            if let option = session.option(network: transfer.network, token: transfer.token, to: transfer.to), option.reserved,
                option.amountDue == transfer.amount
            {
                return Decision(sessionId: session.id, reason: .amountDue)
            }
        }
        let remainders = candidates.filter { session in
            guard session.status == .pending, !transfer.amount.isZero,
                let option = session.option(network: transfer.network, token: transfer.token, to: transfer.to), option.reserved
            else { return false }
            let state = session.state
            return !state.amountReceived.isZero && session.scale(of: option).toToken(state.underpaid) == transfer.amount
        }
        return remainders.count == 1 ? Decision(sessionId: remainders[0].id, reason: .remainder) : nil
    }
}
