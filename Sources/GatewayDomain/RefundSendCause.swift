/// Why a refund transaction could not be sent, as `gateway_refund_send_errors_total` counts it:
/// a small fixed set, so that the label stays bounded and each value names a fix. Read from
/// the combined ``BroadcastOutcome`` and the providers' refusals, without IO.
public enum RefundSendCause: String, Sendable, Hashable, CaseIterable {
    /// The nonce is used or out of order ("nonce too low", "nonce too high"): another
    /// transaction of the wallet, or a gap.
    case nonce
    /// The fees are below a pool's floor or the base fee, or a replacement raised them too little.
    case underpriced
    /// The wallet cannot pay the gas: fund it with the native coin.
    case insufficientFunds = "insufficient_funds"
    /// Refused for good by every provider (malformed, wrong chain, gas too low).
    case rejected
    /// No provider answered in time.
    case timeout
    /// The providers failed as services: transport errors, HTTP statuses, broken answers, or no
    /// provider to ask.
    case provider
    /// A refusal the gateway does not recognise.
    case other

    /// The cause of one broadcast, or nil when a provider took it (or already held it).
    ///
    /// `refusals` are the providers' refusals as ``RPCFailure`` describes them (`JSON-RPC error
    /// CODE: message`, `request timed out`, `HTTP 429`, `transport error: …`). Unrecognised
    /// answers are read in this order, the first that matches winning: a JSON-RPC message about
    /// the nonce, a timeout, a provider's failure, then anything else.
    public static func classify(_ outcome: BroadcastOutcome, refusals: [String]) -> RefundSendCause? {
        switch outcome {
        case .accepted:
            return nil
        case .maybeSent:
            // "already known" means a pool holds it: not an error. A used nonce or a replacement
            // below the pool's bump is.
            let messages = refusals.compactMap(rpcMessage)
            if messages.contains(where: { $0.contains("nonce too low") }) { return .nonce }
            if messages.contains(where: { $0.contains("replacement") && $0.contains("underpriced") }) { return .underpriced }
            return nil
        case .insufficientFunds:
            return .insufficientFunds
        case .underpriced:
            return .underpriced
        case .rejected:
            return .rejected
        case .unavailable:
            let messages = refusals.compactMap(rpcMessage)
            if messages.contains(where: { $0.contains("nonce") }) { return .nonce }
            let lowered = refusals.map { $0.lowercased() }
            if lowered.contains(where: { $0.contains("timed out") || $0.contains("timeout") }) { return .timeout }
            if refusals.isEmpty || messages.count < refusals.count { return .provider }
            return .other
        }
    }

    /// The lowercased message of a `JSON-RPC error CODE: message` refusal, nil for any other.
    static func rpcMessage(_ refusal: String) -> String? {
        let prefix = "JSON-RPC error "
        guard refusal.hasPrefix(prefix), let colon = refusal.firstIndex(of: ":") else { return nil }
        return refusal[refusal.index(after: colon)...].lowercased()
    }
}
