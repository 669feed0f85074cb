/// The byte reader gave up on an answer. It says nothing about whether the answer is wrong:
/// the answer is then decoded the Foundation way, which decides what it is (see
/// ``RPCResultDecoder``).
struct JSONReaderRefusal: Error {}

/// A strict reader of the JSON that nodes send, over the bytes of a response, for the decoders
/// that build ``RPCLog``, ``RPCBlock`` and ``RPCReceipt`` without Foundation's objects in
/// between.
///
/// It takes only the plain form honest nodes write (RFC 8259 JSON with ASCII strings without
/// escapes, integers of at most 18 digits, nesting at most ``maxDepth`` deep) and refuses
/// everything else with ``JSONReaderRefusal``, never with a guess: an escape, a non-ASCII
/// byte, a fraction or exponent, a deeper nesting, a duplicate field the decoders read, or
/// anything that is not JSON. Refused answers go the Foundation way, so what the gateway makes
/// of an unusual or hostile answer is what it made of it before; the reader itself never traps
/// (every index is checked against the end) and never recurses.
struct JSONReader {
    let bytes: UnsafeBufferPointer<UInt8>
    private(set) var index: Int

    /// Deeper nesting is refused. Node answers nest four levels (envelope, list, log, topics);
    /// skipped fields (a block's withdrawals, a transaction's access list) a few more.
    static let maxDepth = 64

    /// Integers longer than this are refused (18 digits always fit `Int64`).
    static let maxIntegerDigits = 18

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        self.index = 0
    }

    // MARK: Bytes

    static let quote: UInt8 = 0x22
    static let backslash: UInt8 = 0x5C
    static let comma: UInt8 = 0x2C
    static let colon: UInt8 = 0x3A
    static let openBrace: UInt8 = 0x7B
    static let closeBrace: UInt8 = 0x7D
    static let openBracket: UInt8 = 0x5B
    static let closeBracket: UInt8 = 0x5D

    var isAtEnd: Bool { index >= bytes.count }

    /// Skips JSON whitespace (space, tab, line feed, carriage return).
    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// The next byte that is not whitespace, not consumed; nil at the end.
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return index < bytes.count ? bytes[index] : nil
    }

    mutating func expect(_ byte: UInt8) throws(JSONReaderRefusal) {
        guard peek() == byte else { throw JSONReaderRefusal() }
        index += 1
    }

    /// Succeeds when only whitespace is left.
    mutating func expectEnd() throws(JSONReaderRefusal) {
        guard peek() == nil else { throw JSONReaderRefusal() }
    }

    // MARK: Strings

    /// The bytes between the quotes of a string: printable ASCII without escapes only.
    mutating func string() throws(JSONReaderRefusal) -> Range<Int> {
        try expect(Self.quote)
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == Self.quote {
                index += 1
                return start..<(index - 1)
            }
            // Control characters are not JSON; escapes and non-ASCII text are not what nodes send here.
            guard byte >= 0x20, byte < 0x80, byte != Self.backslash else { throw JSONReaderRefusal() }
            index += 1
        }
        throw JSONReaderRefusal()
    }

    /// Whether the bytes of `range` spell `name`.
    func matches(_ range: Range<Int>, _ name: StaticString) -> Bool {
        guard range.count == name.utf8CodeUnitCount, range.lowerBound >= 0, range.upperBound <= bytes.count else { return false }
        let text = name.utf8Start
        var offset = 0
        for position in range {
            guard bytes[position] == text[offset] else { return false }
            offset += 1
        }
        return true
    }

    // MARK: Literals

    /// Consumes `null` and returns true when it comes next; false (nothing consumed) otherwise.
    mutating func null() throws(JSONReaderRefusal) -> Bool {
        guard peek() == 0x6E else { return false }
        try literal("null")
        return true
    }

    mutating func bool() throws(JSONReaderRefusal) -> Bool {
        switch peek() {
        case 0x74:
            try literal("true")
            return true
        case 0x66:
            try literal("false")
            return false
        default: throw JSONReaderRefusal()
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONReaderRefusal) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw JSONReaderRefusal() }
        let text = word.utf8Start
        for offset in 0..<count where bytes[index + offset] != text[offset] { throw JSONReaderRefusal() }
        index += count
    }

    /// An integer: `-?(0|[1-9][0-9]*)` of at most ``maxIntegerDigits`` digits, not followed by a
    /// fraction or an exponent.
    private mutating func integer() throws(JSONReaderRefusal) {
        if index < bytes.count, bytes[index] == 0x2D { index += 1 }
        let start = index
        while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
        let digits = index - start
        guard digits >= 1, digits <= Self.maxIntegerDigits, digits == 1 || bytes[start] != 0x30 else { throw JSONReaderRefusal() }
        if index < bytes.count {
            switch bytes[index] {
            case 0x2E, 0x65, 0x45: throw JSONReaderRefusal()
            default: break
            }
        }
    }

    /// A positive integer of at most nine digits (a JSON-RPC id the client chose), as its value.
    mutating func smallPositiveInteger() throws(JSONReaderRefusal) -> Int {
        skipWhitespace()
        let start = index
        var value = 0
        while index < bytes.count, (0x30...0x39).contains(bytes[index]), index - start < 9 {
            value = value * 10 + Int(bytes[index] - 0x30)
            index += 1
        }
        guard index > start, bytes[start] != 0x30 else { throw JSONReaderRefusal() }
        if index < bytes.count {
            switch bytes[index] {
            case 0x2E, 0x65, 0x45, 0x30...0x39: throw JSONReaderRefusal()
            default: break
            }
        }
        return value
    }

    // MARK: Containers

    /// Consumes `{`; then ``nextKey(_:)`` walks the members.
    mutating func beginObject() throws(JSONReaderRefusal) { try expect(Self.openBrace) }

    /// The next member's key (its value follows), or nil after the closing `}`. `first` is
    /// true before the first member and is kept by the caller.
    mutating func nextKey(_ first: inout Bool) throws(JSONReaderRefusal) -> Range<Int>? {
        switch peek() {
        case Self.closeBrace:
            index += 1
            return nil
        case Self.comma where !first:
            index += 1
        case Self.quote where first:
            break
        default:
            throw JSONReaderRefusal()
        }
        first = false
        let key = try string()
        try expect(Self.colon)
        return key
    }

    /// Consumes `[`; then ``nextElement(_:)`` walks the elements.
    mutating func beginArray() throws(JSONReaderRefusal) { try expect(Self.openBracket) }

    /// True when another element follows (positioned at it), false after the closing `]`.
    mutating func nextElement(_ first: inout Bool) throws(JSONReaderRefusal) -> Bool {
        switch peek() {
        case Self.closeBracket:
            index += 1
            return false
        case Self.comma where !first:
            index += 1
        case nil:
            throw JSONReaderRefusal()
        default:
            guard first else { throw JSONReaderRefusal() }
        }
        first = false
        return true
    }

    // MARK: Skipping

    /// Reads over one value of any kind, checking that it is JSON the reader accepts, without
    /// building anything. `depth` is how deep the value already sits. Iterative: a hostile
    /// nesting costs no stack.
    mutating func skipValue(depth: Int) throws(JSONReaderRefusal) {
        // Each open container: true for an object, false for an array, with whether it is still empty.
        var open = [(isObject: Bool, empty: Bool)]()
        while true {
            // One value.
            guard let byte = peek() else { throw JSONReaderRefusal() }
            switch byte {
            case Self.quote: _ = try string()
            case Self.openBrace, Self.openBracket:
                let isObject = byte == Self.openBrace
                guard depth + open.count < Self.maxDepth else { throw JSONReaderRefusal() }
                index += 1
                open.append((isObject, true))
            case 0x74, 0x66: _ = try bool()
            case 0x6E: _ = try null()
            case 0x2D, 0x30...0x39: try integer()
            default: throw JSONReaderRefusal()
            }
            // Closes, then the next member's key or element, if any.
            while let last = open.last {
                let isObject = last.isObject
                let byte = peek()
                if byte == (isObject ? Self.closeBrace : Self.closeBracket) {
                    index += 1
                    open.removeLast()
                    continue
                }
                if last.empty {
                    open[open.count - 1].empty = false
                } else {
                    guard byte == Self.comma else { throw JSONReaderRefusal() }
                    index += 1
                }
                if isObject {
                    _ = try string()
                    try expect(Self.colon)
                }
                break
            }
            if open.isEmpty { return }
        }
    }
}
