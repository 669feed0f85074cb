import Testing

@testable import GatewayDomain

/// Who may see and act for which merchant in the console, and which credentials are accepted.
struct ConsoleUserTests {
    static let owner = ConsoleUser(id: "usr_a", email: "a@shop.example", role: .merchant, merchantId: "mer_A")
    static let operatorUser = ConsoleUser(id: "usr_o", email: "o@gateway.example", role: .operations, merchantId: nil)

    @Test(arguments: [
        (owner, "mer_A", true, true),
        (owner, "mer_B", false, false),
        (owner, "", false, false),
        (operatorUser, "mer_A", true, false),
        (operatorUser, "mer_B", true, false),
    ])
    func access(user: ConsoleUser, merchant: String, view: Bool, act: Bool) {
        #expect(user.canView(merchantId: merchant) == view)
        #expect(user.canAct(for: merchant) == act)
    }

    @Test(
        arguments: [
            (owner, nil, "mer_A"),
            (owner, "mer_B", "mer_A"),
            (operatorUser, nil, nil),
            (operatorUser, "mer_B", "mer_B"),
        ] as [(ConsoleUser, String?, String?)])
    func listScope(user: ConsoleUser, requested: String?, scope: String?) {
        #expect(user.merchantScope(requested: requested) == scope)
    }

    @Test(
        arguments: [
            (" Owner@Shop.Example ", "owner@shop.example"),
            ("a@b.co", "a@b.co"),
            ("", nil),
            ("a@b", nil),
            ("@b.co", nil),
            ("a@.co", nil),
            ("a@co.", nil),
            ("a@@b.co", nil),
            ("a b@c.co", nil),
            ("a\u{0}@b.co", nil),
            ("<a>@b.co", nil),
            (String(repeating: "a", count: 250) + "@b.co", nil),
        ] as [(String, String?)])
    func emails(text: String, normalized: String?) {
        #expect(ConsoleCredentials.normalizedEmail(text) == normalized)
    }

    @Test(
        arguments: [
            ("a@b.co", "twelve chars", ConsoleUser.Role.operations, nil, nil),
            ("a@b.co", "eleven char", .operations, nil, ConsoleCredentials.Problem.passwordTooShort(minimum: 12)),
            ("a@b.co", String(repeating: "p", count: 73), .operations, nil, .passwordTooLong(maximum: 72)),
            ("a@b.co", String(repeating: "é", count: 37), .operations, nil, .passwordTooLong(maximum: 72)),
            ("a@b.co", "twelve\u{0}chars", .operations, nil, .passwordHasNUL),
            ("nope", "twelve chars", .operations, nil, .emailInvalid),
            ("a@b.co", "twelve chars", .merchant, nil, .merchantRequired),
            ("a@b.co", "twelve chars", .operations, "mer_A", .merchantNotAllowed),
            ("a@b.co", "twelve chars", .merchant, "mer_A", nil),
        ] as [(String, String, ConsoleUser.Role, String?, ConsoleCredentials.Problem?)])
    func credentials(email: String, password: String, role: ConsoleUser.Role, merchant: String?, problem: ConsoleCredentials.Problem?) {
        do throws(ConsoleCredentials.Problem) {
            let normalized = try ConsoleCredentials.check(email: email, password: password, role: role, merchantId: merchant)
            #expect(problem == nil)
            #expect(normalized == "a@b.co")
        } catch {
            #expect(error == problem)
        }
    }

    @Test func rolesAreStoredByTheirNames() {
        #expect(ConsoleUser.Role.allCases.map(\.rawValue) == ["operator", "merchant"])
    }

    @Test func sessionKeysAreStoredAsTheirSHA256() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        #expect(
            ConsoleSessionKey.digest("abc").map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
                .joined() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
