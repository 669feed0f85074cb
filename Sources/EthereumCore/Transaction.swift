/// One entry of an EIP-2930 access list.
public struct AccessListEntry: Hashable, Sendable {
    public var address: Address
    public var storageKeys: [Bytes32]

    public init(address: Address, storageKeys: [Bytes32]) {
        self.address = address
        self.storageKeys = storageKeys
    }
}

/// The transaction envelope types this code signs and decodes.
public enum TransactionType: UInt8, Sendable, CaseIterable {
    /// Legacy, with EIP-155 replay protection when it has a chain id.
    case legacy = 0
    /// EIP-2930 access-list transaction (decoded; signed for completeness).
    case accessList = 1
    /// EIP-1559 dynamic-fee transaction.
    case dynamicFee = 2
}

/// An unsigned transaction. Fields that a type does not use are ignored by its encoding:
/// `gasPrice` by type 2, the two EIP-1559 fees by types 0 and 1, the access list by type 0.
public struct Transaction: Hashable, Sendable {
    public var type: TransactionType
    /// `nil` only for a legacy transaction without EIP-155 replay protection.
    public var chainId: UInt64?
    public var nonce: UInt64
    public var gasPrice: UInt256
    public var maxPriorityFeePerGas: UInt256
    public var maxFeePerGas: UInt256
    public var gasLimit: UInt64
    /// `nil` creates a contract.
    public var to: Address?
    public var value: UInt256
    public var data: [UInt8]
    public var accessList: [AccessListEntry]

    public init(
        type: TransactionType, chainId: UInt64?, nonce: UInt64, gasPrice: UInt256 = .zero,
        maxPriorityFeePerGas: UInt256 = .zero, maxFeePerGas: UInt256 = .zero, gasLimit: UInt64,
        to: Address?, value: UInt256 = .zero, data: [UInt8] = [], accessList: [AccessListEntry] = []
    ) {
        self.type = type
        self.chainId = chainId
        self.nonce = nonce
        self.gasPrice = gasPrice
        self.maxPriorityFeePerGas = maxPriorityFeePerGas
        self.maxFeePerGas = maxFeePerGas
        self.gasLimit = gasLimit
        self.to = to
        self.value = value
        self.data = data
        self.accessList = accessList
    }

    private var accessListItem: RLPItem {
        .list(accessList.map { .list([.bytes($0.address.bytes), .list($0.storageKeys.map { .bytes($0.bytes) })]) })
    }

    private var toItem: RLPItem { .bytes(to?.bytes ?? []) }

    /// The RLP fields before the signature, in the order of each envelope.
    var unsignedFields: [RLPItem] {
        switch type {
        case .legacy:
            return [.uint(nonce), .uint(gasPrice), .uint(gasLimit), toItem, .uint(value), .bytes(data)]
        case .accessList:
            return [
                .uint(chainId ?? 0), .uint(nonce), .uint(gasPrice), .uint(gasLimit), toItem, .uint(value), .bytes(data), accessListItem,
            ]
        case .dynamicFee:
            return [
                .uint(chainId ?? 0), .uint(nonce), .uint(maxPriorityFeePerGas), .uint(maxFeePerGas), .uint(gasLimit),
                toItem, .uint(value), .bytes(data), accessListItem,
            ]
        }
    }

    /// The bytes whose Keccak-256 is signed: for legacy with a chain id the 9-field EIP-155
    /// form, without one the 6-field form; for typed transactions `type ‖ rlp(fields)`.
    public var signingPayload: [UInt8] { signingPayload(fields: unsignedFields) }

    func signingPayload(fields: [RLPItem]) -> [UInt8] {
        switch type {
        case .legacy:
            if let chainId {
                return RLP.encode(.list(fields + [.uint(chainId), .bytes([]), .bytes([])]))
            }
            return RLP.encode(.list(fields))
        case .accessList, .dynamicFee:
            return [type.rawValue] + RLP.encode(.list(fields))
        }
    }

    public var signingHash: Bytes32 { Keccak256.hash(signingPayload) }

    /// Signs with `key` (RFC 6979, low-S).
    public func signed(with key: PrivateKey) -> SignedTransaction {
        let fields = unsignedFields
        let hash = Keccak256.hash(signingPayload(fields: fields))
        return SignedTransaction(transaction: self, fields: fields, signingHash: hash, signature: key.sign(digest: hash))
    }

    /// The `v` a legacy transaction carries for a signature parity: 27/28 without a
    /// chain id, chainId × 2 + 35/36 with one (EIP-155).
    func legacyV(yParity: UInt8) -> UInt256 {
        guard let chainId else { return UInt256(27 + UInt64(yParity)) }
        return UInt256(chainId) * 2 + UInt256(35 + UInt64(yParity))
    }

    /// Gas charged before execution, by the rules in force since Shanghai/Cancun:
    /// 21,000 (+32,000 to create), 4 per zero and 16 per non-zero data byte, 2,400 per
    /// access-list address and 1,900 per storage key, and 2 per 32-byte word of init code.
    public var intrinsicGas: UInt64 {
        var gas: UInt64 = 21_000
        if to == nil { gas += 32_000 + 2 * UInt64((data.count + 31) / 32) }
        for byte in data { gas += byte == 0 ? 4 : 16 }
        for entry in accessList { gas += 2_400 + 1_900 * UInt64(entry.storageKeys.count) }
        return gas
    }
}

/// A signed transaction, its raw bytes and its hash.
public struct SignedTransaction: Hashable, Sendable {
    public let transaction: Transaction
    public let signature: Signature
    /// The encoded bytes: what `eth_sendRawTransaction` takes.
    public let raw: [UInt8]
    /// The digest that was signed, kept so that recovering the sender needs no re-encoding.
    let signingHash: Bytes32

    init(transaction: Transaction, signature: Signature) {
        let fields = transaction.unsignedFields
        self.init(
            transaction: transaction, fields: fields,
            signingHash: Keccak256.hash(transaction.signingPayload(fields: fields)), signature: signature)
    }

    init(transaction: Transaction, fields: [RLPItem], signingHash: Bytes32, signature: Signature) {
        self.transaction = transaction
        self.signature = signature
        self.signingHash = signingHash
        let sig: [RLPItem] = [.uint(signature.r), .uint(signature.s)]
        switch transaction.type {
        case .legacy:
            raw = RLP.encode(.list(fields + [.uint(transaction.legacyV(yParity: signature.yParity))] + sig))
        case .accessList, .dynamicFee:
            raw = [transaction.type.rawValue] + RLP.encode(.list(fields + [.uint(UInt64(signature.yParity))] + sig))
        }
    }

    /// keccak256 of the raw bytes.
    public var hash: TxHash { TxHash(raw: Keccak256.hash(raw)) }

    /// The `v` value as the legacy encoding carries it (27/28 or EIP-155), or the parity for typed transactions.
    public var v: UInt256 {
        transaction.type == .legacy ? transaction.legacyV(yParity: signature.yParity) : UInt256(UInt64(signature.yParity))
    }

    /// The sender, recovered from the signature.
    public func sender() throws(TransactionError) -> Address {
        do {
            return try signature.recoverAddress(digest: signingHash)
        } catch {
            throw .signature(error)
        }
    }
}
