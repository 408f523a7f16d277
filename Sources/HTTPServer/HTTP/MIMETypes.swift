/// Content types by file extension, covering the web's common types. Text types carry `charset=utf-8`.
public enum MIMETypes {
    /// The type sent for unknown extensions, with `Content-Disposition: attachment`.
    public static let fallback = "application/octet-stream"

    private static let table: [String: String] = [
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8",
        "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "mjs": "text/javascript; charset=utf-8", "json": "application/json; charset=utf-8",
        "map": "application/json; charset=utf-8", "xml": "application/xml; charset=utf-8",
        "txt": "text/plain; charset=utf-8", "csv": "text/csv; charset=utf-8",
        "md": "text/markdown; charset=utf-8", "svg": "image/svg+xml; charset=utf-8",
        "webmanifest": "application/manifest+json; charset=utf-8",
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
        "webp": "image/webp", "avif": "image/avif", "ico": "image/x-icon", "bmp": "image/bmp",
        "pdf": "application/pdf", "wasm": "application/wasm",
        "woff": "font/woff", "woff2": "font/woff2", "ttf": "font/ttf", "otf": "font/otf",
        "mp3": "audio/mpeg", "ogg": "audio/ogg", "wav": "audio/wav", "flac": "audio/flac",
        "mp4": "video/mp4", "webm": "video/webm", "ogv": "video/ogg",
        "zip": "application/zip", "gz": "application/gzip", "tar": "application/x-tar",
        "tgz": "application/gzip", "bz2": "application/x-bzip2", "xz": "application/x-xz",
    ]

    /// The type for a file name, or nil when the extension is unknown.
    public static func type(forFileName name: some StringProtocol) -> String? {
        // Scanned as UTF-8 bytes, lowercased only when needed: this runs for every file response.
        let bytes = Substring(name).utf8
        guard let dot = bytes.lastIndex(of: .dot), dot != bytes.startIndex else { return nil }
        let ext = bytes[bytes.index(after: dot)...]
        guard ext.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else {
            return table[String(decoding: ext, as: UTF8.self)]
        }
        return table[String(decoding: ext, as: UTF8.self).lowercased()]
    }
}
