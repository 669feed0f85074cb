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

    /// The pools and the sender's pass deadline: out-of-range values stop the command at once.
    @Test(
        arguments: [
            (["--database-pool-size", "0"], "--database-pool-size is 1...1000"),
            (["--database-pool-size", "1001"], "--database-pool-size is 1...1000"),
            // One network (sepolia): its two locks and the change listener hold three connections.
            (["--database-background-pool-size", "3"], "--database-background-pool-size is 4...1000 for 1 network"),
            (["--refund-pass-deadline", "9"], "--refund-pass-deadline is 10...86400 seconds"),
            (["--database-statement-timeout", "0"], "--database-statement-timeout is 1...3600 seconds"),
            (["--database-lock-timeout", "3601"], "--database-lock-timeout is 1...3600 seconds"),
            (["--database-idle-in-transaction-timeout", "100000"], "--database-idle-in-transaction-timeout is 1...3600 seconds"),
            (["--database-connect-timeout", "0"], "--database-connect-timeout is 1...3600 seconds"),
        ])
    func refusedPoolsAndDeadlines(arguments: [String], message: String) throws {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasSuffix("_RPC_URLS") }
        environment["SEPOLIA_RPC_URLS"] = "http://127.0.0.1:9"
        let result = try runProcess(Paths.gatewayBinary, ["serve"] + arguments, environment: environment)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}
