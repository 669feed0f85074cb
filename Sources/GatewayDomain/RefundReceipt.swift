import EthereumCore

/// The parts of a transaction receipt a refund is judged by.
public struct ReceiptFacts: Sendable, Hashable {
    public let transactionHash: TxHash
    public let blockNumber: UInt64
    public let blockHash: BlockHash
    /// 1 for success, 0 for a revert.
    public let status: UInt64
    public let from: Address
    public let to: Address?
    /// The ERC-20 Transfer logs of the receipt (other logs left out).
    public let transfers: [TransferEvent]

    public init(
        transactionHash: TxHash, blockNumber: UInt64, blockHash: BlockHash, status: UInt64, from: Address, to: Address?,
        transfers: [TransferEvent]
    ) {
        self.transactionHash = transactionHash
        self.blockNumber = blockNumber
        self.blockHash = blockHash
        self.status = status
        self.from = from
        self.to = to
        self.transfers = transfers
    }
}

/// What a receipt means for a refund (CHAIN-RULES rule 10). A token's `transfer` return value
/// proves nothing (Ethereum's USDT returns none): only the status and the log do.
public enum RefundReceipt {
    public enum Verdict: Sendable, Hashable {
        /// Status 1 with exactly one `Transfer(hotWallet, destination, amount)` of the token.
        case transferred
        /// Status 0: the nonce is consumed; the refund failed and is not retried.
        case reverted
        /// Mined, but not the transfer expected: it failed, and an operator should look.
        case mismatch(String)
    }

    public static func judge(
        _ receipt: ReceiptFacts, token: Address, wallet: Address, destination: Address, amount: UInt256, hashes: Set<TxHash>
    ) -> Verdict {
        guard hashes.contains(receipt.transactionHash) else { return .mismatch("the receipt is of another transaction") }
        guard receipt.from == wallet else { return .mismatch("the receipt's sender is not the hot wallet") }
        if receipt.status == 0 { return .reverted }
        guard receipt.status == 1 else { return .mismatch("receipt status \(receipt.status)") }
        guard receipt.to == token else { return .mismatch("the transaction was not sent to the token contract") }
        let matching = receipt.transfers.filter {
            $0.token == token && $0.from == wallet && $0.to == destination && $0.amount == amount
        }
        guard matching.count == 1, receipt.transfers.filter({ $0.token == token }).count == 1 else {
            return .mismatch("the receipt does not carry exactly one Transfer of \(amount) base units to \(destination.checksummed)")
        }
        return .transferred
    }
}

/// Whether a mined transaction is final (CHAIN-RULES rule 4): its block still canonical, at
/// least `confirmations` deep (the block counts as one) and, where the network asks for it, at
/// or below the finalized block.
public enum RefundFinality {
    public enum Verdict: Sendable, Hashable {
        case final
        /// Canonical, not yet deep (or finalized) enough.
        case waiting
        /// Another block holds its height now: it left the canonical chain.
        case reorged
        /// The providers could not say: ask again later.
        case unknown
    }

    /// - Parameters:
    ///   - canonicalHash: the hash the providers agree on at the mined block's height; nil when
    ///     they have no block there.
    ///   - head: the pool's safe head.
    ///   - finalized: the finalized height, when the network's mode needs it.
    public static func decide(
        minedBlock: UInt64, minedHash: BlockHash, canonicalHash: BlockHash?, head: UInt64, confirmations: Int, finalized: UInt64?,
        needsFinalized: Bool
    ) -> Verdict {
        guard let canonicalHash else { return .unknown }
        guard canonicalHash == minedHash else { return .reorged }
        guard head >= minedBlock else { return .waiting }
        let depth = head - minedBlock + 1
        guard depth >= UInt64(max(1, confirmations)) else { return .waiting }
        if needsFinalized {
            guard let finalized, finalized >= minedBlock else { return .waiting }
        }
        return .final
    }
}

/// The next nonce of a hot wallet (CHAIN-RULES rule 8): never below what the database has used
/// (+1) nor below what the providers count with their pools (`eth_getTransactionCount(pending)`
/// read with a quorum). Never an in-memory counter.
public enum NonceRule {
    /// The highest nonce accepted: it must fit Postgres's `bigint`. A provider that counts more
    /// is broken.
    public static let maxNonce = UInt64(Int64.max) - 1

    public static func next(largestStored: UInt64?, pendingCount: UInt64) -> UInt64? {
        let afterStored = largestStored.map { $0 >= maxNonce ? maxNonce + 1 : $0 + 1 } ?? 0
        let next = max(afterStored, pendingCount)
        return next <= maxNonce ? next : nil
    }
}

/// Whether the hot wallet can pay for one more refund (checked before anything is signed): gas
/// limit × max fee in the native currency, and the token amount, against the balances minus what
/// signed, unmined transactions have reserved.
public enum WalletFunds {
    /// What one transaction needs or holds.
    public struct Need: Sendable, Hashable {
        /// Gas limit × max fee, in wei.
        public let native: UInt256
        /// The token and its amount in base units (none for a nonce filler).
        public let token: Address?
        public let amount: UInt256

        public init(native: UInt256, token: Address?, amount: UInt256) {
            self.native = native
            self.token = token
            self.amount = amount
        }

        public init(gasLimit: UInt64, fees: Fees, token: Address?, amount: UInt256) {
            let (cost, overflow) = UInt256(gasLimit).multipliedReportingOverflow(by: fees.maxFee)
            self.init(native: overflow ? .max : cost, token: token, amount: amount)
        }
    }

    public enum Verdict: Sendable, Hashable {
        case enough
        /// `asset` is "native" or a token's checksummed address; `missing` in its base units.
        case short(asset: String, missing: UInt256)
    }

    public static func check(native: UInt256, tokens: [Address: UInt256], reserved: [Need], need: Need) -> Verdict {
        func total(_ values: [UInt256]) -> UInt256 {
            values.reduce(UInt256.zero) { sum, value in
                let (next, overflow) = sum.addingReportingOverflow(value)
                return overflow ? .max : next
            }
        }
        let nativeNeeded = total(reserved.map(\.native) + [need.native])
        if nativeNeeded > native { return .short(asset: "native", missing: nativeNeeded - native) }
        if let token = need.token {
            let balance = tokens[token] ?? .zero
            let tokenNeeded = total(reserved.filter { $0.token == token }.map(\.amount) + [need.amount])
            if tokenNeeded > balance { return .short(asset: token.checksummed, missing: tokenNeeded - balance) }
        }
        return .enough
    }
}
