import EthereumCore
import TestSupport
import Testing

enum EIP55Vectors {
    /// The addresses in the "Test Cases" block of ERCS/erc-55.md.
    static let addresses: [String] = {
        guard let text = try? textVector("ERCs/ERCS/erc-55.md"), let start = text.range(of: "# Test Cases") else { return [] }
        return text[start.upperBound...].split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.hasPrefix("0x") && $0.count == 42 }
    }()
}

@Suite struct AddressTests {
    @Test func vectorCount() { #expect(EIP55Vectors.addresses.count == 8) }

    @Test(arguments: EIP55Vectors.addresses)
    func checksumVector(_ text: String) throws {
        let address = try Address(text)
        let isMixed = text.dropFirst(2).contains { $0.isLowercase } && text.dropFirst(2).contains { $0.isUppercase }
        if isMixed { #expect(address.checksummed == text) }
        #expect(address.lowercased == text.lowercased())
        #expect(try Address(address.checksummed) == address)
        #expect(try Address(address.lowercased) == address)
    }

    @Test func wrongChecksumIsRejectedWithTheRightSpelling() {
        let wrong = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"
        #expect(throws: AddressError.badChecksum(given: wrong, expected: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")) {
            try Address(wrong)
        }
        let error = AddressError.badChecksum(given: wrong, expected: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
        #expect(error.description.contains("wrong EIP-55 checksum"))
    }

    @Test(arguments: [
        "", "0x", "5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae",
        "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaedd", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg",
        " 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae",
    ])
    func malformedIsRejected(_ text: String) {
        #expect(throws: AddressError.malformed(text)) { try Address(text) }
    }

    @Test func wordConversion() throws {
        let address = try Address("0xdAC17F958D2ee523a2206206994597C13D831ec7")
        #expect(try Address(word: address.word) == address)
        #expect(address.word.hex == "0x000000000000000000000000dac17f958d2ee523a2206206994597c13d831ec7")
        let dirty = try Bytes32(hex: "0x000000000000000000000001dac17f958d2ee523a2206206994597c13d831ec7")
        #expect(throws: AddressError.dirtyWord(dirty)) { try Address(word: dirty) }
    }

    @Test func hashTypesAreDistinctAndValidated() throws {
        let hex = "0x88df016429689c079f3b2f6ad39fa052532c56795b733da78a91ebe6a713944b"
        let block = try BlockHash(hex: hex)
        let tx = try TxHash(hex: hex)
        #expect(block.hex == tx.hex)
        #expect(throws: FixedBytesError.wrongLength(expected: 32, actual: 31)) { try BlockHash(hex: String(hex.dropLast(2))) }
        #expect(throws: FixedBytesError.invalidHex(.missingPrefix)) { try TxHash(hex: String(hex.dropFirst(2))) }
    }
}
