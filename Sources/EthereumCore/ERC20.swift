/// The parts of the ERC-20 ABI the gateway uses: call data for `transfer` and `balanceOf`,
/// decoding of their return values, and the `Transfer` event.
public enum ERC20 {
    /// keccak256("transfer(address,uint256)")[0..<4]
    public static let transferSelector: [UInt8] = [0xa9, 0x05, 0x9c, 0xbb]
    /// keccak256("balanceOf(address)")[0..<4]
    public static let balanceOfSelector: [UInt8] = [0x70, 0xa0, 0x82, 0x31]
    /// keccak256("Transfer(address,address,uint256)")
    public static let transferTopic = Bytes32(
        0xddf2_52ad_1be2_c89b, 0x69c2_b068_fc37_8daa, 0x952b_a7f1_63c4_a116, 0x28f5_5a4d_f523_b3ef)

    /// Call data for `transfer(to, amount)`.
    public static func transferCallData(to: Address, amount: UInt256) -> [UInt8] {
        transferSelector + to.word.bytes + amount.bigEndianBytes
    }

    /// Call data for `balanceOf(owner)`.
    public static func balanceOfCallData(owner: Address) -> [UInt8] {
        balanceOfSelector + owner.word.bytes
    }

    /// Decodes a `uint256` return value (exactly one 32-byte word).
    public static func decodeUInt256(_ data: [UInt8]) throws(ABIError) -> UInt256 {
        guard data.count == 32 else { throw .wrongReturnLength(expected: 32, actual: data.count) }
        return try! UInt256(bigEndian: data)
    }

    /// What a token's `transfer` returned.
    public enum TransferReturn: Equatable, Sendable {
        /// `true`, or nothing at all (Ethereum's USDT returns no value). Neither proves that
        /// tokens moved: only the receipt's status and `Transfer` log do.
        case success
        case failure
    }

    /// Decodes the return of `transfer`: an empty return or a `bool` word. Anything else is an error.
    public static func decodeTransferReturn(_ data: [UInt8]) throws(ABIError) -> TransferReturn {
        if data.isEmpty { return .success }
        return try decodeBool(data) ? .success : .failure
    }

    /// Decodes a `bool` word: 0 or 1 only.
    public static func decodeBool(_ data: [UInt8]) throws(ABIError) -> Bool {
        guard data.count == 32 else { throw .wrongReturnLength(expected: 32, actual: data.count) }
        guard data[0..<31].allSatisfy({ $0 == 0 }), data[31] <= 1 else { throw .notABool }
        return data[31] == 1
    }
}

/// An ERC-20 `Transfer(address indexed from, address indexed to, uint256 value)` event.
public struct TransferEvent: Hashable, Sendable {
    /// The token contract that emitted the log.
    public let token: Address
    public let from: Address
    public let to: Address
    public let amount: UInt256

    public init(token: Address, from: Address, to: Address, amount: UInt256) {
        self.token = token
        self.from = from
        self.to = to
        self.amount = amount
    }

    /// Decodes a log. Exactly three topics (signature, from, to) and 32 bytes of data are
    /// required: an ERC-721 `Transfer` (four topics, no data) or a log with short data or
    /// dirty address words is rejected, never misread.
    public init(token: Address, topics: [Bytes32], data: [UInt8]) throws(ABIError) {
        guard topics.first == ERC20.transferTopic else { throw .notATransfer }
        guard topics.count == 3 else { throw .wrongTopicCount(topics.count) }
        guard data.count == 32 else { throw .wrongDataLength(data.count) }
        do {
            self.from = try Address(word: topics[1])
            self.to = try Address(word: topics[2])
        } catch {
            throw .dirtyAddressTopic
        }
        self.token = token
        self.amount = try! UInt256(bigEndian: data)
    }
}

/// Why ABI data could not be decoded.
public enum ABIError: Error, Equatable, Sendable, CustomStringConvertible {
    case wrongReturnLength(expected: Int, actual: Int)
    case notABool
    case notATransfer
    case wrongTopicCount(Int)
    case wrongDataLength(Int)
    case dirtyAddressTopic

    public var description: String {
        switch self {
        case .wrongReturnLength(let expected, let actual): return "return data has \(actual) bytes, expected \(expected)"
        case .notABool: return "return data is not a bool"
        case .notATransfer: return "log is not an ERC-20 Transfer (topic 0 differs)"
        case .wrongTopicCount(let n): return "Transfer log has \(n) topics, an ERC-20 Transfer has 3"
        case .wrongDataLength(let n): return "Transfer log has \(n) data bytes, an ERC-20 Transfer has 32"
        case .dirtyAddressTopic: return "Transfer log has an address topic whose 12 high bytes are not zero"
        }
    }
}
