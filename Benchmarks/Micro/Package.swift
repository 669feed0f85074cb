// swift-tools-version: 6.1
import PackageDescription

// Micro-benchmarks of the gateway's hot paths (package-benchmark: percentiles, allocation counts,
// saved baselines), each beside the limit it is compared with, and the monitor's end-to-end RPC
// calls per block. A package of its own so that the main package and CI never build it; it uses
// the main package's products by path. Run through Scripts/bench, or here:
//   swift package benchmark                       (every benchmark)
//   swift package benchmark --target Decoding     (one target)
//   swift run -c release MonitorBench             (needs DATABASE_URL and the built gateway)
let package = Package(
    name: "gateway-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "stablecoin-gateway", path: "../.."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // OpenSSL's libcrypto: SHA3-256, the limit for Keccak-256 (the same permutation).
        .systemLibrary(
            name: "COpenSSLCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // Keccak-256 vs OpenSSL SHA3-256; EIP-1559 signing with sender recovery vs raw libsecp256k1.
        .executableTarget(
            name: "Primitives",
            dependencies: [
                .product(name: "EthereumCore", package: "stablecoin-gateway"), "COpenSSLCrypto",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/Primitives",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Transfer logs of an eth_getLogs answer decoded and filtered: the byte decoders and the
        // Foundation ones (web3.py and orjson on the same answer are measured by Benchmarks/decode_peers.py).
        .executableTarget(
            name: "Decoding",
            dependencies: [
                .product(name: "ChainRPC", package: "stablecoin-gateway"),
                .product(name: "EthereumCore", package: "stablecoin-gateway"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/Decoding",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Matching transfers to payment sessions: PaymentMatch.decide and SessionLedger, in memory.
        .executableTarget(
            name: "Matching",
            dependencies: [
                .product(name: "GatewayDomain", package: "stablecoin-gateway"),
                .product(name: "EthereumCore", package: "stablecoin-gateway"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/Matching",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // RPC calls per new block by watched addresses, through the built `gateway monitor`, the
        // devchain, the fault proxy (which counts calls) and the private Postgres.
        .executableTarget(
            name: "MonitorBench",
            dependencies: [
                .product(name: "ChainRPC", package: "stablecoin-gateway"),
                .product(name: "EthereumCore", package: "stablecoin-gateway"),
            ],
            path: "MonitorBench"
        ),
    ],
    swiftLanguageModes: [.v6]
)
