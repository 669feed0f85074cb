import EthereumCore
import Foundation
import TestSupport
import Testing

/// One ethereum/tests TrieTests case: insertions and deletions in order, and the root after them.
struct TrieVector: CustomTestStringConvertible, Sendable {
    let name: String
    let steps: [(key: [UInt8], value: [UInt8]?)]
    let root: String
    var testDescription: String { name }

    /// In these files a string starting with `0x` is hex bytes, any other its UTF-8 bytes.
    static func bytes(_ text: String) -> [UInt8] {
        text.hasPrefix("0x") ? try! Hex.decode(text) : Array(text.utf8)
    }

    static func load(_ path: String) -> [TrieVector] {
        guard let object = try? jsonVector(path) as? [String: [String: Any]] else { return [] }
        return object.map { name, entry in
            let steps = (entry["in"] as! [[Any]]).map { pair in
                (key: bytes(pair[0] as! String), value: (pair[1] as? String).map(bytes))
            }
            return TrieVector(name: name, steps: steps, root: entry["root"] as! String)
        }.sorted { $0.name < $1.name }
    }
}

/// A table case derived for these tests: the root of `count` entries made by a rule, as
/// py-trie 4.0.0 (`trie` on PyPI, `HexaryTrie`, an independent implementation) computes it.
struct DerivedTrieCase: CustomTestStringConvertible, Sendable {
    let name: String
    let entries: [[UInt8]: [UInt8]]
    let root: String
    var testDescription: String { name }

    /// Keys `rlp(i)` for i in 0..<count, as in a block's receipts or transactions trie, with
    /// values of 1 to 40 bytes, so that both embedded (< 32 bytes) and hashed nodes occur.
    static func indexed(_ count: Int, root: String) -> DerivedTrieCase {
        var entries = [[UInt8]: [UInt8]]()
        for i in 0..<count {
            entries[RLP.encode(.uint(UInt64(i)))] = [UInt8](repeating: UInt8(i & 0xff), count: i % 40 + 1)
        }
        return DerivedTrieCase(name: "rlp(0..<\(count))", entries: entries, root: root)
    }

    static func text(_ name: String, _ pairs: [(String, String)], root: String) -> DerivedTrieCase {
        DerivedTrieCase(
            name: name, entries: Dictionary(uniqueKeysWithValues: pairs.map { (Array($0.0.utf8), Array($0.1.utf8)) }), root: root)
    }
}

@Suite struct MerklePatriciaTrieTests {
    static let vectors = TrieVector.load("ethereum-tests/TrieTests/trietest.json")

    @Test func vectorFileIsRead() {
        #expect(Self.vectors.map(\.name) == ["branchingTests", "emptyValues", "insert-middle-leaf", "jeff"])
    }

    /// The steps are applied to a dictionary (a `null` value deletes its key); the root of the
    /// final contents must be the vector's.
    @Test(arguments: vectors)
    func trieVector(_ vector: TrieVector) {
        var contents = [[UInt8]: [UInt8]]()
        for step in vector.steps { contents[step.key] = step.value }
        #expect(MerklePatriciaTrie.root(of: contents).hex == vector.root)
    }

    @Test func emptyTrie() {
        #expect(MerklePatriciaTrie.emptyRoot.hex == "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
        #expect(MerklePatriciaTrie.emptyRoot == Keccak256.hash(RLP.encode(.bytes([]))))
        #expect(MerklePatriciaTrie.root(of: [:]) == MerklePatriciaTrie.emptyRoot)
        #expect(MerklePatriciaTrie.listRoot([]) == MerklePatriciaTrie.emptyRoot)
        // Storing an empty value is deleting: it leaves no trace in the root.
        #expect(MerklePatriciaTrie.root(of: [[1]: []]) == MerklePatriciaTrie.emptyRoot)
        #expect(MerklePatriciaTrie.root(of: [[1]: [2], [3]: []]) == MerklePatriciaTrie.root(of: [[1]: [2]]))
    }

    /// A one-entry trie is a single leaf, hashed even though its encoding is short:
    /// key 0x01 is the even path [0, 1], hex-prefixed 0x20 0x01 (leaf flag 2, even),
    /// so the node is rlp([0x2001, 0x02]) = c4 82 20 01 02.
    @Test func singleLeafByHand() {
        #expect(MerklePatriciaTrie.root(of: [[0x01]: [0x02]]) == Keccak256.hash([0xc4, 0x82, 0x20, 0x01, 0x02]))
        // The empty key: path [] is 0x20 alone, node rlp([0x20, "v"]) = c2 20 76.
        #expect(MerklePatriciaTrie.root(of: [[]: Array("v".utf8)]) == Keccak256.hash([0xc2, 0x20, 0x76]))
    }

    /// Index keys cross the one-byte boundary at 128 (rlp(127) = 7f, rlp(128) = 81 80) and
    /// sort rlp(0) = 80 among them; 16 and 17 fill a branch and overflow it.
    static let derived: [DerivedTrieCase] = [
        .indexed(1, root: "0x7da536f7df63a0dfb481590e53be0e3063d9b798925cc3d479a3eb3155d0b394"),
        .indexed(2, root: "0x47a291e1f0920ea2b564d3d828c0f3a4691bc9f2b15813c5a3a3e7e3d6bd17ef"),
        .indexed(3, root: "0xc144af7216ec5666b4cca99ed2d1cd454983d1c13c8e3ac8d7b638a6bc1c0206"),
        .indexed(16, root: "0x76227136489f4f71c36761df83eb3186e75d047666ada0a921c33cc8facc0b39"),
        .indexed(17, root: "0xfd0acc349d10c623311c31910cd43892a036fc692b96340a9ae1ff4225ef8feb"),
        .indexed(127, root: "0xb7cb373e7b445859489695ab90c7fa59ecd4c440e32010ad9833f00c61930b79"),
        .indexed(128, root: "0x2695ae12f944ae911270fc0457218c115d5eda80c662f5a1de95ca0737c37da5"),
        .indexed(129, root: "0x348c5a76e430d703e4d02e80941e91081af2211e693d506e08efa096c2566ac4"),
        .indexed(256, root: "0x63055940ce76694de713da3a21d90f061a1c853d195a5683d71a5c4f21979a6a"),
        .indexed(1000, root: "0xef7f067bbf607b28406c315f51b4af9f19af65b38c929c781f4072b22200acaf"),
        .text(
            "keys that prefix each other, with the empty key",
            [("", "root value"), ("a", "x"), ("ab", "y"), ("abc", "a value longer than thirty-two bytes!!")],
            root: "0x215f4d5aecb4d96ce4f4ce7addc3493666e55d1b43531aa53b1c8db684ecfed6"),
        .text(
            "one leaf longer than 32 bytes", [(String(repeating: "k", count: 32), String(repeating: "v", count: 40))],
            root: "0xf8c7bf0d7a18e1a01b9a88502cbd62e11bd66a9d86be3460de691749ba28a153"),
        .text(
            "siblings under an extension", [("abc1", "1"), ("abc2", "2"), ("abd", "3")],
            root: "0x007f649795360b97ce068ad805a11bced818812adf576be42b8a17cfc16a4378"),
    ]

    @Test(arguments: derived)
    func derivedCase(_ testCase: DerivedTrieCase) {
        #expect(MerklePatriciaTrie.root(of: testCase.entries).hex == testCase.root)
    }

    /// `listRoot` is the trie keyed by `rlp(index)`.
    @Test func listRootIsKeyedByRLPIndex() {
        let values: [[UInt8]] = (0..<300).map { [UInt8](repeating: UInt8($0 & 0xff), count: $0 % 40 + 1) }
        #expect(MerklePatriciaTrie.listRoot(values) == MerklePatriciaTrie.root(of: DerivedTrieCase.indexed(300, root: "").entries))
    }

    /// The root depends on the contents only: building from any insertion order, with
    /// detours through keys inserted then deleted, gives the same root.
    @Test func insertionOrderDoesNotMatter() {
        var rng = SeededGenerator(seed: 7)
        // Short keys over a small alphabet: many share prefixes, and some are prefixes of others.
        let keys: [[UInt8]] = (0..<200).map { _ in
            (0..<Int.random(in: 0...6, using: &rng)).map { _ in UInt8.random(in: 0...3, using: &rng) }
        }
        var contents = [[UInt8]: [UInt8]]()
        for key in keys { contents[key] = Array("value of \(key)".utf8) }
        let expected = MerklePatriciaTrie.root(of: contents)
        for _ in 0..<5 {
            var replay = [[UInt8]: [UInt8]]()
            for key in keys.shuffled(using: &rng) {
                replay[key + [9]] = [1]
                replay[key] = Array("value of \(key)".utf8)
            }
            for key in keys { replay[key + [9]] = nil }
            #expect(MerklePatriciaTrie.root(of: replay) == expected)
        }
    }

    /// Changing, adding or removing any one entry changes the root.
    @Test func everyEntryCounts() {
        let base = DerivedTrieCase.indexed(50, root: "").entries
        let root = MerklePatriciaTrie.root(of: base)
        for key in base.keys {
            var changed = base
            changed[key] = (changed[key] ?? []) + [0]
            #expect(MerklePatriciaTrie.root(of: changed) != root)
            changed[key] = nil
            #expect(MerklePatriciaTrie.root(of: changed) != root)
        }
        var extra = base
        extra[[0xff]] = [1]
        #expect(MerklePatriciaTrie.root(of: extra) != root)
    }
}
