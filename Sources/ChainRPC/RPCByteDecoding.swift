import EthereumCore

// Decoders from the bytes of a response straight into the typed models. Each one accepts only
// what the Foundation decoders in RPCDecoding.swift accept, with the same value, and the same
// limits (RPCLimits); it refuses whatever it is not sure of (uppercase addresses, which may carry
// an EIP-55 checksum to check; a field of an unexpected type; a duplicate field), and the answer
// is then decoded the Foundation way, which produces what it always did, errors included.

extension JSONReader {
    // MARK: Hex

    @inline(__always)
    static func nibble(_ byte: UInt8) -> UInt64? {
        switch byte {
        case 0x30...0x39: return UInt64(byte &- 0x30)
        case 0x61...0x66: return UInt64(byte &- 0x61 &+ 10)
        case 0x41...0x46: return UInt64(byte &- 0x41 &+ 10)
        default: return nil
        }
    }

    /// The digits of a `0x`-prefixed string (a `0X` prefix is left to the Foundation way).
    mutating func hexDigits() throws(JSONReaderRefusal) -> Range<Int> {
        let text = try string()
        guard text.count >= 2, bytes[text.lowerBound] == 0x30, bytes[text.lowerBound + 1] == 0x78 else { throw JSONReaderRefusal() }
        return (text.lowerBound + 2)..<text.upperBound
    }

    /// Sixteen hex digits starting at `start` (checked by the caller to lie inside the buffer).
    @inline(__always)
    func uint64(at start: Int) throws(JSONReaderRefusal) -> UInt64 {
        var value: UInt64 = 0
        for position in start..<(start + 16) {
            guard let digit = Self.nibble(bytes[position]) else { throw JSONReaderRefusal() }
            value = value << 4 | digit
        }
        return value
    }

    /// `0x` and 64 hex digits, either case (what `Bytes32(hex:)` accepts).
    mutating func word() throws(JSONReaderRefusal) -> Bytes32 {
        let digits = try hexDigits()
        guard digits.count == 64 else { throw JSONReaderRefusal() }
        let start = digits.lowerBound
        return Bytes32(try uint64(at: start), try uint64(at: start + 16), try uint64(at: start + 32), try uint64(at: start + 48))
    }

    /// `0x` and 40 lowercase hex digits. Any uppercase digit is refused: mixed case must be a
    /// correct EIP-55 checksum, which the Foundation way checks.
    mutating func address() throws(JSONReaderRefusal) -> Address {
        let digits = try hexDigits()
        guard digits.count == 40 else { throw JSONReaderRefusal() }
        var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
        for (offset, position) in digits.enumerated() {
            let byte = bytes[position]
            let digit: UInt64
            switch byte {
            case 0x30...0x39: digit = UInt64(byte &- 0x30)
            case 0x61...0x66: digit = UInt64(byte &- 0x61 &+ 10)
            default: throw JSONReaderRefusal()
            }
            // Digits 0..<8 are the high 4 bytes, 8..<24 the middle 8, 24..<40 the low 8.
            switch offset {
            case 0..<8: words.0 = words.0 << 4 | digit
            case 8..<24: words.1 = words.1 << 4 | digit
            default: words.2 = words.2 << 4 | digit
            }
        }
        do { return try Address(word: Bytes32(0, words.0, words.1, words.2)) } catch { throw JSONReaderRefusal() }
    }

    /// `0x` and an even number of hex digits, either case, as bytes.
    mutating func data() throws(JSONReaderRefusal) -> [UInt8] {
        let digits = try hexDigits()
        guard digits.count % 2 == 0 else { throw JSONReaderRefusal() }
        let count = digits.count / 2
        var valid = true
        let out = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var position = digits.lowerBound
            for offset in 0..<count {
                guard let high = Self.nibble(bytes[position]), let low = Self.nibble(bytes[position + 1]) else {
                    valid = false
                    break
                }
                buffer[offset] = UInt8(truncatingIfNeeded: high << 4 | low)
                position += 2
            }
            initialized = valid ? count : 0
        }
        guard valid else { throw JSONReaderRefusal() }
        return out
    }

    /// A quantity (`0x` and at least one hex digit, leading zeros allowed, as `UInt256(hex:)`
    /// reads it) of at most 64 significant bits.
    mutating func quantity64() throws(JSONReaderRefusal) -> UInt64 {
        let digits = try hexDigits()
        guard !digits.isEmpty else { throw JSONReaderRefusal() }
        var start = digits.lowerBound
        while start < digits.upperBound, bytes[start] == 0x30 { start += 1 }
        guard digits.upperBound - start <= 16 else { throw JSONReaderRefusal() }
        var value: UInt64 = 0
        for position in start..<digits.upperBound {
            guard let digit = Self.nibble(bytes[position]) else { throw JSONReaderRefusal() }
            value = value << 4 | digit
        }
        return value
    }

    /// A block height or timestamp: at most ``RPCLimits/maxBlockNumber``.
    mutating func blockNumber() throws(JSONReaderRefusal) -> UInt64 {
        let value = try quantity64()
        guard value <= RPCLimits.maxBlockNumber else { throw JSONReaderRefusal() }
        return value
    }

    /// A log or transaction index: at most ``RPCLimits/maxIndex``.
    mutating func logIndex() throws(JSONReaderRefusal) -> UInt64 {
        let value = try quantity64()
        guard value <= RPCLimits.maxIndex else { throw JSONReaderRefusal() }
        return value
    }

    /// A quantity of at most 256 bits.
    mutating func quantity256() throws(JSONReaderRefusal) -> UInt256 {
        let digits = try hexDigits()
        guard !digits.isEmpty else { throw JSONReaderRefusal() }
        var start = digits.lowerBound
        while start < digits.upperBound, bytes[start] == 0x30 { start += 1 }
        guard digits.upperBound - start <= 64 else { throw JSONReaderRefusal() }
        var limbs: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var shift = 0
        var position = digits.upperBound
        while position > start {
            position -= 1
            guard let digit = Self.nibble(bytes[position]) else { throw JSONReaderRefusal() }
            let bit = UInt64(shift % 64)
            switch shift / 64 {
            case 0: limbs.0 |= digit << bit
            case 1: limbs.1 |= digit << bit
            case 2: limbs.2 |= digit << bit
            default: limbs.3 |= digit << bit
            }
            shift += 4
        }
        return UInt256(limbs: limbs)
    }

    /// An optional field: nil for `null`, otherwise `read`. (An absent field is nil too; a field
    /// of another type is refused, which the Foundation way reads as nil.)
    mutating func optional<T>(_ read: (inout JSONReader) throws(JSONReaderRefusal) -> T) throws(JSONReaderRefusal) -> T? {
        if try null() { return nil }
        return try read(&self)
    }

    /// Stores a field's value, refusing a second occurrence of the field.
    @inline(__always)
    static func set<T>(_ field: inout T?, _ value: T) throws(JSONReaderRefusal) {
        guard field == nil else { throw JSONReaderRefusal() }
        field = value
    }

    /// Marks a field as seen (for optional fields, whose value may be nil), refusing a second one.
    @inline(__always)
    static func see(_ seen: inout Bool) throws(JSONReaderRefusal) {
        guard !seen else { throw JSONReaderRefusal() }
        seen = true
    }

    // MARK: Models

    /// A log object (`eth_getLogs`, receipts) sitting `depth` containers deep.
    mutating func log(depth: Int) throws(JSONReaderRefusal) -> RPCLog {
        try beginObject()
        var address: Address?
        var topics: [Bytes32]?
        var data: [UInt8]?
        var blockNumber: UInt64?
        var blockHash: Bytes32?
        var transactionHash: Bytes32?
        var transactionIndex: UInt64?
        var logIndex: UInt64?
        var removed: Bool?
        var first = true
        while let key = try nextKey(&first) {
            if matches(key, "address") {
                try Self.set(&address, try self.address())
            } else if matches(key, "topics") {
                var list = [Bytes32]()
                list.reserveCapacity(4)
                try beginArray()
                var firstTopic = true
                while try nextElement(&firstTopic) { list.append(try word()) }
                try Self.set(&topics, list)
            } else if matches(key, "data") {
                try Self.set(&data, try self.data())
            } else if matches(key, "blockNumber") {
                try Self.set(&blockNumber, try self.blockNumber())
            } else if matches(key, "blockHash") {
                try Self.set(&blockHash, try word())
            } else if matches(key, "transactionHash") {
                try Self.set(&transactionHash, try word())
            } else if matches(key, "transactionIndex") {
                try Self.set(&transactionIndex, try self.logIndex())
            } else if matches(key, "logIndex") {
                try Self.set(&logIndex, try self.logIndex())
            } else if matches(key, "removed") {
                try Self.set(&removed, try bool())
            } else {
                try skipValue(depth: depth + 1)
            }
        }
        guard let address, let topics, let data, let blockNumber, let blockHash, let transactionHash, let transactionIndex, let logIndex
        else { throw JSONReaderRefusal() }
        return RPCLog(
            address: address, topics: topics, data: data, blockNumber: blockNumber, blockHash: BlockHash(raw: blockHash),
            transactionHash: TxHash(raw: transactionHash), transactionIndex: transactionIndex, logIndex: logIndex,
            removed: removed ?? false)
    }

    /// A list of logs sitting `depth` containers deep.
    mutating func logs(depth: Int) throws(JSONReaderRefusal) -> [RPCLog] {
        try beginArray()
        var logs = [RPCLog]()
        var first = true
        while try nextElement(&first) { logs.append(try log(depth: depth + 1)) }
        return logs
    }

    /// A block with transaction hashes, or with whole transactions (only their hashes are kept).
    mutating func block(depth: Int) throws(JSONReaderRefusal) -> RPCBlock {
        try beginObject()
        var number: UInt64?
        var hash: Bytes32?
        var parentHash: Bytes32?
        var timestamp: UInt64?
        var logsBloom: [UInt8]?
        var transactions: [TxHash]?
        var baseFeePerGas: UInt256?
        var sawBaseFee = false
        var gasUsed: UInt64?
        var gasLimit: UInt64?
        var first = true
        while let key = try nextKey(&first) {
            if matches(key, "number") {
                try Self.set(&number, try blockNumber())
            } else if matches(key, "hash") {
                try Self.set(&hash, try word())
            } else if matches(key, "parentHash") {
                try Self.set(&parentHash, try word())
            } else if matches(key, "timestamp") {
                try Self.set(&timestamp, try blockNumber())
            } else if matches(key, "logsBloom") {
                let bloom = try data()
                guard bloom.count == 256 else { throw JSONReaderRefusal() }
                try Self.set(&logsBloom, bloom)
            } else if matches(key, "transactions") {
                try Self.set(&transactions, try transactionHashes(depth: depth + 1))
            } else if matches(key, "baseFeePerGas") {
                try Self.see(&sawBaseFee)
                baseFeePerGas = try optional { reader throws(JSONReaderRefusal) in try reader.quantity256() }
            } else if matches(key, "gasUsed") {
                try Self.set(&gasUsed, try quantity64())
            } else if matches(key, "gasLimit") {
                try Self.set(&gasLimit, try quantity64())
            } else {
                try skipValue(depth: depth + 1)
            }
        }
        guard let number, let hash, let parentHash, let timestamp, let logsBloom, let transactions, let gasUsed, let gasLimit else {
            throw JSONReaderRefusal()
        }
        return RPCBlock(
            number: number, hash: BlockHash(raw: hash), parentHash: BlockHash(raw: parentHash), timestamp: timestamp, logsBloom: logsBloom,
            transactions: transactions, baseFeePerGas: baseFeePerGas, gasUsed: gasUsed, gasLimit: gasLimit)
    }

    /// A block's `transactions`: hashes, or objects whose `hash` is kept.
    mutating func transactionHashes(depth: Int) throws(JSONReaderRefusal) -> [TxHash] {
        try beginArray()
        var hashes = [TxHash]()
        var first = true
        while try nextElement(&first) {
            if peek() == Self.quote {
                hashes.append(TxHash(raw: try word()))
                continue
            }
            try beginObject()
            var hash: Bytes32?
            var firstMember = true
            while let key = try nextKey(&firstMember) {
                if matches(key, "hash") {
                    try Self.set(&hash, try word())
                } else {
                    try skipValue(depth: depth + 2)
                }
            }
            guard let hash else { throw JSONReaderRefusal() }
            hashes.append(TxHash(raw: hash))
        }
        return hashes
    }

    /// A transaction receipt with its logs.
    mutating func receipt(depth: Int) throws(JSONReaderRefusal) -> RPCReceipt {
        try beginObject()
        var transactionHash: Bytes32?
        var blockHash: Bytes32?
        var blockNumber: UInt64?
        var transactionIndex: UInt64?
        var from: Address?
        var to: Address?
        var sawTo = false
        var status: UInt64?
        var gasUsed: UInt64?
        var effectiveGasPrice: UInt256?
        var sawGasPrice = false
        var contractAddress: Address?
        var sawContract = false
        var logs: [RPCLog]?
        var logsBloom: [UInt8]?
        var first = true
        while let key = try nextKey(&first) {
            if matches(key, "transactionHash") {
                try Self.set(&transactionHash, try word())
            } else if matches(key, "blockHash") {
                try Self.set(&blockHash, try word())
            } else if matches(key, "blockNumber") {
                try Self.set(&blockNumber, try self.blockNumber())
            } else if matches(key, "transactionIndex") {
                try Self.set(&transactionIndex, try logIndex())
            } else if matches(key, "from") {
                try Self.set(&from, try address())
            } else if matches(key, "to") {
                try Self.see(&sawTo)
                to = try optional { reader throws(JSONReaderRefusal) in try reader.address() }
            } else if matches(key, "status") {
                try Self.set(&status, try quantity64())
            } else if matches(key, "gasUsed") {
                try Self.set(&gasUsed, try quantity64())
            } else if matches(key, "effectiveGasPrice") {
                try Self.see(&sawGasPrice)
                effectiveGasPrice = try optional { reader throws(JSONReaderRefusal) in try reader.quantity256() }
            } else if matches(key, "contractAddress") {
                try Self.see(&sawContract)
                contractAddress = try optional { reader throws(JSONReaderRefusal) in try reader.address() }
            } else if matches(key, "logs") {
                try Self.set(&logs, try self.logs(depth: depth + 1))
            } else if matches(key, "logsBloom") {
                try Self.set(&logsBloom, try data())
            } else {
                try skipValue(depth: depth + 1)
            }
        }
        guard let transactionHash, let blockHash, let blockNumber, let transactionIndex, let from, let status, let gasUsed, let logs,
            let logsBloom
        else { throw JSONReaderRefusal() }
        return RPCReceipt(
            transactionHash: TxHash(raw: transactionHash), blockHash: BlockHash(raw: blockHash), blockNumber: blockNumber,
            transactionIndex: transactionIndex, from: from, to: to, status: status, gasUsed: gasUsed, effectiveGasPrice: effectiveGasPrice,
            contractAddress: contractAddress, logs: logs, logsBloom: logsBloom)
    }
}
