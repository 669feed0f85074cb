import Crypto

/// A person who signs in to the web console.
public struct ConsoleUser: Sendable, Hashable, Codable {
    public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
        /// Sees every merchant, the networks, balances and queues; acts for no merchant.
        case operations = "operator"
        /// Sees and acts for one merchant.
        case merchant
    }

    public let id: String
    public let email: String
    public let role: Role
    /// The merchant of a merchant user; nil for an operator.
    public let merchantId: String?

    public init(id: String, email: String, role: Role, merchantId: String?) {
        self.id = id
        self.email = email
        self.role = role
        self.merchantId = merchantId
    }

    /// Whether this user may see the merchant's sessions, payments and refunds.
    public func canView(merchantId other: String) -> Bool {
        switch role {
        case .operations: return true
        case .merchant: return merchantId == other
        }
    }

    /// Whether this user may refund, manage keys and endpoints for the merchant: its own users
    /// only. An operator watches; acting for a merchant needs that merchant's role.
    public func canAct(for other: String) -> Bool {
        role == .merchant && merchantId == other
    }

    /// The merchant whose data a list shows: a merchant user's own, whatever was asked; an
    /// operator's choice (nil: every merchant).
    public func merchantScope(requested: String?) -> String? {
        switch role {
        case .operations: return requested
        case .merchant: return merchantId
        }
    }
}

/// The rules for a user's email and password, decided before anything is stored.
public enum ConsoleCredentials {
    public enum Problem: Error, Sendable, Hashable, CustomStringConvertible {
        case emailInvalid
        case passwordTooShort(minimum: Int)
        case passwordTooLong(maximum: Int)
        case passwordHasNUL
        case merchantRequired
        case merchantNotAllowed

        public var description: String {
            switch self {
            case .emailInvalid: return "the email must look like name@domain (at most 254 characters, no spaces)"
            case .passwordTooShort(let minimum): return "the password must be at least \(minimum) characters"
            case .passwordTooLong(let maximum): return "the password must be at most \(maximum) bytes (bcrypt reads no further)"
            case .passwordHasNUL: return "the password must not contain a NUL character (bcrypt would stop reading there)"
            case .merchantRequired: return "a merchant user needs --merchant mer_…"
            case .merchantNotAllowed: return "an operator belongs to no merchant: leave out --merchant"
            }
        }
    }

    public static let minimumPasswordLength = 12
    /// bcrypt uses the first 72 bytes of a password; a longer one would be cut silently.
    public static let maximumPasswordBytes = 72

    /// The email as stored and compared: trimmed and lower-cased; nil when it is not an address.
    public static func normalizedEmail(_ text: String) -> String? {
        let email = text.trimmingWhitespace().lowercased()
        guard (3...254).contains(email.utf8.count) else { return nil }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix(".")
        else { return nil }
        guard email.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && $0 != "<" && $0 != ">" }) else { return nil }
        return email
    }

    /// Checks a new user's fields; returns the normalized email.
    public static func check(email: String, password: String, role: ConsoleUser.Role, merchantId: String?) throws(Problem) -> String {
        guard let normalized = normalizedEmail(email) else { throw .emailInvalid }
        guard password.count >= minimumPasswordLength else { throw .passwordTooShort(minimum: minimumPasswordLength) }
        guard password.utf8.count <= maximumPasswordBytes else { throw .passwordTooLong(maximum: maximumPasswordBytes) }
        guard !password.utf8.contains(0) else { throw .passwordHasNUL }
        switch (role, merchantId) {
        case (.merchant, nil): throw .merchantRequired
        case (.operations, .some): throw .merchantNotAllowed
        default: return normalized
        }
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}

/// The stored form of a console session's key.
public enum ConsoleSessionKey {
    /// SHA-256 of the key: a copy of the sessions table lets nobody in.
    public static func digest(_ key: String) -> [UInt8] { Array(SHA256.hash(data: Array(key.utf8))) }
}
