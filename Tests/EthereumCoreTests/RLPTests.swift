import EthereumCore
import Foundation
import TestSupport
import Testing

struct RLPCase: CustomTestStringConvertible, Sendable {
    let file: String
    let name: String
    let input: RLPItem?
    let encoded: [UInt8]
    var testDescription: String { "\(file):\(name)" }
}

/// Turns ethereum/tests' `in` notation into an item: strings are UTF-8 bytes, integers are
/// minimal big-endian, `#digits` is a big integer, arrays are lists.
func rlpItem(fromTestInput value: Any) -> RLPItem {
    if let list = value as? [Any] { return .list(list.map(rlpItem(fromTestInput:))) }
    if let text = value as? String {
        if text.hasPrefix("#") { return .bytes(bigEndianBytes(ofDecimal: text.dropFirst())) }
        return .bytes(Array(text.utf8))
    }
    let number = value as! NSNumber
    return .uint(try! UInt256(decimal: number.stringValue))
}

/// Minimal big-endian bytes of a decimal integer of any size (some vectors exceed 256 bits).
func bigEndianBytes(ofDecimal text: Substring) -> [UInt8] {
    var bytes = [UInt8]()
    for digit in text.utf8 {
        var carry = Int(digit - 0x30)
        for i in stride(from: bytes.count - 1, through: 0, by: -1) {
            let value = Int(bytes[i]) * 10 + carry
            bytes[i] = UInt8(value & 0xff)
            carry = value >> 8
        }
        while carry > 0 {
            bytes.insert(UInt8(carry & 0xff), at: 0)
            carry >>= 8
        }
    }
    return bytes
}

enum RLPVectors {
    static func load(_ file: String) -> [RLPCase] {
        guard let object = try? jsonVector("ethereum-tests/RLPTests/\(file)") as? [String: [String: Any]] else { return [] }
        return object.keys.sorted().map { name in
            let entry = object[name]!
            let input = entry["in"].flatMap { ($0 as? String).map { ["INVALID", "VALID"].contains($0) } == true ? nil : $0 }
            return RLPCase(
                file: file, name: name, input: input.map(rlpItem(fromTestInput:)),
                encoded: try! Hex.decode(entry["out"] as! String))
        }
    }
    static let valid = load("rlptest.json")
    static let invalid = load("invalidRLPTest.json")
    static let random = load("RandomRLPTests/example.json")
}

@Suite struct RLPTests {
    @Test func vectorCounts() {
        #expect(RLPVectors.valid.count == 28)
        #expect(RLPVectors.invalid.count == 26)
        #expect(RLPVectors.random.count == 1)
    }

    @Test(arguments: RLPVectors.valid)
    func encodesAndDecodes(_ vector: RLPCase) throws {
        let item = try #require(vector.input)
        #expect(RLP.encode(item) == vector.encoded)
        #expect(RLP.encode(try RLP.decode(vector.encoded)) == vector.encoded)
    }

    @Test(arguments: RLPVectors.invalid)
    func rejectsInvalid(_ vector: RLPCase) {
        #expect(throws: RLPError.self) { try RLP.decode(vector.encoded) }
    }

    @Test(arguments: RLPVectors.random)
    func decodesRandomValid(_ vector: RLPCase) throws {
        #expect(RLP.encode(try RLP.decode(vector.encoded)) == vector.encoded)
    }

    @Test func specificRejections() {
        #expect(throws: RLPError.nonCanonicalSingleByte) { try RLP.decode([0x81, 0x05]) }
        #expect(throws: RLPError.nonCanonicalLength) { try RLP.decode([0xb8, 0x02, 0x61, 0x62]) }
        #expect(throws: RLPError.leadingZerosInLength) { try RLP.decode([0xb9, 0x00, 0x38] + [UInt8](repeating: 0x61, count: 56)) }
        #expect(throws: RLPError.truncated) { try RLP.decode([0x83, 0x61, 0x62]) }
        #expect(throws: RLPError.trailingBytes(1)) { try RLP.decode([0x80, 0x80]) }
        #expect(throws: RLPError.truncated) { try RLP.decode([]) }
        var nested = RLPItem.list([])
        for _ in 0..<100 { nested = .list([nested]) }
        let deep = RLP.encode(nested)
        #expect(throws: RLPError.tooDeep) { try RLP.decode(deep) }
    }
}
