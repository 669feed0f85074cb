import Foundation
import TestSupport
import Testing

@Suite struct KeystoreCommandTests {
    @Test func importThenInspectGivesTheKeysAddress() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-ks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = dir.appendingPathComponent("key")
        try Data("0x4646464646464646464646464646464646464646464646464646464646464646\n".utf8).write(to: key)
        let pass = dir.appendingPathComponent("pass")
        try Data("correct horse battery staple\n".utf8).write(to: pass)
        let wrong = dir.appendingPathComponent("wrong")
        try Data("correct horse battery stapler\n".utf8).write(to: wrong)
        let out = dir.appendingPathComponent("wallet.json")

        let imported = try gateway(
            "keystore", "import", "--private-key-file", key.path, "--out", out.path, "--passphrase-file", pass.path, "--scrypt-n", "1024")
        #expect(imported.status == 0, "\(imported.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(imported.stdout.utf8)) as? [String: String])
        #expect(object["address"] == "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F")
        let mode = try FileManager.default.attributesOfItem(atPath: out.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let contents = try String(contentsOf: out, encoding: .utf8)
        #expect(!contents.contains("4646464646464646"), "the key is stored encrypted")

        let inspected = try gateway("keystore", "inspect", "--file", out.path, "--passphrase-file", pass.path)
        #expect(inspected.stdout == "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F\n")
        let refused = try gateway("keystore", "inspect", "--file", out.path, "--passphrase-file", wrong.path)
        #expect(refused.status != 0)
        #expect(refused.stdout.isEmpty)
        #expect(!refused.stderr.contains("correct horse"))
        let again = try gateway(
            "keystore", "import", "--private-key-file", key.path, "--out", out.path, "--passphrase-file", pass.path, "--scrypt-n", "1024")
        #expect(again.status != 0, "an existing keystore is never overwritten")
    }

    @Test func newCreatesAFreshKey() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-ks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let pass = dir.appendingPathComponent("pass")
        try Data("s3cret".utf8).write(to: pass)
        let out = dir.appendingPathComponent("new.json")
        let created = try gateway("keystore", "new", "--out", out.path, "--passphrase-file", pass.path, "--scrypt-n", "1024")
        #expect(created.status == 0, "\(created.stderr)")
        let address = try #require((try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: String])?["address"])
        #expect(try gateway("keystore", "inspect", "--file", out.path, "--passphrase-file", pass.path).stdout == address + "\n")
    }
}
