/// A transaction receipt as it enters the block's receipts trie: only the fields consensus
/// commits to (outcome, cumulative gas, bloom, logs), none of the ones JSON-RPC derives
/// (hashes, positions, `from`, gas price). A provider's receipts for a block prove its logs
/// when ``receiptsRoot(of:)`` of them equals the `receiptsRoot` of the block's header.
public struct ConsensusReceipt: Hashable, Sendable {
    /// What executing the transaction left behind.
    public enum Outcome: Hashable, Sendable {
        /// Status 1 (since Byzantium, EIP-658).
        case succeeded
        /// Status 0: the transaction reverted; its logs are empty.
        case failed
        /// Before Byzantium, the state root after the transaction instead of a status
        /// (`root` in JSON-RPC receipts). Only legacy (type 0) receipts carry it.
        case postState(Bytes32)
    }

    /// The EIP-2718 type of the transaction: 0 legacy, 1 access list, 2 dynamic fee,
    /// 3 blob, 4 set-code.
    public let type: UInt8
    public let outcome: Outcome
    /// Gas used by this and every earlier transaction of the block.
    public let cumulativeGasUsed: UInt64
    /// The receipt's filter as given; ``bloomMatchesLogs`` checks it against ``logs``.
    public let logsBloom: LogsBloom
    public let logs: [ReceiptLog]

    /// The transaction types whose receipts have the encoding below. A later type may change
    /// the receipt (as chains with deposit receipts do), so an unknown one is refused rather
    /// than encoded in a form that might happen to be wrong.
    public static let knownTypes: ClosedRange<UInt8> = 0...4

    public init(
        type: UInt8, outcome: Outcome, cumulativeGasUsed: UInt64, logsBloom: LogsBloom, logs: [ReceiptLog]
    ) throws(ConsensusReceiptError) {
        guard Self.knownTypes.contains(type) else { throw .unknownType(type) }
        if case .postState = outcome, type != 0 { throw .postStateInTypedReceipt(type) }
        self.type = type
        self.outcome = outcome
        self.cumulativeGasUsed = cumulativeGasUsed
        self.logsBloom = logsBloom
        self.logs = logs
    }

    /// The bytes the receipts trie stores: `rlp([status or postState, cumulativeGasUsed,
    /// logsBloom, logs])`, preceded by the type byte for a typed receipt (EIP-2718).
    public var encoded: [UInt8] {
        let outcomeItem: RLPItem
        switch outcome {
        case .succeeded: outcomeItem = .bytes([1])
        case .failed: outcomeItem = .bytes([])
        case .postState(let root): outcomeItem = .bytes(root.bytes)
        }
        let body = RLP.encode(.list([outcomeItem, .uint(cumulativeGasUsed), .bytes(logsBloom.bytes), .list(logs.map(\.rlpItem))]))
        return type == 0 ? body : [type] + body
    }

    /// Whether ``logsBloom`` is exactly the filter of ``logs``. The root commits to both, so a
    /// receipt that passes the root check also passes this one; on its own it catches a
    /// provider that dropped or invented logs without touching the bloom.
    public var bloomMatchesLogs: Bool { LogsBloom(logs: logs) == logsBloom }

    /// The root of the trie keyed by `rlp(transactionIndex)` holding each receipt's
    /// ``encoded`` bytes: the header's `receiptsRoot`. `receipts` must be the block's complete
    /// list in transaction order; one missing, extra or reordered receipt changes the root.
    public static func receiptsRoot(of receipts: [ConsensusReceipt]) -> Bytes32 {
        MerklePatriciaTrie.listRoot(receipts.map(\.encoded))
    }
}

/// Why a receipt cannot be put in consensus form.
public enum ConsensusReceiptError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownType(UInt8)
    case postStateInTypedReceipt(UInt8)

    public var description: String {
        switch self {
        case .unknownType(let type):
            return "receipt type \(type) is not one of the known types 0...4; its consensus encoding is unknown"
        case .postStateInTypedReceipt(let type):
            return "a type \(type) receipt has a post-state root, which only pre-Byzantium legacy receipts carry"
        }
    }
}
