import HTTPServer
import Testing

/// The request-head parser against raw bytes: valid forms, every limit, and the framing rules that prevent
/// request smuggling (RFC 9112).
@Suite struct RequestParserTests {
    let parser = RequestParser()

    // MARK: - Valid requests

    @Test func validGet_isParsed() throws {
        let text = "GET /docs/a%20b.txt?x=1&y=2 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"
        let outcome = parser.parse(text)
        let head = try #require(outcome.head)
        #expect(outcome.consumed == text.utf8.count)
        #expect(head.method == .get)
        #expect(head.target == "/docs/a%20b.txt?x=1&y=2")
        #expect(head.rawPath == "/docs/a%20b.txt")
        #expect(head.query == "x=1&y=2")
        #expect(head.version == .http11)
        #expect(head.framing == .none)
        #expect(head.keepAlive)
        #expect(head.headers["Host"] == "example.com")
    }

    @Test func originTarget_splitsAtTheFirstQuestionMark_beforeAnyFragment() throws {
        // (target, rawPath, query): the fragment (after the first `#`) is dropped, with any `?` in it.
        let cases: [(String, String, String?)] = [
            ("/a", "/a", nil), ("/a?", "/a", ""), ("/a?b?c", "/a", "b?c"), ("/a#f", "/a", nil),
            ("/a#f?x", "/a", nil), ("/a?q#f?x", "/a", "q"), ("/a?#f", "/a", ""), ("/#", "/", nil),
            ("/p/%3F?q=%23#", "/p/%3F", "q=%23"),
        ]
        for (target, rawPath, query) in cases {
            let head = try #require(parser.parse("GET \(target) HTTP/1.1\r\nHost: h\r\n\r\n").head, "\(target)")
            #expect(head.target == target)
            #expect(head.rawPath == rawPath, "\(target)")
            #expect(head.query == query, "\(target)")
        }
    }

    @Test func headers_matchCaseInsensitivelyAndKeepOrderAndDuplicates() throws {
        let text = "GET / HTTP/1.1\r\nhost: h\r\nX-Tag: one\r\nAccept: a\r\nx-tag: two\r\nX-TAG:  three \r\n\r\n"
        let head = try #require(parser.parse(text).head)
        #expect(head.headers["HOST"] == "h")
        #expect(head.headers["x-TaG"] == "one")
        #expect(head.headers.values("X-Tag") == ["one", "two", "three"])
        #expect(head.headers.fields.map(\.name) == ["host", "X-Tag", "Accept", "x-tag", "X-TAG"])
        #expect(head.headers.count == 5)
    }

    /// The usual field line is read in one pass, any other shape step by step: both must give the same names and
    /// values, without the spaces and tabs around a value and with those inside it.
    @Test func fieldValues_areTrimmedOfSpacesAndTabsOnly_inEveryLineShape() throws {
        let text = "GET / HTTP/1.1\r\nHost: h\r\nA:plain\r\nB: \t spaced \t out \t \r\nC:\r\nD: \t\r\nE: lf\n"
            + "F: caf\u{e9}\r\nX-!#$%&'*+.^_`|~: t\r\n\r\n"
        let head = try #require(parser.parse(text).head)
        #expect(head.headers.fields.map(\.name) == ["Host", "A", "B", "C", "D", "E", "F", "X-!#$%&'*+.^_`|~"])
        #expect(head.headers.fields.map(\.value) == ["h", "plain", "spaced \t out", "", "", "lf", "caf\u{e9}", "t"])
    }

    /// A value is read eight bytes at a time while none of them ends it: every byte that ends a value must stop
    /// the reading wherever it falls in a word, and every byte a value may hold must pass wherever it falls.
    @Test func fieldValueBytes_areJudgedTheSame_atEveryPlaceInAWord() throws {
        let filler = Array("abcdefghijklmnopqrstuvwx".utf8)
        for place in 0..<filler.count {
            for refused: UInt8 in [0x00, 0x01, 0x08, 0x0b, 0x0d, 0x1f, 0x7f] {
                var value = filler
                value[place] = refused
                let bytes = Array("GET / HTTP/1.1\r\nHost: h\r\nX-Long: ".utf8) + value + Array("\r\n\r\n".utf8)
                #expect(parser.parse(bytes: bytes).failureCode == 400, "byte \(refused) at \(place)")
            }
            for kept in ["\t", " ", "!", "~", "\u{e9}"] {
                var value = filler
                value.replaceSubrange(place..<place + 1, with: Array(kept.utf8))
                let bytes = Array("GET / HTTP/1.1\r\nHost: h\r\nX-Long: ".utf8) + value + Array("\r\n\r\n".utf8)
                let head = try #require(parser.parse(bytes: bytes).head, "\(kept.debugDescription) at \(place)")
                var trimmed = value[...]
                while let first = trimmed.first, first == 0x20 || first == 0x09 { trimmed.removeFirst() }
                while let last = trimmed.last, last == 0x20 || last == 0x09 { trimmed.removeLast() }
                let expected = String(decoding: trimmed, as: UTF8.self)
                #expect(head.headers["X-Long"] == expected, "\(kept.debugDescription) at \(place)")
            }
        }
    }

    /// A name is read eight bytes at a time while they are letters, digits and `-`: every byte of 0–255 must be
    /// judged as RFC 9110 tchar wherever it falls in a word of a long name (a name or 400; `:` ends the name,
    /// and a line feed first in the line ends the head).
    @Test func fieldNameBytes_areJudgedTheSame_atEveryPlaceInAWord() throws {
        let filler = Array("Abcdefgh-Ijklmn0123456789-Xyz".utf8)
        let tchar = Set(Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&'*+-.^_`|~".utf8))
        for place in 0..<filler.count {
            for byte in UInt8.min...UInt8.max where byte != UInt8(ascii: ":") && !(place == 0 && byte == 0x0a) {
                var name = filler
                name[place] = byte
                let bytes = Array("GET / HTTP/1.1\r\nHost: h\r\n".utf8) + name + Array(": v\r\n\r\n".utf8)
                let outcome = parser.parse(bytes: bytes)
                if tchar.contains(byte) {
                    let head = try #require(outcome.head, "byte \(byte) at \(place)")
                    #expect(head.headers.fields.last?.name == String(decoding: name, as: UTF8.self), "byte \(byte) at \(place)")
                } else {
                    #expect(outcome.failureCode == 400, "byte \(byte) at \(place)")
                }
            }
        }
    }

    @Test func absoluteFormTarget_yieldsPathAndQuery() throws {
        let head = try #require(parser.parse("GET http://example.com:8080/a/b?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n").head)
        #expect(head.rawPath == "/a/b")
        #expect(head.query == "q=1")
        #expect(head.target == "http://example.com:8080/a/b?q=1")
    }

    @Test func absoluteFormWithoutPath_isRoot() throws {
        let head = try #require(parser.parse("GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n").head)
        #expect(head.rawPath == "/")
        #expect(head.query == nil)
    }

    @Test func asteriskForm_isAcceptedForOptionsOnly() throws {
        let head = try #require(parser.parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").head)
        #expect(head.rawPath == "*")
        #expect(parser.parse("GET * HTTP/1.1\r\nHost: h\r\n\r\n").failureCode == 400)
    }

    @Test func bareLineFeeds_areAccepted() throws {
        let text = "GET /x HTTP/1.1\nHost: h\nAccept: */*\n\n"
        let outcome = parser.parse(text)
        let head = try #require(outcome.head)
        #expect(head.rawPath == "/x")
        #expect(head.headers["Accept"] == "*/*")
        #expect(outcome.consumed == text.utf8.count)
    }

    @Test func leadingEmptyLines_areSkipped() throws {
        let text = "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"
        let outcome = parser.parse(text)
        #expect(outcome.head != nil)
        #expect(outcome.consumed == text.utf8.count)
    }

    @Test func http10WithoutHost_isAccepted_andClosesByDefault() throws {
        let head = try #require(parser.parse("GET / HTTP/1.0\r\n\r\n").head)
        #expect(head.version == .http10)
        #expect(!head.keepAlive)
        let kept = try #require(parser.parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").head)
        #expect(kept.keepAlive)
    }

    @Test func connectionClose_turnsKeepAliveOff() throws {
        let head = try #require(parser.parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, close\r\n\r\n").head)
        #expect(!head.keepAlive)
    }

    @Test func unknownMethodToken_parsesAsOther() throws {
        let head = try #require(parser.parse("BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n").head)
        #expect(head.method == .other("BREW"))
        #expect(!head.method.isStandard)
    }

    @Test func framing_isContentLengthOrChunked() throws {
        let sized = try #require(parser.parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n").head)
        #expect(sized.framing == .length(12))
        let repeated = try #require(parser.parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n").head)
        #expect(repeated.framing == .length(5))
        let chunked = try #require(parser.parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n").head)
        #expect(chunked.framing == .chunked)
        let zero = try #require(parser.parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n").head)
        #expect(zero.framing == .none)
    }

    // MARK: - Limits

    @Test func requestLineOver8KiB_is414() {
        let long = "GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: h\r\n\r\n"
        #expect(parser.parse(long).failureCode == 414)
    }

    @Test func requestLineOver8KiB_is414_evenBeforeItsEnd() {
        let partial = "GET /" + String(repeating: "a", count: 9000)
        #expect(parser.parse(partial).failureCode == 414)
    }

    @Test func requestLineJustUnder8KiB_isAccepted() {
        let path = "/" + String(repeating: "a", count: 8 * 1024 - 20)
        #expect(parser.parse("GET \(path) HTTP/1.1\r\nHost: h\r\n\r\n").head?.rawPath == path)
    }

    @Test func headerSectionOver64KiB_is431() {
        let big = "X-Big: " + String(repeating: "b", count: 70 * 1024) + "\r\n"
        #expect(parser.parse("GET / HTTP/1.1\r\nHost: h\r\n\(big)\r\n").failureCode == 431)
        // Also while the head is still arriving.
        #expect(parser.parse("GET / HTTP/1.1\r\nHost: h\r\n\(big)").failureCode == 431)
    }

    @Test func moreThan100Fields_is431_and100AreFine() {
        func request(fields: Int) -> String {
            "GET / HTTP/1.1\r\nHost: h\r\n" + (1..<fields).map { "X-F\($0): v\r\n" }.joined() + "\r\n"
        }
        #expect(parser.parse(request(fields: 100)).head?.headers.count == 100)
        #expect(parser.parse(request(fields: 101)).failureCode == 431)
    }

    @Test func customLimits_apply() {
        var limits = RequestParser.Limits()
        limits.maxRequestLine = 32
        limits.maxHeaderCount = 2
        let strict = RequestParser(limits: limits)
        #expect(strict.parse("GET /\(String(repeating: "x", count: 40)) HTTP/1.1\r\nHost: h\r\n\r\n").failureCode == 414)
        #expect(strict.parse("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n").failureCode == 431)
    }

    // MARK: - Malformed

    @Test(arguments: [
        "GET\r\n\r\n",
        "GET /\r\nHost: h\r\n\r\n",
        " GET / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n",
        "GET / HTTX/1.1\r\nHost: h\r\n\r\n",
        "GET / http/1.1\r\nHost: h\r\n\r\n",
        "G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET relative HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a\u{7f}b HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n: empty name\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nBad\u{1}Name: v\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\u{1}b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a \u{7f}\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12abc\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9999999999999999999999\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
        "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
    ])
    func malformed_is400(_ text: String) {
        #expect(parser.parse(text).failureCode == 400)
    }

    @Test func contentLengthWithTransferEncoding_is400() {
        let text = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(parser.parse(text).failureCode == 400)
        let reversed = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
        #expect(parser.parse(reversed).failureCode == 400)
    }

    @Test func differingContentLengths_are400() {
        #expect(parser.parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n").failureCode == 400)
        #expect(parser.parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\n").failureCode == 400)
    }

    @Test func chunkedNotLast_is400_andOtherCodingsBeforeChunked_are501() {
        #expect(parser.parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n").failureCode == 400)
        #expect(parser.parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").failureCode == 501)
    }

    @Test func obsoleteLineFolding_is400() {
        #expect(parser.parse("GET / HTTP/1.1\r\nHost: h\r\nX-Long: one\r\n two\r\n\r\n").failureCode == 400)
        #expect(parser.parse("GET / HTTP/1.1\r\nHost: h\r\nX-Long: one\r\n\ttwo\r\n\r\n").failureCode == 400)
    }

    @Test func whitespaceBeforeColon_is400() {
        #expect(parser.parse("GET / HTTP/1.1\r\nHost : h\r\n\r\n").failureCode == 400)
        #expect(parser.parse("GET / HTTP/1.1\r\nHost: h\r\nX-A\t: v\r\n\r\n").failureCode == 400)
    }

    @Test(arguments: ["HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "HTTP/3.0"])
    func unsupportedVersion_is505(_ version: String) {
        #expect(parser.parse("GET / \(version)\r\nHost: h\r\n\r\n").failureCode == 505)
    }

    @Test func http11WithoutHost_is400() {
        #expect(parser.parse("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n").failureCode == 400)
    }

    @Test func duplicateHost_is400() {
        #expect(parser.parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").failureCode == 400)
        #expect(parser.parse("GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n").failureCode == 400)
    }

    // MARK: - Incremental input

    @Test func incompleteHead_isIncomplete() {
        #expect(parser.parse("").isIncomplete)
        #expect(parser.parse("GET / HT").isIncomplete)
        #expect(parser.parse("GET / HTTP/1.1\r\nHost: h\r\n").isIncomplete)
        #expect(parser.parse("GET / HTTP/1.1\r\nHost: h\r\n\r").isIncomplete)
    }

    @Test func pipelinedBytesAfterHead_areNotConsumed() throws {
        let first = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
        let second = "GET /b HTTP/1.1\r\nHost: h\r\n\r\n"
        let bytes = Array((first + second + "GET /c").utf8)
        let outcome = parser.parse(bytes: bytes)
        #expect(outcome.head?.rawPath == "/a")
        let consumed = try #require(outcome.consumed)
        #expect(consumed == first.utf8.count)

        let rest = Array(bytes[consumed...])
        let next = parser.parse(bytes: rest)
        #expect(next.head?.rawPath == "/b")
        #expect(next.consumed == second.utf8.count)
        #expect(parser.parse(bytes: Array(rest[second.utf8.count...])).isIncomplete)
    }

    @Test func bodyBytesAfterHead_areNotConsumed() {
        let head = "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n"
        #expect(parser.parse(head + "hello").consumed == head.utf8.count)
    }

    /// Heads of every shape, valid or not, for comparing the one-pass reading with the step-by-step one.
    static let headsOfEveryShape: [String] = [
        "GET /1k.html HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: hotpath\r\nAccept: */*\r\n\r\n",
        "GET /a?q=1#f HTTP/1.1\r\nhost: h\r\nX-Tag:  one \t\r\nx-tag:two\r\nConnection: keep-alive, close\r\n\r\nGET /b",
        "GET / HTTP/1.0\r\n\r\n", "GET / HTTP/1.0\n\n", "GET / HTTP/1.1\nHost: h\r\nA: b\n\r\n",
        "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", "GET / HTTP/1.1\r\nHost: h\r\nA: caf\u{e9}\r\nB:\r\n\r\n",
        "POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
        "POST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\ncontent-length: 4\r\n\r\n",
        "POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET http://h/p?q HTTP/1.1\r\nHost: h\r\n\r\n", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET * HTTP/1.1\r\nHost: h\r\n\r\n", "GET x HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET / HTTP/2.0\r\nHost: h\r\n\r\n", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
        "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", "G@T / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /\u{7f} HTTP/1.1\r\nHost: h\r\n\r\n", "GET / HTTP/1.1\r\nHost : h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", "GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", "GET / HTTP/1.1\r\nHost: h\rX: 1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n\rX: 1\r\n\r\n", "GET / HTTP/1.1\r\nHost: h\r\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\u{0}\r\n\r\n", "GET / HTTP/2.0\r\nHost: h\r\n folded\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n", "GET / HTTP/1.1\r\nHost: h\r\n\r", "GET / HTTP/1.1\r\nHost: h",
        "GET / HTTP/1.1\r\n" + (0..<100).map { "X-\($0): v\r\n" }.joined() + "Host: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n" + (0..<99).map { "X-\($0): v\r\n" }.joined() + "\r\n",
    ]

    /// A head that arrives whole is read in one pass, one that arrives in pieces step by step (a `resumeAt`
    /// past 0): both readings must give the same outcome, for every shape of head and at the edges of the limits.
    @Test func onePassAndStepByStep_giveTheSameOutcome() {
        var small = RequestParser.Limits()
        small.maxHeaderBytes = 40
        small.maxHeaderCount = 3
        let parsers = [parser, RequestParser(limits: small)]
        let padded = (0..<48).flatMap { length in
            let pad = String(repeating: "p", count: length)
            return ["GET / HTTP/1.1\r\nHost: h\r\nX: \(pad)\r\n\r\n", "GET / HTTP/1.1\nHost: h\nX: \(pad)\n\n"]
        }
        for text in Self.headsOfEveryShape + padded {
            for parser in parsers {
                let onePass = describe(parser.parse(text))
                #expect(onePass == describe(parser.parse(text, resumeAt: 1)), "\(text.debugDescription)")
            }
        }
    }

    /// An outcome as text, every part of a head in it.
    private func describe(_ outcome: RequestParser.Outcome) -> String {
        switch outcome {
        case .incomplete: "incomplete"
        case .failure(let status, let reason): "\(status.code) \(reason)"
        case .head(let head, let consumed):
            "\(head.method) \(head.target) \(head.rawPath) \(head.query ?? "-") \(head.version) \(head.framing) "
                + "\(head.keepAlive) \(head.headers.fields) \(consumed)"
        }
    }

    @Test(arguments: [
        "GET /slow HTTP/1.1\r\nHost: h\r\nAccept: */*\r\nX-Long: \(String(repeating: "z", count: 300))\r\n\r\n",
        "GET /bare HTTP/1.1\nHost: h\nAccept: */*\n\n",
        "\r\nPOST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
    ])
    func resumeAt_byteByByte_findsTheSameHead(_ text: String) throws {
        let bytes = Array(text.utf8)
        let whole = parser.parse(bytes: bytes)
        let expectedPath = try #require(whole.head?.rawPath)
        let expectedConsumed = try #require(whole.consumed)

        var scanned = 0
        var found: (path: String, consumed: Int, at: Int)?
        for length in 1...bytes.count {
            switch parser.parse(bytes: Array(bytes[..<length]), resumeAt: scanned) {
            case .incomplete(let next):
                #expect(next <= length, "scanned \(next) past the \(length) bytes given")
                scanned = next
            case .head(let head, let consumed):
                found = (head.rawPath, consumed, length)
            case .failure(let status, let reason):
                Issue.record("failed at \(length) bytes: \(status) \(reason)")
                return
            }
            if found != nil { break }
        }
        let result = try #require(found)
        #expect(result.path == expectedPath)
        #expect(result.consumed == expectedConsumed)
        #expect(result.at == expectedConsumed, "the head completes exactly at its last byte")
    }
}
