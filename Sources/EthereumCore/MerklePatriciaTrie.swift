/// The root hash of Ethereum's Merkle-Patricia trie (Yellow Paper, appendix D), computed from
/// the trie's final contents. A block header commits to its transactions, receipts and
/// withdrawals through such roots, so recomputing one from what a provider returned proves
/// (or disproves) that the provider returned exactly what the block holds.
///
/// Only the root is built, never a database of nodes: the entries are sorted once and each
/// node is encoded bottom-up. Insertion order does not change a trie's root, so this equals
/// the root of any sequence of insertions and deletions that ends with the same contents.
public enum MerklePatriciaTrie {
    /// keccak256(rlp("")): the root of a trie with no entries (an empty block's
    /// `transactionsRoot` and `receiptsRoot`).
    public static let emptyRoot = Bytes32(0x56e8_1f17_1bcc_55a6, 0xff83_45e6_92c0_f86e, 0x5b48_e01b_996c_adc0, 0x0162_2fb5_e363_b421)

    /// The root of the trie holding `entries`. An empty value means "absent", as in Ethereum's
    /// trie, where storing an empty value deletes the key.
    ///
    /// Nodes are built recursively, one level per branch or extension on a key's path, so the
    /// depth is at most twice the longest key in nibbles: small for the keys of block tries
    /// (`rlp(index)`, at most a few bytes).
    public static func root(of entries: [[UInt8]: [UInt8]]) -> Bytes32 {
        let sorted = entries.filter { !$0.value.isEmpty }
            .sorted { $0.key.lexicographicallyPrecedes($1.key) }
            .map { Leaf(nibbles: nibbles(of: $0.key), value: $0.value) }
        guard !sorted.isEmpty else { return emptyRoot }
        // The root is always referred to by its hash, even when its encoding is under 32 bytes.
        return Keccak256.hash(encodeNode(sorted[...], depth: 0))
    }

    /// The root of a trie keyed by `rlp(index)` holding `values` in order: how a header commits
    /// to its transactions, receipts and withdrawals (`values[i]` is the encoding of item i).
    public static func listRoot(_ values: [[UInt8]]) -> Bytes32 {
        var entries = [[UInt8]: [UInt8]](minimumCapacity: values.count)
        for (index, value) in values.enumerated() {
            entries[RLP.encode(.uint(UInt64(index)))] = value
        }
        return root(of: entries)
    }

    /// A key as the path of 4-bit nibbles it spells, high nibble first, with its value.
    private struct Leaf {
        let nibbles: [UInt8]
        let value: [UInt8]
    }

    private static func nibbles(of key: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(key.count * 2)
        for byte in key {
            out.append(byte >> 4)
            out.append(byte & 0x0f)
        }
        return out
    }

    /// The RLP encoding of the node that holds `leaves` (sorted, distinct, at least one), all of
    /// which share their first `depth` nibbles.
    private static func encodeNode(_ leaves: ArraySlice<Leaf>, depth: Int) -> [UInt8] {
        let first = leaves[leaves.startIndex]
        if leaves.count == 1 {
            let path = hexPrefix(first.nibbles[depth...], isLeaf: true)
            return RLP.encodeList(ofEncoded: [RLP.encode(.bytes(path)), RLP.encode(.bytes(first.value))])
        }
        // In a sorted run, what the first and last keys share, all keys share.
        let last = leaves[leaves.endIndex - 1]
        var shared = 0
        while depth + shared < first.nibbles.count, depth + shared < last.nibbles.count,
            first.nibbles[depth + shared] == last.nibbles[depth + shared]
        {
            shared += 1
        }
        if shared > 0 {
            let path = hexPrefix(first.nibbles[depth..<(depth + shared)], isLeaf: false)
            let child = encodeNode(leaves, depth: depth + shared)
            return RLP.encodeList(ofEncoded: [RLP.encode(.bytes(path)), reference(to: child)])
        }
        // A branch: sixteen children by the next nibble, and the value of the one key (the
        // first, as it sorts before its extensions) that ends here.
        var slots = [[UInt8]](repeating: RLP.encode(.bytes([])), count: 17)
        var index = leaves.startIndex
        if first.nibbles.count == depth {
            slots[16] = RLP.encode(.bytes(first.value))
            index += 1
        }
        while index < leaves.endIndex {
            let nibble = leaves[index].nibbles[depth]
            var end = index + 1
            while end < leaves.endIndex, leaves[end].nibbles[depth] == nibble { end += 1 }
            slots[Int(nibble)] = reference(to: encodeNode(leaves[index..<end], depth: depth + 1))
            index = end
        }
        return RLP.encodeList(ofEncoded: slots)
    }

    /// How a parent refers to a child node: a node whose encoding is shorter than 32 bytes is
    /// embedded as it is, a longer one by its Keccak-256.
    private static func reference(to encodedNode: [UInt8]) -> [UInt8] {
        encodedNode.count < 32 ? encodedNode : RLP.encode(.bytes(Keccak256.hash(encodedNode).bytes))
    }

    /// Hex-prefix encoding (Yellow Paper, appendix C): a nibble path packed into bytes, with a
    /// first nibble that flags a leaf (2) and an odd length (1).
    static func hexPrefix(_ path: ArraySlice<UInt8>, isLeaf: Bool) -> [UInt8] {
        let flag: UInt8 = isLeaf ? 2 : 0
        var out = [UInt8]()
        out.reserveCapacity(path.count / 2 + 1)
        var index = path.startIndex
        if path.count % 2 == 1 {
            out.append((flag | 1) << 4 | path[index])
            index += 1
        } else {
            out.append(flag << 4)
        }
        while index < path.endIndex {
            out.append(path[index] << 4 | path[index + 1])
            index += 2
        }
        return out
    }
}
