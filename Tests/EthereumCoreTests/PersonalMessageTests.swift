import EthereumCore
import TestSupport
import Testing

/// A message used in the personal_sign cases.
enum SampleMessage: String, CaseIterable, Sendable {
    case empty, helloWorld, heartSF, payment98, allBytes, zeros1000

    var bytes: [UInt8] {
        switch self {
        case .empty: return []
        case .helloWorld: return Array("hello world".utf8)
        // Four characters, six UTF-8 bytes: the length in the prefix counts bytes.
        case .heartSF: return Array("I\u{2665}SF".utf8)
        case .payment98: return Array(String(repeating: "Payment 0123456789 for order #42 at the gateway. ", count: 2).utf8)
        case .allBytes: return (0...255).map { UInt8($0) }
        case .zeros1000: return [UInt8](repeating: 0, count: 1000)
        }
    }

    /// keccak256("\u{19}Ethereum Signed Message:\n" ‖ length ‖ message), as eth-account 0.13.7
    /// computes it (`_hash_eip191_message(encode_defunct(...))`).
    var expectedHash: String {
        switch self {
        case .empty: return "0x5f35dce98ba4fba25530a026ed80b2cecdaa31091ba4958b99b52ea1d068adad"
        case .helloWorld: return "0xd9eba16ed0ecae432b71fe008c98cc872bb4cc214d3220a36f365326cf807d68"
        case .heartSF: return "0x1476abb745d423bf09273f1afd887d951181d25adc66c4834a70491911b7f750"
        case .payment98: return "0xf037fde9b5ef11c0363cbee8b625aa5f6373983793ddaa5b9550d573810ab97f"
        case .allBytes: return "0x60d850d8cb3b6e69bd77dc3309f91a02ce92ce3d55caec8bcf9be08c0aac3b35"
        case .zeros1000: return "0x9e34998af7d81dc61d047ee4c27bd9673cdfe95166192a2ee489006736fd61f8"
        }
    }
}

enum SampleKey: String, Sendable {
    /// 32 × 0x46, the key of the EIP-155 example.
    case key46 = "0x4646464646464646464646464646464646464646464646464646464646464646"
    case keyOne = "0x0000000000000000000000000000000000000000000000000000000000000001"
    case keyFixed = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"

    var key: PrivateKey { try! PrivateKey(hex: rawValue) }
}

/// A signature eth-account produced: `Account.sign_message(encode_defunct(...), key)` with
/// eth-account 0.13.7 (PyPI), which also recovered `signer` from it.
struct PersonalSignCase: CustomTestStringConvertible, Sendable {
    let key: SampleKey
    let message: SampleMessage
    let signer: String
    let v: UInt8
    let r: String
    let s: String
    var testDescription: String { "\(key) \(message)" }

    init(_ key: SampleKey, _ message: SampleMessage, signer: String, v: UInt8, r: String, s: String) {
        self.key = key
        self.message = message
        self.signer = signer
        self.v = v
        self.r = r
        self.s = s
    }

    var rsv: [UInt8] { try! Hex.decode(r) + Hex.decode(s) + [v] }
}

@Suite struct PersonalMessageTests {
    @Test(arguments: SampleMessage.allCases)
    func messageHash(_ message: SampleMessage) {
        #expect(PersonalMessage.hash(message.bytes).hex == message.expectedHash)
    }

    @Test func textIsHashedAsUTF8() {
        #expect(PersonalMessage.hash(text: "I\u{2665}SF") == PersonalMessage.hash(SampleMessage.heartSF.bytes))
        #expect(PersonalMessage.prefix == [0x19] + Array("Ethereum Signed Message:\n".utf8))
    }

    static let ethAccountCases: [PersonalSignCase] = [
        PersonalSignCase(
            .key46, .empty, signer: "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F", v: 28,
            r: "0xff65394fc6cc70eee8e5ee1160dfa355a0484ad2988b65d01aee4bf58288958f",
            s: "0x082ce5e2c2d9d49130a2b1e8d01850cc00b0f17637f029570420e5a4a8d724fd"),
        PersonalSignCase(
            .key46, .helloWorld, signer: "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F", v: 27,
            r: "0x78dc245805f4363bd546a771502385e03c40995b13fbab75de9258c6515db8d9",
            s: "0x2e831df32c6898bc590d0fb69945a72f6e31f1a70a325bf047ff5d557b1542ff"),
        PersonalSignCase(
            .key46, .heartSF, signer: "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F", v: 27,
            r: "0xca24e15c38c87c89018adc729687a301b34b95479381dfb413370cd653f4ca72",
            s: "0x4552e6ead79bb069d79511347896ce0847fc126299115feb1b03806e4988cd09"),
        PersonalSignCase(
            .key46, .payment98, signer: "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F", v: 27,
            r: "0xd0e05188bc29bd6f33f02eb6a6c70ad44cf4d61ddca13c3f2d760f769eb7161d",
            s: "0x2f6ef062a0c8eb1625b8b80d3ed11beca124907e91c0153224678758815c3307"),
        PersonalSignCase(
            .key46, .allBytes, signer: "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F", v: 28,
            r: "0x6f5d65f05ec1e2b3f1b4d80057a0fec81ef3a0b50db273fd583c0d8c12949800",
            s: "0x42ee30de8da0367f71501c1b56494f96d20282dd390511b10a02abfd02d28141"),
        PersonalSignCase(
            .key46, .zeros1000, signer: "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F", v: 28,
            r: "0x70b457a03f3042c86cf296bf26969d1b59fd834a4d33750c47ee40780ade6daf",
            s: "0x1d8878982448950b6db2b87f26c685206fea9b2fa342ffc2161fd05f37565e79"),
        PersonalSignCase(
            .keyOne, .empty, signer: "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf", v: 27,
            r: "0x0ac02a3eb3039b7a3ebb6a35f1e0dd31a4ed51781205a2c193354752a25edad5",
            s: "0x0593868baf38c519b78bdc61a23c3f55e058c29f8b83d79ae48cc47d931afaed"),
        PersonalSignCase(
            .keyOne, .helloWorld, signer: "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf", v: 28,
            r: "0xb2f2fc7c6a8cba85f3467fbd736a26661b81912ce0734edc6dbdc5fa08f1fc93",
            s: "0x4b5844407e3c35ed0f2735b4ccb5660b3452f3738be82fa4ace9873220c43e15"),
        PersonalSignCase(
            .keyOne, .heartSF, signer: "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf", v: 27,
            r: "0x91980f9c86b486cd6c1df055764e629f120633793e544b1e884478567df2bdd2",
            s: "0x33c8c98c4743a80175a007a0ea373ec59e1860951e56ac478400f8d35cac3853"),
        PersonalSignCase(
            .keyOne, .payment98, signer: "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf", v: 27,
            r: "0x1b556bf3e34a81edc5b9dcbaae51869066218e2a568bedd31ffa94cf1d137834",
            s: "0x03d1a664665d6a8d744102adfa1bf4909ddcf83ec97cdce27d1a18492d257f52"),
        PersonalSignCase(
            .keyOne, .allBytes, signer: "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf", v: 28,
            r: "0x74088259d7c488c344d5cbe3d9a717705ecf3f2792c14de83b47a9cb3c207b63",
            s: "0x08660dbd089e5b25a1d398d9815fb68a6f8a2f6abfa06cc21d4e342119d9bbd5"),
        PersonalSignCase(
            .keyOne, .zeros1000, signer: "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf", v: 28,
            r: "0xc8dfb367932e729de99747e5d458adc91d5bf1681e6c9d8a07a30c6414cee0b3",
            s: "0x7be9456e03cdea2b0f541aa911ffa9a47f30c8cbc29023d4eff98100f6a993a4"),
        PersonalSignCase(
            .keyFixed, .empty, signer: "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23", v: 27,
            r: "0x8a68b4e66cd2b575338e16069d7b65f6f67c7ceae8945dccf8cb7bdb06278d93",
            s: "0x3dd9c888f3444ca4698464079a067ad3cfffe96d493b8ecf56885169d0fdfe7d"),
        PersonalSignCase(
            .keyFixed, .helloWorld, signer: "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23", v: 28,
            r: "0x0d5df3f9681b000a5b3a1d4252803318136714deba10c578f9b33718ad9c816e",
            s: "0x5520a6f19168136aa11e38d691d28a422bce4be3bf290fdb8efe45cdaefb2025"),
        PersonalSignCase(
            .keyFixed, .heartSF, signer: "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23", v: 27,
            r: "0x87f6856afaa7684bc6ecccef96246c155da984e7889dbdda1ae59940bdab8e67",
            s: "0x6cd3055bd38ac073cd5710e3040f1ed08073ca026266caeb097213d52665c4c0"),
        PersonalSignCase(
            .keyFixed, .payment98, signer: "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23", v: 27,
            r: "0x83ee82c3ef2cf5bd409951e35dc38c65ac4955e618a58cb2ef06fcb64525191f",
            s: "0x3fc106e70bb8743ea5c0b9944f566d2198f4633cb4bd9d4f513b879b1c0d25c4"),
        PersonalSignCase(
            .keyFixed, .allBytes, signer: "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23", v: 28,
            r: "0x5d998d0c6677f5211e10b6f0ebdfa7a4a8cc49ac33fa3362244fa735477be1f3",
            s: "0x4b722577c241fc1c6ab6ef9be139ec46bafcd3a525b88d6a9c8e2dbc5c15a2fe"),
        PersonalSignCase(
            .keyFixed, .zeros1000, signer: "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23", v: 28,
            r: "0x03f573c34092a0740c423531ba9d26400f5b9f6503503e37e1518fc3296608eb",
            s: "0x2e4395c2f985a4ce38a040b7e7623cc667c4c897ab2033d013468cf43d608a21"),
    ]

    /// Signing reproduces eth-account's signature byte for byte (RFC 6979, low s, v 27/28).
    @Test(arguments: ethAccountCases)
    func signMatchesEthAccount(_ testCase: PersonalSignCase) {
        let signature = testCase.key.key.signPersonalMessage(testCase.message.bytes)
        #expect(signature.rsv == testCase.rsv)
        #expect(testCase.key.key.address.checksummed == testCase.signer)
    }

    /// Recovery gives eth-account's signer, with v as 27/28 and as 0/1.
    @Test(arguments: ethAccountCases)
    func recoverMatchesEthAccount(_ testCase: PersonalSignCase) throws {
        let signer = try PersonalMessage.recoverSigner(of: testCase.message.bytes, signature: testCase.rsv)
        #expect(signer.checksummed == testCase.signer)
        let zeroOne = Array(testCase.rsv.prefix(64)) + [testCase.v - 27]
        #expect(try PersonalMessage.recoverSigner(of: testCase.message.bytes, signature: zeroOne) == signer)
        #expect(try Signature(rsv: zeroOne).rsv == testCase.rsv)
    }

    /// The same signature over other bytes recovers some other address: the caller compares
    /// the recovered address with the one it expects.
    @Test func otherMessageRecoversAnotherAddress() throws {
        let testCase = Self.ethAccountCases[1]
        let other = try PersonalMessage.recoverSigner(of: Array("hello world!".utf8), signature: testCase.rsv)
        #expect(other.checksummed != testCase.signer)
    }

    @Test(arguments: [2, 3, 26, 29, 35, 36, 37, 255] as [UInt8])
    func otherVIsRefused(_ v: UInt8) {
        let rsv = Array(Self.ethAccountCases[0].rsv.prefix(64)) + [v]
        #expect(throws: MessageSignatureError.invalidV(v)) { try PersonalMessage.recoverSigner(of: [], signature: rsv) }
    }

    @Test(arguments: [0, 64, 66, 130] as [Int])
    func wrongLengthIsRefused(_ count: Int) {
        let bytes = [UInt8](repeating: 0x1b, count: count)
        #expect(throws: MessageSignatureError.wrongLength(count)) { try PersonalMessage.recoverSigner(of: [], signature: bytes) }
    }

    /// s' = n − s with the other parity is the same signature's malleable twin: libsecp256k1
    /// would recover the same signer from it, and it is refused.
    @Test func highSIsRefused() throws {
        let testCase = Self.ethAccountCases[0]
        let low = try Signature(rsv: testCase.rsv)
        let twin = Signature(r: low.r, s: Secp256k1.order - low.s, yParity: 1 - low.yParity)
        let twinBytes = low.r.bigEndianBytes + twin.s.bigEndianBytes + [27 + twin.yParity]
        #expect(throws: MessageSignatureError.highS) { try Signature(rsv: twinBytes) }
        #expect(throws: MessageSignatureError.highS) {
            try PersonalMessage.recoverSigner(of: testCase.message.bytes, signature: twinBytes)
        }
        #expect(throws: MessageSignatureError.highS) {
            try PersonalMessage.recoverSigner(of: testCase.message.bytes, signature: twin)
        }
        // The twin really is valid ECDSA: only the low-s rule rejects it.
        #expect(try twin.recoverAddress(digest: PersonalMessage.hash(testCase.message.bytes)).checksummed == testCase.signer)
        // Exactly n/2 is still low.
        let half = Secp256k1.halfOrder.bigEndianBytes
        #expect(try Signature(rsv: low.r.bigEndianBytes + half + [27]).s == Secp256k1.halfOrder)
    }

    @Test func outOfRangeIsRefused() {
        let s = Array(Self.ethAccountCases[0].rsv[32..<64])
        let r = Array(Self.ethAccountCases[0].rsv[0..<32])
        for bad in [[UInt8](repeating: 0, count: 32), Secp256k1.order.bigEndianBytes, UInt256.max.bigEndianBytes] {
            #expect(throws: MessageSignatureError.outOfRange) { try Signature(rsv: bad + s + [27]) }
            #expect(throws: MessageSignatureError.outOfRange) { try Signature(rsv: r + bad + [27]) }
        }
    }

    /// Keys and messages drawn at random sign and recover to the key's own address.
    @Test func signAndRecoverRoundTrip() throws {
        var rng = SeededGenerator(seed: 191)
        for _ in 0..<200 {
            let key = PrivateKey.random()
            let message = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let signature = key.signPersonalMessage(message)
            #expect(signature.s <= Secp256k1.halfOrder)
            #expect(signature.rsv.count == 65)
            #expect(try PersonalMessage.recoverSigner(of: message, signature: signature.rsv) == key.address)
        }
    }
}
