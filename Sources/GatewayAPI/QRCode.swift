import CQRencode

/// QR codes as inline SVG, drawn from libqrencode's module matrix: no image files, no
/// external assets, readable by phone cameras and wallet scanners.
enum QRCode {
    /// An SVG of `text` (error correction M), or nil when the text cannot be encoded.
    static func svg(_ text: String, title: String) -> String? {
        guard let code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else { return nil }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        let data = code.pointee.data!
        let quiet = 4
        let size = width + 2 * quiet
        var path = ""
        for y in 0..<width {
            var x = 0
            while x < width {
                // Runs of dark modules on a row become one rectangle.
                guard data[y * width + x] & 1 == 1 else {
                    x += 1
                    continue
                }
                var run = 1
                while x + run < width, data[y * width + x + run] & 1 == 1 { run += 1 }
                path += "M\(x + quiet) \(y + quiet)h\(run)v1h-\(run)z"
                x += run
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(size) \(size)" width="256" height="256" role="img" aria-label="\(HTML.escape(title))" shape-rendering="crispEdges">\
            <title>\(HTML.escape(title))</title><rect width="\(size)" height="\(size)" fill="#fff"/><path d="\(path)" fill="#000"/></svg>
            """
    }
}
