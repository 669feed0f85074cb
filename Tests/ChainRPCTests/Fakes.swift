import ChainRPC
import EthereumCore
import Foundation

// MARK: Scripted providers

/// What a scripted provider answers to one request.
enum Reply: Sendable {
    /// HTTP 200 with `{"jsonrpc","id","result": <json>}`; `json` is JSON text.
    case result(String)
    /// HTTP 200 with a JSON-RPC `error` object.
    case rpcError(code: Int, message: String)
    /// Any status, retry hint and body.
    case http(status: Int, retryAfter: Double?, body: String)
    /// HTTP 200 with exactly this body.
    case raw([UInt8])
    /// The request never completes: the transport itself fails.
    case fail(RPCFailure)
}

/// One request as the provider received it.
struct SentRequest {
    let method: String
    let params: [Any]
    let id: Int
    /// 0-based position of this request among all requests this provider received.
    let number: Int

    /// A quantity field of the first parameter (an `eth_getLogs` filter), e.g. `fromBlock`.
    func filterNumber(_ key: String) -> UInt64? {
        guard let text = (params.first as? [String: Any])?[key] as? String else { return nil }
        return hexUInt64(text)
    }

    func filterString(_ key: String) -> String? { (params.first as? [String: Any])?[key] as? String }
}

/// A provider that answers from a script and remembers what it was asked. Safe to share
/// between tasks: every access to its record goes through a lock.
final class ScriptedTransport: RPCTransport, @unchecked Sendable {
    let displayURL: String
    private let answer: @Sendable (SentRequest) -> Reply
    private let lock = NSLock()
    private var methodsSeen: [String] = []
    private var paramsSeen: [[Any]] = []
    private var bodiesSeen: [[UInt8]] = []

    init(_ displayURL: String, answer: @escaping @Sendable (SentRequest) -> Reply) {
        self.displayURL = displayURL
        self.answer = answer
    }

    /// A provider that gives the same reply to everything.
    convenience init(_ displayURL: String, always reply: Reply) {
        self.init(displayURL) { _ in reply }
    }

    var methods: [String] { lock.withLock { methodsSeen } }
    var params: [[Any]] { lock.withLock { paramsSeen } }
    var bodies: [[UInt8]] { lock.withLock { bodiesSeen } }
    var callCount: Int { lock.withLock { methodsSeen.count } }

    func post(_ body: [UInt8], timeout: Duration) async throws(RPCFailure) -> RPCHTTPResponse {
        let object = try? JSONSerialization.jsonObject(with: Data(body))
        let method: String
        let params: [Any]
        let id: Int
        if let single = object as? [String: Any] {
            method = single["method"] as? String ?? "?"
            params = single["params"] as? [Any] ?? []
            id = single["id"] as? Int ?? 0
        } else {
            method = "batch"
            params = object as? [Any] ?? []
            id = 0
        }
        let number = lock.withLock {
            methodsSeen.append(method)
            paramsSeen.append(params)
            bodiesSeen.append(body)
            return methodsSeen.count - 1
        }
        switch answer(SentRequest(method: method, params: params, id: id, number: number)) {
        case .result(let json):
            return RPCHTTPResponse(status: 200, retryAfter: nil, body: Array("{\"jsonrpc\":\"2.0\",\"id\":\(id),\"result\":\(json)}".utf8))
        case .rpcError(let code, let message):
            let envelope: [String: Any] = ["jsonrpc": "2.0", "id": id, "error": ["code": code, "message": message]]
            return RPCHTTPResponse(status: 200, retryAfter: nil, body: Array(try! JSONSerialization.data(withJSONObject: envelope)))
        case .http(let status, let retryAfter, let text):
            return RPCHTTPResponse(status: status, retryAfter: retryAfter, body: Array(text.utf8))
        case .raw(let bytes):
            return RPCHTTPResponse(status: 200, retryAfter: nil, body: bytes)
        case .fail(let failure):
            throw failure
        }
    }
}

/// Runs `body` and keeps its outcome, so that tests can compare it with an exact value.
func outcome<T>(_ body: () async throws(RPCFailure) -> T) async -> Result<T, RPCFailure> {
    do throws(RPCFailure) {
        return .success(try await body())
    } catch {
        return .failure(error)
    }
}

/// A pool configuration that keeps tests fast.
func fastConfiguration(rounds: Int = 3, initialLogRange: UInt64 = 2_000) -> ProviderPool.Configuration {
    var configuration = ProviderPool.Configuration()
    configuration.baseBackoff = .milliseconds(1)
    configuration.maxBackoff = .milliseconds(5)
    configuration.maxRounds = rounds
    configuration.initialLogRange = initialLogRange
    return configuration
}

func pool(_ transports: [ScriptedTransport], _ configuration: ProviderPool.Configuration = fastConfiguration()) -> ProviderPool {
    ProviderPool(
        network: "testnet", clients: transports.map { JSONRPCClient(transport: $0, timeout: .seconds(1)) }, configuration: configuration)
}

// MARK: Independent helpers (written for the tests, not shared with the code under test)

/// `0x`-prefixed hex quantity → UInt64.
func hexUInt64(_ text: String) -> UInt64? {
    guard text.hasPrefix("0x") || text.hasPrefix("0X") else { return nil }
    return UInt64(text.dropFirst(2), radix: 16)
}

/// The canonical quantity form of a `0x` number as a node may write it: lowercase, no leading zeros.
func canonicalQuantity(_ text: String) -> String {
    let digits = text.lowercased().dropFirst(2).drop { $0 == "0" }
    return digits.isEmpty ? "0x0" : "0x" + digits
}

/// `0x` + 64 hex digits for a UInt64 (a log topic or data word).
func word(_ value: UInt64) -> String {
    let hex = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 64 - hex.count) + hex
}

func quantity(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

/// A 32-byte value derived from a label, for made-up block and transaction hashes.
func fakeHash(_ label: String) -> String { Keccak256.hash(text: label).hex }

/// A 2048-bit log bloom built the Yellow Paper way (M3:2048): for each item, the low 11 bits
/// of the first three big-endian 16-bit pairs of its Keccak-256 pick the bits to set; bit
/// `b` lives in byte `255 - b / 8`.
struct ReferenceBloom {
    var bytes = [UInt8](repeating: 0, count: 256)

    static func positions(_ item: [UInt8]) -> [Int] {
        let digest = Keccak256.hash(item).bytes
        return [0, 2, 4].map { (Int(digest[$0]) * 256 + Int(digest[$0 + 1])) % 2048 }
    }

    mutating func add(_ item: [UInt8]) {
        for bit in Self.positions(item) { bytes[255 - bit / 8] |= UInt8(1 << (bit % 8)) }
    }

    static func contains(_ item: [UInt8], in bloom: [UInt8]) -> Bool {
        positions(item).allSatisfy { bloom[255 - $0 / 8] & UInt8(1 << ($0 % 8)) != 0 }
    }
}

/// The JSON text of a log object as a node returns it.
func logJSON(
    address: String, topics: [String], data: String, blockNumber: UInt64, blockHash: String, transactionHash: String,
    transactionIndex: UInt64 = 0, logIndex: UInt64, removed: Bool = false
) -> String {
    let topicList = topics.map { "\"\($0)\"" }.joined(separator: ",")
    return """
        {"address":"\(address)","topics":[\(topicList)],"data":"\(data)","blockNumber":"\(quantity(blockNumber))",\
        "blockHash":"\(blockHash)","transactionHash":"\(transactionHash)","transactionIndex":"\(quantity(transactionIndex))",\
        "logIndex":"\(quantity(logIndex))","removed":\(removed)}
        """
}

extension CircuitBreaker.State {
    var isOpen: Bool {
        if case .open = self { return true }
        return false
    }
}
