import ArgumentParser
import EthereumCore
import GatewayDomain
import GatewayServer

/// `gateway serve`'s refund options: the hot wallets to unlock, the limits and the fee rules.
struct RefundOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Directory of the hot wallets (`gateway wallet new`): refunds are signed there.", valueName: "DIR"))
    var keystoreDir: String?
    @Option(help: ArgumentHelp("File holding the hot wallets' passphrase.", valueName: "FILE")) var walletPassphraseFile: String?

    @Option(help: ArgumentHelp("Most one refund may return, in token units, or `none` (default 10000).", valueName: "UNITS"))
    var refundMax: String?
    @Option(help: ArgumentHelp("Most one merchant's refunds may return in any 24 hours, or `none` (default 50000).", valueName: "UNITS"))
    var refundDailyMerchant: String?
    @Option(help: ArgumentHelp("Most one hot wallet may send in any 24 hours, or `none` (default 100000).", valueName: "UNITS"))
    var refundDailyWallet: String?
    @Option(help: ArgumentHelp("Refunds above this wait for an admin's approval, or `none` (default 1000).", valueName: "UNITS"))
    var refundApprovalAbove: String?
    @Option(help: ArgumentHelp("Lowest tip offered on a network, in wei (repeatable).", valueName: "NETWORK=WEI"))
    var refundMinTip: [String] = []
    @Option(help: ArgumentHelp("Highest max fee per gas paid on a network, in wei (repeatable).", valueName: "NETWORK=WEI"))
    var refundMaxFee: [String] = []
    @Option(help: ArgumentHelp("Blocks before an unmined refund transaction is replaced (repeatable).", valueName: "NETWORK=BLOCKS"))
    var refundReplaceAfter: [String] = []
    @Option(help: ArgumentHelp("Seconds between re-sends of a waiting refund transaction (repeatable).", valueName: "NETWORK=SECONDS"))
    var refundResendAfter: [String] = []
    @Option(help: "The most refunds one pass of a hot wallet's sender signs (default 200).") var refundBatchSize = 200
    @Option(help: "Seconds after which a hot wallet sender's pass that has not ended is abandoned and started again (default 300).")
    var refundPassDeadline = 300
    @Option(
        help: ArgumentHelp(
            "A hot wallet's balance threshold in whole tokens (repeatable); TOKEN is native or a symbol, LEVEL warning or critical. "
                + "Default: native warns below gas for 50 refunds at the fee cap, critical below 10; tokens 0 (off).",
            valueName: "NETWORK:TOKEN:LEVEL=AMOUNT"))
    var hotWalletThreshold: [String] = []

    func configuration() throws -> RefundConfiguration {
        var configuration = RefundConfiguration()
        guard (1...10_000).contains(refundBatchSize) else { throw CLIError("--refund-batch-size is 1...10000") }
        configuration.batchSize = refundBatchSize
        guard (10...86_400).contains(refundPassDeadline) else { throw CLIError("--refund-pass-deadline is 10...86400 seconds") }
        configuration.passDeadline = .seconds(refundPassDeadline)
        var limits = configuration.limits
        limits.perRefund = try limit(refundMax, "--refund-max", default: limits.perRefund)
        limits.merchantDaily = try limit(refundDailyMerchant, "--refund-daily-merchant", default: limits.merchantDaily)
        limits.walletDaily = try limit(refundDailyWallet, "--refund-daily-wallet", default: limits.walletDaily)
        limits.approvalAbove = try limit(refundApprovalAbove, "--refund-approval-above", default: limits.approvalAbove)
        configuration.limits = limits
        configuration.thresholdSettings = try hotWalletThreshold.map { entry in
            do throws(ThresholdError) {
                return try HotWalletThresholds.Setting.parse(entry)
            } catch {
                throw CLIError("--hot-wallet-threshold: \(error)")
            }
        }
        func change(_ network: String, _ body: (inout RefundFeePolicy) -> Void) {
            var policy = configuration.feePolicy(network: network)
            body(&policy)
            configuration.feePolicies[network] = policy
        }
        for (network, value) in try pairs(refundMinTip, "--refund-min-tip") { change(network) { $0.minTip = value } }
        for (network, value) in try pairs(refundMaxFee, "--refund-max-fee") { change(network) { $0.maxFee = value } }
        for (network, value) in try pairs(refundReplaceAfter, "--refund-replace-after") {
            guard let blocks = value.uint64, (1...10_000).contains(blocks) else {
                throw CLIError("--refund-replace-after is 1...10000 blocks")
            }
            change(network) { $0.replaceAfterBlocks = blocks }
        }
        for (network, value) in try pairs(refundResendAfter, "--refund-resend-after") {
            guard let seconds = value.uint64, (1...86_400).contains(seconds) else { throw CLIError("--refund-resend-after is 1...86400 s") }
            change(network) { $0.resendSeconds = Int64(seconds) }
        }
        return configuration
    }

    func limit(_ text: String?, _ flag: String, default value: UnitAmount?) throws -> UnitAmount? {
        guard let text else { return value }
        if text == "none" { return nil }
        guard let amount = UnitAmount(decimal: text) else { throw CLIError("\(flag) is a decimal amount in token units, or none") }
        return amount
    }

    func pairs(_ entries: [String], _ flag: String) throws -> [(String, UInt256)] {
        try entries.map { entry in
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty, let value = try? UInt256(decimal: parts[1]) else {
                throw CLIError("\(flag) takes NETWORK=INTEGER, got '\(entry.prefix(60))'")
            }
            return (String(parts[0]), value)
        }
    }

    /// The hot wallets of the served networks, unlocked (none without --keystore-dir).
    func unlockWallets(networks: [String]) throws -> [HotWallet] {
        guard let keystoreDir else {
            guard walletPassphraseFile == nil else { throw CLIError("--wallet-passphrase-file needs --keystore-dir") }
            return []
        }
        guard let walletPassphraseFile else { throw CLIError("--keystore-dir needs --wallet-passphrase-file") }
        let passphrase = try KeystoreCommand.readPassphrase(walletPassphraseFile, allowEmpty: true)
        return try WalletFiles.unlock(directory: keystoreDir, passphrase: passphrase, networks: networks)
    }
}
