import Testing

@testable import GatewayDomain

/// A generator that returns the given words, then zeros.
struct ScriptedWords: RandomNumberGenerator {
    var words: [UInt64]
    mutating func next() -> UInt64 { words.isEmpty ? 0 : words.removeFirst() }
}

@Suite struct ObjectIDTests {
    /// Bytes are taken lowest first; bytes from 248 up are dropped; the rest give byte % 62.
    static let cases: [(words: [UInt64], count: Int, text: String)] = [
        ([0x01_7B_FF_F8_F7_3E_3D_00], 6, "0z0zz1"),
        ([0xFF_FF_FF_FF_FF_FF_FF_FF, 0x0A_09], 2, "9A"),
        ([0x3D_3C_3B_3A_39_38_37_36, 0x24_23], 10, "stuvwxyzZa"),
        ([0x00], 3, "000"),
    ]

    @Test(arguments: cases.indices)
    func charactersFromWords(_ index: Int) {
        let (words, count, text) = Self.cases[index]
        var generator = ScriptedWords(words: words)
        #expect(Base62.random(count: count, using: &generator) == text)
    }

    @Test func idsAreWellFormedAndEveryCharacterComes() {
        var counts = [UInt8: Int]()
        for _ in 0..<2_600 {
            let id = ObjectID.make("ps")
            #expect(ObjectID.isWellFormed(id, prefix: "ps"))
            #expect(id.utf8.count == 27)
            for byte in id.utf8.dropFirst(3) { counts[byte, default: 0] += 1 }
        }
        // 62,400 characters: about 1,006 of each (standard deviation about 31).
        #expect(counts.count == 62)
        #expect(counts.values.allSatisfy { (700...1_300).contains($0) })
    }
}
