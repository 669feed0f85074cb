import GatewayDomain
import GatewayStore
import Testing

/// The exports' CSV bytes: RFC 4180 quoting by the CSV library, CRLF after every line, UTF-8
/// as is (no byte order mark).
struct CSVEncodingTests {
    @Test(
        arguments: [
            (["plain", "12.50"], "plain,12.50\r\n"),
            (["a,b", "-2.50"], "\"a,b\",-2.50\r\n"),
            (["say \"hi\"", ""], "\"say \"\"hi\"\"\",\r\n"),
            (["two\nlines", "x"], "\"two\nlines\",x\r\n"),
            (["'=HYPERLINK(\"http://evil.example\",\"x\")"], "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\"\r\n"),
            (["Café ☕", "ps_1"], "Café ☕,ps_1\r\n"),
        ] as [([String], String)])
    func rowsAreQuotedAsRFC4180Says(row: [String], line: String) throws {
        let bytes = try CSVEncoding.encode(ExportTable(header: ["h1", "h2"], rows: [row]))
        #expect(String(decoding: bytes, as: UTF8.self) == "h1,h2\r\n" + line)
    }

    @Test func anEmptyTableIsItsHeader() throws {
        #expect(
            try CSVEncoding.encode(ExportTable(header: ExportTables.quickbooksHeader, rows: []))
                == Array("Date,Description,Amount\r\n".utf8))
    }
}
