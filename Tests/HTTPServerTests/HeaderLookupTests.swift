import HTTPServerTesting
import Testing
@testable import HTTPServer

/// Header lookups by name: the fields the server reads itself are indexed as they are parsed or added, and must
/// answer exactly as a scan with case-insensitive compares would, however a client spells or repeats them.
@Suite struct HeaderLookupTests {
    let parser = RequestParser()

    @Test func knownNames_areFoundInAnyCase_andKeepTheirSpelling() throws {
        let text = "GET / HTTP/1.1\r\nhOsT: h\r\nIF-NONE-MATCH: \"e\"\r\naccept-encoding: gzip\r\n"
            + "X-Request-Id: abc\r\ncontent-length: 0\r\n\r\n"
        let headers = try #require(parser.parse(text).head).headers
        #expect(headers["Host"] == "h")
        #expect(headers["host"] == "h")
        #expect(headers["If-None-Match"] == "\"e\"")
        #expect(headers["Accept-Encoding"] == "gzip")
        #expect(headers["x-request-id"] == "abc")
        #expect(headers[.xRequestID] == "abc")
        #expect(headers.contains("CONTENT-LENGTH"))
        #expect(headers.fields.map(\.name) == ["hOsT", "IF-NONE-MATCH", "accept-encoding", "X-Request-Id",
                                               "content-length"])
        #expect(headers["Range"] == nil)
        #expect(!headers.contains(.range))
        #expect(headers.values("Origin").isEmpty)
    }

    @Test func namesCloseToKnownOnes_areNotTakenForThem() throws {
        let text = "GET / HTTP/1.1\r\nHost: h\r\nHosts: x\r\nHos: y\r\nContent-Lengtj: 5\r\nX-Request-IE: z\r\n"
            + "Transfer_Encoding: chunked\r\n\r\n"
        let head = try #require(parser.parse(text).head)
        #expect(head.headers["Host"] == "h")
        #expect(head.headers.count(of: "Host") == 1)
        #expect(head.headers["Hosts"] == "x")
        #expect(head.headers["X-Request-ID"] == nil)
        #expect(head.headers["X-Request-IE"] == "z")
        #expect(head.framing == .none)
    }

    @Test func repeatedKnownField_givesEveryValueInOrder() throws {
        let text = "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.1.1.1\r\nAccept: a\r\n"
            + "x-forwarded-for: 2.2.2.2, 3.3.3.3\r\n\r\n"
        let headers = try #require(parser.parse(text).head).headers
        #expect(headers["X-Forwarded-For"] == "1.1.1.1")
        #expect(headers.values("X-FORWARDED-FOR") == ["1.1.1.1", "2.2.2.2, 3.3.3.3"])
        #expect(headers.count(of: "x-forwarded-for") == 2)
        #expect(headers.hasToken("3.3.3.3", in: "X-Forwarded-For"))
    }

    @Test func closeInASecondConnectionField_endsTheConnection() throws {
        let http11 = "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\ncONNECTION: Upgrade, CLOSE\r\n\r\n"
        #expect(try #require(parser.parse(http11).head).keepAlive == false)
        let http10 = "GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n"
        #expect(try #require(parser.parse(http10).head).keepAlive)
    }

    @Test func connectionOptions_areWholeElements_withSpacesAroundIgnored() throws {
        let lookalikes = "GET / HTTP/1.1\r\nHost: h\r\nConnection: closed, xclose, close-ish\r\n\r\n"
        #expect(try #require(parser.parse(lookalikes).head).keepAlive)
        let spaced = "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade ,\t close \t, x\r\n\r\n"
        #expect(try #require(parser.parse(spaced).head).keepAlive == false)
        let both = "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"
        #expect(try #require(parser.parse(both).head).keepAlive == false)
        let notKeepAlive = "GET / HTTP/1.0\r\nConnection: keep-alive-ish, keep\r\n\r\n"
        #expect(try #require(parser.parse(notKeepAlive).head).keepAlive == false)
    }

    @Test func framingFields_inOddCase_areStillRefusedTogether() {
        #expect(parser.parse("POST / HTTP/1.1\r\nHost: h\r\ncontent-LENGTH: 3\r\ntransfer-ENCODING: chunked\r\n\r\n")
            .failureCode == 400)
        #expect(parser.parse("POST / HTTP/1.1\r\nHost: h\r\nCONTENT-LENGTH: 3\r\ncontent-length: 4\r\n\r\n")
            .failureCode == 400)
        #expect(parser.parse("GET / HTTP/1.1\r\nHOST: a\r\nhost: b\r\n\r\n").failureCode == 400)
        #expect(parser.parse("GET / HTTP/1.1\r\nX: y\r\n\r\n").failureCode == 400, "no Host in HTTP/1.1")
        #expect(parser.parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: a\r\n close\r\n\r\n").failureCode == 400,
                "a folded line stays refused after a known field")
        let chunked = parser.parse("POST / HTTP/1.1\r\nHost: h\r\nTRANSFER-ENCODING: Chunked\r\n\r\n")
        #expect(chunked.head?.framing == .chunked)
    }

    @Test func originFormTarget_isSplitOnItsBytes() throws {
        let plain = try #require(parser.parse("GET /a/b HTTP/1.1\r\nHost: h\r\n\r\n").head)
        #expect(plain.rawPath == "/a/b")
        #expect(plain.query == nil)
        let full = try #require(parser.parse("GET /a?x=1?y#f?z HTTP/1.1\r\nHost: h\r\n\r\n").head)
        #expect(full.target == "/a?x=1?y#f?z")
        #expect(full.rawPath == "/a")
        #expect(full.query == "x=1?y")
        let fragment = try #require(parser.parse("GET /a#b?c HTTP/1.1\r\nHost: h\r\n\r\n").head)
        #expect(fragment.rawPath == "/a")
        #expect(fragment.query == nil)
        let emptyQuery = try #require(parser.parse("GET /?#x HTTP/1.1\r\nHost: h\r\n\r\n").head)
        #expect(emptyQuery.rawPath == "/")
        #expect(emptyQuery.query == "")
    }

    @Test func removeAndSet_keepLookupsInStep() {
        var headers: HTTPHeaders = ["Host": "a", "Accept": "b", "X-Other": "c", "host": "d"]
        headers.remove("HOST")
        #expect(headers["Host"] == nil)
        #expect(headers["Accept"] == "b")
        #expect(headers.fields.map(\.name) == ["Accept", "X-Other"])
        headers.set("accept", "e")
        #expect(headers.values("Accept") == ["e"])
        headers.add("Range", "bytes=0-1")
        headers.set("X-Other", "f")
        #expect(headers["range"] == "bytes=0-1")
        #expect(headers.fields.map(\.value) == ["e", "bytes=0-1", "f"])
    }

    /// The index keeps each known field's first position in a byte of its own (eight to a word): every field,
    /// among all the others in any order, is found at its own place, and a repeated one by a scan.
    @Test func everyKnownField_isFoundAtItsOwnPlace() {
        for order in [KnownField.allCases, KnownField.allCases.reversed()] {
            var headers = HTTPHeaders()
            headers.add("X-Filler", "-")
            for field in order { headers.add(field.name, "value \(field.rawValue)") }
            for field in KnownField.allCases {
                #expect(headers[field] == "value \(field.rawValue)", "\(field.name)")
                #expect(headers.count(of: field) == 1)
            }
            headers.add(KnownField.range.name, "again")
            #expect(headers.values(.range) == ["value \(KnownField.range.rawValue)", "again"])
            #expect(headers[.contentSecurityPolicy] == "value \(KnownField.contentSecurityPolicy.rawValue)")
        }
    }

    @Test func knownFieldFarDown_isFoundByAScan() {
        var headers = HTTPHeaders()
        for index in 0..<300 { headers.add("X-Filler-\(index)", "\(index)") }
        headers.add("Content-Type", "text/plain")
        headers.add("content-type", "text/html")
        #expect(headers["Content-Type"] == "text/plain")
        #expect(headers.values("Content-Type") == ["text/plain", "text/html"])
        #expect(headers.count(of: .contentType) == 2)
        #expect(headers["X-Filler-299"] == "299")
    }

    @Test func parsedFields_readInPlace_answerAsAListWould() throws {
        // A parsed request's fields stay the received bytes until changed: every accessor must agree with the
        // same fields built as a list, including trimmed values, obs-text and names in odd case.
        let text = "GET / HTTP/1.1\r\nHost:  h \t\r\nX-Empty:\r\nx-tag: \u{e9}t\u{e9}\r\nConnection: keep-alive, Upgrade\r\n"
            + "X-TAG:b\r\nX-O: "
        let bytes = Array(text.utf8) + [0xff, 0x61] + Array("\r\n\r\n".utf8)  // 0xff: obs-text, not UTF-8
        let parsed = try #require(bytes.withUnsafeBytes { parser.parse($0) }.head).headers
        var list = HTTPHeaders()
        for (name, value) in [("Host", "h"), ("X-Empty", ""), ("x-tag", "\u{e9}t\u{e9}"),
                              ("Connection", "keep-alive, Upgrade"), ("X-TAG", "b"), ("X-O", "\u{fffd}a")] {
            list.add(name, value)
        }
        #expect(parsed.fields.map(\.name) == list.fields.map(\.name))
        #expect(parsed.fields.map(\.value) == list.fields.map(\.value))
        #expect(Array(parsed).map(\.value) == list.fields.map(\.value))
        for headers in [parsed, list] {
            #expect(headers.count == 6)
            #expect(headers["host"] == "h")
            #expect(headers["X-Empty"] == "")
            #expect(headers["X-Tag"] == "\u{e9}t\u{e9}")
            #expect(headers.values("x-tag") == ["\u{e9}t\u{e9}", "b"])
            #expect(headers.count(of: "X-TAG") == 2)
            #expect(headers["x-o"] == "\u{fffd}a")
            #expect(headers.hasToken("upgrade", in: "connection"))
            #expect(headers.hasToken("b", in: "x-tag"))
            #expect(!headers.hasToken("keep", in: .connection))
            #expect(headers.contains("x-empty") && !headers.contains("X-Missing"))
        }
    }

    @Test func parsedFields_changed_keepLookupsInStep() throws {
        let text = "GET / HTTP/1.1\r\nHost: h\r\nAccept: a\r\nX-One: 1\r\nhost-ish: x\r\n\r\n"
        var headers = try #require(parser.parse(text).head).headers
        let untouched = headers
        headers.add("Range", "bytes=0-1")
        #expect(headers["range"] == "bytes=0-1")
        #expect(headers["Host"] == "h")
        headers.remove("ACCEPT")
        #expect(headers[.accept] == nil)
        #expect(headers["Range"] == "bytes=0-1")
        headers.set("host", "g")
        #expect(headers.fields.map(\.name) == ["X-One", "host-ish", "Range", "host"])
        #expect(headers[.host] == "g")
        headers.remove("X-Missing")
        #expect(headers.count == 4)
        #expect(untouched.fields.map(\.value) == ["h", "a", "1", "x"], "a copy is not changed with the original")
        #expect(untouched[.accept] == "a")
    }

    @Test func storageIdentity_tellsHeaderSetsApart_parsedOrBuilt() throws {
        // Rendered response field lines are remembered by this identity: a request's fields echoed into a
        // response must not share it with another set alive at once, and a changed copy must get a new one.
        let a = try #require(parser.parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n").head).headers
        let b = try #require(parser.parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n").head).headers
        let copy = a
        #expect(a.storageIdentity == copy.storageIdentity)
        #expect(a.storageIdentity != b.storageIdentity)
        var changed = a
        changed.add("X", "y")
        #expect(changed.storageIdentity != a.storageIdentity)
        var built: HTTPHeaders = ["Host": "a"]
        let builtCopy = built
        #expect(built.storageIdentity == builtCopy.storageIdentity)
        built.set("Host", "b")
        #expect(built.storageIdentity != builtCopy.storageIdentity)
        #expect(HTTPHeaders().storageIdentity == HTTPHeaders().storageIdentity, "every empty set renders the same")
    }

    @Test func parsedFields_atTheCountLimit_andFarDown() throws {
        var limits = RequestParser.Limits()
        limits.maxHeaderCount = 300
        let many = RequestParser(limits: limits)
        let filler = (0..<298).map { "X-F\($0): \($0)\r\n" }.joined()
        let text = "GET / HTTP/1.1\r\nHost: h\r\n" + filler + "range: bytes=1-2\r\n\r\n"
        let headers = try #require(many.parse(text).head).headers
        #expect(headers.count == 300)
        #expect(headers[.range] == "bytes=1-2", "position 299, past what the index records")
        #expect(headers["X-F297"] == "297")
        let over = "GET / HTTP/1.1\r\nHost: h\r\n" + filler + "a: 1\r\nb: 2\r\n\r\n"
        #expect(many.parse(over).failureCode == 431)
        #expect(many.parse("GET / HTTP/1.0\r\n\r\n").head?.headers.count == 0)
    }

    @Test func everyKnownField_isRecognisedInAnyCase() {
        for field in KnownField.allCases {
            #expect(KnownField(field.name) == field)
            #expect(Array(field.name.utf8).withUnsafeBytes { KnownField.classify($0)?.spelling } == .exact)
            #expect(KnownField(field.name.lowercased()) == field)
            #expect(KnownField(field.name.uppercased()) == field)
            #expect(KnownField(field.name + "x") == nil)
            #expect(KnownField(String(field.name.dropLast())) == nil)
            #expect(KnownField("q" + field.name.dropFirst()) == nil)
            #expect(KnownField(field.name.dropLast() + "\u{7f}") == nil)
        }
        // Only letters may differ in case: `-` is not `\r` (0x2d and 0x0d differ in bit 0x20), nor `_` or `m`.
        for lookalike in ["If\rNone-Match", "If_None_Match", "IfmNonemMatch", "Content\u{0d}Length", "Hos\u{14}"] {
            #expect(KnownField(lookalike) == nil)
        }
    }

    @Test func tokenCharacters_areExactlyRFC9110tchar() {
        let tchar = Set(Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&'*+-.^_`|~".utf8))
        for byte in UInt8.min...UInt8.max {
            #expect(byte.isTokenCharacter == tchar.contains(byte), "byte \(byte)")
        }
    }

    @Test func hostPolicy_matchesHostsOnBytesAsNormalisingWould() throws {
        func head(_ host: String) -> RequestHead {
            RequestHead(method: .get, target: "/", rawPath: "/", query: nil, version: .http11,
                        headers: ["HOST": host], framing: .none, keepAlive: true)
        }
        let policy = HostPolicy(names: ["files.example", "Bücher.example"], bindHost: "127.0.0.1")
        #expect(policy.allows(head("FILES.example.:8080")))
        #expect(!policy.allows(head("files.example.evil")))
        #expect(!policy.allows(head("")))
        #expect(policy.allows(head("BÜCHER.example")), "a non-ASCII name is lowercased as before")
        #expect(!policy.allows(head("bucher.example")))
        let many = HostPolicy(names: (0..<40).map { "host\($0).example" }, bindHost: "127.0.0.1")
        #expect(many.allows(head("HOST39.example:80")))
        #expect(!many.allows(head("host40.example")))
        let bracketed = HostPolicy(names: nil, bindHost: "::1")
        #expect(bracketed.allows(head("[::1]:8080")))
        #expect(!bracketed.allows(head("[::2]")))
        // The same, with the Host read in place from a parsed head.
        func parsed(_ host: String) throws -> RequestHead {
            try #require(parser.parse("GET / HTTP/1.1\r\nX: y\r\nhost: \(host)\r\n\r\n").head)
        }
        #expect(policy.allows(try parsed("FILES.example.:8080")))
        #expect(!policy.allows(try parsed("files.example.evil")))
        #expect(policy.allows(try parsed("BÜCHER.example")))
        #expect(!policy.allows(try parsed("bucher.example")))
        #expect(many.allows(try parsed("HOST39.example:80")))
        #expect(policy.allows(try #require(parser.parse("GET / HTTP/1.0\r\n\r\n").head)), "no Host in HTTP/1.0")
    }

    @Test func oddlySpelledFields_workOverTheWire() throws {
        let fixture = try TestServer.observed()
        let etag = try #require(try RawClient.fetch(port: fixture.port, "GET", "/hello.txt")["ETag"])
        let cached = try RawClient.exchange(port: fixture.port, "GET /hello.txt HTTP/1.1\r\nhOST: 127.0.0.1\r\n"
            + "if-NONE-match: \(etag)\r\ncONNECTION: CLOSE\r\n\r\n")
        #expect(cached.status == 304)
        #expect(cached.closesConnection)
        let misdirected = try RawClient.exchange(port: fixture.port,
                                                 "GET /hello.txt HTTP/1.1\r\nHOST: Rebinding.Example\r\n\r\n")
        #expect(misdirected.status == 421)
    }
}
