import HTTPServer
import Testing

/// Content types by file name.
@Suite struct MIMETypesTests {
    @Test(arguments: [
        ("index.html", "text/html; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("data.json", "application/json; charset=utf-8"),
        ("notes.txt", "text/plain; charset=utf-8"),
        ("logo.svg", "image/svg+xml; charset=utf-8"),
        ("photo.jpg", "image/jpeg"),
        ("photo.jpeg", "image/jpeg"),
        ("icon.png", "image/png"),
        ("doc.pdf", "application/pdf"),
        ("font.woff2", "font/woff2"),
        ("clip.mp4", "video/mp4"),
        ("module.wasm", "application/wasm"),
        ("archive.tar.gz", "application/gzip"),
    ])
    func knownExtension_hasItsType(_ name: String, _ type: String) {
        #expect(MIMETypes.type(forFileName: name) == type)
    }

    @Test func extension_isCaseInsensitive() {
        #expect(MIMETypes.type(forFileName: "PHOTO.PNG") == "image/png")
        #expect(MIMETypes.type(forFileName: "Page.HtMl") == "text/html; charset=utf-8")
    }

    @Test(arguments: ["README", "file.unknownext", ".bashrc", "trailing.", "a.b.c"])
    func unknownOrMissingExtension_isNil(_ name: String) {
        #expect(MIMETypes.type(forFileName: name) == nil)
    }

    @Test func fallback_isOctetStream() {
        #expect(MIMETypes.fallback == "application/octet-stream")
    }
}
