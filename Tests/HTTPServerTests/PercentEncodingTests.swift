import HTTPServer
import Testing

/// Percent-decoding of paths and queries, and encoding for links.
@Suite struct PercentEncodingTests {
    @Test func escapes_areDecodedOnce() {
        #expect(PercentEncoding.decode("/a%20b/%41%42c") == "/a b/ABc")
        #expect(PercentEncoding.decode("%2541") == "%41")
        #expect(PercentEncoding.decode("%2e%2E") == "..")
    }

    @Test func plainText_isUnchanged() {
        #expect(PercentEncoding.decode("/docs/index.html") == "/docs/index.html")
        #expect(PercentEncoding.decode("") == "")
    }

    @Test func multiByteUTF8_isDecoded() {
        #expect(PercentEncoding.decode("/caf%C3%A9") == "/café")
        #expect(PercentEncoding.decode("/%E2%82%AC") == "/€")
    }

    @Test func plus_isSpaceOnlyWhenAsked() {
        #expect(PercentEncoding.decode("a+b") == "a+b")
        #expect(PercentEncoding.decode("a+b%2B", plusAsSpace: true) == "a b+")
    }

    @Test(arguments: ["%", "%4", "abc%", "%zz", "%g0", "%0g", "/a%2"])
    func brokenEscape_isNil(_ text: String) {
        #expect(PercentEncoding.decode(text) == nil)
    }

    @Test(arguments: ["%00", "/a%00.txt", "a\u{0}b"])
    func nul_isNil(_ text: String) {
        #expect(PercentEncoding.decode(text) == nil)
    }

    /// A string is scanned for `%` and NUL eight bytes at a time: wherever one falls (in a word, at its edges, in
    /// the tail), it is seen, and a string without either is its own decoding.
    @Test func escapeOrNUL_isSeenAtEveryPosition() {
        for length in 1...24 {
            for position in 0..<length {
                var bytes = Array(repeating: UInt8(ascii: "a"), count: length)
                bytes[position] = 0
                let withNUL = String(decoding: bytes, as: UTF8.self)
                #expect(PercentEncoding.decode(withNUL) == nil, "NUL at \(position) of \(length)")
                #expect(PercentEncoding.decode(Substring(withNUL)) == nil)
                let plain = String(repeating: "a", count: position) + "/é." + String(repeating: "b", count: length)
                #expect(PercentEncoding.decode(plain) == plain)
                let escaped = String(repeating: "a", count: position) + "%41" + String(repeating: "b", count: length)
                let decoded = String(repeating: "a", count: position) + "A" + String(repeating: "b", count: length)
                #expect(PercentEncoding.decode(escaped) == decoded, "escape at \(position)")
                #expect(PercentEncoding.decode(String(escaped.dropLast(length + 1))) == nil, "broken escape at \(position)")
            }
        }
    }

    @Test(arguments: ["%ff", "%C3", "%C3%28", "%ED%A0%80", "%C0%AF", "%E2%82"])
    func invalidUTF8_isNil(_ text: String) {
        #expect(PercentEncoding.decode(text) == nil)
    }

    @Test func encodePath_keepsUnreservedAndSlash_escapesTheRest() {
        #expect(PercentEncoding.encodePath("/a-b_c.d~e/F9") == "/a-b_c.d~e/F9")
        #expect(PercentEncoding.encodePath("<b>&x.txt") == "%3Cb%3E%26x.txt")
        #expect(PercentEncoding.encodePath("a b?#%") == "a%20b%3F%23%25")
        #expect(PercentEncoding.encodePath("é") == "%C3%A9")
    }

    @Test(arguments: ["/plain", "/a b/<c>&\"d\"", "/päth/€/%41", "/?#[]@!$&'()*+,;="])
    func encodeThenDecode_roundTrips(_ text: String) {
        #expect(PercentEncoding.decode(PercentEncoding.encodePath(text)) == text)
    }
}
