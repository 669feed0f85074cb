// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "stablecoin-gateway",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "gateway", targets: ["GatewayCLI"]),
        .library(name: "EthereumCore", targets: ["EthereumCore"]),
        .library(name: "Keystore", targets: ["Keystore"]),
        .library(name: "ChainConfig", targets: ["ChainConfig"]),
        .library(name: "ChainRPC", targets: ["ChainRPC"]),
        .library(name: "GatewayDomain", targets: ["GatewayDomain"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // The HTTP layer; its default traits (swift-configuration support) are not needed.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // The console's sign-in: bcrypt password hashes, session middleware and storage.
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // RFC 4180 quoting of the accounting exports (GatewayStore/Exports).
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
    ],
    targets: [
        // libsecp256k1 from Debian (libsecp256k1-dev), with its recovery module.
        .systemLibrary(
            name: "CSecp256k1",
            pkgConfig: "libsecp256k1",
            providers: [.apt(["libsecp256k1-dev"])]
        ),
        // Pure Ethereum primitives and signing: no IO, no Foundation.
        .target(name: "EthereumCore", dependencies: ["CSecp256k1"]),
        // Web3 Secret Storage keystores (scrypt/PBKDF2/AES from swift-crypto).
        .target(
            name: "Keystore",
            dependencies: [
                "EthereumCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // Network definitions (Networks/*.json): chain ids, tokens, confirmation rules, providers.
        .target(name: "ChainConfig", dependencies: ["EthereumCore"]),
        // JSON-RPC client and provider pool: failover, health, head tracking, adaptive log ranges.
        .target(
            name: "ChainRPC",
            dependencies: [
                "EthereumCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // The chain monitor: block-driven Transfer scanning, reorgs, confirmations (store behind a protocol).
        .target(
            name: "ChainMonitor",
            dependencies: [
                "EthereumCore", "ChainRPC", "ChainConfig",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The Postgres store: adapters only (database plumbing and migrations, the monitor's store, the checkout's
        // stores, webhooks); every decision they persist is made in GatewayDomain.
        .target(
            name: "GatewayStore",
            dependencies: [
                "ChainMonitor", "EthereumCore", "GatewayDomain",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CSV", package: "CSV.swift"),
            ],
            resources: [.embedInCode("Database/Migrations")]
        ),
        // The gateway domain, pure: entities, session rules and state machine, matching, API representations,
        // webhook envelopes and signatures (no IO, no framework imports).
        .target(
            name: "GatewayDomain",
            dependencies: ["EthereumCore", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Webhook delivery: signed POSTs from the outbox, retried on a schedule, safe targets only.
        .target(
            name: "WebhookDelivery",
            dependencies: [
                "GatewayDomain", "GatewayStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // libqrencode from Debian (libqrencode-dev): QR codes on the checkout page.
        .systemLibrary(
            name: "CQRencode",
            pkgConfig: "libqrencode",
            providers: [.apt(["libqrencode-dev"])]
        ),
        // The HTTP layer: the merchant API, the hosted checkout page, OpenAPI, health.
        .target(
            name: "GatewayAPI",
            dependencies: [
                "GatewayDomain", "GatewayStore", "EthereumCore", "CQRencode", "WebhookDelivery",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            ],
            resources: [.embedInCode("Resources")]
        ),
        // The composition root shared by `gateway serve` and the tests: configuration, the stores, the
        // monitors under their advisory locks, the matcher and clock, webhook workers, the HTTP app.
        .target(
            name: "GatewayServer",
            dependencies: [
                "GatewayAPI", "GatewayStore", "GatewayDomain", "ChainMonitor", "ChainRPC", "ChainConfig", "WebhookDelivery",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The `gateway` executable: composes the modules above.
        .executableTarget(
            name: "GatewayCLI",
            dependencies: [
                "EthereumCore", "Keystore", "ChainConfig", "ChainRPC", "ChainMonitor", "GatewayStore", "GatewayDomain",
                "GatewayServer", "WebhookDelivery", "GatewayAPI",
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "ChainRPC", "EthereumCore", "GatewayStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "EthereumCoreTests",
            dependencies: ["EthereumCore", "CSecp256k1", "TestSupport", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(name: "KeystoreTests", dependencies: ["Keystore", "EthereumCore", "TestSupport"]),
        .testTarget(name: "ChainConfigTests", dependencies: ["ChainConfig", "EthereumCore", "TestSupport"]),
        .testTarget(name: "ChainRPCTests", dependencies: ["ChainRPC", "EthereumCore", "TestSupport"]),
        .testTarget(
            name: "ChainMonitorTests",
            dependencies: [
                "ChainMonitor", "ChainRPC", "ChainConfig", "EthereumCore", "GatewayStore", "TestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        // Needs a real Postgres: DATABASE_URL (Scripts/test starts Scripts/dev-postgres).
        .testTarget(
            name: "GatewayStoreTests",
            dependencies: [
                "GatewayStore", "ChainMonitor", "EthereumCore", "TestSupport", .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        // Needs the devchain and the fault proxy (Scripts/setup installs what they need).
        .testTarget(name: "ChainRPCIntegrationTests", dependencies: ["ChainRPC", "EthereumCore", "TestSupport"]),
        .testTarget(name: "GatewayDomainTests", dependencies: ["GatewayDomain", "EthereumCore"]),
        // Needs a real Postgres and the devchain, like the store's and the monitor's tests.
        .testTarget(
            name: "GatewayAPITests",
            dependencies: [
                "GatewayAPI", "GatewayServer", "GatewayStore", "GatewayDomain", "ChainConfig", "ChainMonitor", "ChainRPC",
                "EthereumCore", "TestSupport", "WebhookDelivery",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(name: "GatewayCLITests", dependencies: ["EthereumCore", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
