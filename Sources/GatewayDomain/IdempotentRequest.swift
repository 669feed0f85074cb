import Crypto

/// What an `Idempotency-Key` is bound to: the method, the path and the exact body bytes. A
/// second request with the same key must match it, or it is refused.
public struct IdempotentRequest: Sendable, Hashable {
    public let method: String
    public let path: String
    public let body: [UInt8]

    public init(method: String, path: String, body: [UInt8]) {
        self.method = method
        self.path = path
        self.body = body
    }

    /// SHA-256 over `METHOD PATH\n` and the body.
    public var digest: [UInt8] {
        var hasher = SHA256()
        hasher.update(data: Array("\(method) \(path)\n".utf8))
        hasher.update(data: body)
        return Array(hasher.finalize())
    }
}
