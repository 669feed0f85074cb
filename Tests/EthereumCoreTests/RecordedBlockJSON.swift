import EthereumCore
import Foundation
import TestSupport

/// Reads recorded JSON-RPC answers (the three layouts of the shared vectors) and turns block
/// and receipt objects into EthereumCore values, as a client of the gateway's RPC layer would.
enum RecordedBlockJSON {
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    /// The `result` of a recorded answer: an execution-apis `.io` transcript (`<< {…}` line),
    /// an erigon rpc-tests file (`[{request, response}]`), or a bare response envelope.
    static func result(_ path: String) throws -> Any? {
        if path.hasSuffix(".io") {
            let text = try textVector(path)
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("<<") }) else {
                throw Malformed(description: "\(path): no response line")
            }
            let envelope = try JSONSerialization.jsonObject(with: Data(line.dropFirst(2).utf8)) as? [String: Any]
            return envelope?["result"]
        }
        var object = try jsonVector(path)
        if let list = object as? [[String: Any]], let first = list.first, let response = first["response"] { object = response }
        return (object as? [String: Any])?["result"]
    }

    static func string(_ object: [String: Any], _ field: String) throws -> String {
        guard let value = object[field] as? String else { throw Malformed(description: "missing string field \(field)") }
        return value
    }

    static func bytes(_ object: [String: Any], _ field: String) throws -> [UInt8] {
        try Hex.decode(try string(object, field), requirePrefix: true)
    }

    static func bytes32(_ object: [String: Any], _ field: String) throws -> Bytes32 {
        try Bytes32(hex: try string(object, field))
    }

    static func quantity(_ object: [String: Any], _ field: String) throws -> UInt256 {
        try UInt256(hex: try string(object, field))
    }

    static func uint64(_ object: [String: Any], _ field: String) throws -> UInt64 {
        guard let value = try quantity(object, field).uint64 else { throw Malformed(description: "\(field) exceeds 64 bits") }
        return value
    }

    static func header(_ block: [String: Any]) throws -> BlockHeader {
        func optional<T>(_ field: String, _ read: ([String: Any], String) throws -> T) throws -> T? {
            try block[field] == nil ? nil : read(block, field)
        }
        return try BlockHeader(
            parentHash: BlockHash(raw: bytes32(block, "parentHash")), ommersHash: bytes32(block, "sha3Uncles"),
            beneficiary: Address(string(block, "miner")), stateRoot: bytes32(block, "stateRoot"),
            transactionsRoot: bytes32(block, "transactionsRoot"), receiptsRoot: bytes32(block, "receiptsRoot"),
            logsBloom: LogsBloom(bytes: bytes(block, "logsBloom")), difficulty: quantity(block, "difficulty"),
            number: uint64(block, "number"), gasLimit: uint64(block, "gasLimit"), gasUsed: uint64(block, "gasUsed"),
            timestamp: uint64(block, "timestamp"), extraData: bytes(block, "extraData"), mixHash: bytes32(block, "mixHash"),
            nonce: uint64(block, "nonce"), baseFeePerGas: optional("baseFeePerGas", quantity),
            withdrawalsRoot: optional("withdrawalsRoot", bytes32), blobGasUsed: optional("blobGasUsed", uint64),
            excessBlobGas: optional("excessBlobGas", uint64), parentBeaconBlockRoot: optional("parentBeaconBlockRoot", bytes32),
            requestsHash: optional("requestsHash", bytes32))
    }

    static func receipt(_ object: [String: Any]) throws -> ConsensusReceipt {
        let outcome: ConsensusReceipt.Outcome
        if object["status"] != nil {
            switch try quantity(object, "status") {
            case 1: outcome = .succeeded
            case 0: outcome = .failed
            default: throw Malformed(description: "status is neither 0 nor 1")
            }
        } else {
            outcome = .postState(try bytes32(object, "root"))
        }
        guard let logs = object["logs"] as? [[String: Any]] else { throw Malformed(description: "missing logs") }
        let type = try object["type"] == nil ? 0 : uint64(object, "type")
        guard type <= UInt64(UInt8.max) else { throw Malformed(description: "type \(type) does not fit a byte") }
        return try ConsensusReceipt(
            type: UInt8(type), outcome: outcome, cumulativeGasUsed: uint64(object, "cumulativeGasUsed"),
            logsBloom: LogsBloom(bytes: bytes(object, "logsBloom")),
            logs: logs.map { log in
                guard let topics = log["topics"] as? [String] else { throw Malformed(description: "missing topics") }
                return ReceiptLog(
                    address: try Address(string(log, "address")), topics: try topics.map { try Bytes32(hex: $0) },
                    data: try bytes(log, "data"))
            })
    }
}
