import EthereumCore

/// What an API key may do. Every route names the scope it needs.
public enum ApiScope: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Read merchants' objects (GET routes).
    case read
    /// Create, cancel and attach.
    case write
    case refund
    /// Manage API keys.
    case admin

    public static func < (lhs: ApiScope, rhs: ApiScope) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Parses `read,write` (order and repeats do not matter); an unknown or empty list is an error.
    public static func parseList(_ text: String) throws(RequestError) -> [ApiScope] {
        try parse(text.split(separator: ",", omittingEmptySubsequences: false).map(String.init))
    }

    public static func parse(_ names: [String]) throws(RequestError) -> [ApiScope] {
        var scopes = Set<ApiScope>()
        for name in names {
            guard let scope = ApiScope(rawValue: name.trimmingSpaces) else {
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
public enum ApiMode: String, Sendable, Hashable, CaseIterable {
    case test
    case live

    public var livemode: Bool { self == .live }

    public init(livemode: Bool) { self = livemode ? .live : .test }
}

/// A freshly generated API key secret: `sk_<mode>_` and 32 base62 characters. Only its
/// SHA-256 and its ``prefix`` are stored; the secret is shown once.
public struct ApiKeySecret: Sendable, Hashable, CustomStringConvertible {
    public let mode: ApiMode
    /// The whole secret. Never logged: ``description`` shows the prefix only.
    public let secret: String

    public static let randomLength = 32
    static let prefixRandomLength = 4

    public init<G: RandomNumberGenerator>(mode: ApiMode, using generator: inout G) {
        self.mode = mode
        self.secret = "sk_\(mode.rawValue)_" + Base62.random(count: Self.randomLength, using: &generator)
    }

    public init(mode: ApiMode) {
        var generator = SystemRandomNumberGenerator()
        self.init(mode: mode, using: &generator)
    }

    /// The visible part stored beside the hash: `sk_test_AbCd`.
    public var prefix: String { Self.prefix(of: secret)! }

    public var description: String { "ApiKeySecret(\(prefix)…)" }

    /// The prefix of a presented key, or nil when it does not have the shape of a key.
    public static func prefix(of presented: String) -> String? {
        guard let mode = mode(of: presented) else { return nil }
        let head = "sk_\(mode.rawValue)_"
        let rest = presented.utf8.dropFirst(head.utf8.count)
        guard rest.count == randomLength, rest.allSatisfy(Base62.isDigit) else { return nil }
        return head + String(decoding: rest.prefix(prefixRandomLength), as: UTF8.self)
    }

    /// The mode a presented key claims by its shape.
    public static func mode(of presented: String) -> ApiMode? {
        if presented.hasPrefix("sk_test_") { return .test }
        if presented.hasPrefix("sk_live_") { return .live }
        return nil
    }
}

/// Random identifiers with a type prefix (`ps_`, `mer_`, `key_`, `cs_` …): 24 base62
/// characters, about 143 bits, so ids cannot be guessed.
public enum ObjectID {
    public static func make(_ prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        return make(prefix, using: &generator)
    }

    public static func make<G: RandomNumberGenerator>(_ prefix: String, using generator: inout G) -> String {
        "\(prefix)_" + Base62.random(count: 24, using: &generator)
    }

    /// A secret with a type prefix and `length` base62 characters (`whsec_…`), shown once.
    public static func secret(_ prefix: String, length: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        return "\(prefix)_" + Base62.random(count: length, using: &generator)
    }

    /// Whether `text` looks like an id of that prefix (it may still not exist).
    public static func isWellFormed(_ text: String, prefix: String) -> Bool {
        let head = "\(prefix)_"
        guard text.hasPrefix(head) else { return false }
        let rest = text.utf8.dropFirst(head.utf8.count)
        return (1...64).contains(rest.count) && rest.allSatisfy(Base62.isDigit)
    }
}

enum Base62 {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    static func random<G: RandomNumberGenerator>(count: Int, using generator: inout G) -> String {
        // Uniform choices: `random(in:)` rejects biased draws.
        String(decoding: (0..<count).map { _ in alphabet[Int.random(in: 0..<62, using: &generator)] }, as: UTF8.self)
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
