import ChainRPC
import EthereumCore
import Foundation

// MARK: A small chain that scripted providers serve, honestly or not

/// One log as a node would return it, kept as text so that tests build exactly what goes on the wire.
struct ChainLog: Hashable, Sendable {
    var address: String
    var topics: [String]
    var data: String
    var block: UInt64
    var blockHash: String
    var transaction: String
    var transactionIndex: UInt64
    var logIndex: UInt64

    var json: String {
        logJSON(
            address: address, topics: topics, data: data, blockNumber: block, blockHash: blockHash, transactionHash: transaction,
            transactionIndex: transactionIndex, logIndex: logIndex)
    }

    /// The decoded log, as the pool returns it.
    var decoded: RPCLog {
        RPCLog(
            address: try! Address(address), topics: topics.map { try! Bytes32(hex: $0) }, data: try! Hex.decode(data), blockNumber: block,
            blockHash: try! BlockHash(hex: blockHash), transactionHash: try! TxHash(hex: transaction), transactionIndex: transactionIndex,
            logIndex: logIndex, removed: false)
    }
}

/// A block of the fake chain: its transactions and their logs.
struct ChainBlock: Sendable {
    let number: UInt64
    var hash: String { fakeHash("block \(number)") }
    var parentHash: String { fakeHash("block \(number - 1)") }
    let transactions: [String]
    var logs: [ChainLog]

    /// The bloom of every log's address and topics.
    var bloom: [UInt8] {
        var bloom = ReferenceBloom()
        for log in logs {
            bloom.add(try! Hex.decode(log.address))
            for topic in log.topics { bloom.add(try! Hex.decode(topic)) }
        }
        return bloom.bytes
    }

    var json: String {
        let transactionList = transactions.map { "\"\($0)\"" }.joined(separator: ",")
        return """
            {"number":"\(quantity(number))","hash":"\(hash)","parentHash":"\(parentHash)","timestamp":"\(quantity(1_700_000_000 + number))",\
            "logsBloom":"\(Hex.encode(bloom))","transactions":[\(transactionList)],"gasUsed":"0x5208","gasLimit":"0x1c9c380",\
            "baseFeePerGas":"0x7"}
            """
    }

    var decoded: RPCBlock { try! RPCParse.block(try! JSONSerialization.jsonObject(with: Data(json.utf8)))! }
}

/// Token transfers in a few blocks: USDC to merchants, from senders, in transactions that
/// each hold one log (and a block that holds two transfers in one transaction).
struct FakeChain: Sendable {
    static let usdc = "0x2791bca1f2de4661ed88a30c99a7a9449aa84174"
    static let merchant = try! Address("0xa48ee028dee3e4c691381a9bae7f16e710cd7154")
    static let otherMerchant = try! Address("0x00000000000000000000000000000000000cafe1")
    static let sender = try! Address("0x4d97dcd97ec945f40cf65f87097ace5ea0476045")
    static let stranger = try! Address("0x00000000000000000000000000000000000bad01")

    var blocks: [ChainBlock]

    /// Blocks 100...`last`; block 100 + k holds k + 1 transfers of 1,000,000 * (k + 1) base
    /// units in as many transactions, alternating between the two merchants.
    static func standard(last: UInt64 = 103) -> FakeChain {
        var blocks = [ChainBlock]()
        for number in 100...last {
            let count = Int(number - 99)
            var transactions = [String]()
            var logs = [ChainLog]()
            for index in 0..<count {
                let transaction = fakeHash("tx \(number) \(index)")
                transactions.append(transaction)
                let recipient = index % 2 == 0 ? merchant : otherMerchant
                logs.append(
                    transfer(
                        to: recipient, amount: 1_000_000 * UInt64(count), block: number, transaction: transaction,
                        transactionIndex: UInt64(index), logIndex: UInt64(index)))
            }
            blocks.append(ChainBlock(number: number, transactions: transactions, logs: logs))
        }
        return FakeChain(blocks: blocks)
    }

    static func transfer(
        to recipient: Address, amount: UInt64, block: UInt64, transaction: String, transactionIndex: UInt64, logIndex: UInt64,
        from: Address = sender
    ) -> ChainLog {
        ChainLog(
            address: usdc, topics: [ERC20.transferTopic.hex, from.word.hex, recipient.word.hex], data: word(amount), block: block,
            blockHash: fakeHash("block \(block)"), transaction: transaction, transactionIndex: transactionIndex, logIndex: logIndex)
    }

    var head: UInt64 { blocks.last?.number ?? 0 }
    var allLogs: [ChainLog] { blocks.flatMap(\.logs) }

    func block(number: UInt64) -> ChainBlock? { blocks.first { $0.number == number } }
    func block(hash: String) -> ChainBlock? { blocks.first { $0.hash == hash.lowercased() } }

    /// The logs an `eth_getLogs` filter selects, in chain order; nil for an unknown block hash.
    func logs(matching filter: [String: Any]) -> [ChainLog]? {
        var candidates: [ChainLog]
        if let hash = filter["blockHash"] as? String {
            guard let block = block(hash: hash) else { return nil }
            candidates = block.logs
        } else {
            let from = (filter["fromBlock"] as? String).flatMap(hexUInt64) ?? 0
            let to = (filter["toBlock"] as? String).flatMap(hexUInt64) ?? head
            candidates = allLogs.filter { (from...max(from, to)).contains($0.block) && from <= to }
        }
        return candidates.filter { Self.matches(filter, $0) }
    }

    /// The receipt of `transaction` as JSON text, with `logs` (the chain's, unless a liar
    /// passes its own); "null" for a transaction the chain does not have.
    func receiptJSON(_ transaction: String, logs override: [ChainLog]? = nil) -> String {
        guard let block = blocks.first(where: { $0.transactions.contains(transaction.lowercased()) }),
            let index = block.transactions.firstIndex(of: transaction.lowercased())
        else { return "null" }
        let logs = override ?? block.logs.filter { $0.transaction == transaction.lowercased() }
        var bloom = ReferenceBloom()
        for log in logs {
            bloom.add(try! Hex.decode(log.address))
            for topic in log.topics { bloom.add(try! Hex.decode(topic)) }
        }
        return """
            {"transactionHash":"\(transaction.lowercased())","blockHash":"\(block.hash)","blockNumber":"\(quantity(block.number))",\
            "transactionIndex":"\(quantity(UInt64(index)))","from":"\(Self.sender.lowercased)","to":"\(Self.usdc)","status":"0x1",\
            "gasUsed":"0xc350","effectiveGasPrice":"0x7","contractAddress":null,\
            "logs":[\(logs.map(\.json).joined(separator: ","))],"logsBloom":"\(Hex.encode(bloom.bytes))"}
            """
    }

    /// Whether a log passes a filter's address and topic conditions.
    static func matches(_ filter: [String: Any], _ log: ChainLog) -> Bool {
        if let address = filter["address"] as? String, address.lowercased() != log.address { return false }
        if let addresses = filter["address"] as? [String], !addresses.map({ $0.lowercased() }).contains(log.address) { return false }
        let topics = filter["topics"] as? [Any] ?? []
        for (position, wanted) in topics.enumerated() {
            if wanted is NSNull { continue }
            guard position < log.topics.count else { return false }
            let options = (wanted as? [String]) ?? [(wanted as? String) ?? ""]
            if !options.map({ $0.lowercased() }).contains(log.topics[position]) { return false }
        }
        return true
    }
}

/// How a scripted provider departs from the chain.
enum Lie: Sendable, CustomStringConvertible {
    /// Serves the chain as it is.
    case none
    /// Adds a Transfer to `to` of `amount` in each block it returns logs for, reusing the
    /// transaction hash, token, sender and transaction index of that block's first log at a
    /// new log index. Its receipts agree with its logs when `consistent`.
    case forgeInRealTransaction(to: Address, amount: UInt64, consistent: Bool)
    /// Adds a Transfer in a made-up transaction (not in the block).
    case forgeInMadeUpTransaction(to: Address, amount: UInt64)
    /// Changes the amount of every transfer it returns (same position), receipts included
    /// when `consistent`.
    case changeAmounts(to: UInt64, consistent: Bool)
    /// Leaves out the logs of `transaction` from its log sets (its receipts are honest).
    case omit(transaction: String)
    /// Leaves out every log (its receipts are honest).
    case omitAll
    /// Hides `transaction`'s logs everywhere: its log sets and its receipt leave them out.
    case hide(transaction: String)

    var description: String {
        switch self {
        case .none: return "honest"
        case .forgeInRealTransaction(_, _, let consistent): return "forges a log in a real transaction\(consistent ? ", receipts too" : "")"
        case .forgeInMadeUpTransaction: return "forges a log in a made-up transaction"
        case .changeAmounts(_, let consistent): return "changes amounts\(consistent ? ", receipts too" : "")"
        case .omit: return "omits a transaction's logs"
        case .omitAll: return "omits every log"
        case .hide: return "hides a transaction's logs, receipt included"
        }
    }

    /// The logs this provider returns for `filter`.
    func logs(_ chain: FakeChain, _ filter: [String: Any]) -> [ChainLog]? {
        guard let honest = chain.logs(matching: filter) else { return nil }
        switch self {
        case .none: return honest
        case .forgeInRealTransaction(let to, let amount, _):
            return honest + forgeries(chain, honest, to: to, amount: amount, madeUp: false).filter { FakeChain.matches(filter, $0) }
        case .forgeInMadeUpTransaction(let to, let amount):
            return honest + forgeries(chain, honest, to: to, amount: amount, madeUp: true).filter { FakeChain.matches(filter, $0) }
        case .changeAmounts(let amount, _):
            return honest.map {
                var log = $0
                log.data = word(amount)
                return log
            }
        case .omit(let transaction), .hide(let transaction): return honest.filter { $0.transaction != transaction }
        case .omitAll: return []
        }
    }

    /// This provider's receipt of `transaction`.
    func receipt(_ chain: FakeChain, _ transaction: String) -> String {
        let own = chain.allLogs.filter { $0.transaction == transaction.lowercased() }
        switch self {
        case .forgeInRealTransaction(let to, let amount, true):
            let forged = forgeries(chain, chain.allLogs, to: to, amount: amount, madeUp: false).filter {
                $0.transaction == transaction.lowercased()
            }
            return chain.receiptJSON(transaction, logs: own + forged)
        case .changeAmounts(let amount, true):
            return chain.receiptJSON(
                transaction,
                logs: own.map {
                    var log = $0
                    log.data = word(amount)
                    return log
                })
        case .hide(let hidden) where hidden == transaction.lowercased():
            return chain.receiptJSON(transaction, logs: [])
        default:
            return chain.receiptJSON(transaction)
        }
    }

    /// One forged transfer per block among `logs`, after the block's last log.
    func forgeries(_ chain: FakeChain, _ logs: [ChainLog], to: Address, amount: UInt64, madeUp: Bool) -> [ChainLog] {
        var out = [ChainLog]()
        for number in Set(logs.map(\.block)).sorted() {
            guard let block = chain.block(number: number), let first = block.logs.first else { continue }
            var log = first
            log.topics[2] = to.word.hex
            log.data = word(amount)
            log.logIndex = UInt64(block.logs.count) + 7
            if madeUp {
                log.transaction = fakeHash("made up in \(number)")
                log.transactionIndex = UInt64(block.transactions.count)
            }
            out.append(log)
        }
        return out
    }
}

/// A provider serving `chain` with `lie`: blocks, heads, logs, receipts.
func chainProvider(_ url: String, _ chain: FakeChain, lie: Lie = .none) -> ScriptedTransport {
    ScriptedTransport(url) { request in chainReply(chain, lie, request) }
}

/// What a provider serving `chain` with `lie` answers to `request`.
func chainReply(_ chain: FakeChain, _ lie: Lie, _ request: SentRequest) -> Reply {
    switch request.method {
    case "eth_chainId": return .result(#""0x89""#)
    case "eth_blockNumber": return .result("\"\(quantity(chain.head))\"")
    case "eth_getBlockByHash":
        return .result((request.params.first as? String).flatMap { chain.block(hash: $0)?.json } ?? "null")
    case "eth_getBlockByNumber":
        let tag = request.params.first as? String ?? ""
        let number = tag == "latest" || tag == "finalized" ? chain.head : hexUInt64(tag) ?? 0
        return .result(chain.block(number: number)?.json ?? "null")
    case "eth_getLogs":
        guard let filter = request.params.first as? [String: Any] else { return .rpcError(code: -32602, message: "missing filter") }
        guard let logs = lie.logs(chain, filter) else { return .rpcError(code: -32000, message: "unknown block") }
        return .result("[" + logs.map(\.json).joined(separator: ",") + "]")
    case "eth_getTransactionReceipt":
        return .result(lie.receipt(chain, request.params.first as? String ?? ""))
    case "eth_sendRawTransaction":
        return .result("\"\(fakeHash("sent"))\"")
    default:
        return .rpcError(code: -32601, message: "the method \(request.method) does not exist/is not available")
    }
}
