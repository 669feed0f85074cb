import EthereumCore
import Foundation
import TestSupport
import Testing

/// Raw signed transactions recorded from nodes: each decodes, re-encodes to the same bytes
/// and hashes to the hash the node reported; the sender can be recovered.
struct RawTransactionCase: CustomTestStringConvertible, Sendable {
    let source: String
    let raw: String
    let hash: String
    var testDescription: String { source }

    static func load() -> [RawTransactionCase] {
        var cases = [RawTransactionCase]()
        for path in vectorFiles(under: "erigon-rpc-tests/integration/mainnet/eth_getRawTransactionByHash", withExtension: "json") {
            guard let exchanges = try? jsonVector(path) as? [[String: Any]] else { continue }
            for exchange in exchanges {
                guard let params = (exchange["request"] as? [String: Any])?["params"] as? [String],
                    let raw = (exchange["response"] as? [String: Any])?["result"] as? String
                else { continue }
                cases.append(RawTransactionCase(source: path, raw: raw, hash: params[0]))
            }
        }
        for path in vectorFiles(under: "execution-apis/tests/eth_sendRawTransaction", withExtension: "io") {
            guard let text = try? textVector(path) else { continue }
            let lines = text.split(separator: "\n")
            guard let request = lines.first(where: { $0.hasPrefix(">> ") }), let response = lines.first(where: { $0.hasPrefix("<< ") }),
                let params = (try? JSONSerialization.jsonObject(with: Data(request.dropFirst(3).utf8)) as? [String: Any])?["params"]
                    as? [String],
                let hash = (try? JSONSerialization.jsonObject(with: Data(response.dropFirst(3).utf8)) as? [String: Any])?["result"]
                    as? String
            else { continue }
            cases.append(RawTransactionCase(source: path, raw: params[0], hash: hash))
        }
        return cases
    }
}

@Suite struct RawTransactionVectorTests {
    static let cases = RawTransactionCase.load()

    @Test func everyRecordingIsRead() {
        #expect(Self.cases.filter { $0.source.contains("erigon") }.count == 16)
        #expect(Self.cases.filter { $0.source.contains("execution-apis") }.count == 4)
    }

    @Test(arguments: cases)
    func decodesToTheNodesHash(_ vector: RawTransactionCase) throws {
        let raw = try Hex.decode(vector.raw)
        let tx = try SignedTransaction.decode(raw: raw)
        #expect(tx.hash.hex == vector.hash.lowercased())
        #expect(tx.raw == raw)
        _ = try tx.sender()
    }
}
