extension LogsBloom {
    /// The filter with no bit set: a receipt or block without logs.
    public static let empty = LogsBloom(validated: [UInt8](repeating: 0, count: 256))

    /// The filter of `logs`: each log's address and each of its topics sets its three bits
    /// (data is not filtered). A receipt's `logsBloom` must equal the filter of its logs.
    public init(logs: some Sequence<ReceiptLog>) {
        var bytes = [UInt8](repeating: 0, count: 256)
        func add(_ item: [UInt8]) {
            let hash = Keccak256.hash(item).bytes
            for pair in 0..<3 {
                let (byte, mask) = LogsBloom.bit(pair, of: hash)
                bytes[byte] |= mask
            }
        }
        for log in logs {
            add(log.address.bytes)
            for topic in log.topics { add(topic.bytes) }
        }
        self.init(validated: bytes)
    }

    /// Every bit set in either filter. A block's `logsBloom` is the union of its receipts'.
    public func union(_ other: LogsBloom) -> LogsBloom {
        LogsBloom(validated: zip(bytes, other.bytes).map { $0 | $1 })
    }

    /// From bytes already known to be 256 long.
    private init(validated bytes: [UInt8]) {
        self.bytes = bytes
    }
}
