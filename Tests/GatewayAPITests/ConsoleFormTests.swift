import Testing

@testable import GatewayAPI

/// The console's form parsing, field cleaning, escaping, token comparison and sign-in failure
/// counting, against hostile input.
struct ConsoleFormTests {
    @Test(
        arguments: [
            ("email=a%40b.co&password=p+w%26d&csrf_token=t", ["email": "a@b.co", "password": "p w&d", "csrf_token": "t"]),
            ("a=1&a=2", ["a": "2"]),
            ("novalue&=empty", ["novalue": "", "": "empty"]),
            ("bad=%FF%ZZ", ["bad": "%FF%ZZ"]),
            ("nul=a%00b", ["nul": "a\u{0}b"]),
            ("", [:]),
            ("&&&", [:]),
        ] as [(String, [String: String])])
    func parse(body: String, fields: [String: String]) {
        #expect(ConsoleForm.parse(body) == fields)
    }

    @Test func atMostFiftyFieldsAreRead() {
        let body = (0..<1000).map { "f\($0)=x" }.joined(separator: "&")
        #expect(ConsoleForm.parse(body).count == 50)
    }

    @Test(
        arguments: [
            ("  1.50 ", 100, "1.50"),
            ("", 100, nil),
            ("   ", 100, nil),
            ("a\u{0}b", 100, nil),
            ("a\nb", 100, nil),
            ("abcdef", 3, "abc"),
        ] as [(String, Int, String?)])
    func fieldText(value: String, maxLength: Int, text: String?) {
        #expect(ConsoleForm.text(value, maxLength: maxLength) == text)
    }

    @Test func interpolatedTextIsEscapedAndMarkupIsNot() {
        let evil = "<script>alert('x')</script>\"&"
        let cell: HTML = "<td>\(evil)</td>"
        let row: HTML = "<tr>\(cell)</tr>"
        #expect(row.text == "<tr><td>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;</td></tr>")
        let missing: String? = nil
        let count = 42
        let mixed: HTML = "\(missing)|\(count)|\([cell, cell])"
        #expect(mixed.text == "|42|" + cell.text + cell.text)
    }

    @Test(
        arguments: [
            ("csrf_abc", "csrf_abc", true),
            ("csrf_abc", "csrf_abd", false),
            ("csrf_ab", "csrf_abc", false),
            ("", "", false),
            (nil, "csrf_abc", false),
            ("csrf_abc", nil, false),
        ] as [(String?, String?, Bool)])
    func tokens(presented: String?, expected: String?, matches: Bool) {
        #expect(ConsoleToken.matches(presented, expected) == matches)
    }

    @Test func anAccountIsBlockedAfterItsLimitOfFailuresForAMinute() async {
        let failures = SignInFailures()
        let start = ContinuousClock.now
        for second in 0..<5 {
            #expect(await failures.blocked("a@b.co", limit: 5, now: start + .seconds(second)) == false)
            await failures.record("a@b.co", now: start + .seconds(second))
        }
        #expect(await failures.blocked("a@b.co", limit: 5, now: start + .seconds(10)) == true)
        #expect(await failures.blocked("other@b.co", limit: 5, now: start + .seconds(10)) == false)
        // The oldest failure leaves the window after a minute.
        #expect(await failures.blocked("a@b.co", limit: 5, now: start + .seconds(60)) == false)
        await failures.record("a@b.co", now: start + .seconds(61))
        await failures.clear("a@b.co")
        #expect(await failures.blocked("a@b.co", limit: 1, now: start + .seconds(62)) == false)
    }
}
