import EthereumCore
import Foundation

/// A JSON null in request parameters.
enum NSNullValue { static let null = NSNull() }

/// Reads typed values out of the JSON objects that nodes return, with errors that name the
/// field. Unknown fields are ignored; every field the gateway relies on is checked.
struct JSONObject {
    let object: [String: Any]
    let context: String

    init(_ value: Any?, context: String) throws(RPCFailure) {
        guard let object = value as? [String: Any] else { throw .malformed("\(context): expected an object") }
        self.object = object
        self.context = context
    }

    func string(_ key: String) throws(RPCFailure) -> String {
        guard let value = object[key] as? String else { throw .malformed("\(context).\(key): missing or not a string") }
        return value
    }

    func optionalString(_ key: String) -> String? { object[key] as? String }

    func quantity(_ key: String) throws(RPCFailure) -> UInt256 {
        try parseQuantity(try string(key), "\(context).\(key)")
    }

    func uint64(_ key: String) throws(RPCFailure) -> UInt64 {
        guard let value = try quantity(key).uint64 else { throw .malformed("\(context).\(key): does not fit 64 bits") }
        return value
    }

    func optionalUInt64(_ key: String) throws(RPCFailure) -> UInt64? {
        guard let text = optionalString(key) else { return nil }
        guard let value = try parseQuantity(text, "\(context).\(key)").uint64 else {
            throw .malformed("\(context).\(key): does not fit 64 bits")
        }
        return value
    }

    /// A block height or timestamp, refused above ``RPCLimits/maxBlockNumber``.
    func blockNumber(_ key: String) throws(RPCFailure) -> UInt64 {
        try bounded(try uint64(key), key, RPCLimits.maxBlockNumber)
    }

    func optionalBlockNumber(_ key: String) throws(RPCFailure) -> UInt64? {
        guard let value = try optionalUInt64(key) else { return nil }
        return try bounded(value, key, RPCLimits.maxBlockNumber)
    }

    /// A log or transaction index, refused above ``RPCLimits/maxIndex``.
    func index(_ key: String) throws(RPCFailure) -> UInt64 {
        try bounded(try uint64(key), key, RPCLimits.maxIndex)
    }

    func optionalIndex(_ key: String) throws(RPCFailure) -> UInt64? {
        guard let value = try optionalUInt64(key) else { return nil }
        return try bounded(value, key, RPCLimits.maxIndex)
    }

    func bounded(_ value: UInt64, _ key: String, _ limit: UInt64) throws(RPCFailure) -> UInt64 {
        guard value <= limit else { throw .malformed("\(context).\(key): \(value) is above \(limit)") }
        return value
    }

    func optionalQuantity(_ key: String) throws(RPCFailure) -> UInt256? {
        guard let text = optionalString(key) else { return nil }
        return try parseQuantity(text, "\(context).\(key)")
    }

    func bytes(_ key: String) throws(RPCFailure) -> [UInt8] {
        do { return try Hex.decode(try string(key), requirePrefix: true) } catch { throw .malformed("\(context).\(key): \(error)") }
    }

    func bytes32(_ key: String) throws(RPCFailure) -> Bytes32 {
        do { return try Bytes32(hex: try string(key)) } catch { throw .malformed("\(context).\(key): \(error)") }
    }

    func optionalBytes32(_ key: String) throws(RPCFailure) -> Bytes32? {
        guard let text = optionalString(key) else { return nil }
        do { return try Bytes32(hex: text) } catch { throw .malformed("\(context).\(key): \(error)") }
    }

    func address(_ key: String) throws(RPCFailure) -> Address {
        try parseAddress(try string(key), "\(context).\(key)")
    }

    func optionalAddress(_ key: String) throws(RPCFailure) -> Address? {
        guard let text = optionalString(key) else { return nil }
        return try parseAddress(text, "\(context).\(key)")
    }

    func array(_ key: String) throws(RPCFailure) -> [Any] {
        guard let value = object[key] as? [Any] else { throw .malformed("\(context).\(key): missing or not a list") }
        return value
    }
}

func parseQuantity(_ text: String, _ field: String) throws(RPCFailure) -> UInt256 {
    do { return try UInt256(hex: text) } catch { throw .malformed("\(field): '\(text.prefix(80))' is not a hex quantity") }
}

/// Node addresses arrive in lowercase (geth) or checksummed form; both are accepted.
func parseAddress(_ text: String, _ field: String) throws(RPCFailure) -> Address {
    do { return try Address(text) } catch { throw .malformed("\(field): \(error)") }
}

extension RPCBlock {
    init(json: Any?) throws(RPCFailure) {
        let o = try JSONObject(json, context: "block")
        let bloom = try o.bytes("logsBloom")
        guard bloom.count == 256 else { throw .malformed("block.logsBloom: expected 256 bytes") }
        var hashes = [TxHash]()
        for entry in try o.array("transactions") {
            if let text = entry as? String {
                do { hashes.append(try TxHash(hex: text)) } catch { throw .malformed("block.transactions: \(error)") }
            } else {
                hashes.append(TxHash(raw: try JSONObject(entry, context: "block.transactions[]").bytes32("hash")))
            }
        }
        self.init(
            number: try o.blockNumber("number"), hash: BlockHash(raw: try o.bytes32("hash")),
            parentHash: BlockHash(raw: try o.bytes32("parentHash")), timestamp: try o.blockNumber("timestamp"), logsBloom: bloom,
            transactions: hashes, baseFeePerGas: try o.optionalQuantity("baseFeePerGas"), gasUsed: try o.uint64("gasUsed"),
            gasLimit: try o.uint64("gasLimit"))
    }
}

extension RPCLog {
    init(json: Any?) throws(RPCFailure) {
        let o = try JSONObject(json, context: "log")
        var topics = [Bytes32]()
        for entry in try o.array("topics") {
            guard let text = entry as? String, let topic = try? Bytes32(hex: text) else { throw .malformed("log.topics: not 32-byte hex") }
            topics.append(topic)
        }
        self.init(
            address: try o.address("address"), topics: topics, data: try o.bytes("data"), blockNumber: try o.blockNumber("blockNumber"),
            blockHash: BlockHash(raw: try o.bytes32("blockHash")), transactionHash: TxHash(raw: try o.bytes32("transactionHash")),
            transactionIndex: try o.index("transactionIndex"), logIndex: try o.index("logIndex"),
            removed: (o.object["removed"] as? Bool) ?? false)
    }
}

extension RPCReceipt {
    init(json: Any?) throws(RPCFailure) {
        let o = try JSONObject(json, context: "receipt")
        var logs = [RPCLog]()
        for entry in try o.array("logs") { logs.append(try RPCLog(json: entry)) }
        self.init(
            transactionHash: TxHash(raw: try o.bytes32("transactionHash")), blockHash: BlockHash(raw: try o.bytes32("blockHash")),
            blockNumber: try o.blockNumber("blockNumber"), transactionIndex: try o.index("transactionIndex"), from: try o.address("from"),
            to: try o.optionalAddress("to"), status: try o.uint64("status"), gasUsed: try o.uint64("gasUsed"),
            effectiveGasPrice: try o.optionalQuantity("effectiveGasPrice"), contractAddress: try o.optionalAddress("contractAddress"),
            logs: logs, logsBloom: try o.bytes("logsBloom"))
    }
}

extension RPCTransaction {
    init(json: Any?) throws(RPCFailure) {
        let o = try JSONObject(json, context: "transaction")
        self.init(
            hash: TxHash(raw: try o.bytes32("hash")), type: try o.optionalUInt64("type") ?? 0, from: try o.address("from"),
            to: try o.optionalAddress("to"), nonce: try o.uint64("nonce"), value: try o.quantity("value"), input: try o.bytes("input"),
            gas: try o.uint64("gas"), blockHash: try o.optionalBytes32("blockHash").map(BlockHash.init(raw:)),
            blockNumber: try o.optionalBlockNumber("blockNumber"), transactionIndex: try o.optionalIndex("transactionIndex"))
    }
}

extension FeeHistory {
    init(json: Any?) throws(RPCFailure) {
        let o = try JSONObject(json, context: "feeHistory")
        var baseFees = [UInt256]()
        for entry in try o.array("baseFeePerGas") {
            guard let text = entry as? String else { throw .malformed("feeHistory.baseFeePerGas: not a quantity") }
            baseFees.append(try parseQuantity(text, "feeHistory.baseFeePerGas"))
        }
        var rewards = [[UInt256]]()
        for row in (o.object["reward"] as? [[Any]]) ?? [] {
            var parsed = [UInt256]()
            for entry in row {
                guard let text = entry as? String else { throw .malformed("feeHistory.reward: not a quantity") }
                parsed.append(try parseQuantity(text, "feeHistory.reward"))
            }
            rewards.append(parsed)
        }
        let ratios = try o.array("gasUsedRatio").map { "\($0)" }
        guard baseFees.count == ratios.count + 1 else {
            throw .malformed("feeHistory: baseFeePerGas must have one entry more than gasUsedRatio")
        }
        self.init(oldestBlock: try o.blockNumber("oldestBlock"), baseFeePerGas: baseFees, gasUsedRatio: ratios, reward: rewards)
    }
}
