import Benchmark
import COpenSSLCrypto
import CSecp256k1
import EthereumCore

// Keccak-256 against OpenSSL's SHA3-256 (the same Keccak-f[1600] permutation, another padding:
// the limit), and EIP-1559 signing with the sender recovered against raw libsecp256k1
// sign + recover of the same digest (the limit: the curve arithmetic alone). Each iteration
// hashes or signs a batch, named in the benchmark's name (x1000 = 1,000 operations), so that
// Benchmarks/micro_results.py can turn the p50 wall clock into rates and ratios.

/// A libsecp256k1 context for the raw limit (immutable after creation, as the library allows).
nonisolated(unsafe) let rawContext = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE))!

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal], warmupIterations: 3, maxDuration: .seconds(2), maxIterations: 100_000)

    for (label, size, batch) in [("64 B", 64, 1_000), ("1 KiB", 1_024, 100), ("1 MiB", 1 << 20, 1)] {
        let input = [UInt8](repeating: 0xa5, count: size)
        Benchmark("Keccak-256 \(label) x\(batch)") { _ in
            for _ in 0..<batch { blackHole(Keccak256.hash(input)) }
        }
        Benchmark("OpenSSL SHA3-256 \(label) x\(batch)") { _ in
            var digest = [UInt8](repeating: 0, count: 32)
            var length: UInt32 = 0
            for _ in 0..<batch {
                _ = EVP_Digest(input, size, &digest, &length, EVP_sha3_256(), nil)
                blackHole(digest)
            }
        }
    }

    let key = try! PrivateKey(hex: "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
    let transaction = Transaction(
        type: .dynamicFee, chainId: 137, nonce: 42, maxPriorityFeePerGas: 30_000_000_000, maxFeePerGas: 120_000_000_000,
        gasLimit: 65_000, to: try! Address("0xc2132D05D31c914a87C6611C10748AEb04B58e8F"),
        data: ERC20.transferCallData(to: try! Address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"), amount: 1_500_000))
    let signer = key.address
    precondition(try! transaction.signed(with: key).sender() == signer, "the signature recovers to the signer")

    Benchmark("EIP-1559 sign + recover x100") { benchmark in
        for _ in 0..<100 {
            let signed = transaction.signed(with: key)
            guard (try? signed.sender()) == signer else { return benchmark.error("the sender did not recover") }
            blackHole(signed)
        }
    }

    let secret = key.secretBytes
    let digest = transaction.signingHash.bytes
    Benchmark("libsecp256k1 sign + recover x100") { _ in
        for _ in 0..<100 {
            var signature = secp256k1_ecdsa_recoverable_signature()
            _ = secp256k1_ecdsa_sign_recoverable(rawContext, &signature, digest, secret, nil, nil)
            var publicKey = secp256k1_pubkey()
            _ = secp256k1_ecdsa_recover(rawContext, &publicKey, &signature, digest)
            blackHole(publicKey)
        }
    }
}
