/// Which session a new transfer pays, decided from the candidate sessions the database found
/// for it (sessions holding an amount to its network, token and address, and sessions that
/// claimed its transaction). Pure: the store fetches, this decides, the state machine applies.
///
/// The rules, in order:
/// 1. an amount a session holds for the transfer's network, token and receiving address (an
///    option's amount due, or the remainder of a partial payment): amounts held there are
///    unique, so at most one session qualifies, and nothing a customer says can move the
///    transfer elsewhere;
/// 2. a checkout claim of the transfer's transaction, signed by the transfer's sender (the
///    wallet that paid proved it made the claim), by a session that is not canceled, has an
///    option paying that token to that address, and existed when the transfer was mined.
///
/// A claim without the sender's signature binds nothing: the transfer stays unmatched and the
/// merchant sees the claim beside it, to attach it if they agree. A session that already has
/// ``PaymentSession/maxPayments`` payments takes no more.
public enum PaymentMatch {
    public enum Reason: String, Sendable, Hashable {
        case amountDue = "amount_due"
        case remainder
        case signedClaim = "signed_claim"
    }

    public struct Decision: Sendable, Hashable {
        public let sessionId: String
        public let reason: Reason

        public init(sessionId: String, reason: Reason) {
            self.sessionId = sessionId
            self.reason = reason
        }

        /// How the payment row records the match.
        public var matchedBy: MatchedBy { reason == .signedClaim ? .transaction : .amount }
    }

    public static func decide(_ transfer: ChainTransfer, candidates: [PaymentSession]) -> Decision? {
        guard transfer.state != .removed else { return nil }
        let candidates = candidates.filter(\.acceptsMorePayments)
        for session in candidates {
            if let held = session.reservation(network: transfer.network, token: transfer.token, to: transfer.to, amount: transfer.amount),
                session.option(network: transfer.network, token: transfer.token, to: transfer.to) != nil
            {
                return Decision(sessionId: session.id, reason: held.kind == .remainder ? .remainder : .amountDue)
            }
        }
        for session in candidates where session.status != .canceled {
            let proved = session.claims.contains {
                $0.network == transfer.network && $0.transactionHash == transfer.transactionHash && $0.signer == transfer.from
            }
            guard proved, session.option(network: transfer.network, token: transfer.token, to: transfer.to) != nil,
                let mined = transfer.blockTimestamp, mined >= session.createdAt
            else { continue }
            return Decision(sessionId: session.id, reason: .signedClaim)
        }
        return nil
    }
}
