import Testing
@testable import HTTPServer

/// The per-file header values built from bytes (ETag, Content-Type) spell exactly what the String-based
/// formulas spelled.
@Suite struct FileHeaderFormattingTests {
    @Test(arguments: [(0, 0, 0), (1, 999, 1), (1_763_758_894, 123_456_789, 1024), (Int(Int32.max), 999_999_999, 1 << 40),
                      (15, 16_000, 255)])
    func etag_isSecondsMicrosecondsAndSizeInHex(_ seconds: Int, _ nanoseconds: Int, _ size: Int) {
        let validators = Validators(size: size, modifiedSeconds: seconds, modifiedNanoseconds: nanoseconds)
        let expected = "\"\(String(seconds, radix: 16))\(String(nanoseconds / 1000, radix: 16))-\(String(size, radix: 16))\""
        #expect(validators.etag == expected)
    }

    @Test(arguments: [
        ("index.html", "text/html; charset=utf-8"), ("INDEX.HTML", "text/html; charset=utf-8"),
        ("archive.tar.gz", "application/gzip"), ("photo.JpG", "image/jpeg"), ("font.woff2", "font/woff2"),
    ])
    func knownExtensions_ignoreCase(_ name: String, _ type: String) {
        #expect(MIMETypes.type(forFileName: name) == type)
        #expect(MIMETypes.type(forFileName: Substring(name)) == type)
    }

    @Test(arguments: ["README", ".bashrc", "file.", "data.unknownext", "odd.ht\u{301}ml", "ünïcode.ÉXE"])
    func unknownOrMissingExtensions_areNil(_ name: String) {
        #expect(MIMETypes.type(forFileName: name) == nil)
    }
}
