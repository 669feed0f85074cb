/// Keccak-256 as Ethereum uses it: rate 136 bytes, capacity 512 bits, and the original
/// Keccak padding (0x01 ... 0x80), which differs from FIPS-202 SHA3-256 (0x06 ... 0x80).
///
/// Use ``hash(_:)`` for one-shot hashing, or ``update(_:)`` and ``finalize()`` to hash
/// input that arrives in pieces.
public struct Keccak256: Sendable {
    /// Bytes absorbed per permutation.
    public static let rate = 136

    private var state = [UInt64](repeating: 0, count: 25)
    private var pending = [UInt8](repeating: 0, count: Keccak256.rate)
    private var pendingCount = 0

    public init() {}

    /// The Keccak-256 digest of `bytes`.
    public static func hash(_ bytes: some Sequence<UInt8>) -> Bytes32 {
        var hasher = Keccak256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The Keccak-256 digest of the UTF-8 bytes of `text`.
    public static func hash(text: String) -> Bytes32 {
        hash(Array(text.utf8))
    }

    /// Absorbs more input.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            self.update(UnsafeRawBufferPointer(buffer))
        }
        if done == nil {
            let copy = Array(bytes)
            copy.withUnsafeBytes { self.update($0) }
        }
    }

    /// Absorbs more input from raw memory.
    public mutating func update(_ input: UnsafeRawBufferPointer) {
        var offset = 0
        let count = input.count
        if pendingCount > 0 {
            let take = min(Keccak256.rate - pendingCount, count)
            for i in 0..<take { pending[pendingCount + i] = input[i] }
            pendingCount += take
            offset = take
            if pendingCount < Keccak256.rate { return }
            pending.withUnsafeBytes { absorbBlock($0.baseAddress!) }
            pendingCount = 0
        }
        while count - offset >= Keccak256.rate {
            absorbBlock(input.baseAddress! + offset)
            offset += Keccak256.rate
        }
        let rest = count - offset
        for i in 0..<rest { pending[i] = input[offset + i] }
        pendingCount = rest
    }

    /// Pads, squeezes and returns the 32-byte digest. The hasher is left unchanged, so
    /// more input may still be absorbed after this call.
    public func finalize() -> Bytes32 {
        var copy = self
        for i in copy.pendingCount..<Keccak256.rate { copy.pending[i] = 0 }
        copy.pending[copy.pendingCount] ^= 0x01
        copy.pending[Keccak256.rate - 1] ^= 0x80
        copy.pending.withUnsafeBytes { copy.absorbBlock($0.baseAddress!) }
        return Bytes32(
            copy.state[0].byteSwapped, copy.state[1].byteSwapped,
            copy.state[2].byteSwapped, copy.state[3].byteSwapped)
    }

    @inline(__always)
    private mutating func absorbBlock(_ block: UnsafeRawPointer) {
        state.withUnsafeMutableBufferPointer { lanes in
            let s = lanes.baseAddress!
            for i in 0..<(Keccak256.rate / 8) {
                s[i] ^= UInt64(littleEndian: block.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
            }
            Keccak256.permute(s)
        }
    }

    @inline(__always)
    private static func rotl(_ value: UInt64, _ n: UInt64) -> UInt64 {
        (value &<< n) | (value &>> (64 &- n))
    }

    /// Keccak-f[1600]: 24 rounds of theta, rho, pi, chi and iota over lanes `a<x><y>`,
    /// kept in locals so that the compiler can hold them in registers.
    static func permute(_ state: UnsafeMutablePointer<UInt64>) {
        roundConstants.withUnsafeBufferPointer { roundConstants in
            var a00 = state[0]
            var a10 = state[1]
            var a20 = state[2]
            var a30 = state[3]
            var a40 = state[4]
            var a01 = state[5]
            var a11 = state[6]
            var a21 = state[7]
            var a31 = state[8]
            var a41 = state[9]
            var a02 = state[10]
            var a12 = state[11]
            var a22 = state[12]
            var a32 = state[13]
            var a42 = state[14]
            var a03 = state[15]
            var a13 = state[16]
            var a23 = state[17]
            var a33 = state[18]
            var a43 = state[19]
            var a04 = state[20]
            var a14 = state[21]
            var a24 = state[22]
            var a34 = state[23]
            var a44 = state[24]
            for round in 0..<24 {
                let c0 = a00 ^ a01 ^ a02 ^ a03 ^ a04
                let c1 = a10 ^ a11 ^ a12 ^ a13 ^ a14
                let c2 = a20 ^ a21 ^ a22 ^ a23 ^ a24
                let c3 = a30 ^ a31 ^ a32 ^ a33 ^ a34
                let c4 = a40 ^ a41 ^ a42 ^ a43 ^ a44
                let d0 = c4 ^ ((c1 &<< 1) | (c1 &>> 63))
                let d1 = c0 ^ ((c2 &<< 1) | (c2 &>> 63))
                let d2 = c1 ^ ((c3 &<< 1) | (c3 &>> 63))
                let d3 = c2 ^ ((c4 &<< 1) | (c4 &>> 63))
                let d4 = c3 ^ ((c0 &<< 1) | (c0 &>> 63))
                let b00 = (a00 ^ d0)
                let b13 = rotl((a01 ^ d0), 36)
                let b21 = rotl((a02 ^ d0), 3)
                let b34 = rotl((a03 ^ d0), 41)
                let b42 = rotl((a04 ^ d0), 18)
                let b02 = rotl((a10 ^ d1), 1)
                let b10 = rotl((a11 ^ d1), 44)
                let b23 = rotl((a12 ^ d1), 10)
                let b31 = rotl((a13 ^ d1), 45)
                let b44 = rotl((a14 ^ d1), 2)
                let b04 = rotl((a20 ^ d2), 62)
                let b12 = rotl((a21 ^ d2), 6)
                let b20 = rotl((a22 ^ d2), 43)
                let b33 = rotl((a23 ^ d2), 15)
                let b41 = rotl((a24 ^ d2), 61)
                let b01 = rotl((a30 ^ d3), 28)
                let b14 = rotl((a31 ^ d3), 55)
                let b22 = rotl((a32 ^ d3), 25)
                let b30 = rotl((a33 ^ d3), 21)
                let b43 = rotl((a34 ^ d3), 56)
                let b03 = rotl((a40 ^ d4), 27)
                let b11 = rotl((a41 ^ d4), 20)
                let b24 = rotl((a42 ^ d4), 39)
                let b32 = rotl((a43 ^ d4), 8)
                let b40 = rotl((a44 ^ d4), 14)
                a00 = b00 ^ (~b10 & b20)
                a10 = b10 ^ (~b20 & b30)
                a20 = b20 ^ (~b30 & b40)
                a30 = b30 ^ (~b40 & b00)
                a40 = b40 ^ (~b00 & b10)
                a01 = b01 ^ (~b11 & b21)
                a11 = b11 ^ (~b21 & b31)
                a21 = b21 ^ (~b31 & b41)
                a31 = b31 ^ (~b41 & b01)
                a41 = b41 ^ (~b01 & b11)
                a02 = b02 ^ (~b12 & b22)
                a12 = b12 ^ (~b22 & b32)
                a22 = b22 ^ (~b32 & b42)
                a32 = b32 ^ (~b42 & b02)
                a42 = b42 ^ (~b02 & b12)
                a03 = b03 ^ (~b13 & b23)
                a13 = b13 ^ (~b23 & b33)
                a23 = b23 ^ (~b33 & b43)
                a33 = b33 ^ (~b43 & b03)
                a43 = b43 ^ (~b03 & b13)
                a04 = b04 ^ (~b14 & b24)
                a14 = b14 ^ (~b24 & b34)
                a24 = b24 ^ (~b34 & b44)
                a34 = b34 ^ (~b44 & b04)
                a44 = b44 ^ (~b04 & b14)
                a00 ^= roundConstants[round]
            }
            state[0] = a00
            state[1] = a10
            state[2] = a20
            state[3] = a30
            state[4] = a40
            state[5] = a01
            state[6] = a11
            state[7] = a21
            state[8] = a31
            state[9] = a41
            state[10] = a02
            state[11] = a12
            state[12] = a22
            state[13] = a32
            state[14] = a42
            state[15] = a03
            state[16] = a13
            state[17] = a23
            state[18] = a33
            state[19] = a43
            state[20] = a04
            state[21] = a14
            state[22] = a24
            state[23] = a34
            state[24] = a44
        }
    }

    private static let roundConstants: [UInt64] = [
        0x0000_0000_0000_0001, 0x0000_0000_0000_8082, 0x8000_0000_0000_808A, 0x8000_0000_8000_8000,
        0x0000_0000_0000_808B, 0x0000_0000_8000_0001, 0x8000_0000_8000_8081, 0x8000_0000_0000_8009,
        0x0000_0000_0000_008A, 0x0000_0000_0000_0088, 0x0000_0000_8000_8009, 0x0000_0000_8000_000A,
        0x0000_0000_8000_808B, 0x8000_0000_0000_008B, 0x8000_0000_0000_8089, 0x8000_0000_0000_8003,
        0x8000_0000_0000_8002, 0x8000_0000_0000_0080, 0x0000_0000_0000_800A, 0x8000_0000_8000_000A,
        0x8000_0000_8000_8081, 0x8000_0000_0000_8080, 0x0000_0000_8000_0001, 0x8000_0000_8000_8008,
    ]
}
