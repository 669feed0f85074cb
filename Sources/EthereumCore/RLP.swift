/// Recursive Length Prefix, Ethereum's serialization of nested byte strings.
public enum RLPItem: Hashable, Sendable {
    case bytes([UInt8])
    case list([RLPItem])

    /// The item as an integer: canonical (no leading zeros; zero is the empty string).
    public static func uint(_ value: UInt256) -> RLPItem { .bytes(value.minimalBytes) }
    public static func uint(_ value: UInt64) -> RLPItem { .uint(UInt256(value)) }

    public var bytesValue: [UInt8]? {
        if case .bytes(let b) = self { return b }
        return nil
    }

    public var listValue: [RLPItem]? {
        if case .list(let l) = self { return l }
        return nil
    }
}

/// Encoder and strict decoder for ``RLPItem``.
public enum RLP {
    public static func encode(_ item: RLPItem) -> [UInt8] {
        var out = [UInt8]()
        append(item, to: &out)
        return out
    }

    private static func append(_ item: RLPItem, to out: inout [UInt8]) {
        switch item {
        case .bytes(let bytes):
            if bytes.count == 1 && bytes[0] < 0x80 {
                out.append(bytes[0])
            } else {
                appendHeader(length: bytes.count, shortBase: 0x80, to: &out)
                out.append(contentsOf: bytes)
            }
        case .list(let items):
            var payload = [UInt8]()
            for child in items { append(child, to: &payload) }
            appendHeader(length: payload.count, shortBase: 0xc0, to: &out)
            out.append(contentsOf: payload)
        }
    }

    /// The encoding of a list whose items are already RLP-encoded: their bytes are joined as
    /// they are. Lets a caller embed an encoding it has measured (a trie node) without
    /// decoding and re-encoding it.
    static func encodeList(ofEncoded items: [[UInt8]]) -> [UInt8] {
        let payloadLength = items.reduce(0) { $0 + $1.count }
        var out = [UInt8]()
        out.reserveCapacity(payloadLength + 9)
        appendHeader(length: payloadLength, shortBase: 0xc0, to: &out)
        for item in items { out.append(contentsOf: item) }
        return out
    }

    private static func appendHeader(length: Int, shortBase: UInt8, to out: inout [UInt8]) {
        if length < 56 {
            out.append(shortBase + UInt8(length))
        } else {
            let lengthBytes = UInt256(UInt64(length)).minimalBytes
            out.append(shortBase + 55 + UInt8(lengthBytes.count))
            out.append(contentsOf: lengthBytes)
        }
    }

    /// Decodes exactly one item that spans all of `input`. Non-canonical encodings
    /// (a long form for a short payload, length prefixes with leading zeros, a single
    /// byte below 0x80 wrapped as a string), truncated input and trailing bytes are errors.
    public static func decode(_ input: [UInt8]) throws(RLPError) -> RLPItem {
        try input.withUnsafeBufferPointer { (buffer) throws(RLPError) -> RLPItem in
            var offset = 0
            let item = try decodeItem(buffer, &offset, depth: 0)
            guard offset == buffer.count else { throw .trailingBytes(buffer.count - offset) }
            return item
        }
    }

    /// Deep enough for any transaction or block; bounds the recursion on hostile input.
    static let maxDepth = 64

    private static func decodeItem(_ input: UnsafeBufferPointer<UInt8>, _ offset: inout Int, depth: Int) throws(RLPError) -> RLPItem {
        guard depth <= maxDepth else { throw .tooDeep }
        guard offset < input.count else { throw .truncated }
        let prefix = input[offset]
        offset += 1
        switch prefix {
        case 0x00...0x7f:
            return .bytes([prefix])
        case 0x80...0xbf:
            let length = try readLength(input, &offset, prefix: prefix, shortBase: 0x80)
            let bytes = Array(input[offset..<(offset + length)])
            offset += length
            if length == 1 && bytes[0] < 0x80 { throw .nonCanonicalSingleByte }
            return .bytes(bytes)
        default:
            let length = try readLength(input, &offset, prefix: prefix, shortBase: 0xc0)
            let end = offset + length
            var items = [RLPItem]()
            while offset < end {
                let child = try decodeItem(UnsafeBufferPointer(rebasing: input[..<end]), &offset, depth: depth + 1)
                items.append(child)
            }
            return .list(items)
        }
    }

    /// Reads the payload length that follows a prefix, checking it is canonical and fits.
    private static func readLength(_ input: UnsafeBufferPointer<UInt8>, _ offset: inout Int, prefix: UInt8, shortBase: UInt8)
        throws(RLPError) -> Int
    {
        let length: Int
        if prefix <= shortBase + 55 {
            length = Int(prefix - shortBase)
        } else {
            let lengthOfLength = Int(prefix - shortBase - 55)
            guard offset + lengthOfLength <= input.count else { throw .truncated }
            guard input[offset] != 0 else { throw .leadingZerosInLength }
            guard lengthOfLength <= 4 else { throw .lengthTooLarge }
            var value = 0
            for i in 0..<lengthOfLength { value = value << 8 | Int(input[offset + i]) }
            offset += lengthOfLength
            guard value >= 56 else { throw .nonCanonicalLength }
            length = value
        }
        guard length <= input.count - offset else { throw .truncated }
        return length
    }
}

/// Why bytes are not valid RLP.
public enum RLPError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated
    case trailingBytes(Int)
    case nonCanonicalSingleByte
    case nonCanonicalLength
    case leadingZerosInLength
    case lengthTooLarge
    case tooDeep
    case unexpectedList(String)
    case unexpectedBytes(String)
    case wrongItemCount(expected: Int, actual: Int)
    case leadingZerosInInteger(String)
    case integerTooLarge(String)
    case wrongLength(String, expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .truncated: return "RLP input ends before the item it announces"
        case .trailingBytes(let n): return "RLP input has \(n) bytes after the item"
        case .nonCanonicalSingleByte: return "RLP wraps a single byte below 0x80 as a string"
        case .nonCanonicalLength: return "RLP uses the long form for a payload under 56 bytes"
        case .leadingZerosInLength: return "RLP length has leading zeros"
        case .lengthTooLarge: return "RLP length is too large"
        case .tooDeep: return "RLP nesting is too deep"
        case .unexpectedList(let field): return "\(field): expected a byte string, found a list"
        case .unexpectedBytes(let field): return "\(field): expected a list, found a byte string"
        case .wrongItemCount(let expected, let actual): return "expected \(expected) RLP items, found \(actual)"
        case .leadingZerosInInteger(let field): return "\(field): integer has leading zeros"
        case .integerTooLarge(let field): return "\(field): integer is too large"
        case .wrongLength(let field, let expected, let actual): return "\(field): expected \(expected) bytes, found \(actual)"
        }
    }
}

extension RLPItem {
    /// Reads a canonical integer that fits in `maxBytes` bytes.
    func uint256(_ field: String, maxBytes: Int = 32) throws(RLPError) -> UInt256 {
        guard case .bytes(let bytes) = self else { throw .unexpectedList(field) }
        if let first = bytes.first, first == 0 { throw .leadingZerosInInteger(field) }
        guard bytes.count <= maxBytes else { throw .integerTooLarge(field) }
        do { return try UInt256(bigEndian: bytes) } catch { throw .integerTooLarge(field) }
    }

    func uint64(_ field: String) throws(RLPError) -> UInt64 {
        try uint256(field, maxBytes: 8).uint64!
    }

    func byteString(_ field: String) throws(RLPError) -> [UInt8] {
        guard case .bytes(let bytes) = self else { throw .unexpectedList(field) }
        return bytes
    }

    func list(_ field: String) throws(RLPError) -> [RLPItem] {
        guard case .list(let items) = self else { throw .unexpectedBytes(field) }
        return items
    }
}
