import Foundation
import PostgresNIO

/// Where the database is, from a URL such as
/// `postgres://user:password@host:5432/gateway?sslmode=disable` (the `DATABASE_URL`).
///
/// The scheme is `postgres` or `postgresql`; user, password, host and database are
/// percent-decoded (a password containing `/`, `?`, `#` or `%` must be percent-encoded; `@` and
/// `:` may stand as they are). The port defaults to 5432. A host that starts with `/` (written
/// `%2Fvar%2Frun%2Fpostgresql`) is a unix socket directory. Query parameters: `sslmode`
/// (`disable`, `allow`, `prefer` — the default —, `require`, `verify-ca`, `verify-full`, with
/// libpq's meanings: only the `verify-` modes check the server's certificate),
/// `application_name` and `connect_timeout` (seconds); any other parameter is refused, so that
/// a typo cannot go unnoticed.
///
/// The password never appears in descriptions, mirrors or errors: ``redactedURL`` shows `***`.
public struct DatabaseConfiguration: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    /// A host name or IP address, or a unix socket directory (starting with `/`).
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    public var applicationName: String?
    /// Seconds.
    public var connectTimeout: Int?

    public init(
        host: String, port: Int = 5432, username: String, password: String? = nil, database: String, sslMode: SSLMode = .prefer,
        applicationName: String? = nil, connectTimeout: Int? = nil
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.sslMode = sslMode
        self.applicationName = applicationName
        self.connectTimeout = connectTimeout
    }

    /// Parses a `postgres://` URL.
    public init(url text: String) throws(DatabaseURLError) {
        let rest: Substring
        if text.hasPrefix("postgres://") {
            rest = text.dropFirst("postgres://".count)
        } else if text.hasPrefix("postgresql://") {
            rest = text.dropFirst("postgresql://".count)
        } else {
            throw .notAPostgresURL
        }
        // The authority runs to the first `/` or `?`; the user information to its last `@`.
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var tail = rest[authorityEnd...]
        if tail.contains("#") { throw .fragmentNotAllowed }

        var hostPort = authority
        var username: String?
        var password: String?
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                username = try Self.decode(userInfo[..<colon], part: "user name")
                password = try Self.decode(userInfo[userInfo.index(after: colon)...], part: "password")
            } else {
                username = try Self.decode(userInfo, part: "user name")
            }
        }
        guard let username, !username.isEmpty else { throw .missingUser }

        var hostText = hostPort
        var port = 5432
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw .invalidHost }
            hostText = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidHost }
                port = try Self.parsePort(after.dropFirst())
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            hostText = hostPort[..<colon]
            port = try Self.parsePort(hostPort[hostPort.index(after: colon)...])
        }
        let host = try Self.decode(hostText, part: "host")
        guard !host.isEmpty else { throw .missingHost }

        var database = ""
        var query: Substring = ""
        if tail.hasPrefix("/") {
            tail = tail.dropFirst()
            let queryStart = tail.firstIndex(of: "?") ?? tail.endIndex
            database = try Self.decode(tail[..<queryStart], part: "database name")
            query = tail[queryStart...].dropFirst()
        } else if tail.hasPrefix("?") {
            query = tail.dropFirst()
        }
        guard !database.isEmpty else { throw .missingDatabase }

        var sslMode = SSLMode.prefer
        var applicationName: String?
        var connectTimeout: Int?
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try Self.decode(parts[0], part: "parameter name")
            let value = try Self.decode(parts.count > 1 ? parts[1] : "", part: "parameter \(name)")
            switch name {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw .invalidParameter(name: name, expected: "one of " + SSLMode.allCases.map(\.rawValue).joined(separator: ", "))
                }
                sslMode = mode
            case "application_name":
                applicationName = value
            case "connect_timeout":
                guard let seconds = Int(value), seconds > 0 else {
                    throw .invalidParameter(name: name, expected: "a positive number of seconds")
                }
                connectTimeout = seconds
            default:
                throw .unsupportedParameter(name)
            }
        }
        self.init(
            host: host, port: port, username: username, password: password, database: database, sslMode: sslMode,
            applicationName: applicationName, connectTimeout: connectTimeout)
    }

    /// The configuration from the environment variable `variable` (`DATABASE_URL`).
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment, variable: String = "DATABASE_URL"
    ) throws(DatabaseURLError) -> DatabaseConfiguration {
        guard let text = environment[variable], !text.isEmpty else { throw .notSet(variable) }
        return try DatabaseConfiguration(url: text)
    }

    /// The same server and credentials, another database.
    public func with(database: String) -> DatabaseConfiguration {
        var copy = self
        copy.database = database
        return copy
    }

    /// The configuration of a `PostgresClient` (its pool).
    public var clientConfiguration: PostgresClient.Configuration { clientConfiguration(pool: DatabasePoolSettings()) }

    /// The configuration of a `PostgresClient` with these pool and session settings: every
    /// session the pool opens carries the statement, lock and idle-in-transaction timeouts.
    public func clientConfiguration(pool: DatabasePoolSettings) -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if host.hasPrefix("/") {
            let directory = host.hasSuffix("/") ? String(host.dropLast()) : host
            configuration = .init(
                unixSocketPath: "\(directory)/.s.PGSQL.\(port)", username: username, password: password, database: database)
        } else {
            configuration = .init(host: host, port: port, username: username, password: password, database: database, tls: tls)
        }
        if let applicationName { configuration.options.additionalStartupParameters.append(("application_name", applicationName)) }
        configuration.options.connectTimeout = connectTimeout.map { .seconds($0) } ?? pool.connectTimeout
        configuration.options.maximumConnections = pool.maximumConnections
        configuration.options.connectionIdleTimeout = pool.idleTimeout
        configuration.options.keepAliveBehavior = .init(frequency: pool.keepAliveInterval)
        configuration.options.additionalStartupParameters += pool.sessionParameters
        return configuration
    }

    /// TLS settings for the modes that use TLS: only the `verify-` modes check the certificate.
    var tlsConfiguration: TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case .disable, .allow, .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        return tls
    }

    var tls: PostgresClient.Configuration.TLS {
        switch sslMode {
        case .disable: return .disable
        case .allow, .prefer: return .prefer(tlsConfiguration)
        case .require, .verifyCA, .verifyFull: return .require(tlsConfiguration)
        }
    }

    /// The URL with the password replaced by `***`.
    public var redactedURL: String {
        var text = "postgres://" + Self.encode(username)
        if password != nil { text += ":***" }
        text += "@"
        if host.contains(":") {
            text += "[\(host)]"
        } else {
            text += Self.encode(host)
        }
        text += ":\(port)/" + Self.encode(database)
        var parameters = ["sslmode=\(sslMode.rawValue)"]
        if let applicationName { parameters.append("application_name=" + Self.encode(applicationName)) }
        if let connectTimeout { parameters.append("connect_timeout=\(connectTimeout)") }
        return text + "?" + parameters.joined(separator: "&")
    }

    public var description: String { redactedURL }
    public var debugDescription: String { "DatabaseConfiguration(\(redactedURL))" }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "host": host, "port": port, "username": username, "password": password == nil ? "nil" : "***",
                "database": database, "sslMode": sslMode.rawValue, "applicationName": applicationName as Any,
                "connectTimeout": connectTimeout as Any,
            ], displayStyle: .struct)
    }

    // MARK: Parsing helpers

    private static func parsePort(_ text: Substring) throws(DatabaseURLError) -> Int {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(text), (1...65535).contains(port) else {
            throw .invalidPort
        }
        return port
    }

    /// Percent-decoding; `part` names the component in the error (never its value).
    private static func decode(_ text: Substring, part: String) throws(DatabaseURLError) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var utf8 = text.utf8[...]
        while let byte = utf8.first {
            utf8 = utf8.dropFirst()
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard utf8.count >= 2, let high = hexValue(utf8[utf8.startIndex]), let low = hexValue(utf8[utf8.index(after: utf8.startIndex)])
            else { throw .invalidPercentEncoding(part: part) }
            bytes.append(high << 4 | low)
            utf8 = utf8.dropFirst(2)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else { throw .invalidPercentEncoding(part: part) }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if byte < 0x80, c.isLetter || c.isNumber || "-._~".contains(c) {
                out.append(c)
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}

/// Why a database URL was refused. No case carries the URL or its password.
public enum DatabaseURLError: Error, Sendable, Equatable, CustomStringConvertible {
    case notSet(String)
    case notAPostgresURL
    case missingUser
    case missingHost
    case invalidHost
    case invalidPort
    case missingDatabase
    case fragmentNotAllowed
    case invalidPercentEncoding(part: String)
    case unsupportedParameter(String)
    case invalidParameter(name: String, expected: String)

    public var description: String {
        let form = "postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=disable"
        switch self {
        case .notSet(let variable): return "\(variable) is not set: give the database as \(form)"
        case .notAPostgresURL: return "the database URL must start with postgres:// or postgresql:// (\(form))"
        case .missingUser: return "the database URL names no user (\(form))"
        case .missingHost: return "the database URL names no host (\(form))"
        case .invalidHost: return "the database URL's host is malformed (an IPv6 address is written [::1])"
        case .invalidPort: return "the database URL's port is not a number from 1 to 65535"
        case .missingDatabase: return "the database URL names no database (\(form))"
        case .fragmentNotAllowed:
            return "the database URL contains '#' after its host: percent-encode it (%23)"
        case .invalidPercentEncoding(let part): return "the database URL's \(part) has an invalid percent-encoding"
        case .unsupportedParameter(let name):
            return "the database URL has an unsupported parameter '\(name)' (supported: sslmode, application_name, connect_timeout)"
        case .invalidParameter(let name, let expected): return "the database URL's \(name) must be \(expected)"
        }
    }
}
