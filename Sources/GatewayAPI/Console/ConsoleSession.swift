import Foundation
import GatewayDomain
import GatewayStore
import Hummingbird

/// What a signed-in console session holds: who signed in, and the token every form of the
/// session must carry (CSRF).
public struct ConsoleSession: Codable, Sendable, Hashable {
    public let userId: String
    public let csrfToken: String

    public init(userId: String, csrfToken: String) {
        self.userId = userId
        self.csrfToken = csrfToken
    }
}

/// The session middleware's storage in Postgres (``ConsoleStore``): every gateway process on the
/// database shares the sessions, and a restart signs nobody out. Only the SHA-256 of a session's
/// key is stored.
struct ConsolePersistDriver: PersistDriver {
    let store: ConsoleStore

    func create<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        guard try await store.createSession(key: key, json: Array(JSONEncoder().encode(value)), expires: expires) else {
            throw PersistError.duplicate
        }
    }

    func set<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        try await store.setSession(key: key, json: Array(JSONEncoder().encode(value)), expires: expires)
    }

    func get<Object: Codable & Sendable>(key: String, as type: Object.Type) async throws -> Object? {
        try await getWithTTL(key: key, as: type)?.object
    }

    func getWithTTL<Object: Codable & Sendable>(key: String, as type: Object.Type) async throws -> (object: Object, ttl: Duration?)? {
        guard let (json, left) = try await store.session(key: key) else { return nil }
        do {
            return (try JSONDecoder().decode(type, from: Data(json)), left.map { .seconds(max(0, $0)) })
        } catch {
            throw PersistError.invalidConversion
        }
    }

    func remove(key: String) async throws {
        try await store.removeSession(key: key)
    }
}

/// Random tokens for forms and sessions, and their comparison in constant time.
enum ConsoleToken {
    static func make() -> String { ObjectID.secret("csrf", length: 32) }

    static func matches(_ presented: String?, _ expected: String?) -> Bool {
        guard let presented, let expected else { return false }
        let a = Array(presented.utf8)
        let b = Array(expected.utf8)
        guard a.count == b.count, !a.isEmpty else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
