import ArgumentParser
import Foundation
import GatewayDomain
import GatewayStore
import HummingbirdBcrypt

/// `gateway user create`: a person who signs in to the web console, printed as JSON (without
/// the password, which is read from a file and stored only as a bcrypt hash).
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage the web console's users.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a console user and print it as JSON.",
            discussion: """
                An operator sees every merchant, the networks, balances and queues, and refunds for none; a merchant user \
                sees and acts for its merchant only. The password is the first line of --password-file (at least 12 \
                characters, at most 72 bytes); it never appears on the command line, in logs or in the database.
                """)

        @OptionGroup var database: DatabaseOptions
        @Option(help: "The user's email, used to sign in.") var email: String
        @Option(help: "operator or merchant.") var role: String
        @Option(help: "The merchant (mer_…) of a merchant user.") var merchant: String?
        @Option(help: "A file whose first line is the password (- reads standard input).") var passwordFile: String

        func run() async throws {
            guard let role = ConsoleUser.Role(rawValue: role) else { throw CLIError("--role is operator or merchant, got '\(role)'") }
            let password = try readPassword()
            let email: String
            do throws(ConsoleCredentials.Problem) {
                email = try ConsoleCredentials.check(email: self.email, password: password, role: role, merchantId: merchant)
            } catch {
                throw CLIError(error.description)
            }
            let hash = Bcrypt.hash(password, cost: 12)
            try await database.withStore { client, _ in
                do {
                    let user = try await ConsoleStore(client: client).createUser(
                        email: email, role: role, merchantId: merchant, passwordHash: hash)
                    let json = JSONObject([
                        "id": .string(user.id), "object": .string("user"), "email": .string(user.email),
                        "role": .string(user.role.rawValue), "merchant": user.merchantId.map(JSONValue.string),
                    ])
                    print(JSONValue.object(json).serialized)
                } catch let error as RequestError {
                    throw CLIError(error.message)
                }
            }
        }

        func readPassword() throws -> String {
            let data: Data
            if passwordFile == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                guard let read = FileManager.default.contents(atPath: passwordFile) else {
                    throw CLIError("cannot read --password-file \(passwordFile)")
                }
                data = read
            }
            guard let text = String(data: data, encoding: .utf8) else { throw CLIError("--password-file is not UTF-8") }
            return String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                .trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
        }
    }
}
