import Crypto

/// What an API key may do. Every route names the scope it needs.
public enum APIScope: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Read merchants' objects (GET routes).
    case read
    /// Create, cancel and attach.
    case write
    case refund
    /// Manage API keys.
    case admin

    public static func < (lhs: APIScope, rhs: APIScope) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Parses `read,write` (order and repeats do not matter); an unknown or empty list is an error.
    public static func parseList(_ text: String) throws(RequestError) -> [APIScope] {
        try parse(text.split(separator: ",", omittingEmptySubsequences: false).map(String.init))
    }

    public static func parse(_ names: [String]) throws(RequestError) -> [APIScope] {
        var scopes = Set<APIScope>()
        for name in names {
            guard let scope = APIScope(rawValue: name.trimming(" ")) else {
                throw RequestError(
                    code: "scope_invalid", param: "scopes",
                    "'\(name)' is not a scope; use read, write, refund or admin")
            }
            scopes.insert(scope)
        }
        guard !scopes.isEmpty else { throw RequestError(code: "scope_invalid", param: "scopes", "give at least one scope") }
        return scopes.sorted()
    }
}

/// Test keys act on test networks only, live keys on live networks only.
public enum APIMode: String, Sendable, Hashable, CaseIterable {
    case test
    case live

    public var livemode: Bool { self == .live }

    public init(livemode: Bool) { self = livemode ? .live : .test }
}

/// A freshly generated API key secret: `sk_<mode>_` and 32 base62 characters. Only its
/// SHA-256 and its ``prefix`` are stored; the secret is shown once.
public struct APIKeySecret: Sendable, Hashable, CustomStringConvertible {
    public let mode: APIMode
    /// The whole secret. Never logged: ``description`` shows the prefix only.
    public let secret: String

    public static let randomLength = 32
    static let prefixRandomLength = 4

    public init<G: RandomNumberGenerator>(mode: APIMode, using generator: inout G) {
        self.mode = mode
        self.secret = "sk_\(mode.rawValue)_" + Base62.random(count: Self.randomLength, using: &generator)
    }

    public init(mode: APIMode) {
        var generator = SystemRandomNumberGenerator()
        self.init(mode: mode, using: &generator)
    }

    /// The visible part stored beside the hash: `sk_test_AbCd`.
    public var prefix: String { Self.prefix(of: secret)! }

    public var description: String { "APIKeySecret(\(prefix)…)" }

    /// The prefix of a presented key, or nil when it does not have the shape of a key.
    public static func prefix(of presented: String) -> String? {
        guard let mode = mode(of: presented) else { return nil }
        let head = "sk_\(mode.rawValue)_"
        let rest = presented.utf8.dropFirst(head.utf8.count)
        guard rest.count == randomLength, rest.allSatisfy(Base62.isDigit) else { return nil }
        return head + String(decoding: rest.prefix(prefixRandomLength), as: UTF8.self)
    }

    /// The mode a presented key claims by its shape.
    public static func mode(of presented: String) -> APIMode? {
        if presented.hasPrefix("sk_test_") { return .test }
        if presented.hasPrefix("sk_live_") { return .live }
        return nil
    }
}

/// An API key as stored: never its secret, only what identifies and limits it.
public struct APIKey: Sendable, Hashable {
    public let id: String
    public let merchantId: String
    /// The visible start of the secret (`sk_test_AbCd`).
    public let prefix: String
    public let livemode: Bool
    public let scopes: [APIScope]
    public let description: String?
    public let createdAt: Timestamp
    public let lastUsedAt: Timestamp?
    public let revokedAt: Timestamp?

    public init(
        id: String, merchantId: String, prefix: String, livemode: Bool, scopes: [APIScope], description: String?, createdAt: Timestamp,
        lastUsedAt: Timestamp?, revokedAt: Timestamp?
    ) {
        self.id = id
        self.merchantId = merchantId
        self.prefix = prefix
        self.livemode = livemode
        self.scopes = scopes
        self.description = description
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }

    public var mode: APIMode { APIMode(livemode: livemode) }

    public static let maxDescriptionLength = 500

    /// A key's description as given, or the refusal that names the field.
    public static func validatedDescription(_ description: String?) throws(RequestError) -> String? {
        guard let description else { return nil }
        guard description.count <= maxDescriptionLength else {
            throw RequestError(
                code: "description_invalid", param: "description", "description is at most \(maxDescriptionLength) characters")
        }
        return description
    }
}

extension APIKeySecret {
    /// The SHA-256 of a presented secret: the only form in which secrets are stored.
    public static func digest(_ presented: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(presented.utf8)))
    }

    /// Whether two digests are equal, in time that does not depend on where they differ.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
