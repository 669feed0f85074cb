import EthereumCore
import Foundation

/// A block's receipts as a provider served them (`eth_getBlockReceipts`), with what proving
/// them against the block's header needs: each receipt in its consensus form and its logs as
/// the RPC reports them (with their log indexes and transaction).
public struct ServedReceipt: Sendable {
    public let transactionHash: TxHash
    public let transactionIndex: UInt64
    public let blockHash: BlockHash
    public let consensus: ConsensusReceipt
    public let logs: [RPCLog]

    public init(transactionHash: TxHash, transactionIndex: UInt64, blockHash: BlockHash, consensus: ConsensusReceipt, logs: [RPCLog]) {
        self.transactionHash = transactionHash
        self.transactionIndex = transactionIndex
        self.blockHash = blockHash
        self.consensus = consensus
        self.logs = logs
    }
}

/// Proof that a set of logs is exactly what a block holds: the header hashes to the block hash
/// the pool agreed on, and the receipts, as a trie, hash to the header's receipts root. Then
/// no provider can have added a log or hidden one. Pure: the pool fetches, this checks.
public enum BlockProof {
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case headerMismatch
        case receiptsMismatch
        case receiptOfAnotherBlock
        case unorderedReceipts

        public var description: String {
            switch self {
            case .headerMismatch: return "the header does not hash to the block's hash"
            case .receiptsMismatch: return "the receipts do not hash to the header's receipts root"
            case .receiptOfAnotherBlock: return "a receipt or log names another block"
            case .unorderedReceipts: return "the receipts are not one per transaction index, in order"
            }
        }
    }

    /// Every log of the block, proven. `transactions` are the block's transactions (from the
    /// agreed block): receipts of anything else (Polygon's state-sync receipts, which are not
    /// in the receipts root) are left out of the proof and of the result.
    public static func logs(
        header: BlockHeader, blockHash: BlockHash, transactions: [TxHash], receipts: [ServedReceipt]
    ) throws(Failure) -> [RPCLog] {
        guard header.hash == blockHash else { throw .headerMismatch }
        let inBlock = Set(transactions)
        let proven = receipts.filter { inBlock.contains($0.transactionHash) }.sorted { $0.transactionIndex < $1.transactionIndex }
        guard proven.enumerated().allSatisfy({ UInt64($0.offset) == $0.element.transactionIndex }) else { throw .unorderedReceipts }
        for receipt in proven {
            guard receipt.blockHash == blockHash else { throw .receiptOfAnotherBlock }
            for log in receipt.logs where log.blockHash != blockHash || log.transactionHash != receipt.transactionHash {
                throw .receiptOfAnotherBlock
            }
            // The RPC logs must be the consensus logs: the same address, topics and data, in order.
            let consensus = receipt.consensus.logs
            guard consensus.count == receipt.logs.count,
                zip(consensus, receipt.logs).allSatisfy({ $0.address == $1.address && $0.topics == $1.topics && $0.data == $1.data })
            else { throw .receiptsMismatch }
        }
        guard ConsensusReceipt.receiptsRoot(of: proven.map(\.consensus)) == header.receiptsRoot else { throw .receiptsMismatch }
        return proven.flatMap(\.logs)
    }
}

extension RPCParse {
    /// A block's header fields (`eth_getBlockByHash`), or nil when the node does not have it.
    @Sendable public static func header(_ value: Any) throws(RPCFailure) -> BlockHeader? {
        if value is NSNull { return nil }
        return try BlockHeader(json: value)
    }

    /// A block's receipts (`eth_getBlockReceipts`). A `null` result is an error.
    @Sendable public static func blockReceipts(_ value: Any) throws(RPCFailure) -> [ServedReceipt] {
        if value is NSNull { throw .nullResult("eth_getBlockReceipts") }
        guard let list = value as? [Any] else { throw .malformed("eth_getBlockReceipts: expected a list") }
        var out = [ServedReceipt]()
        for entry in list { out.append(try ServedReceipt(json: entry)) }
        return out
    }
}

extension RPCCall {
    public static func blockReceipts(hash: BlockHash) -> RPCCall { RPCCall("eth_getBlockReceipts", [.string(hash.hex)]) }
}

extension BlockHeader {
    init(json: Any?) throws(RPCFailure) {
        let o = try JSONObject(json, context: "header")
        do {
            try self.init(
                parentHash: BlockHash(raw: try o.bytes32("parentHash")), ommersHash: try o.bytes32("sha3Uncles"),
                beneficiary: try o.address("miner"), stateRoot: try o.bytes32("stateRoot"),
                transactionsRoot: try o.bytes32("transactionsRoot"),
                receiptsRoot: try o.bytes32("receiptsRoot"), logsBloom: try Self.bloom(o.bytes("logsBloom")),
                difficulty: try o.optionalQuantity("difficulty") ?? .zero, number: try o.uint64("number"),
                gasLimit: try o.uint64("gasLimit"),
                gasUsed: try o.uint64("gasUsed"), timestamp: try o.uint64("timestamp"), extraData: try o.bytes("extraData"),
                mixHash: try o.bytes32("mixHash"), nonce: try Self.nonce(o.bytes("nonce")),
                baseFeePerGas: try o.optionalQuantity("baseFeePerGas"),
                withdrawalsRoot: try o.optionalBytes32("withdrawalsRoot"), blobGasUsed: try o.optionalUInt64("blobGasUsed"),
                excessBlobGas: try o.optionalUInt64("excessBlobGas"), parentBeaconBlockRoot: try o.optionalBytes32("parentBeaconBlockRoot"),
                requestsHash: try o.optionalBytes32("requestsHash"))
        } catch let error as RPCFailure {
            throw error
        } catch {
            throw .malformed("header: \(error)")
        }
    }

    static func bloom(_ bytes: [UInt8]) throws(RPCFailure) -> LogsBloom {
        do { return try LogsBloom(bytes: bytes) } catch { throw .malformed("logsBloom: \(error)") }
    }

    /// The 8-byte nonce as a number.
    static func nonce(_ bytes: [UInt8]) throws(RPCFailure) -> UInt64 {
        guard bytes.count == 8 else { throw .malformed("header.nonce: expected 8 bytes") }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }
}

extension ServedReceipt {
    init(json: Any?) throws(RPCFailure) {
        let o = try JSONObject(json, context: "receipt")
        var logs = [RPCLog]()
        for entry in try o.array("logs") { logs.append(try RPCLog(json: entry)) }
        let type = try o.optionalUInt64("type") ?? 0
        guard type <= UInt64(UInt8.max) else { throw .malformed("receipt.type: \(type)") }
        let outcome: ConsensusReceipt.Outcome
        if let status = try o.optionalUInt64("status") {
            guard status <= 1 else { throw .malformed("receipt.status: \(status)") }
            outcome = status == 1 ? .succeeded : .failed
        } else {
            outcome = .postState(try o.bytes32("root"))
        }
        let consensusLogs = logs.map { ReceiptLog(address: $0.address, topics: $0.topics, data: $0.data) }
        do {
            self.init(
                transactionHash: TxHash(raw: try o.bytes32("transactionHash")), transactionIndex: try o.uint64("transactionIndex"),
                blockHash: BlockHash(raw: try o.bytes32("blockHash")),
                consensus: try ConsensusReceipt(
                    type: UInt8(type), outcome: outcome, cumulativeGasUsed: try o.uint64("cumulativeGasUsed"),
                    logsBloom: try BlockHeader.bloom(o.bytes("logsBloom")), logs: consensusLogs),
                logs: logs)
        } catch let error as RPCFailure {
            throw error
        } catch {
            throw .malformed("receipt: \(error)")
        }
    }
}

extension ProviderPool {
    /// The Transfer logs of `tokens` to `recipients` (all when empty) in `block`, proven
    /// against its header (``BlockProof``) with the header and receipts of one provider after
    /// another until one proves them. `block` is the block the pool's quorum agreed on. Used
    /// when providers' log sets cannot be reconciled (one of two providers lies): one honest
    /// provider is then enough, since a proof cannot be forged.
    func provenTransferLogs(in block: RPCBlock, tokens: [Address], to recipients: [Address]) async throws(RPCFailure) -> [RPCLog] {
        var failures = [String]()
        for index in candidates() {
            let name = members[index].client.transport.displayURL
            guard case .success(let header?) = await outcome(index, .block(hash: block.hash), parse: RPCResultDecoder(RPCParse.header))
            else {
                failures.append("\(name): no header for the proof")
                continue
            }
            guard
                case .success(let receipts) = await outcome(
                    index, .blockReceipts(hash: block.hash), parse: RPCResultDecoder(RPCParse.blockReceipts))
            else {
                failures.append("\(name): no receipts for the proof")
                continue
            }
            do throws(BlockProof.Failure) {
                let logs = try BlockProof.logs(header: header, blockHash: block.hash, transactions: block.transactions, receipts: receipts)
                let wanted = Set(recipients)
                return logs.filter { log in
                    guard tokens.contains(log.address), let transfer = log.transfer else { return false }
                    return wanted.isEmpty || wanted.contains(transfer.to)
                }.sorted { $0.logIndex < $1.logIndex }
            } catch {
                markFalseAnswer(index, .badReceipt, "its header or receipts of block \(block.number) do not prove: \(error)")
                failures.append("\(name): \(error)")
            }
        }
        throw .allProvidersFailed(failures.isEmpty ? ["no provider could prove the logs of block \(block.number)"] : failures)
    }
}
