import ArgumentParser
import EthereumCore
import Foundation
import Keystore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `gateway keystore`: create, import and check encrypted key files (Web3 Secret Storage
/// version 3, the format of geth and ethers). Results go to standard output as one line or
/// one JSON object; errors go to standard error with a non-zero exit status. Neither ever
/// shows a passphrase or a private key.
struct KeystoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keystore",
        abstract: "Encrypted key files (Web3 Secret Storage v3, as written by geth and ethers).",
        discussion: "Passphrases are read from files: the passphrase is the file's content with one trailing "
            + "newline (\\n or \\r\\n) removed and nothing else trimmed.",
        subcommands: [New.self, Import.self, Inspect.self]
    )

    /// The options shared by the commands that write a keystore.
    struct WriteOptions: ParsableArguments {
        @Option(
            help: ArgumentHelp(
                "Where to write the keystore file. It must not exist yet; it is created with mode 0600.",
                valueName: "FILE"))
        var out: String

        @Option(
            help: ArgumentHelp(
                "File holding the passphrase (one trailing newline is removed; it must not be empty).",
                valueName: "FILE"))
        var passphraseFile: String

        @Option(
            help: ArgumentHelp(
                "scrypt cost n: a power of two from 1024 to \(KeystoreCommand.maxScryptN) (r=8, p=1). "
                    + "The default, 262144, is geth's standard (about a second and 256 MiB); "
                    + "lower values are faster and weaker, meant for tests.",
                valueName: "N"))
        var scryptN: Int = 262_144

        func validate() throws {
            guard scryptN >= 1024, scryptN <= KeystoreCommand.maxScryptN, scryptN & (scryptN - 1) == 0 else {
                throw ValidationError(
                    "--scrypt-n must be a power of two from 1024 to \(KeystoreCommand.maxScryptN), got \(scryptN)")
            }
        }
    }

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a random private key and write it to a new keystore file.",
            discussion: #"Prints {"address":"0x<checksummed>","file":"<path>"}."#)

        @OptionGroup var options: WriteOptions

        func run() throws {
            try KeystoreCommand.writeKeystore(PrivateKey.random(), options: options)
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Encrypt an existing private key into a new keystore file.",
            discussion: #"Prints {"address":"0x<checksummed>","file":"<path>"}."#)

        @Option(
            help: ArgumentHelp(
                "File holding the private key as 0x + 64 hex digits (a trailing newline is fine).",
                valueName: "FILE"))
        var privateKeyFile: String

        @OptionGroup var options: WriteOptions

        func run() throws {
            try KeystoreCommand.writeKeystore(try loadPrivateKey(privateKeyFile), options: options)
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decrypt a keystore file and print the checksummed address of its key.",
            discussion: "Exits non-zero when the passphrase is wrong or the file is malformed. Reads version-3 "
                + "files (scrypt or PBKDF2) and legacy version-1 files. An empty passphrase is allowed here.")

        @Option(help: ArgumentHelp("The keystore file.", valueName: "FILE"))
        var file: String

        @Option(
            help: ArgumentHelp(
                "File holding the passphrase (one trailing newline is removed).", valueName: "FILE"))
        var passphraseFile: String

        func run() throws {
            let passphrase = try KeystoreCommand.readPassphrase(passphraseFile, allowEmpty: true)
            guard let json = FileManager.default.contents(atPath: file) else {
                throw CLIError("cannot read keystore file \(file)")
            }
            do {
                print(try Keystore.decrypt(json: json, passphrase: passphrase).address.checksummed)
            } catch {
                throw CLIError("\(file): \(error)")
            }
        }
    }

    /// The largest `--scrypt-n` with r=8 that stays within the reader's memory limit.
    static let maxScryptN = min(Keystore.Limits.maxScryptN, Keystore.Limits.maxScryptMemoryBytes / (128 * 8))

    /// The passphrase in `path`: its content minus one trailing `\n` or `\r\n`, as UTF-8.
    static func readPassphrase(_ path: String, allowEmpty: Bool) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read passphrase file \(path)")
        }
        var bytes = [UInt8](data)
        if bytes.last == 0x0A {
            bytes.removeLast()
            if bytes.last == 0x0D { bytes.removeLast() }
        }
        guard let passphrase = String(validating: bytes, as: UTF8.self) else {
            throw CLIError("passphrase file \(path) is not valid UTF-8")
        }
        if passphrase.isEmpty && !allowEmpty {
            throw CLIError("passphrase file \(path) is empty; a new keystore needs a non-empty passphrase")
        }
        return passphrase
    }

    /// Encrypts `key` and writes it to `options.out` (mode 0600, never overwriting), then
    /// prints the address and path as one JSON object.
    static func writeKeystore(_ key: PrivateKey, options: WriteOptions) throws {
        let path = options.out
        // Fail before the slow key derivation when the target is already taken.
        guard !FileManager.default.fileExists(atPath: path) else {
            throw CLIError("\(path) already exists; refusing to overwrite it")
        }
        let passphrase = try readPassphrase(options.passphraseFile, allowEmpty: false)
        let json: Data
        do {
            json = try Keystore.encrypt(key, passphrase: passphrase, kdf: .scrypt(n: options.scryptN, r: 8, p: 1))
        } catch {
            throw CLIError("cannot encrypt the key: \(error)")
        }
        try createExclusively(path, contents: json)

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let line = try encoder.encode(["address": key.address.checksummed, "file": path])
        print(String(decoding: line, as: UTF8.self))
    }

    /// Creates `path` with mode 0600 and writes `contents`; fails if the file exists
    /// (O_EXCL, so a file created in the meantime is not overwritten either).
    static func createExclusively(_ path: String, contents: Data) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw CLIError("cannot create \(path): \(reason)")
        }
        var failure: String? = nil
        if fchmod(descriptor, 0o600) != 0 { failure = String(cString: strerror(errno)) }
        if failure == nil {
            let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: false)
            do {
                try handle.write(contentsOf: contents)
                try handle.synchronize()
            } catch {
                failure = "\(error)"
            }
        }
        if close(descriptor) != 0 && failure == nil { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(path)
            throw CLIError("cannot write \(path): \(failure)")
        }
    }
}
