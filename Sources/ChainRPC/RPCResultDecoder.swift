import EthereumCore

/// How the result of a JSON-RPC answer becomes a typed value.
///
/// The decoders of ``RPCParse`` (`RPCParse.logs`, `RPCParse.block`, …) read an answer straight
/// from its bytes (``JSONReader``): no Foundation object is built for an honest node's answer,
/// which is where the time went for large `eth_getLogs` answers. An answer the byte reader does
/// not take (anything unusual: an `error` object, escapes, checksummed addresses, odd numbers,
/// deep nesting, a field of another type, malformed JSON) is decoded the Foundation way, by
/// ``object``, exactly as before: the same values, the same ``RPCFailure`` for every broken or
/// hostile answer, the same limits (``RPCLimits``).
///
/// A decoder made from a closure (``init(_:)``) always goes the Foundation way.
public struct RPCResultDecoder<T: Sendable>: Sendable {
    /// Reads the result value from the bytes, or refuses.
    let bytes: (@Sendable (inout JSONReader) throws(JSONReaderRefusal) -> T)?
    /// Decodes the result from Foundation's objects (`NSNull` for `null`).
    public let object: @Sendable (Any) throws(RPCFailure) -> T

    /// A decoder that decodes Foundation's objects with `object`.
    public init(_ object: @escaping @Sendable (Any) throws(RPCFailure) -> T) {
        self.bytes = nil
        self.object = object
    }

    init(
        bytes: @escaping @Sendable (inout JSONReader) throws(JSONReaderRefusal) -> T,
        object: @escaping @Sendable (Any) throws(RPCFailure) -> T
    ) {
        self.bytes = bytes
        self.object = object
    }

    /// Decodes a result already parsed by Foundation.
    public func callAsFunction(_ value: Any) throws(RPCFailure) -> T { try object(value) }

    /// What the byte reader made of a whole response body.
    enum ByteOutcome {
        case decoded(T)
        /// Not taken: decode the Foundation way.
        case refused
    }

    /// Decodes the `result` of a single response's `body` from its bytes. The body must be one
    /// JSON object with a `result` and no `error` (or a `null` one), and nothing after it.
    func decode(body: [UInt8]) -> ByteOutcome {
        guard let read = bytes else { return .refused }
        return body.withUnsafeBufferPointer { buffer -> ByteOutcome in
            var reader = JSONReader(buffer)
            do throws(JSONReaderRefusal) {
                let (_, result) = try Self.envelope(&reader, depth: 1, readingId: false, read)
                try reader.expectEnd()
                return .decoded(result)
            } catch {
                return .refused
            }
        }
    }
}

extension RPCResultDecoder {
    /// One response object, `{` to `}`: its result, read by `read`, and its `id` when
    /// `readingId` (otherwise the id is skipped like any other member). Refuses a repeated
    /// `result` or `id`, a missing result, and an `error` that is not `null` (errors are the
    /// Foundation way's to report). `depth` is how deep the object's members sit.
    static func envelope(
        _ reader: inout JSONReader, depth: Int, readingId: Bool, _ read: (inout JSONReader) throws(JSONReaderRefusal) -> T
    ) throws(JSONReaderRefusal) -> (id: Int?, result: T) {
        try reader.beginObject()
        var id: Int? = nil
        var result: T? = nil
        var decoded = false
        var first = true
        while let key = try reader.nextKey(&first) {
            if readingId, reader.matches(key, "id") {
                guard id == nil else { throw JSONReaderRefusal() }
                id = try reader.smallPositiveInteger()
            } else if reader.matches(key, "result") {
                guard !decoded else { throw JSONReaderRefusal() }
                result = try read(&reader)
                decoded = true
            } else if reader.matches(key, "error") {
                guard try reader.null() else { throw JSONReaderRefusal() }
            } else {
                try reader.skipValue(depth: depth)
            }
        }
        guard decoded, let result else { throw JSONReaderRefusal() }
        return (id, result)
    }

    /// Decodes a whole batch answer from its bytes when it is exactly what an honest node
    /// sends for `count` calls numbered 1…`count`: a JSON array of objects, each with an `id`
    /// from that range (each once), a `result` the byte reader takes and no `error` (or a
    /// `null` one). Results come in call order. Anything else (a missing, repeated or unknown
    /// id, an error, a result the reader refuses, trailing bytes) is refused, and the caller
    /// decodes the answer the Foundation way, which then decides per call what went wrong.
    func decodeBatch(body: [UInt8], count: Int) -> [T]? {
        guard let read = bytes, count > 0 else { return nil }
        return body.withUnsafeBufferPointer { buffer -> [T]? in
            var reader = JSONReader(buffer)
            var results = [T?](repeating: nil, count: count)
            var filled = 0
            do throws(JSONReaderRefusal) {
                try reader.beginArray()
                var firstElement = true
                while try reader.nextElement(&firstElement) {
                    // The result sits one level deeper than in a single answer; the decoders'
                    // depth only bounds nesting, which the fallback rechecks.
                    let (id, result) = try Self.envelope(&reader, depth: 2, readingId: true, read)
                    guard let id, (1...count).contains(id), results[id - 1] == nil else {
                        throw JSONReaderRefusal()
                    }
                    results[id - 1] = result
                    filled += 1
                }
                try reader.expectEnd()
            } catch {
                return nil
            }
            guard filled == count else { return nil }
            return results.map { $0! }
        }
    }
}

// MARK: The typed decoders

extension RPCParse {
    /// Reads a value that is the whole `result` (one container deep, in the envelope).
    private static func top<T>(_ read: @escaping @Sendable (inout JSONReader) throws(JSONReaderRefusal) -> T) -> (
        @Sendable (inout JSONReader) throws(JSONReaderRefusal) -> T
    ) { read }

    /// A hex quantity (a `null` result goes the Foundation way: `nullResult`).
    public static let quantity = RPCResultDecoder<UInt256>(
        bytes: top { reader throws(JSONReaderRefusal) in try reader.quantity256() }, object: RPCParse.quantity(_:))

    /// A hex quantity that fits 64 bits.
    public static let uint64 = RPCResultDecoder<UInt64>(
        bytes: top { reader throws(JSONReaderRefusal) in try reader.quantity64() }, object: RPCParse.uint64(_:))

    /// A block height, at most ``RPCLimits/maxBlockNumber``.
    public static let blockNumber = RPCResultDecoder<UInt64>(
        bytes: top { reader throws(JSONReaderRefusal) in try reader.blockNumber() }, object: RPCParse.blockNumber(_:))

    /// Hex data.
    public static let bytes = RPCResultDecoder<[UInt8]>(
        bytes: top { reader throws(JSONReaderRefusal) in try reader.data() }, object: RPCParse.bytes(_:))

    /// A block, `nil` when the node does not have it.
    public static let block = RPCResultDecoder<RPCBlock?>(
        bytes: top { reader throws(JSONReaderRefusal) in try reader.null() ? nil : try reader.block(depth: 1) },
        object: RPCParse.block(_:))

    /// Logs; a `null` result is an error (CHAIN-RULES rule 2), reported the Foundation way.
    public static let logs = RPCResultDecoder<[RPCLog]>(
        bytes: top { reader throws(JSONReaderRefusal) in try reader.logs(depth: 1) }, object: RPCParse.logs(_:))

    /// A receipt, `nil` when the node does not have it.
    public static let receipt = RPCResultDecoder<RPCReceipt?>(
        bytes: top { reader throws(JSONReaderRefusal) in try reader.null() ? nil : try reader.receipt(depth: 1) },
        object: RPCParse.receipt(_:))

    /// A transaction hash.
    public static let txHash = RPCResultDecoder<TxHash>(
        bytes: top { reader throws(JSONReaderRefusal) in TxHash(raw: try reader.word()) }, object: RPCParse.txHash(_:))

    /// A transaction (decoded the Foundation way: it is read once per payment, not per block).
    public static let transaction = RPCResultDecoder<RPCTransaction?>(RPCParse.transaction(_:))

    /// `eth_feeHistory` (decoded the Foundation way: its ratios are fractions).
    public static let feeHistory = RPCResultDecoder<FeeHistory>(RPCParse.feeHistory(_:))
}
