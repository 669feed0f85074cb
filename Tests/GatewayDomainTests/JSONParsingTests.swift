import GatewayDomain
import Testing

/// Request bodies are read strictly, and every refusal of text that Postgres or the API cannot
/// hold names the field that holds it.
@Suite struct JSONParsingTests {
    struct Refusal: Sendable, CustomTestStringConvertible {
        let name: String
        let body: [UInt8]
        let reason: JSONParseError.Reason
        /// Nil: any path.
        let path: [String]?
        var testDescription: String { name }
    }

    static func text(_ s: String) -> [UInt8] { Array(s.utf8) }

    static let refusals: [Refusal] = [
        Refusal(name: "an escaped NUL", body: text(#"{"description":"a\u0000b"}"#), reason: .nulCharacter, path: ["description"]),
        Refusal(name: "a raw NUL", body: text("{\"description\":\"a") + [0] + text("b\"}"), reason: .nulCharacter, path: ["description"]),
        Refusal(name: "a lone high surrogate", body: text(#"{"a":"x\ud800"}"#), reason: .loneSurrogate, path: ["a"]),
        Refusal(name: "a lone low surrogate", body: text(#"{"a":"\udc00"}"#), reason: .loneSurrogate, path: ["a"]),
        Refusal(name: "a high surrogate before a letter", body: text(#"{"a":"\ud800\u0041"}"#), reason: .loneSurrogate, path: ["a"]),
        Refusal(name: "a bare continuation byte", body: text(#"{"a":""#) + [0x80] + text(#""}"#), reason: .invalidUTF8, path: ["a"]),
        Refusal(name: "an overlong slash", body: text(#"{"a":""#) + [0xC0, 0xAF] + text(#""}"#), reason: .invalidUTF8, path: ["a"]),
        Refusal(
            name: "a surrogate encoded in UTF-8", body: text(#"{"a":""#) + [0xED, 0xA0, 0x80] + text(#""}"#), reason: .invalidUTF8,
            path: ["a"]),
        Refusal(name: "a truncated sequence", body: text(#"{"a":""#) + [0xE2, 0x82], reason: .invalidUTF8, path: ["a"]),
        Refusal(
            name: "above U+10FFFF", body: text(#"{"a":""#) + [0xF4, 0x90, 0x80, 0x80] + text(#""}"#), reason: .invalidUTF8, path: ["a"]),
        Refusal(
            name: "a NUL deep in metadata", body: text(#"{"metadata":{"order":"\u0000"}}"#), reason: .nulCharacter,
            path: ["metadata", "order"]),
        Refusal(name: "a NUL in a key", body: text(#"{"metadata":{"a\u0000":"x"}}"#), reason: .nulCharacter, path: ["metadata"]),
        Refusal(
            name: "a NUL in an array", body: text(#"{"networks":["devnet","\u0000"]}"#), reason: .nulCharacter, path: ["networks", "[1]"]),
        Refusal(name: "a duplicate key", body: text(#"{"amount":"1.00","amount":"9.00"}"#), reason: .duplicateKey, path: ["amount"]),
        Refusal(
            name: "nesting too deep", body: text(String(repeating: "[", count: 40) + String(repeating: "]", count: 40)), reason: .tooDeep,
            path: nil),
        Refusal(name: "trailing garbage", body: text(#"{"a":1} x"#), reason: .syntax, path: []),
        Refusal(name: "a raw control character", body: text("{\"a\":\"x\ny\"}"), reason: .syntax, path: ["a"]),
        Refusal(name: "a leading zero", body: text(#"{"a":01}"#), reason: .syntax, path: nil),
        Refusal(name: "a bare word", body: text(#"{"a":nan}"#), reason: .syntax, path: ["a"]),
        Refusal(name: "an empty body", body: [], reason: .syntax, path: []),
    ]

    @Test(arguments: refusals)
    func refuses(_ row: Refusal) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(row.body) }
        do {
            _ = try JSONValue.parse(row.body)
        } catch {
            #expect(error.reason == row.reason)
            if let path = row.path { #expect(error.path == path) }
        }
    }

    @Test func readsWhatItShould() throws {
        let value = try JSONValue.parse(
            Self.text(
                #" {"a":"x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00é€😀","n":-12,"big":99999999999999999999,"f":1.5,"e":1e3,"t":true,"z":null,"l":[]} "#
            ))
        guard case .object(let object) = value else {
            Issue.record("an object")
            return
        }
        #expect(object["a"] == .string("x\"\\/\u{08}\u{0C}\n\r\té😀é€😀"))
        #expect(object["n"] == .int(-12))
        #expect(object["big"] == .nonInteger)
        #expect(object["f"] == .nonInteger)
        #expect(object["e"] == .nonInteger)
        #expect(object["t"] == .bool(true))
        #expect(object["z"] == .null)
        #expect(object["l"] == .array([]))
        #expect(object.keys == ["a", "n", "big", "f", "e", "t", "z", "l"], "members keep their order")
    }
}
