import Foundation

/// Everything that can go wrong with one JSON-RPC call to one provider.
public enum RPCFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// The HTTP request did not complete (refused, reset, DNS); the text is for logs.
    case transport(String)
    /// No complete answer within the per-request timeout.
    case timeout
    /// An HTTP status other than 200; `retryAfter` is the `Retry-After` header in seconds.
    case http(status: Int, retryAfter: Double?)
    /// A JSON-RPC `error` object. Never treated as success.
    case rpc(code: Int, message: String)
    /// The result was `null` where a value is required (a block the node does not have yet).
    case nullResult(String)
    /// The body was not the JSON we expected (truncated, wrong shape, bad hex).
    case malformed(String)
    /// The answer contradicts itself or another source (logs that do not match their block,
    /// a head below what this provider already served).
    case inconsistent(String)
    /// No provider could answer; each provider's last failure is listed.
    case allProvidersFailed([String])

    /// What to do about a failure (CHAIN-RULES rule 7, after viem's and Alloy's retry rules).
    public enum Disposition: Sendable, Equatable {
        /// Transient: back off (honouring Retry-After) and try again, here or elsewhere.
        case retry
        /// The request itself is wrong (invalid params, execution reverted): no provider will
        /// answer differently, so stop.
        case final
        /// This provider is unfit for now: move on to the next one.
        case failover
    }

    public var disposition: Disposition {
        switch self {
        case .timeout, .nullResult: return .retry
        case .http(let status, _): return status == 429 || status == 408 || (500...599).contains(status) ? .retry : .failover
        case .rpc(let code, let message):
            let text = message.lowercased()
            if code == 3 || text.contains("execution reverted") || code == -32602 || text.contains("invalid argument") { return .final }
            if code == -32005 || text.contains("header not found") || text.contains("rate limit") || text.contains("too many requests")
                || code == -32603 && text.contains("timeout")
            {
                return .retry
            }
            return .failover
        case .transport, .malformed, .inconsistent: return .failover
        case .allProvidersFailed: return .final
        }
    }

    /// Seconds the server asked us to wait, if it did.
    public var retryAfter: Double? {
        if case .http(_, let seconds) = self { return seconds }
        return nil
    }

    /// True for "too many results" / "range too large" answers to `eth_getLogs`.
    public var isLogRangeTooLarge: Bool {
        guard case .rpc(let code, let message) = self else { return false }
        let text = message.lowercased()
        let phrases = [
            "query returned more than", "range too large", "response size exceeded", "too many results",
            "exceed maximum block range", "exceeds max block range", "limit exceeded", "query timeout",
        ]
        return code == -32005 || phrases.contains { text.contains($0) }
    }

    /// The block range a provider suggests in its error message, as Alchemy and Infura do:
    /// `… Try with this block range [0x1a2b, 0x1a3c].` The last bracketed pair of
    /// quantities in the message is taken.
    public var suggestedLogRange: ClosedRange<UInt64>? {
        guard case .rpc(_, let message) = self else { return nil }
        var result: ClosedRange<UInt64>? = nil
        var rest = Substring(message)
        while let open = rest.firstIndex(of: "[") {
            guard let close = rest[open...].firstIndex(of: "]") else { break }
            let parts = rest[rest.index(after: open)..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, let low = parseBlockNumber(parts[0]), let high = parseBlockNumber(parts[1]), low <= high {
                result = low...high
            }
            rest = rest[rest.index(after: close)...]
        }
        return result
    }

    /// A "range too large" answer whose suggested range does not lie inside the `requested`
    /// one becomes a malformed answer (that provider fails over); anything else is returned as
    /// it is. Alchemy and Infura suggest a range that starts where the request did.
    public func refusingAbsurdSuggestion(within requested: ClosedRange<UInt64>) -> RPCFailure {
        guard let suggested = suggestedLogRange,
            suggested.lowerBound < requested.lowerBound || suggested.upperBound > requested.upperBound
        else { return self }
        return .malformed(
            "suggested log range \(suggested.lowerBound)...\(suggested.upperBound) lies outside the requested "
                + "\(requested.lowerBound)...\(requested.upperBound)")
    }

    public var description: String {
        switch self {
        case .transport(let text): return "transport error: \(text)"
        case .timeout: return "request timed out"
        case .http(let status, let retryAfter):
            return "HTTP \(status)" + (retryAfter.map { " (retry after \($0)s)" } ?? "")
        case .rpc(let code, let message): return "JSON-RPC error \(code): \(message.prefix(300))"
        case .nullResult(let method): return "\(method) returned null"
        case .malformed(let text): return "malformed response: \(text)"
        case .inconsistent(let text): return "inconsistent response: \(text)"
        case .allProvidersFailed(let failures): return "no provider could answer: " + failures.joined(separator: "; ")
        }
    }
}

private func parseBlockNumber(_ text: String) -> UInt64? {
    if text.hasPrefix("0x") { return UInt64(text.dropFirst(2), radix: 16) }
    return UInt64(text)
}
