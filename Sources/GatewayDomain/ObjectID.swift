/// Random identifiers with a type prefix (`ps_`, `mer_`, `key_`, `cs_` …): 24 base62
/// characters, about 143 bits, so ids cannot be guessed.
public enum ObjectID {
    public static func make(_ prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        return make(prefix, using: &generator)
    }

    public static func make<G: RandomNumberGenerator>(_ prefix: String, using generator: inout G) -> String {
        "\(prefix)_" + Base62.random(count: 24, using: &generator)
    }

    /// A secret with a type prefix and `length` base62 characters (`whsec_…`), shown once.
    public static func secret(_ prefix: String, length: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        return "\(prefix)_" + Base62.random(count: length, using: &generator)
    }

    /// Whether `text` looks like an id of that prefix (it may still not exist).
    public static func isWellFormed(_ text: String, prefix: String) -> Bool {
        let head = "\(prefix)_"
        guard text.hasPrefix(head) else { return false }
        let rest = text.utf8.dropFirst(head.utf8.count)
        return (1...64).contains(rest.count) && rest.allSatisfy(Base62.isDigit)
    }
}

enum Base62 {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// `count` characters, each uniform over the 62: every byte of a 64-bit draw below 248
    /// (4 × 62) gives one character (its value modulo 62); bytes from 248 up are dropped. So
    /// about eight characters per draw of the generator (one system call for the system's)
    /// instead of one.
    static func random<G: RandomNumberGenerator>(count: Int, using generator: inout G) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            var word = generator.next()
            for _ in 0..<8 where bytes.count < count {
                let byte = UInt8(truncatingIfNeeded: word)
                word >>= 8
                if byte < 248 { bytes.append(alphabet[Int(byte % 62)]) }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }
}
