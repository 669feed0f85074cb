import ArgumentParser
import EthereumCore
import Foundation

/// `gateway eth`: Ethereum primitives for operators, in the style of foundry's `cast`.
/// Each command prints its result on one line (or one JSON object) and exits 0;
/// errors go to standard error with a non-zero exit status.
struct EthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eth",
        abstract: "Ethereum toolbox: hashing, addresses, transaction signing and decoding.",
        subcommands: [Keccak.self, Checksum.self, AddressOfKey.self, SignTx.self, DecodeTx.self, ERC20TransferData.self]
    )

    struct Keccak: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Keccak-256 of 0x-hex bytes, or of a text's UTF-8 bytes with --text.")

        @Argument(help: "Bytes as 0x-prefixed hex.") var hex: String?
        @Option(help: "Hash this text's UTF-8 bytes instead.") var text: String?

        func run() throws {
            switch (hex, text) {
            case (let hex?, nil):
                let bytes: [UInt8]
                do { bytes = try Hex.decode(hex, requirePrefix: true) } catch { throw CLIError("invalid hex input: \(error)") }
                print(Keccak256.hash(bytes).hex)
            case (nil, let text?):
                print(Keccak256.hash(text: text).hex)
            default:
                throw CLIError("give either 0x-hex bytes or --text <STRING>, not both")
            }
        }
    }

    struct Checksum: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The EIP-55 checksummed form of an address.")
        @Argument(help: "An address (any case; mixed case must already be a valid checksum).") var address: String

        func run() throws {
            do { print(try Address(address).checksummed) } catch { throw CLIError("\(error)") }
        }
    }

    struct AddressOfKey: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "address", abstract: "The address of a private key.")
        @Option(help: "File holding the 0x-hex private key (a trailing newline is fine).") var privateKeyFile: String

        func run() throws {
            print(try loadPrivateKey(privateKeyFile).address.checksummed)
        }
    }

    struct SignTx: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sign-tx",
            abstract: "Sign a transaction given as JSON; prints the raw signed transaction.",
            discussion: """
                JSON fields as in ethers' TransactionRequest: type (0 or 2; 1 also works), chainId, nonce, gasLimit,
                gasPrice (type 0) or maxFeePerGas and maxPriorityFeePerGas (type 2), to, value, data, accessList
                (type 2). Quantities may be JSON integers, decimal strings or 0x-hex strings. An absent quantity
                is zero, an absent `to` creates a contract, absent data is empty. Type 0 with a chainId is signed
                with EIP-155; with chainId 0 or none, without replay protection. Without `type`, the fields decide:
                gasPrice alone means type 0, otherwise type 2. Unknown fields are refused.
                """)

        @Option(help: "File holding the 0x-hex private key.") var privateKeyFile: String
        @Option(help: "The transaction as a JSON object.") var tx: String

        func run() throws {
            let key = try loadPrivateKey(privateKeyFile)
            let transaction = try TransactionRequest.parse(json: tx)
            print(Hex.encode(transaction.signed(with: key).raw))
        }
    }

    struct DecodeTx: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "decode-tx",
            abstract: "Decode a raw signed transaction (type 0, 1 or 2) and recover its sender; prints one JSON object.")
        @Argument(help: "The raw transaction as 0x-hex.") var raw: String

        func run() throws {
            let bytes: [UInt8]
            do { bytes = try Hex.decode(raw, requirePrefix: true) } catch { throw CLIError("invalid raw transaction hex: \(error)") }
            let signed: SignedTransaction
            let sender: Address
            do {
                signed = try SignedTransaction.decode(raw: bytes)
                sender = try signed.sender()
            } catch {
                throw CLIError("cannot decode transaction: \(error)")
            }
            print(try TransactionRequest.json(of: signed, from: sender))
        }
    }

    struct ERC20TransferData: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "erc20-transfer-data", abstract: "Call data for ERC-20 transfer(to, amount).")
        @Option(help: "Recipient address.") var to: String
        @Option(help: "Amount in the token's base units (decimal or 0x-hex integer).") var amount: String

        func run() throws {
            let recipient: Address
            do { recipient = try Address(to) } catch { throw CLIError("--to: \(error)") }
            let units: UInt256
            do { units = try UInt256(parsing: amount) } catch { throw CLIError("--amount must be a whole number of base units: \(error)") }
            print(Hex.encode(ERC20.transferCallData(to: recipient, amount: units)))
        }
    }
}

/// Reads a private key file. The error never repeats the file's content.
func loadPrivateKey(_ path: String) throws -> PrivateKey {
    guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read private key file \(path)") }
    do {
        return try PrivateKey(hex: String(decoding: data, as: UTF8.self))
    } catch {
        throw CLIError("private key file \(path): \(error)")
    }
}
