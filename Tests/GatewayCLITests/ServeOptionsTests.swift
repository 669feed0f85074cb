import Foundation
import TestSupport
import Testing

/// `gateway serve --hot-wallet-threshold`: a malformed or impossible threshold stops the
/// command before it connects to anything, with a message naming what is wrong.
@Suite struct ServeOptionsTests {
    @Test(
        arguments: [
            ("polygon:USDC:warn=1", "level 'warn' is neither warning nor critical"),
            ("polygon:USDC=1", "is not NETWORK:TOKEN:LEVEL=AMOUNT"),
            ("polygon:USDC:warning=-5", "amount -5 is negative"),
            ("polygon:USDC:warning=1e3", "is not a plain decimal number"),
            // Checked once the served networks are known (here: sepolia alone).
            ("polygon:USDC:warning=1", "for polygon, which is not served (served: sepolia)"),
            ("sepolia:DAI:warning=1", "for DAI on sepolia, which lists native, USDC"),
            ("sepolia:USDC:warning=0.0000001", "has more than 6 decimal places"),
            ("sepolia:native:critical=100", "sepolia:native: warning is below critical"),
        ])
    func refusedThresholds(value: String, message: String) throws {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasSuffix("_RPC_URLS") }
        environment["SEPOLIA_RPC_URLS"] = "http://127.0.0.1:9"
        let result = try runProcess(Paths.gatewayBinary, ["serve", "--hot-wallet-threshold", value], environment: environment)
        #expect(result.status != 0)
        #expect(result.stderr.contains("--hot-wallet-threshold: "), "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}
