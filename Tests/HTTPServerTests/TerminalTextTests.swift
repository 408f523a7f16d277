import HTTPServer
import Testing

/// The one escaping for everything printed to an operator: controls, C1 controls, bidi overrides, invalid UTF-8.
@Suite struct TerminalTextTests {
    @Test func plainText_passesUnchanged() {
        #expect(TerminalText.escaped("/docs/café menu.html") == "/docs/café menu.html")
    }

    @Test func controlsC1AndBidi_areEscaped() {
        #expect(TerminalText.escaped("\u{1B}]2;x\u{07}") == "\\x1b]2;x\\x07")
        #expect(TerminalText.escaped("a\u{9B}31m\u{9D}b") == "a\\x9b31m\\x9db")
        #expect(TerminalText.escaped("\u{202A}\u{202E}\u{2066}\u{2069}") == "\\u{202a}\\u{202e}\\u{2066}\\u{2069}")
        #expect(TerminalText.escaped("a\nb\tc\u{7F}") == "a\\x0ab\\x09c\\x7f")
    }

    @Test func multiLineLayout_keepsNewlinesAndTabs() {
        #expect(TerminalText.escaped("a\n\tb\u{1B}", layout: .multiLine) == "a\n\tb\\x1b")
    }

    @Test func invalidUTF8Bytes_areEscapedOneByOne() {
        let (text, count) = TerminalText.escaped(bytes: [0x61, 0xFF, 0xC3, 0xA9, 0xE2, 0x82, 0x1B, 0xED, 0xA0, 0x80])
        #expect(text == "a\\xffé\\xe2\\x82\\x1b\\xed\\xa0\\x80")
        #expect(count == 7)
    }
}
