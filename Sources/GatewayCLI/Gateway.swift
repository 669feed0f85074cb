import ArgumentParser

/// The `gateway` command: the operator's entry point to every part of the product.
@main
struct Gateway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Self-hosted stablecoin payment gateway and chain monitor.",
        subcommands: [
            ServeCommand.self, MerchantCommand.self, APIKeyCommand.self, WebhookCommand.self, WalletCommand.self, EthCommand.self,
            KeystoreCommand.self, ChainCommand.self,
            MigrateCommand.self, MonitorCommand.self, ScanCommand.self, StatusCommand.self, UserCommand.self,
            ExportCommand.self,
        ]
    )
}

/// A failure reported to the operator on standard error, with a non-zero exit status.
/// Its message must never contain key material or passphrases.
struct CLIError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}
