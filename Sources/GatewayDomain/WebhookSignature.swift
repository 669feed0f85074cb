import Crypto
import EthereumCore

/// The webhook signature scheme: `v1=` + hex HMAC-SHA256 over `timestamp + "." + body`,
/// keyed with the secret string exactly as shown to the merchant (its UTF-8 bytes, prefix
/// included). Several `v1=` values, comma-separated, while two secrets are active.
public enum WebhookSignature {
    public static func sign(secret: String, timestamp: Int64, body: [UInt8]) -> String {
        var message = Array("\(timestamp).".utf8)
        message += body
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(secret.utf8)))
        return "v1=" + Hex.encode(Array(mac), prefix: false)
    }

    /// The header value for the active secrets, newest first.
    public static func header(secrets: [String], timestamp: Int64, body: [UInt8]) -> String {
        secrets.map { sign(secret: $0, timestamp: timestamp, body: body) }.joined(separator: ",")
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case malformedHeader
        case mismatch
        case stale(ageSeconds: Int64)
        case future(seconds: Int64)

        public var description: String {
            switch self {
            case .malformedHeader: return "the signature header has no v1=<64 hex digits> value"
            case .mismatch: return "no signature matches this secret and body"
            case .stale(let age): return "the timestamp is \(age) s old, older than the tolerance (a replay?)"
            case .future(let seconds): return "the timestamp is \(seconds) s in the future, beyond the tolerance"
            }
        }
    }

    /// Checks a received request: some `v1=` value matches (compared in constant time) and
    /// the timestamp is within `tolerance` seconds of `now`.
    public static func verify(secret: String, timestamp: Int64, header: String, body: [UInt8], now: Int64, tolerance: Int64 = 300)
        throws(Failure)
    {
        let candidates = header.split(separator: ",").compactMap { part -> [UInt8]? in
            let text = String(part).trimming(" \t").lowercased()
            guard text.hasPrefix("v1="), text.count == 67 else { return nil }
            return Array(text.dropFirst(3).utf8)
        }
        guard !candidates.isEmpty else { throw .malformedHeader }
        let expected = Array(sign(secret: secret, timestamp: timestamp, body: body).dropFirst(3).utf8)
        var matched = false
        for candidate in candidates {
            var difference: UInt8 = 0
            for index in 0..<64 { difference |= candidate[index] ^ expected[index] }
            if difference == 0 { matched = true }
        }
        guard matched else { throw .mismatch }
        if now - timestamp > tolerance { throw .stale(ageSeconds: now - timestamp) }
        if timestamp - now > tolerance { throw .future(seconds: timestamp - now) }
    }
}
