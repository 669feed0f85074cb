import Foundation

/// Reads a JSON vector file as Foundation objects.
public func jsonVector(_ relativePath: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Paths.readVector(relativePath), options: [.fragmentsAllowed])
}

/// Reads a text vector file.
public func textVector(_ relativePath: String) throws -> String {
    String(decoding: try Paths.readVector(relativePath), as: UTF8.self)
}

/// Lists the files under a vector folder (recursively), relative to the vectors root, sorted.
public func vectorFiles(under folder: String, withExtension ext: String) -> [String] {
    let root = Paths.vector(folder)
    guard let walker = FileManager.default.enumerator(atPath: root.path) else { return [] }
    var out = [String]()
    while let item = walker.nextObject() as? String {
        if item.hasSuffix("." + ext) { out.append(folder + "/" + item) }
    }
    return out.sorted()
}
