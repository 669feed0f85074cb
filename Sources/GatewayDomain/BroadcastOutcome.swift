import EthereumCore

/// What the providers made of one raw transaction sent to all of them (CHAIN-RULES rule 8), and
/// so what the sender does next. The same bytes go to every provider; their answers are read
/// together.
public enum BroadcastOutcome: Sendable, Hashable {
    /// A provider took it.
    case accepted
    /// "already known", "nonce too low", "replacement transaction underpriced": it, or another
    /// attempt at its nonce, may already be in a pool or mined. Resolved by receipts and the
    /// nonce, never by signing again.
    case maybeSent
    /// The wallet cannot pay for it now: keep the bytes and send them again when funded.
    case insufficientFunds
    /// Its tip is below a pool's floor, or its fee cap below the base fee: a replacement with
    /// higher fees (at least `minimumTip` when a provider named it) is needed.
    case underpriced(minimumTip: UInt256?)
    /// Every provider that answered refused it for a reason that does not pass (a malformed
    /// or invalid transaction): it can never be mined.
    case rejected(String)
    /// No provider gave a usable answer (timeouts, transport errors, rate limits): send again.
    case unavailable

    /// The stored form of the outcome (`refund_attempts.last_outcome`).
    public var name: String {
        switch self {
        case .accepted: return "accepted"
        case .maybeSent: return "maybe_sent"
        case .insufficientFunds: return "insufficient_funds"
        case .underpriced: return "underpriced"
        case .rejected: return "rejected"
        case .unavailable: return "unavailable"
        }
    }

    /// Whether a pool may hold the transaction now.
    public var mayBeInPool: Bool { self == .accepted || self == .maybeSent }

    /// What one provider's answer means.
    public enum Answer: Sendable, Hashable {
        case accepted
        case maybeSent
        case insufficientFunds
        case underpriced(minimumTip: UInt256?)
        case rejected(String)
        case unusable
    }

    /// Reads one provider's refusal. Only a JSON-RPC error object (`JSON-RPC error CODE:
    /// message`, as `RPCFailure` describes it) is read for its message; a timeout, a transport
    /// error or an HTTP status says nothing about the transaction.
    public static func answer(_ description: String) -> Answer {
        let prefix = "JSON-RPC error "
        guard description.hasPrefix(prefix), let colon = description.firstIndex(of: ":") else { return .unusable }
        let message = description[description.index(after: colon)...].lowercased()
        if message.contains("already known") || message.contains("known transaction") || message.contains("already imported")
            || message.contains("nonce too low") || message.contains("replacement transaction underpriced")
            || message.contains("replacement underpriced") || message.contains("already in mempool")
        {
            return .maybeSent
        }
        if message.contains("insufficient funds") { return .insufficientFunds }
        // Checked before the floor's wording, which shares "minimum needed".
        let deterministic = [
            "intrinsic gas too low", "exceeds block gas limit", "invalid sender", "invalid chain id", "rlp:",
            "transaction type not supported",
            "only replay-protected", "max priority fee per gas higher than max fee per gas", "tip higher than fee cap", "oversized data",
            "negative value", "gas uint64 overflow", "typed transaction too short",
        ]
        if let match = deterministic.first(where: { message.contains($0) }) { return .rejected(match) }
        if message.contains("transaction underpriced") || message.contains("gas price below minimum") || message.contains("gas tip cap")
            || message.contains("less than block base fee") || message.contains("fee cap less than")
        {
            return .underpriced(minimumTip: minimumNeeded(message))
        }
        return .unusable
    }

    /// The floor in `… minimum needed 25000000000` (geth's and bor's wording), when it is a
    /// plain decimal integer.
    static func minimumNeeded(_ message: String) -> UInt256? {
        let marker = Array("minimum needed ".utf8)
        let bytes = Array(message.utf8)
        guard bytes.count >= marker.count,
            let start = (0...(bytes.count - marker.count)).first(where: { bytes[$0..<($0 + marker.count)].elementsEqual(marker) })
        else { return nil }
        let digits = bytes[(start + marker.count)...].prefix { (0x30...0x39).contains($0) }
        return try? UInt256(decimal: String(decoding: digits, as: UTF8.self))
    }

    /// Combines the answers of every provider asked: `accepted` names the providers that took
    /// it, `refusals` what the others said. One acceptance is enough; then "maybe sent",
    /// insufficient funds and an underpriced refusal in that order; a rejection counts only
    /// when at least `required` providers answered and every answer was one.
    public static func combine(accepted: Int, refusals: [String], required: Int) -> BroadcastOutcome {
        if accepted > 0 { return .accepted }
        let answers = refusals.map(answer)
        if answers.contains(.maybeSent) { return .maybeSent }
        if answers.contains(.insufficientFunds) { return .insufficientFunds }
        var minimum: UInt256? = nil
        var underpriced = false
        for case .underpriced(let floor) in answers {
            underpriced = true
            if let floor { minimum = max(minimum ?? .zero, floor) }
        }
        if underpriced { return .underpriced(minimumTip: minimum) }
        let rejections = answers.compactMap { answer -> String? in
            if case .rejected(let why) = answer { return why }
            return nil
        }
        if !rejections.isEmpty, rejections.count == answers.count, answers.count >= max(1, required) {
            return .rejected(rejections[0])
        }
        return .unavailable
    }
}

/// When to send, re-send or replace the newest attempt at a nonce (CHAIN-RULES rule 9): a
/// transaction a pool holds is re-sent about every ``RefundFeePolicy/resendSeconds`` and
/// replaced once it is ``RefundFeePolicy/replaceAfterBlocks`` blocks old without being mined; one
/// no pool holds is re-sent at once, or replaced at once when it was underpriced.
public enum AttemptSchedule {
    public enum Action: Sendable, Hashable {
        case wait
        /// Send the newest attempt's bytes again (the same bytes, to every provider).
        case resend
        /// Sign a replacement at the same nonce with higher fees.
        case replace
    }

    /// - Parameters:
    ///   - outcome: the newest attempt's last broadcast outcome; nil when it was written ahead
    ///     but never sent (a crash between the commit and the broadcast).
    ///   - sentAtHead: the head when a pool first took it.
    ///   - lastSentAt: when it was last sent.
    public static func decide(
        outcome: BroadcastOutcome?, sentAtHead: UInt64?, lastSentAt: Timestamp?, head: UInt64, now: Timestamp, policy: RefundFeePolicy
    ) -> Action {
        guard let outcome, let lastSentAt else { return .resend }
        let since = now.unixSeconds - lastSentAt.unixSeconds
        switch outcome {
        case .accepted, .maybeSent:
            if let sentAtHead, head >= sentAtHead, head - sentAtHead >= policy.replaceAfterBlocks { return .replace }
            return since >= policy.resendSeconds ? .resend : .wait
        case .underpriced:
            return .replace
        case .insufficientFunds, .unavailable:
            // Sent again on the sender's next pass; the driver first checks the balance.
            return since >= 1 ? .resend : .wait
        case .rejected:
            return .wait
        }
    }
}
