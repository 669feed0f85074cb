import EthereumCore
import Foundation

/// A JSON value for request parameters (Sendable, unlike Foundation's `Any`).
public indirect enum RPCParam: Sendable, Hashable {
    case string(String)
    case bool(Bool)
    case int(Int)
    case null
    case array([RPCParam])
    case object([String: RPCParam])

    var foundation: Any {
        switch self {
        case .string(let s): return s
        case .bool(let b): return b
        case .int(let i): return i
        case .null: return NSNull()
        case .array(let a): return a.map(\.foundation)
        case .object(let o): return o.mapValues(\.foundation)
        }
    }

    static func from(_ value: Any) -> RPCParam {
        switch value {
        case let s as String: return .string(s)
        case let a as [Any]: return .array(a.map(from))
        case let o as [String: Any]: return .object(o.mapValues(from))
        case is NSNull: return .null
        case let b as Bool: return .bool(b)
        case let i as Int: return .int(i)
        default: return .null
        }
    }
}

/// One JSON-RPC call: a method and its parameters.
public struct RPCCall: Sendable, Hashable {
    public let method: String
    public let params: [RPCParam]

    public init(_ method: String, _ params: [RPCParam] = []) {
        self.method = method
        self.params = params
    }
}

/// A JSON-RPC client for one provider: framing, batches, timeouts and error mapping.
/// Failover, retries and health live in ``ProviderPool``.
public struct JSONRPCClient: Sendable {
    public let transport: any RPCTransport
    public let timeout: Duration

    public init(transport: any RPCTransport, timeout: Duration = .seconds(10)) {
        self.transport = transport
        self.timeout = timeout
    }

    /// Sends one call and returns its `result` decoded by `parse` (from the answer's bytes when
    /// the decoder can, see ``RPCResultDecoder``). An `error` object, a missing result or an
    /// HTTP failure becomes an ``RPCFailure``.
    public func request<T: Sendable>(_ call: RPCCall, parse: RPCResultDecoder<T>) async throws(RPCFailure) -> T {
        let envelope: [String: Any] = ["jsonrpc": "2.0", "id": 1, "method": call.method, "params": call.params.map(\.foundation)]
        let response = try await transport.post(try Self.encode(envelope), timeout: timeout)
        guard response.status == 200 else { throw Self.httpFailure(response) }
        if case .decoded(let value) = parse.decode(body: response.body) { return value }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed]) } catch {
            throw .malformed("\(call.method): body is not JSON (\(response.body.count) bytes)")
        }
        if object is [Any] { throw .malformed("\(call.method): batch answer to a single call") }
        return try parse.object(try Self.result(of: object, method: call.method))
    }

    /// Sends one call and returns its `result` parsed from Foundation's objects by `parse`.
    public func request<T: Sendable>(_ call: RPCCall, parse: @escaping @Sendable (Any) throws(RPCFailure) -> T) async throws(RPCFailure)
        -> T
    {
        try await request(call, parse: RPCResultDecoder(parse))
    }

    /// Sends several calls in one JSON-RPC batch. Results come back in call order, matched by id;
    /// a call missing from the answer is a failure of that call. An honest answer is decoded
    /// from its bytes (``RPCResultDecoder/decodeBatch(body:count:)``); any other the Foundation
    /// way, call by call.
    public func batch<T: Sendable>(_ calls: [RPCCall], parse: RPCResultDecoder<T>) async throws(RPCFailure) -> [Result<T, RPCFailure>] {
        guard !calls.isEmpty else { return [] }
        let envelopes: [[String: Any]] = calls.enumerated().map { index, call in
            ["jsonrpc": "2.0", "id": index + 1, "method": call.method, "params": call.params.map(\.foundation)]
        }
        let response = try await transport.post(try Self.encode(envelopes), timeout: timeout)
        guard response.status == 200 else { throw Self.httpFailure(response) }
        if let values = parse.decodeBatch(body: response.body, count: calls.count) { return values.map { .success($0) } }
        guard let answers = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [[String: Any]] else {
            throw .malformed("batch: body is not a JSON array")
        }
        var byId = [Int: [String: Any]]()
        for answer in answers { if let id = answer["id"] as? Int { byId[id] = answer } }
        return calls.enumerated().map { index, call in
            guard let answer = byId[index + 1] else { return .failure(.malformed("batch: no answer for \(call.method)")) }
            do throws(RPCFailure) {
                return .success(try parse.object(try Self.result(of: answer, method: call.method)))
            } catch {
                return .failure(error)
            }
        }
    }

    /// The same, with results parsed from Foundation's objects by `parse`.
    public func batch<T: Sendable>(
        _ calls: [RPCCall], parse: @escaping @Sendable (Any) throws(RPCFailure) -> T
    ) async throws(RPCFailure) -> [Result<T, RPCFailure>] {
        try await batch(calls, parse: RPCResultDecoder(parse))
    }

    /// A status other than 200 as a failure. A `Retry-After` the pool cannot honour (negative,
    /// infinite, NaN, more than a day) makes the whole answer malformed: that provider fails
    /// over instead of making the pool wait for ever (CHAIN-RULES rule 13).
    static func httpFailure(_ response: RPCHTTPResponse) -> RPCFailure {
        if let seconds = response.retryAfter, !RPCLimits.isUsableRetryAfter(seconds) {
            return .malformed("HTTP \(response.status) with an unusable Retry-After (\(seconds))")
        }
        return .http(status: response.status, retryAfter: response.retryAfter)
    }

    static func encode(_ object: Any) throws(RPCFailure) -> [UInt8] {
        do { return Array(try JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])) } catch {
            throw .malformed("request could not be encoded")
        }
    }

    /// The `result` of a response object, `NSNull` for a JSON null.
    static func result(of object: Any, method: String) throws(RPCFailure) -> Any {
        guard let envelope = object as? [String: Any] else { throw .malformed("\(method): response is not an object") }
        if let error = envelope["error"], !(error is NSNull) {
            let fields = error as? [String: Any]
            throw .rpc(code: (fields?["code"] as? Int) ?? 0, message: (fields?["message"] as? String) ?? "\(error)")
        }
        guard let result = envelope["result"] else { throw .malformed("\(method): response has neither result nor error") }
        return result
    }
}

// MARK: Typed calls

/// Parsers for results, shared by single calls, batches and the pool.
public enum RPCParse {
    @Sendable public static func quantity(_ value: Any) throws(RPCFailure) -> UInt256 {
        guard let text = value as? String else { throw value is NSNull ? .nullResult("quantity") : .malformed("expected a hex quantity") }
        return try parseQuantity(text, "result")
    }

    @Sendable public static func uint64(_ value: Any) throws(RPCFailure) -> UInt64 {
        guard let n = try quantity(value).uint64 else { throw .malformed("result does not fit 64 bits") }
        return n
    }

    /// A block height (`eth_blockNumber`), refused above ``RPCLimits/maxBlockNumber``: a
    /// provider that answers 2^64 - 1 is broken, not far ahead.
    @Sendable public static func blockNumber(_ value: Any) throws(RPCFailure) -> UInt64 {
        let number = try uint64(value)
        guard number <= RPCLimits.maxBlockNumber else { throw .malformed("block number \(number) is above \(RPCLimits.maxBlockNumber)") }
        return number
    }

    @Sendable public static func bytes(_ value: Any) throws(RPCFailure) -> [UInt8] {
        guard let text = value as? String, let bytes = try? Hex.decode(text, requirePrefix: true) else {
            throw value is NSNull ? .nullResult("data") : .malformed("expected hex data")
        }
        return bytes
    }

    /// A block, or `nil` when the node does not have it.
    @Sendable public static func block(_ value: Any) throws(RPCFailure) -> RPCBlock? {
        value is NSNull ? nil : try RPCBlock(json: value)
    }

    /// Logs. A `null` result is an error, never "no logs" (CHAIN-RULES rule 2).
    @Sendable public static func logs(_ value: Any) throws(RPCFailure) -> [RPCLog] {
        if value is NSNull { throw .nullResult("eth_getLogs") }
        guard let list = value as? [Any] else { throw .malformed("eth_getLogs: expected a list") }
        var logs = [RPCLog]()
        logs.reserveCapacity(list.count)
        for entry in list { logs.append(try RPCLog(json: entry)) }
        return logs
    }

    @Sendable public static func receipt(_ value: Any) throws(RPCFailure) -> RPCReceipt? {
        value is NSNull ? nil : try RPCReceipt(json: value)
    }

    @Sendable public static func transaction(_ value: Any) throws(RPCFailure) -> RPCTransaction? {
        value is NSNull ? nil : try RPCTransaction(json: value)
    }

    @Sendable public static func txHash(_ value: Any) throws(RPCFailure) -> TxHash {
        guard let text = value as? String, let hash = try? TxHash(hex: text) else { throw .malformed("expected a transaction hash") }
        return hash
    }

    @Sendable public static func feeHistory(_ value: Any) throws(RPCFailure) -> FeeHistory {
        try FeeHistory(json: value)
    }
}

extension RPCCall {
    public static let chainId = RPCCall("eth_chainId")
    public static let blockNumber = RPCCall("eth_blockNumber")
    public static let gasPrice = RPCCall("eth_gasPrice")
    public static let maxPriorityFeePerGas = RPCCall("eth_maxPriorityFeePerGas")

    public static func block(_ tag: BlockTag) -> RPCCall { RPCCall("eth_getBlockByNumber", [.string(tag.parameter), .bool(false)]) }
    public static func block(hash: BlockHash) -> RPCCall { RPCCall("eth_getBlockByHash", [.string(hash.hex), .bool(false)]) }
    public static func logs(_ filter: LogFilter) -> RPCCall { RPCCall("eth_getLogs", [RPCParam.from(filter.parameter)]) }
    public static func receipt(_ hash: TxHash) -> RPCCall { RPCCall("eth_getTransactionReceipt", [.string(hash.hex)]) }
    public static func transaction(_ hash: TxHash) -> RPCCall { RPCCall("eth_getTransactionByHash", [.string(hash.hex)]) }
    public static func transactionCount(_ address: Address, _ tag: BlockTag) -> RPCCall {
        RPCCall("eth_getTransactionCount", [.string(address.lowercased), .string(tag.parameter)])
    }
    public static func balance(_ address: Address, _ tag: BlockTag = .latest) -> RPCCall {
        RPCCall("eth_getBalance", [.string(address.lowercased), .string(tag.parameter)])
    }
    public static func sendRawTransaction(_ raw: [UInt8]) -> RPCCall { RPCCall("eth_sendRawTransaction", [.string(Hex.encode(raw))]) }
    public static func call(to: Address, data: [UInt8], _ tag: BlockTag = .latest) -> RPCCall {
        RPCCall("eth_call", [.object(["to": .string(to.lowercased), "data": .string(Hex.encode(data))]), .string(tag.parameter)])
    }
    public static func estimateGas(from: Address, to: Address, data: [UInt8]) -> RPCCall {
        RPCCall(
            "eth_estimateGas",
            [.object(["from": .string(from.lowercased), "to": .string(to.lowercased), "data": .string(Hex.encode(data))])])
    }
    public static func feeHistory(blocks: Int, newest: BlockTag, percentiles: [Int]) -> RPCCall {
        RPCCall(
            "eth_feeHistory",
            [.string(UInt256(UInt64(clamping: blocks)).hexQuantity), .string(newest.parameter), .array(percentiles.map { .int($0) })])
    }
}
