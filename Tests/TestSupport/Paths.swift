import Foundation

/// Where tests find the repository, the shared test vectors and the built tools.
public enum Paths {
    /// The repository root (this file lives at Tests/TestSupport/Paths.swift).
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared/vectors` beside the repository, or `$VECTORS_DIR`.
    public static let vectors: URL = {
        if let dir = ProcessInfo.processInfo.environment["VECTORS_DIR"] { return URL(fileURLWithPath: dir) }
        return repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/vectors")
    }()

    /// A file under the vectors folder.
    public static func vector(_ relativePath: String) -> URL { vectors.appendingPathComponent(relativePath) }

    /// The contents of a vector file; a missing file is a test failure with a clear message.
    public static func readVector(_ relativePath: String) throws -> Data {
        let url = vector(relativePath)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw MissingFixture(path: url.path)
        }
        return data
    }

    /// The project's Python (with eth-account and friends), created by Scripts/setup.
    public static let python: URL = {
        if let path = ProcessInfo.processInfo.environment["GATEWAY_PYTHON"] { return URL(fileURLWithPath: path) }
        return repositoryRoot.appendingPathComponent(".venv/bin/python")
    }()

    /// The built `gateway` executable: `$GATEWAY_BIN`, or the one beside the test bundle.
    public static let gatewayBinary: URL = {
        if let path = ProcessInfo.processInfo.environment["GATEWAY_BIN"] { return URL(fileURLWithPath: path) }
        let bundleDir = Bundle.main.bundleURL.deletingLastPathComponent()
        let candidates = [
            bundleDir.appendingPathComponent("gateway"),
            Bundle.main.bundleURL.appendingPathComponent("gateway"),
            repositoryRoot.appendingPathComponent(".build/debug/gateway"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[2]
    }()
}

public struct MissingFixture: Error, CustomStringConvertible {
    public let path: String
    public var description: String { "missing test fixture \(path): the shared vectors must sit beside the repository (../shared/vectors)" }
}
