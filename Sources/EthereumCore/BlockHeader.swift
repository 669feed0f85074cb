/// A block header with every field its hash covers. A block hash is keccak256(rlp(header)),
/// so a header whose ``hash`` equals a hash the gateway already trusts vouches for its
/// roots: a `receiptsRoot` taken from it can prove a provider's receipts.
///
/// The fields added by forks (London onwards) are optional and appended in fork order; a
/// later one can only be present when every earlier one is, as in the consensus encoding.
/// A field added by a fork this type does not know makes ``hash`` differ from the block's
/// hash: the header then fails to prove anything, which is the safe way to be wrong.
public struct BlockHeader: Hashable, Sendable {
    public let parentHash: BlockHash
    /// `sha3Uncles` in JSON-RPC.
    public let ommersHash: Bytes32
    /// `miner` in JSON-RPC.
    public let beneficiary: Address
    public let stateRoot: Bytes32
    public let transactionsRoot: Bytes32
    public let receiptsRoot: Bytes32
    public let logsBloom: LogsBloom
    public let difficulty: UInt256
    public let number: UInt64
    public let gasLimit: UInt64
    public let gasUsed: UInt64
    public let timestamp: UInt64
    public let extraData: [UInt8]
    /// `prevRandao` since the merge.
    public let mixHash: Bytes32
    /// The 8-byte proof-of-work nonce (zero since the merge).
    public let nonce: UInt64
    /// London (EIP-1559).
    public let baseFeePerGas: UInt256?
    /// Shanghai (EIP-4895).
    public let withdrawalsRoot: Bytes32?
    /// Cancun (EIP-4844).
    public let blobGasUsed: UInt64?
    /// Cancun (EIP-4844).
    public let excessBlobGas: UInt64?
    /// Cancun (EIP-4788).
    public let parentBeaconBlockRoot: Bytes32?
    /// Prague (EIP-7685).
    public let requestsHash: Bytes32?

    public init(
        parentHash: BlockHash, ommersHash: Bytes32, beneficiary: Address, stateRoot: Bytes32, transactionsRoot: Bytes32,
        receiptsRoot: Bytes32, logsBloom: LogsBloom, difficulty: UInt256, number: UInt64, gasLimit: UInt64, gasUsed: UInt64,
        timestamp: UInt64, extraData: [UInt8], mixHash: Bytes32, nonce: UInt64, baseFeePerGas: UInt256? = nil,
        withdrawalsRoot: Bytes32? = nil, blobGasUsed: UInt64? = nil, excessBlobGas: UInt64? = nil,
        parentBeaconBlockRoot: Bytes32? = nil, requestsHash: Bytes32? = nil
    ) throws(BlockHeaderError) {
        let forkFields: [(name: String, present: Bool)] = [
            ("baseFeePerGas", baseFeePerGas != nil), ("withdrawalsRoot", withdrawalsRoot != nil),
            ("blobGasUsed", blobGasUsed != nil), ("excessBlobGas", excessBlobGas != nil),
            ("parentBeaconBlockRoot", parentBeaconBlockRoot != nil), ("requestsHash", requestsHash != nil),
        ]
        if let firstAbsent = forkFields.firstIndex(where: { !$0.present }),
            let laterPresent = forkFields[firstAbsent...].first(where: { $0.present })
        {
            throw .forkFieldWithoutEarlier(present: laterPresent.name, missing: forkFields[firstAbsent].name)
        }
        self.parentHash = parentHash
        self.ommersHash = ommersHash
        self.beneficiary = beneficiary
        self.stateRoot = stateRoot
        self.transactionsRoot = transactionsRoot
        self.receiptsRoot = receiptsRoot
        self.logsBloom = logsBloom
        self.difficulty = difficulty
        self.number = number
        self.gasLimit = gasLimit
        self.gasUsed = gasUsed
        self.timestamp = timestamp
        self.extraData = extraData
        self.mixHash = mixHash
        self.nonce = nonce
        self.baseFeePerGas = baseFeePerGas
        self.withdrawalsRoot = withdrawalsRoot
        self.blobGasUsed = blobGasUsed
        self.excessBlobGas = excessBlobGas
        self.parentBeaconBlockRoot = parentBeaconBlockRoot
        self.requestsHash = requestsHash
    }

    /// The RLP list of the fields in consensus order; the fork fields that are present follow
    /// the fifteen original ones.
    public var encoded: [UInt8] {
        var nonceBytes = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 { nonceBytes[i] = UInt8(truncatingIfNeeded: nonce >> UInt64(56 - 8 * i)) }
        var fields: [RLPItem] = [
            .bytes(parentHash.bytes), .bytes(ommersHash.bytes), .bytes(beneficiary.bytes), .bytes(stateRoot.bytes),
            .bytes(transactionsRoot.bytes), .bytes(receiptsRoot.bytes), .bytes(logsBloom.bytes), .uint(difficulty),
            .uint(number), .uint(gasLimit), .uint(gasUsed), .uint(timestamp), .bytes(extraData), .bytes(mixHash.bytes),
            .bytes(nonceBytes),
        ]
        if let baseFeePerGas { fields.append(.uint(baseFeePerGas)) }
        if let withdrawalsRoot { fields.append(.bytes(withdrawalsRoot.bytes)) }
        if let blobGasUsed { fields.append(.uint(blobGasUsed)) }
        if let excessBlobGas { fields.append(.uint(excessBlobGas)) }
        if let parentBeaconBlockRoot { fields.append(.bytes(parentBeaconBlockRoot.bytes)) }
        if let requestsHash { fields.append(.bytes(requestsHash.bytes)) }
        return RLP.encode(.list(fields))
    }

    /// keccak256(rlp(header)): the block hash. Compare it with the hash a provider claims for
    /// the block; a header whose fields were altered hashes to something else.
    public var hash: BlockHash { BlockHash(raw: Keccak256.hash(encoded)) }
}

/// Why header fields do not form a header.
public enum BlockHeaderError: Error, Equatable, Sendable, CustomStringConvertible {
    case forkFieldWithoutEarlier(present: String, missing: String)

    public var description: String {
        switch self {
        case .forkFieldWithoutEarlier(let present, let missing):
            return "header has \(present) but not \(missing), which an earlier fork added; no block has that shape"
        }
    }
}
