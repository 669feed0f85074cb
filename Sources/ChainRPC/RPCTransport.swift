import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP answer from a provider.
public struct RPCHTTPResponse: Sendable {
    public let status: Int
    public let retryAfter: Double?
    public let body: [UInt8]

    public init(status: Int, retryAfter: Double?, body: [UInt8]) {
        self.status = status
        self.retryAfter = retryAfter
        self.body = body
    }
}

/// How JSON-RPC bytes reach a provider. The real one is ``HTTPTransport``; unit tests use fakes.
public protocol RPCTransport: Sendable {
    /// The provider's URL with any credentials removed, safe to log and print.
    var displayURL: String { get }
    func post(_ body: [UInt8], timeout: Duration) async throws(RPCFailure) -> RPCHTTPResponse
}

/// JSON-RPC over HTTP(S) with AsyncHTTPClient.
public struct HTTPTransport: RPCTransport {
    public let url: String
    public let displayURL: String
    let client: HTTPClient
    /// Responses larger than this are refused (a hostile or broken provider cannot exhaust memory).
    let maxResponseBytes: Int

    /// The HTTP client for providers. It does not retry failed connection attempts by
    /// itself (the provider pool retries and fails over), so a refused connection fails at
    /// once instead of at the request deadline.
    public static let sharedClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(url: String, client: HTTPClient = HTTPTransport.sharedClient, maxResponseBytes: Int = 64 << 20) {
        self.url = url
        self.displayURL = redactedURL(url)
        self.client = client
        self.maxResponseBytes = maxResponseBytes
    }

    public func post(_ body: [UInt8], timeout: Duration) async throws(RPCFailure) -> RPCHTTPResponse {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        // At most a day: NIO counts nanoseconds in an Int64.
        let milliseconds = min(max(timeout.clampedMilliseconds, 1), 86_400_000)
        do {
            let response = try await client.execute(request, timeout: .milliseconds(milliseconds))
            let bytes = try await response.body.collect(upTo: maxResponseBytes)
            let retryAfter = response.headers.first(name: "Retry-After").flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            return RPCHTTPResponse(status: Int(response.status.code), retryAfter: retryAfter, body: Array(buffer: bytes))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw .timeout
        } catch {
            throw .transport(String(describing: error).prefix(200).description)
        }
    }
}

/// `https://user:secret@host/path/KEY` → `https://host/…`: credentials in the user part
/// are dropped, and path segments or query strings (where providers put API keys) are hidden.
public func redactedURL(_ url: String) -> String {
    guard let components = URLComponents(string: url), let host = components.host else { return "<invalid url>" }
    var out = "\(components.scheme ?? "http")://\(host)"
    if let port = components.port { out += ":\(port)" }
    let path = components.path
    if !path.isEmpty && path != "/" { out += "/…" }
    if components.query != nil { out += "?…" }
    return out
}
