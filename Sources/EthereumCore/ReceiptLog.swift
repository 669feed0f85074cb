/// A log as a receipt holds it in consensus: the contract that emitted it, its topics and its
/// data. Where it sits (block, transaction, log index) is not part of the receipt, so it is
/// not part of this type either; the JSON-RPC log objects add it.
public struct ReceiptLog: Hashable, Sendable {
    public let address: Address
    public let topics: [Bytes32]
    public let data: [UInt8]

    public init(address: Address, topics: [Bytes32], data: [UInt8]) {
        self.address = address
        self.topics = topics
        self.data = data
    }

    /// `[address, [topic, …], data]`, as the receipt's `logs` list carries it.
    var rlpItem: RLPItem {
        .list([.bytes(address.bytes), .list(topics.map { .bytes($0.bytes) }), .bytes(data)])
    }
}
