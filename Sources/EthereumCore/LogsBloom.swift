/// The 2048-bit bloom filter of a block or receipt (Yellow Paper, M3:2048): each logged
/// address and topic sets three bits chosen by its Keccak-256.
public struct LogsBloom: Hashable, Sendable {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(FixedBytesError) {
        guard bytes.count == 256 else { throw .wrongLength(expected: 256, actual: bytes.count) }
        self.bytes = bytes
    }

    public var isEmpty: Bool { bytes.allSatisfy { $0 == 0 } }

    /// False means `item` was certainly not logged; true means it may have been.
    public func mightContain(_ item: [UInt8]) -> Bool {
        let hash = Keccak256.hash(item).bytes
        for pair in 0..<3 {
            let (byte, mask) = Self.bit(pair, of: hash)
            if bytes[byte] & mask == 0 { return false }
        }
        return true
    }

    /// Bit `pair` (0, 1 or 2) of the three an item sets, given the item's Keccak-256: bytes
    /// 2·pair and 2·pair+1 of the hash, modulo 2048, number a bit counted from the low end of
    /// the 256-byte big-endian filter.
    @inline(__always)
    static func bit(_ pair: Int, of hash: [UInt8]) -> (byte: Int, mask: UInt8) {
        let bit = (Int(hash[2 * pair]) << 8 | Int(hash[2 * pair + 1])) & 2047
        return (255 - bit / 8, UInt8(1) << UInt8(bit % 8))
    }

    /// Whether an ERC-20 `Transfer` from `token` to one of `recipients` (any recipient when
    /// empty) may be in the block.
    public func mightContainTransfer(token: Address, to recipients: [Address]) -> Bool {
        guard mightContain(token.bytes), mightContain(ERC20.transferTopic.bytes) else { return false }
        return recipients.isEmpty || recipients.contains { mightContain($0.word.bytes) }
    }
}
