/// Hexadecimal encoding and decoding of byte strings, as Ethereum's JSON-RPC and tools write them.
public enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Lowercase hex of `bytes`, with a `0x` prefix unless `prefix` is false.
    public static func encode<Bytes: Sequence>(_ bytes: Bytes, prefix: Bool = true) -> String
    where Bytes.Element == UInt8 {
        var out: [UInt8] = prefix ? [0x30, 0x78] : []
        out.reserveCapacity(out.count + bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes hex with or without a `0x` prefix. An odd number of digits is an error,
    /// as is any character that is not a hex digit.
    public static func decode(_ text: some StringProtocol, requirePrefix: Bool = false) throws(HexError) -> [UInt8] {
        var utf8 = Substring(text).utf8[...]
        if utf8.starts(with: [0x30, 0x78]) || utf8.starts(with: [0x30, 0x58]) {
            utf8 = utf8.dropFirst(2)
        } else if requirePrefix {
            throw .missingPrefix
        }
        guard utf8.count % 2 == 0 else { throw .oddLength }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var high: UInt8? = nil
        for (offset, char) in utf8.enumerated() {
            guard let value = nibble(char) else { throw .invalidCharacter(offset: offset) }
            if let h = high {
                out.append(h << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return out
    }

    @inline(__always)
    static func nibble(_ char: UInt8) -> UInt8? {
        switch char {
        case 0x30...0x39: return char - 0x30
        case 0x61...0x66: return char - 0x61 + 10
        case 0x41...0x46: return char - 0x41 + 10
        default: return nil
        }
    }
}

/// Why a hex string could not be decoded.
public enum HexError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingPrefix
    case oddLength
    case invalidCharacter(offset: Int)

    public var description: String {
        switch self {
        case .missingPrefix: return "hex string must start with 0x"
        case .oddLength: return "hex string has an odd number of digits"
        case .invalidCharacter(let offset): return "hex string has a non-hex character at position \(offset) after the prefix"
        }
    }
}
