import Testing

@testable import GatewayDomain

/// The one-append path for strings that need no escape writes exactly what the escaping path
/// writes, and every string that needs an escape takes the escaping path.
@Suite struct JSONWritingTests {
    static let cases: [(String, String)] = [
        ("", #""""#),
        ("ps_abc123", #""ps_abc123""#),
        ("https://shop.example/ok?x=1&y=2", #""https://shop.example/ok?x=1&y=2""#),
        ("ü and 日本 and 🎉", #""ü and 日本 and 🎉""#),
        ("a\"b", #""a\"b""#),
        ("back\\slash", #""back\\slash""#),
        ("</script>", #""\u003c/script\u003e""#),
        ("line\nbreak\r\ttab", #""line\nbreak\r\ttab""#),
        ("\u{0}\u{1F}\u{7F}", #""\u0000\u001f\u007f""#),
        ("sep\u{2028}par\u{2029}", #""sep\u2028par\u2029""#),
        ("em — dash", #""em — dash""#),
        ("€ sign", #""€ sign""#),
    ]

    @Test(arguments: cases.indices)
    func writesExactly(_ index: Int) {
        let (text, json) = Self.cases[index]
        #expect(JSONValue.string(text).serialized == json)
        var escaping = ""
        JSONValue.writeEscaping(text, to: &escaping)
        #expect(escaping == json)
    }

    @Test func fastPathOnlyWhereNothingIsEscaped() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [Unicode.Scalar] = [
            "a", "Z", "0", " ", "\"", "\\", "<", ">", "\n", "\u{1}", "\u{7F}", "é", "—", "\u{2028}", "\u{2029}", "😀", "/",
        ]
        for _ in 0..<2_000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...12, using: &generator) {
                text.unicodeScalars.append(alphabet.randomElement(using: &generator)!)
            }
            var escaping = ""
            JSONValue.writeEscaping(text, to: &escaping)
            #expect(JSONValue.string(text).serialized == escaping, "\(text.debugDescription)")
            if !JSONValue.mayNeedEscaping(text) { #expect(escaping == "\"" + text + "\"") }
        }
    }
}
