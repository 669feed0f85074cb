import EthereumCore
import Foundation
import TestSupport
import Testing

/// Runs the built `gateway` executable.
func gateway(_ arguments: String...) throws -> ProcessResult {
    try runProcess(Paths.gatewayBinary, arguments)
}

/// A temporary file holding `text`, removed by the caller's `defer`.
func temporaryFile(_ text: String, name: String = UUID().uuidString) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-test-\(name)")
    try Data(text.utf8).write(to: url)
    return url
}

@Suite struct EthCommandTests {
    static let eip155Key = "0x4646464646464646464646464646464646464646464646464646464646464646"
    static let eip155Raw =
        "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83"

    @Test func keccak() throws {
        #expect(try gateway("eth", "keccak", "0x").stdout == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470\n")
        #expect(
            try gateway("eth", "keccak", "--text", "abc").stdout == "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45\n")
        #expect(try gateway("eth", "keccak", "0x00").stdout == "0xbc36789e7a1e281436464229828f817d6612f7b477d66591ff96a9e064bcc98a\n")
        let bad = try gateway("eth", "keccak", "0xabc")
        #expect(bad.status != 0)
        #expect(bad.stdout.isEmpty)
        #expect(bad.stderr.contains("odd number of digits"))
    }

    @Test func checksum() throws {
        #expect(
            try gateway("eth", "checksum", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").stdout
                == "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\n")
        #expect(
            try gateway("eth", "checksum", "0xFB6916095CA1DF60BB79CE92CE3EA74C37C5D359").stdout
                == "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359\n")
        let wrong = try gateway("eth", "checksum", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("wrong EIP-55 checksum"))
        #expect(try gateway("eth", "checksum", "0x1234").status != 0)
    }

    @Test func addressOfKeyFile() throws {
        let file = try temporaryFile(Self.eip155Key + "\n")
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try gateway("eth", "address", "--private-key-file", file.path).stdout == "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F\n")
        let bad = try temporaryFile("0x" + String(repeating: "0", count: 64))
        defer { try? FileManager.default.removeItem(at: bad) }
        let result = try gateway("eth", "address", "--private-key-file", bad.path)
        #expect(result.status != 0)
        #expect(result.stderr.contains("invalid private key"))
    }

    @Test func signsTheEIP155ExampleInEveryQuantityForm() throws {
        let file = try temporaryFile(Self.eip155Key)
        defer { try? FileManager.default.removeItem(at: file) }
        for tx in [
            #"{"type":0,"chainId":1,"nonce":9,"gasPrice":20000000000,"gasLimit":21000,"to":"0x3535353535353535353535353535353535353535","value":"1000000000000000000"}"#,
            #"{"type":"0x0","chainId":"0x1","nonce":"0x9","gasPrice":"0x4a817c800","gasLimit":"21000","to":"0x3535353535353535353535353535353535353535","value":"0xde0b6b3a7640000","data":"0x"}"#,
        ] {
            let result = try gateway("eth", "sign-tx", "--private-key-file", file.path, "--tx", tx)
            #expect(result.stdout == Self.eip155Raw + "\n", "\(result.stderr)")
        }
    }

    @Test func decodeTxPrintsEveryField() throws {
        let result = try gateway("eth", "decode-tx", Self.eip155Raw)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["type"] as? Int == 0)
        #expect(object["chainId"] as? Int == 1)
        #expect(object["nonce"] as? Int == 9)
        #expect(object["gasPrice"] as? String == "20000000000")
        #expect(object["gasLimit"] as? String == "21000")
        #expect(object["to"] as? String == "0x3535353535353535353535353535353535353535")
        #expect(object["value"] as? String == "1000000000000000000")
        #expect(object["data"] as? String == "0x")
        #expect(object["from"] as? String == "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F")
        #expect(object["v"] as? Int == 37)
        #expect(object["r"] as? String == "0x28ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276")
        #expect(object["s"] as? String == "0x67cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83")
        #expect(object["hash"] as? String == "0x33469b22e9f636356c4160a87eb19df52b7412e8eac32a4a55ffe88ea8350788")
        #expect(result.stdout.split(separator: "\n").count == 1)
    }

    @Test func decodeTxRoundTripsType2WithAccessList() throws {
        let file = try temporaryFile(Self.eip155Key)
        defer { try? FileManager.default.removeItem(at: file) }
        let tx =
            #"{"type":2,"chainId":137,"nonce":3,"maxPriorityFeePerGas":"30000000000","maxFeePerGas":"0x1bf08eb000","gasLimit":70000,"to":"0xc2132D05D31c914a87C6611C10748AEb04B58e8F","data":"0xa9059cbb0000000000000000000000005aaeb6053f3e94c9b9a09f33669435e7ef1beaed00000000000000000000000000000000000000000000000000000000000f4240","accessList":[{"address":"0xc2132D05D31c914a87C6611C10748AEb04B58e8F","storageKeys":["0x0000000000000000000000000000000000000000000000000000000000000003"]}]}"#
        let raw = try gateway("eth", "sign-tx", "--private-key-file", file.path, "--tx", tx).stdout.trimmingCharacters(in: .newlines)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(try gateway("eth", "decode-tx", raw).stdout.utf8)) as? [String: Any])
        #expect(object["type"] as? Int == 2)
        #expect(object["chainId"] as? Int == 137)
        #expect(object["maxFeePerGas"] as? String == "120000000000")
        #expect(object["maxPriorityFeePerGas"] as? String == "30000000000")
        #expect(object["from"] as? String == "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F")
        #expect(object["yParity"] as? Int != nil)
        #expect(object["v"] == nil)
        let list = try #require(object["accessList"] as? [[String: Any]])
        #expect(list.first?["address"] as? String == "0xc2132D05D31c914a87C6611C10748AEb04B58e8F")
        #expect(list.first?["storageKeys"] as? [String] == ["0x0000000000000000000000000000000000000000000000000000000000000003"])
        #expect(object["hash"] as? String == Keccak256.hash(try Hex.decode(raw)).hex)
    }

    @Test func badInputIsAClearErrorOnStderr() throws {
        let file = try temporaryFile(Self.eip155Key)
        defer { try? FileManager.default.removeItem(at: file) }
        let cases: [(String, String)] = [
            (#"{"chainId":1,"gaslimit":21000}"#, "unknown fields: gaslimit"),
            (#"{"type":2,"gasPrice":1}"#, "not gasPrice"),
            (#"{"type":0,"maxFeePerGas":1}"#, "takes gasPrice"),
            (#"{"type":2,"value":"-1"}"#, "value must be a non-negative whole number"),
            (#"{"type":2,"value":1.5}"#, "value must be a non-negative whole number"),
            (#"{"type":2,"nonce":"0x10000000000000000"}"#, "nonce does not fit in 64 bits"),
            (#"{"type":2,"to":"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"}"#, "wrong EIP-55 checksum"),
            (#"{"type":7}"#, "type must be 0, 1 or 2"),
            (#"{"type":2,"nonce":true}"#, "nonce must be a number"),
            (#"[1]"#, "must be a JSON object"),
        ]
        for (tx, message) in cases {
            let result = try gateway("eth", "sign-tx", "--private-key-file", file.path, "--tx", tx)
            #expect(result.status != 0, "\(tx)")
            #expect(result.stdout.isEmpty, "\(tx)")
            #expect(result.stderr.contains(message), "\(tx): \(result.stderr)")
            #expect(!result.stderr.contains("4646464646"), "the key never reaches an error")
        }
        for raw in ["0x", "0xf86c", "0x02c0", "0x03c0", Self.eip155Raw + "00", "not-hex"] {
            let result = try gateway("eth", "decode-tx", raw)
            #expect(result.status != 0, "\(raw)")
            #expect(
                result.stderr.contains("cannot decode transaction") || result.stderr.contains("invalid raw transaction hex"),
                "\(raw): \(result.stderr)")
        }
    }

    @Test func erc20TransferData() throws {
        let result = try gateway("eth", "erc20-transfer-data", "--to", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "--amount", "1000000")
        #expect(
            result.stdout
                == "0xa9059cbb0000000000000000000000005aaeb6053f3e94c9b9a09f33669435e7ef1beaed00000000000000000000000000000000000000000000000000000000000f4240\n"
        )
        #expect(
            try gateway("eth", "erc20-transfer-data", "--to", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "--amount", "1.5").status != 0)
    }
}
