import Foundation
import GatewayDomain
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Where a webhook may be sent: http(s) only (https for live endpoints), and never to a
/// loopback, private, link-local or metadata address unless the operator allows it for
/// development. Checked when an endpoint is registered and again before every attempt,
/// because DNS can change.
public enum WebhookTarget {
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case malformed
        case httpsRequired
        case unresolvable(String)
        case forbiddenAddress(String)

        public var description: String {
            switch self {
            case .malformed: return "the URL must be an absolute http(s) URL with a host"
            case .httpsRequired: return "live endpoints must use https"
            case .unresolvable(let host): return "the host \(host) does not resolve"
            case .forbiddenAddress(let host):
                return "\(host) resolves to a loopback, private, link-local or reserved address; webhooks are not sent there"
            }
        }
    }

    /// Where to connect for a checked URL: its host (for `Host` and TLS SNI) and the one
    /// address that was checked, so that a second resolution (DNS rebinding) cannot send the
    /// request elsewhere.
    public struct Pinned: Sendable, Hashable {
        public let host: String
        public let address: String

        public init(host: String, address: String) {
            self.host = host
            self.address = address
        }
    }

    /// Checks the URL and resolves its host on NIO's blocking-IO thread pool (never on the
    /// cooperative pool, where one merchant's slow DNS would stall everyone), refusing it when
    /// any of its addresses is forbidden; returns the address to connect to.
    @discardableResult
    public static func check(_ text: String, livemode: Bool, allowPrivate: Bool) async throws(Refusal) -> Pinned {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty, text.count <= 2048
        else { throw .malformed }
        if livemode && scheme != "https" { throw .httpsRequired }
        let name = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let addresses: [[UInt8]]
        do {
            addresses = try await NIOThreadPool.singleton.runIfActive { resolve(name) }
        } catch {
            throw .unresolvable(host)
        }
        guard !addresses.isEmpty else { throw .unresolvable(host) }
        if !allowPrivate {
            for address in addresses {
                let forbidden = address.count == 4 ? TargetAddress.isForbidden(ipv4: address) : TargetAddress.isForbidden(ipv6: address)
                if forbidden { throw .forbiddenAddress(host) }
            }
        }
        // IPv4 first, as most receivers are reachable there.
        let chosen = addresses.first { $0.count == 4 } ?? addresses[0]
        return Pinned(host: name, address: format(chosen))
    }

    /// An address's text form, as a connection target.
    static func format(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        var groups: [String] = []
        for index in stride(from: 0, to: bytes.count, by: 2) {
            groups.append(String(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]), radix: 16))
        }
        return groups.joined(separator: ":")
    }

    /// The host's IPv4 and IPv6 addresses (raw bytes), from the system resolver.
    static func resolve(_ host: String) -> [[UInt8]] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var out: [[UInt8]] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if let address = info.pointee.ai_addr {
                switch Int32(address.pointee.sa_family) {
                case AF_INET:
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        var value = pointer.pointee.sin_addr
                        out.append(withUnsafeBytes(of: &value) { Array($0) })
                    }
                case AF_INET6:
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        var value = pointer.pointee.sin6_addr
                        out.append(withUnsafeBytes(of: &value) { Array($0) })
                    }
                default: break
                }
            }
            cursor = info.pointee.ai_next
        }
        return out
    }
}
