/// A strict JSON reader for request bodies: RFC 8259 over UTF-8 bytes, into ``JSONValue``.
///
/// Unlike a general decoder, its refusals say where they are: a string with invalid UTF-8, a
/// lone surrogate (`"\ud800"`) or a NUL character is refused with the path of the field that
/// holds it (`metadata.order`), so the API can answer 400 naming the field. Nesting is limited
/// (no stack exhaustion from `[[[[…`), duplicate keys are refused (which one would win is
/// ambiguous), and numbers that are not integers in Int64's range become ``JSONValue/nonInteger``.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        /// Not JSON at all, or broken at `offset`.
        case syntax
        case invalidUTF8
        case loneSurrogate
        /// A NUL character: Postgres cannot store it in text.
        case nulCharacter
        case tooDeep
        case duplicateKey
    }

    public let reason: Reason
    /// The path of the value at fault (`metadata.order_id`, `items[2]`), empty at the top.
    public let path: [String]
    public let offset: Int

    /// The top-level field at fault, if any.
    public var field: String? { path.first }

    public var description: String {
        let place = path.isEmpty ? "the body" : path.joined(separator: ".")
        switch reason {
        case .syntax: return "the request body is not valid JSON (at byte \(offset))"
        case .invalidUTF8: return "\(place) is not valid UTF-8"
        case .loneSurrogate: return "\(place) holds a lone surrogate (\\ud800-\\udfff without its pair), which is not a character"
        case .nulCharacter: return "\(place) contains a NUL character (\\u0000), which is not allowed"
        case .tooDeep: return "the request body nests deeper than \(JSONValue.maxDepth) levels"
        case .duplicateKey: return "\(place) appears twice"
        }
    }
}

extension JSONValue {
    public static let maxDepth = 32

    /// Parses one JSON value that fills `bytes` (whitespace around it allowed).
    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        var reader = Reader(bytes: bytes)
        reader.skipSpace()
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.index == bytes.count else { throw reader.fail(.syntax) }
        return value
    }

    struct Reader {
        let bytes: [UInt8]
        var index = 0
        var path: [String] = []

        init(bytes: [UInt8]) { self.bytes = bytes }

        func fail(_ reason: JSONParseError.Reason) -> JSONParseError {
            JSONParseError(reason: reason, path: path, offset: index)
        }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ literal: String) throws(JSONParseError) {
            for byte in literal.utf8 {
                guard index < bytes.count, bytes[index] == byte else { throw fail(.syntax) }
                index += 1
            }
        }

        mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
            guard depth < JSONValue.maxDepth else { throw fail(.tooDeep) }
            guard index < bytes.count else { throw fail(.syntax) }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"):
                try expect("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try expect("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try expect("null")
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw fail(.syntax)
            }
        }

        mutating func object(depth: Int) throws(JSONParseError) -> JSONValue {
            index += 1
            var members: [JSONObject.Member] = []
            var keys = Set<String>()
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(JSONObject(members: members))
            }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail(.syntax) }
                let key = try string()
                path.append(key)
                guard keys.insert(key).inserted else { throw fail(.duplicateKey) }
                skipSpace()
                try expect(":")
                skipSpace()
                let member = try value(depth: depth + 1)
                path.removeLast()
                members.append(JSONObject.Member(key: key, value: member))
                skipSpace()
                guard index < bytes.count else { throw fail(.syntax) }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect("}")
                return .object(JSONObject(members: members))
            }
        }

        mutating func array(depth: Int) throws(JSONParseError) -> JSONValue {
            index += 1
            var items: [JSONValue] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            while true {
                skipSpace()
                path.append("[\(items.count)]")
                items.append(try value(depth: depth + 1))
                path.removeLast()
                skipSpace()
                guard index < bytes.count else { throw fail(.syntax) }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect("]")
                return .array(items)
            }
        }

        /// A string, its escapes resolved; refuses invalid UTF-8, lone surrogates and NUL.
        mutating func string() throws(JSONParseError) -> String {
            index += 1
            var scalars = String.UnicodeScalarView()
            while true {
                guard index < bytes.count else { throw fail(.syntax) }
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    index += 1
                    scalars.append(try escape())
                case 0x00..<0x20:
                    // Control characters must be escaped in JSON.
                    throw fail(byte == 0 ? .nulCharacter : .syntax)
                case 0x20..<0x80:
                    scalars.append(Unicode.Scalar(byte))
                    index += 1
                default:
                    scalars.append(try utf8Scalar())
                }
            }
        }

        mutating func escape() throws(JSONParseError) -> Unicode.Scalar {
            guard index < bytes.count else { throw fail(.syntax) }
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return "\""
            case UInt8(ascii: "\\"): return "\\"
            case UInt8(ascii: "/"): return "/"
            case UInt8(ascii: "b"): return "\u{08}"
            case UInt8(ascii: "f"): return "\u{0C}"
            case UInt8(ascii: "n"): return "\n"
            case UInt8(ascii: "r"): return "\r"
            case UInt8(ascii: "t"): return "\t"
            case UInt8(ascii: "u"):
                let first = try hex4()
                if first == 0 { throw fail(.nulCharacter) }
                if (0xDC00...0xDFFF).contains(first) { throw fail(.loneSurrogate) }
                if (0xD800...0xDBFF).contains(first) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw fail(.loneSurrogate)
                    }
                    index += 2
                    let second = try hex4()
                    guard (0xDC00...0xDFFF).contains(second) else { throw fail(.loneSurrogate) }
                    let value = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                    guard let scalar = Unicode.Scalar(value) else { throw fail(.loneSurrogate) }
                    return scalar
                }
                guard let scalar = Unicode.Scalar(first) else { throw fail(.loneSurrogate) }
                return scalar
            default:
                throw fail(.syntax)
            }
        }

        mutating func hex4() throws(JSONParseError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw fail(.syntax) }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: throw fail(.syntax)
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }

        /// One multi-byte UTF-8 sequence, strictly: no overlong forms, no surrogates, nothing
        /// above U+10FFFF.
        mutating func utf8Scalar() throws(JSONParseError) -> Unicode.Scalar {
            let lead = bytes[index]
            let (count, minimum): (Int, UInt32)
            var value: UInt32
            switch lead {
            case 0xC2...0xDF: (count, minimum, value) = (2, 0x80, UInt32(lead & 0x1F))
            case 0xE0...0xEF: (count, minimum, value) = (3, 0x800, UInt32(lead & 0x0F))
            case 0xF0...0xF4: (count, minimum, value) = (4, 0x10000, UInt32(lead & 0x07))
            default: throw fail(.invalidUTF8)
            }
            guard index + count <= bytes.count else { throw fail(.invalidUTF8) }
            for offset in 1..<count {
                let byte = bytes[index + offset]
                guard byte & 0xC0 == 0x80 else { throw fail(.invalidUTF8) }
                value = value << 6 | UInt32(byte & 0x3F)
            }
            guard value >= minimum, let scalar = Unicode.Scalar(value) else { throw fail(.invalidUTF8) }
            index += count
            return scalar
        }

        mutating func number() throws(JSONParseError) -> JSONValue {
            let start = index
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count else { throw fail(.syntax) }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else if (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(bytes[index]) {
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            } else {
                throw fail(.syntax)
            }
            var integer = true
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                integer = false
                index += 1
                try digits()
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                integer = false
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                try digits()
            }
            guard integer, let value = Int64(String(decoding: bytes[start..<index], as: UTF8.self)) else { return .nonInteger }
            return .int(value)
        }

        mutating func digits() throws(JSONParseError) {
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            guard index > start else { throw fail(.syntax) }
        }
    }
}
