import Testing
@testable import HTTPServer

@Suite struct HTMLEscapingTests {
    @Test(arguments: [
        ("plain-name.txt", "plain-name.txt"),
        ("a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e&#39;f"),
        ("<script>alert('x')</script>", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
        ("café & crème <b>", "café &amp; crème &lt;b&gt;"),
        ("e\u{301}&\u{1F600}'", "e\u{301}&amp;\u{1F600}&#39;"),
        ("", ""),
    ])
    func specialCharacters_areEscaped_andEverythingElseKept(_ text: String, _ escaped: String) {
        #expect(text.htmlEscaped == escaped)
        #expect(Array(text.htmlEscaped.utf8) == Array(escaped.utf8))
    }
}
