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
        for i in stride(from: 0, to: 6, by: 2) {
            let bit = (Int(hash[i]) << 8 | Int(hash[i + 1])) & 2047
            if bytes[255 - bit / 8] & (1 << UInt8(bit % 8)) == 0 { return false }
        }
        return true
    }

    /// Whether an ERC-20 `Transfer` from `token` to one of `recipients` (any recipient when
    /// empty) may be in the block.
    public func mightContainTransfer(token: Address, to recipients: [Address]) -> Bool {
        guard mightContain(token.bytes), mightContain(ERC20.transferTopic.bytes) else { return false }
        return recipients.isEmpty || recipients.contains { mightContain($0.word.bytes) }
    }
}
