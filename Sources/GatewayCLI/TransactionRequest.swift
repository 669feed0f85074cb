import EthereumCore
import Foundation

/// The JSON form of transactions at the command line: ethers-style requests in, and the
/// same field names out (plus `from`, `hash` and the signature).
enum TransactionRequest {
    static let knownFields: Set<String> = [
        "type", "chainId", "nonce", "gasLimit", "gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "to", "value", "data", "accessList",
    ]

    static func parse(json text: String) throws -> Transaction {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw CLIError("--tx must be a JSON object")
        }
        let unknown = Set(object.keys).subtracting(knownFields)
        guard unknown.isEmpty else {
            throw CLIError(
                "--tx has unknown fields: \(unknown.sorted().joined(separator: ", ")) (known: \(knownFields.sorted().joined(separator: ", ")))"
            )
        }
        let hasLegacyFee = object["gasPrice"] != nil
        let hasDynamicFee = object["maxFeePerGas"] != nil || object["maxPriorityFeePerGas"] != nil
        let type: TransactionType
        if let raw = object["type"] {
            let number = try quantity(raw, "type")
            guard let value = number.uint64, value <= 255, let known = TransactionType(rawValue: UInt8(value)) else {
                throw CLIError("type must be 0, 1 or 2")
            }
            type = known
        } else {
            type = hasLegacyFee && !hasDynamicFee ? .legacy : .dynamicFee
        }
        if type == .dynamicFee && hasLegacyFee {
            throw CLIError("a type 2 transaction takes maxFeePerGas and maxPriorityFeePerGas, not gasPrice")
        }
        if type != .dynamicFee && hasDynamicFee {
            throw CLIError("a type \(type.rawValue) transaction takes gasPrice, not maxFeePerGas or maxPriorityFeePerGas")
        }
        if type == .legacy && object["accessList"] != nil { throw CLIError("a type 0 transaction has no accessList") }

        let chainId = try uint64(object["chainId"], "chainId")
        var to: Address? = nil
        if let raw = object["to"], !(raw is NSNull) {
            guard let text = raw as? String else { throw CLIError("to must be an address string") }
            do { to = try Address(text) } catch { throw CLIError("to: \(error)") }
        }
        var data = [UInt8]()
        if let raw = object["data"], !(raw is NSNull) {
            guard let text = raw as? String, let bytes = try? Hex.decode(text, requirePrefix: true) else {
                throw CLIError("data must be 0x-prefixed hex")
            }
            data = bytes
        }
        return Transaction(
            type: type, chainId: type == .legacy && chainId == 0 ? nil : chainId, nonce: try uint64(object["nonce"], "nonce"),
            gasPrice: try quantity(object["gasPrice"], "gasPrice"),
            maxPriorityFeePerGas: try quantity(object["maxPriorityFeePerGas"], "maxPriorityFeePerGas"),
            maxFeePerGas: try quantity(object["maxFeePerGas"], "maxFeePerGas"), gasLimit: try uint64(object["gasLimit"], "gasLimit"),
            to: to, value: try quantity(object["value"], "value"), data: data, accessList: try accessList(object["accessList"]))
    }

    /// A quantity: a JSON integer, a decimal string or a 0x-hex string; absent or null is zero.
    static func quantity(_ raw: Any?, _ field: String) throws -> UInt256 {
        guard let raw, !(raw is NSNull) else { return .zero }
        let text: String
        if let number = raw as? NSNumber, !isJSONBoolean(raw) {
            text = number.stringValue
        } else if let string = raw as? String {
            text = string
        } else {
            throw CLIError("\(field) must be a number, a decimal string or a 0x-hex string")
        }
        do {
            return try UInt256(parsing: text)
        } catch {
            throw CLIError("\(field) must be a non-negative whole number (JSON integer, decimal string or 0x-hex), got \(text.prefix(80))")
        }
    }

    /// JSON `true`/`false` arrive as a Foundation boolean that also casts to NSNumber (and
    /// NSNumber 0/1 casts to Bool), so the concrete class is what tells them apart.
    static func isJSONBoolean(_ value: Any) -> Bool {
        String(describing: type(of: value)).contains("Boolean")
    }

    static func uint64(_ raw: Any?, _ field: String) throws -> UInt64 {
        guard let value = try quantity(raw, field).uint64 else { throw CLIError("\(field) does not fit in 64 bits") }
        return value
    }

    static func accessList(_ raw: Any?) throws -> [AccessListEntry] {
        guard let raw, !(raw is NSNull) else { return [] }
        guard let entries = raw as? [[String: Any]] else {
            throw CLIError("accessList must be a list of {\"address\": ..., \"storageKeys\": [...]}")
        }
        return try entries.map { entry in
            guard let text = entry["address"] as? String, let address = try? Address(text) else {
                throw CLIError("accessList entry has no valid address")
            }
            let keys = try (entry["storageKeys"] as? [String] ?? []).map { key in
                do { return try Bytes32(hex: key) } catch { throw CLIError("accessList storage key \(key.prefix(80)): \(error)") }
            }
            return AccessListEntry(address: address, storageKeys: keys)
        }
    }

    /// One JSON object describing a signed transaction. Small integers (type, chainId,
    /// nonce, v, yParity) are JSON numbers; gas and wei amounts are decimal strings so that
    /// no reader loses precision; hashes, r and s are 0x-hex.
    static func json(of signed: SignedTransaction, from sender: Address) throws -> String {
        let tx = signed.transaction
        var object: [String: Any] = [
            "type": Int(tx.type.rawValue),
            "chainId": tx.chainId.map { NSNumber(value: $0) } ?? NSNull(),
            "nonce": NSNumber(value: tx.nonce),
            "gasLimit": String(tx.gasLimit),
            "to": tx.to.map { $0.checksummed } ?? NSNull(),
            "value": tx.value.decimalString,
            "data": Hex.encode(tx.data),
            "from": sender.checksummed,
            "hash": signed.hash.hex,
            "r": signed.signature.r.word.hex,
            "s": signed.signature.s.word.hex,
        ]
        switch tx.type {
        case .legacy:
            object["gasPrice"] = tx.gasPrice.decimalString
            object["v"] = signed.v.uint64.map { NSNumber(value: $0) } ?? signed.v.decimalString as Any
        case .accessList, .dynamicFee:
            if tx.type == .dynamicFee {
                object["maxFeePerGas"] = tx.maxFeePerGas.decimalString
                object["maxPriorityFeePerGas"] = tx.maxPriorityFeePerGas.decimalString
            } else {
                object["gasPrice"] = tx.gasPrice.decimalString
            }
            object["accessList"] = tx.accessList.map { ["address": $0.address.checksummed, "storageKeys": $0.storageKeys.map(\.hex)] }
            object["yParity"] = Int(signed.signature.yParity)
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
