/// A JSON value with the shape the API needs: integers but no floating point, and objects
/// that keep their members in order, so that responses are stable byte for byte.
///
/// It decodes from any `Decoder` (the HTTP layer uses Foundation's), which lets the API check
/// types itself and say exactly which field is wrong; it serialises itself, without Foundation.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    /// A number that is not an integer in Int64's range; its value is not kept, since the
    /// API takes no such number anywhere.
    case nonInteger
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// A short name of the value's type, for error messages.
    public var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .nonInteger: return "a non-integer number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    public var serialized: String {
        var out = ""
        write(to: &out)
        return out
    }

    public func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .nonInteger: out += "null"
        case .string(let value): Self.writeString(value, to: &out)
        case .array(let values):
            out += "["
            for (index, value) in values.enumerated() {
                if index > 0 { out += "," }
                value.write(to: &out)
            }
            out += "]"
        case .object(let object):
            out += "{"
            for (index, member) in object.members.enumerated() {
                if index > 0 { out += "," }
                Self.writeString(member.key, to: &out)
                out += ":"
                member.value.write(to: &out)
            }
            out += "}"
        }
    }

    static func writeString(_ text: String, to out: inout String) {
        // Most strings (keys, ids, amounts, addresses, URLs) need no escape: one append.
        if !mayNeedEscaping(text) {
            out += "\""
            out += text
            out += "\""
            return
        }
        writeEscaping(text, to: &out)
    }

    /// False when no byte of `text` can start something ``writeEscaping(_:to:)`` escapes: a
    /// control character, DEL, `"`, `\\`, `<`, `>`, or the lead byte 0xE2 of U+2028 and U+2029
    /// (and of other characters, which then take the slow path unchanged).
    static func mayNeedEscaping(_ text: String) -> Bool {
        for byte in text.utf8 {
            switch byte {
            case 0x00..<0x20, 0x22, 0x3C, 0x3E, 0x5C, 0x7F, 0xE2: return true
            default: continue
            }
        }
        return false
    }

    /// The string with every escape the API writes, scalar by scalar.
    static func writeEscaping(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            // `<` and `>` escaped too, so JSON embedded in an HTML page cannot close a script.
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

/// An ordered JSON object. Built with ``JSONObject/init(_:)`` from key/value pairs; `nil`
/// values are written as `null`.
public struct JSONObject: Sendable, Hashable {
    public struct Member: Sendable, Hashable {
        public let key: String
        public let value: JSONValue

        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    public private(set) var members: [Member]

    public init(_ pairs: KeyValuePairs<String, JSONValue?> = [:]) {
        members = pairs.map { Member(key: $0.key, value: $0.value ?? .null) }
    }

    public init(members: [Member]) { self.members = members }

    public subscript(key: String) -> JSONValue? {
        members.first { $0.key == key }?.value
    }

    public var keys: [String] { members.map(\.key) }

    public mutating func append(_ key: String, _ value: JSONValue?) {
        members.append(Member(key: key, value: value ?? .null))
    }

    /// Replaces the value of every member named `key` (in place, keeping the order).
    public mutating func replace(_ key: String, with value: JSONValue) {
        for index in members.indices where members[index].key == key { members[index] = Member(key: key, value: value) }
    }
}

extension JSONValue {
    public static func string(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
    public static func int(_ value: Int) -> JSONValue { .int(Int64(value)) }
}

extension JSONValue: Decodable {
    private struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        if let container = try? decoder.container(keyedBy: AnyKey.self) {
            var members: [JSONObject.Member] = []
            for key in container.allKeys {
                members.append(.init(key: key.stringValue, value: try container.decode(JSONValue.self, forKey: key)))
            }
            self = .object(JSONObject(members: members))
            return
        }
        if var container = try? decoder.unkeyedContainer() {
            var values: [JSONValue] = []
            while !container.isAtEnd { values.append(try container.decode(JSONValue.self)) }
            self = .array(values)
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if (try? container.decode(Double.self)) != nil {
            self = .nonInteger
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }
}
