extension SignedTransaction {
    /// Decodes a raw signed transaction (legacy, EIP-2930 or EIP-1559).
    ///
    /// Rejects anything that is not canonical: bad RLP, integers with leading zeros or too
    /// large for their field, addresses and storage keys of the wrong length, lists where
    /// strings belong, the wrong number of fields, an unknown type byte, and a legacy `v`
    /// that is neither 27/28 nor a valid EIP-155 value. It does not check the signature's
    /// ranges or recover the sender: see ``validate(chainId:)`` and ``sender()``.
    public static func decode(raw: [UInt8]) throws(TransactionError) -> SignedTransaction {
        guard let first = raw.first else { throw .empty }
        if first >= 0xc0 { return try decodeLegacy(raw) }
        guard first <= 0x7f else { throw .notATransaction }
        guard let type = TransactionType(rawValue: first), type != .legacy else { throw .unsupportedType(first) }
        return try decodeTyped(type, raw)
    }

    private static func rlpFields(_ bytes: [UInt8], count: Int) throws(TransactionError) -> [RLPItem] {
        let item: RLPItem
        do { item = try RLP.decode(bytes) } catch { throw .rlp(error) }
        guard case .list(let fields) = item else { throw .rlp(.unexpectedBytes("transaction")) }
        guard fields.count == count else { throw .rlp(.wrongItemCount(expected: count, actual: fields.count)) }
        return fields
    }

    private static func decodeLegacy(_ raw: [UInt8]) throws(TransactionError) -> SignedTransaction {
        let f = try rlpFields(raw, count: 9)
        let v: UInt256
        let tx: Transaction
        let r: UInt256
        let s: UInt256
        do {
            v = try f[6].uint256("v")
            tx = Transaction(
                type: .legacy, chainId: nil, nonce: try f[0].uint64("nonce"), gasPrice: try f[1].uint256("gasPrice"),
                gasLimit: try f[2].uint64("gasLimit"), to: try decodeTo(f[3]), value: try f[4].uint256("value"),
                data: try f[5].byteString("data"))
            r = try f[7].uint256("r")
            s = try f[8].uint256("s")
        } catch {
            throw .rlp(error)
        }
        var withChain = tx
        let parity: UInt8
        if v == 27 || v == 28 {
            parity = UInt8(v.uint64! - 27)
        } else if v >= 37 {
            let (id, bit) = (v - 35).quotientAndRemainder(dividingByWord: 2)
            guard let id64 = id.uint64 else { throw .invalidV(v) }
            withChain.chainId = id64
            parity = UInt8(bit)
        } else {
            throw .invalidV(v)
        }
        return try checkedRoundTrip(withChain, Signature(r: r, s: s, yParity: parity), raw)
    }

    private static func decodeTyped(_ type: TransactionType, _ raw: [UInt8]) throws(TransactionError) -> SignedTransaction {
        let f = try rlpFields(Array(raw.dropFirst()), count: type == .dynamicFee ? 12 : 11)
        var tx: Transaction
        let parity: UInt256
        let r: UInt256
        let s: UInt256
        do {
            let chainId = try f[0].uint64("chainId")
            let nonce = try f[1].uint64("nonce")
            var rest: ArraySlice<RLPItem>
            if type == .dynamicFee {
                tx = Transaction(
                    type: type, chainId: chainId, nonce: nonce, maxPriorityFeePerGas: try f[2].uint256("maxPriorityFeePerGas"),
                    maxFeePerGas: try f[3].uint256("maxFeePerGas"), gasLimit: try f[4].uint64("gasLimit"), to: nil)
                rest = f[5...]
            } else {
                tx = Transaction(
                    type: type, chainId: chainId, nonce: nonce, gasPrice: try f[2].uint256("gasPrice"),
                    gasLimit: try f[3].uint64("gasLimit"), to: nil)
                rest = f[4...]
            }
            tx.to = try decodeTo(rest.removeFirst())
            tx.value = try rest.removeFirst().uint256("value")
            tx.data = try rest.removeFirst().byteString("data")
            tx.accessList = try decodeAccessList(rest.removeFirst())
            parity = try rest.removeFirst().uint256("yParity")
            r = try rest.removeFirst().uint256("r")
            s = try rest.removeFirst().uint256("s")
        } catch {
            throw .rlp(error)
        }
        guard parity <= 1 else { throw .invalidV(parity) }
        return try checkedRoundTrip(tx, Signature(r: r, s: s, yParity: UInt8(parity.uint64!)), raw)
    }

    /// Re-encodes the decoded fields and requires the same bytes: the final guard that
    /// the input was canonical, so that the hash computed here is the network's.
    private static func checkedRoundTrip(_ tx: Transaction, _ signature: Signature, _ raw: [UInt8]) throws(TransactionError)
        -> SignedTransaction
    {
        let signed = SignedTransaction(transaction: tx, signature: signature)
        guard signed.raw == raw else { throw .notCanonical }
        return signed
    }

    private static func decodeTo(_ item: RLPItem) throws(RLPError) -> Address? {
        let bytes = try item.byteString("to")
        if bytes.isEmpty { return nil }
        guard bytes.count == 20 else { throw .wrongLength("to", expected: 20, actual: bytes.count) }
        return try! Address(bytes: bytes)
    }

    private static func decodeAccessList(_ item: RLPItem) throws(RLPError) -> [AccessListEntry] {
        var entries = [AccessListEntry]()
        for entry in try item.list("accessList") {
            let pair = try entry.list("accessList entry")
            guard pair.count == 2 else { throw .wrongItemCount(expected: 2, actual: pair.count) }
            let address = try pair[0].byteString("accessList address")
            guard address.count == 20 else { throw .wrongLength("accessList address", expected: 20, actual: address.count) }
            var keys = [Bytes32]()
            for key in try pair[1].list("storageKeys") {
                let bytes = try key.byteString("storage key")
                guard bytes.count == 32 else { throw .wrongLength("storage key", expected: 32, actual: bytes.count) }
                keys.append(try! Bytes32(bytes: bytes))
            }
            entries.append(AccessListEntry(address: try! Address(bytes: address), storageKeys: keys))
        }
        return entries
    }

    /// Checks the rules a node applies before accepting the transaction (as of Cancun):
    /// the chain id matches (a legacy transaction without one is accepted), 0 < r, s < n
    /// with s ≤ n/2, the sender can be recovered, nonce < 2^64 − 1 (EIP-2681), the tip is
    /// at most the fee cap, gas × price fits 256 bits, gas covers the intrinsic cost, and
    /// init code is at most 49,152 bytes (EIP-3860).
    public func validate(chainId expected: UInt64) throws(TransactionError) {
        let tx = transaction
        if let id = tx.chainId, id != expected { throw .wrongChainId(expected: expected, actual: id) }
        let sig = signature
        guard !sig.r.isZero, !sig.s.isZero, sig.r < Secp256k1.order, sig.s <= Secp256k1.halfOrder else {
            throw .signature(.invalidSignature)
        }
        _ = try sender()
        guard tx.nonce < UInt64.max else { throw .nonceTooLarge }
        let price = tx.type == .dynamicFee ? tx.maxFeePerGas : tx.gasPrice
        if tx.type == .dynamicFee, tx.maxPriorityFeePerGas > tx.maxFeePerGas { throw .tipAboveFeeCap }
        guard !price.multipliedReportingOverflow(by: UInt256(tx.gasLimit)).overflow else { throw .gasPriceProductOverflow }
        if tx.to == nil, tx.data.count > 49_152 { throw .initCodeTooLarge }
        guard tx.gasLimit >= tx.intrinsicGas else { throw .intrinsicGasTooLow(needed: tx.intrinsicGas, limit: tx.gasLimit) }
    }
}

/// Why bytes are not an acceptable transaction.
public enum TransactionError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case notATransaction
    case unsupportedType(UInt8)
    case rlp(RLPError)
    case notCanonical
    case invalidV(UInt256)
    case signature(SigningError)
    case wrongChainId(expected: UInt64, actual: UInt64)
    case nonceTooLarge
    case tipAboveFeeCap
    case gasPriceProductOverflow
    case initCodeTooLarge
    case intrinsicGasTooLow(needed: UInt64, limit: UInt64)

    public var description: String {
        switch self {
        case .empty: return "transaction is empty"
        case .notATransaction: return "bytes are not a transaction (first byte is neither a type byte nor an RLP list)"
        case .unsupportedType(let t): return "transaction type \(t) is not supported (supported: 0, 1, 2)"
        case .rlp(let error): return "malformed transaction: \(error)"
        case .notCanonical: return "transaction encoding is not canonical"
        case .invalidV(let v): return "invalid signature v value \(v)"
        case .signature(let error): return error.description
        case .wrongChainId(let expected, let actual): return "transaction is for chain \(actual), expected chain \(expected)"
        case .nonceTooLarge: return "nonce must be below 2^64 - 1"
        case .tipAboveFeeCap: return "maxPriorityFeePerGas is above maxFeePerGas"
        case .gasPriceProductOverflow: return "gas limit times fee cap overflows 256 bits"
        case .initCodeTooLarge: return "contract creation code is over 49152 bytes"
        case .intrinsicGasTooLow(let needed, let limit): return "gas limit \(limit) is below the intrinsic gas \(needed)"
        }
    }
}
