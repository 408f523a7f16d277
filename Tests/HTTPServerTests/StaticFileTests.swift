import HTTPServer
import Testing

/// Serving files: headers, HEAD, validators and 304, ranges, redirects for folders, index pages, hidden files
/// and unknown types.
@Suite struct StaticFileTests {
    /// 26 letters, so range answers are easy to read.
    static let alphabet = "abcdefghijklmnopqrstuvwxyz"

    private func makeServer() throws -> TestServer {
        try TestServer(files: [
            "letters.txt": Self.alphabet,
            "page.html": "<h1>page</h1>",
            "docs/index.html": "<h1>docs index</h1>",
            "docs/guide.md": "# guide",
            "blob.xyz123": "binary?",
            "noextension": "plain",
            ".env": "SECRET=1",
            ".git/config": "[core]",
            "sub/.hidden.txt": "hidden",
            "empty.txt": "",
        ])
    }

    @Test func file_isServedWithItsTypeAndValidators() throws {
        let server = try makeServer()
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "GET", "/letters.txt")
        #expect(response.status == 200)
        #expect(response.text == Self.alphabet)
        #expect(response["Content-Type"] == "text/plain; charset=utf-8")
        #expect(response["Accept-Ranges"] == "bytes")
        #expect(response["ETag"]?.hasPrefix("\"") == true)
        #expect(response["Last-Modified"].flatMap(HTTPDate.parse) != nil)
        #expect(response["Content-Disposition"] == nil)
        #expect(response["X-Request-ID"]?.isEmpty == false)
        expectStandardHeaders(response)
    }

    @Test func clientRequestID_isEchoed_andAnUnsafeOneIsReplaced() throws {
        let server = try makeServer()
        defer { server.stop() }
        let given = try RawClient.fetch(port: server.port, "GET", "/letters.txt", headers: [("X-Request-ID", "abc-123")])
        #expect(given["X-Request-ID"] == "abc-123")
        let unsafe = try RawClient.fetch(port: server.port, "GET", "/letters.txt",
                                         headers: [("X-Request-ID", "<script>")])
        #expect(unsafe["X-Request-ID"] != "<script>")
        #expect(unsafe["X-Request-ID"]?.count == 16)
    }

    @Test func ipv6Loopback_servesToo() throws {
        let server = try TestServer(files: ["a.txt": "six"]) { $0.host = "::1" }
        defer { server.stop() }
        #expect(server.server.url == "http://[::1]:\(server.port)/")
        let client = try RawClient(port: server.port, host: "::1")
        defer { client.close() }
        try client.send(RawClient.request("GET", "/a.txt", host: "[::1]"))
        #expect(try client.readResponse().text == "six")
    }

    @Test func eachRequest_isAccessLogged() throws {
        let server = try makeServer()
        defer { server.stop() }
        _ = try RawClient.fetch(port: server.port, "GET", "/letters.txt", headers: [("User-Agent", "probe/1")])
        _ = try RawClient.fetch(port: server.port, "GET", "/missing.txt")
        #expect(eventually { server.logs.lines.count >= 2 })
        let lines = server.logs.lines
        #expect(lines.contains { $0.hasPrefix("127.0.0.1 ") && $0.contains("\"GET /letters.txt HTTP/1.1\" 200 26 ")
            && $0.contains("\"probe/1\"") })
        #expect(lines.contains { $0.contains("\"GET /missing.txt HTTP/1.1\" 404 ") })
    }

    @Test func emptyFile_hasLengthZero() throws {
        let server = try makeServer()
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "GET", "/empty.txt")
        #expect(response.status == 200)
        #expect(response["Content-Length"] == "0")
    }

    @Test func head_hasGetsHeaders_andNoBody() throws {
        let server = try makeServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        try client.send(RawClient.request("GET", "/page.html"))
        let get = try client.readResponse()
        try client.send(RawClient.request("HEAD", "/page.html"))
        let head = try client.readResponse(toHead: true)
        #expect(head.status == 200)
        expectStandardHeaders(head, head: true)
        for name in ["Content-Length", "Content-Type", "ETag", "Last-Modified", "Accept-Ranges"] {
            #expect(head[name] == get[name], "\(name) differs between HEAD and GET")
        }
        #expect(head["Content-Length"] == "13")
        // No body bytes were sent: the next response on the same connection parses from its first byte.
        try client.send(RawClient.request("GET", "/letters.txt"))
        #expect(try client.readResponse().text == Self.alphabet)
    }

    @Test func headOfAnError_hasNoBody() throws {
        let server = try makeServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        try client.send(RawClient.request("HEAD", "/missing.txt"))
        let head = try client.readResponse(toHead: true)
        #expect(head.status == 404)
        #expect(Int(head["Content-Length"] ?? "") ?? 0 > 0)
        try client.send(RawClient.request("GET", "/letters.txt"))
        #expect(try client.readResponse().text == Self.alphabet)
    }

    @Test func ifNoneMatch_withTheETag_is304() throws {
        let server = try makeServer()
        defer { server.stop() }
        let etag = try #require(try RawClient.fetch(port: server.port, "GET", "/letters.txt")["ETag"])
        let response = try RawClient.fetch(port: server.port, "GET", "/letters.txt", headers: [("If-None-Match", etag)])
        #expect(response.status == 304)
        #expect(response.body.isEmpty)
        #expect(response["ETag"] == etag)
        expectStandardHeaders(response)
        let other = try RawClient.fetch(port: server.port, "GET", "/letters.txt",
                                        headers: [("If-None-Match", "\"not-it\"")])
        #expect(other.status == 200)
    }

    @Test func ifModifiedSince_notOlderThanTheFile_is304() throws {
        let server = try makeServer()
        defer { server.stop() }
        try server.folder.setModified("site/letters.txt", seconds: 1_600_000_000)
        let lastModified = try #require(try RawClient.fetch(port: server.port, "GET", "/letters.txt")["Last-Modified"])
        #expect(lastModified == HTTPDate.format(1_600_000_000))
        let same = try RawClient.fetch(port: server.port, "GET", "/letters.txt",
                                       headers: [("If-Modified-Since", lastModified)])
        #expect(same.status == 304)
        let older = try RawClient.fetch(port: server.port, "GET", "/letters.txt",
                                        headers: [("If-Modified-Since", HTTPDate.format(1_599_999_999))])
        #expect(older.status == 200)
        #expect(older.text == Self.alphabet)
    }

    @Test func range_is206_withExactBytes() throws {
        let server = try makeServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        let cases: [(String, String, String)] = [
            ("bytes=0-9", "abcdefghij", "bytes 0-9/26"),
            ("bytes=-5", "vwxyz", "bytes 21-25/26"),
            ("bytes=20-", "uvwxyz", "bytes 20-25/26"),
            ("bytes=24-100", "yz", "bytes 24-25/26"),
        ]
        for (range, body, contentRange) in cases {
            try client.send(RawClient.request("GET", "/letters.txt", headers: [("Range", range)]))
            let response = try client.readResponse()
            #expect(response.status == 206, "\(range)")
            #expect(response.text == body, "\(range)")
            #expect(response["Content-Range"] == contentRange, "\(range)")
            expectStandardHeaders(response)
        }
    }

    @Test func rangePastTheEnd_is416_withTheLength() throws {
        let server = try makeServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        for range in ["bytes=26-", "bytes=100-200"] {
            try client.send(RawClient.request("GET", "/letters.txt", headers: [("Range", range)]))
            let response = try client.readResponse()
            #expect(response.status == 416, "\(range)")
            #expect(response["Content-Range"] == "bytes */26", "\(range)")
            expectStandardHeaders(response)
        }
    }

    @Test func unusableRange_isTheWholeFile() throws {
        let server = try makeServer()
        defer { server.stop() }
        for range in ["bytes=9-0", "bytes=0-1,3-4", "lines=1-2"] {
            let response = try RawClient.fetch(port: server.port, "GET", "/letters.txt", headers: [("Range", range)])
            #expect(response.status == 200, "\(range)")
            #expect(response.text == Self.alphabet, "\(range)")
        }
    }

    @Test func ifRange_matching_is206_andMismatching_is200Full() throws {
        let server = try makeServer()
        defer { server.stop() }
        let first = try RawClient.fetch(port: server.port, "GET", "/letters.txt")
        let etag = try #require(first["ETag"])
        let lastModified = try #require(first["Last-Modified"])

        let matching = try RawClient.fetch(port: server.port, "GET", "/letters.txt",
                                           headers: [("Range", "bytes=0-2"), ("If-Range", etag)])
        #expect(matching.status == 206)
        #expect(matching.text == "abc")
        let byDate = try RawClient.fetch(port: server.port, "GET", "/letters.txt",
                                         headers: [("Range", "bytes=0-2"), ("If-Range", lastModified)])
        #expect(byDate.status == 206)

        let mismatching = try RawClient.fetch(port: server.port, "GET", "/letters.txt",
                                              headers: [("Range", "bytes=0-2"), ("If-Range", "\"stale\"")])
        #expect(mismatching.status == 200)
        #expect(mismatching.text == Self.alphabet)
        #expect(mismatching["Content-Range"] == nil)
    }

    @Test func folderWithoutSlash_is308_keepingTheQuery() throws {
        let server = try makeServer()
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "GET", "/docs?page=2&x=%20")
        #expect(response.status == 308)
        #expect(response["Location"] == "/docs/?page=2&x=%20")
        expectStandardHeaders(response)
    }

    @Test func folder_servesItsIndexHTML() throws {
        let server = try makeServer()
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "GET", "/docs/")
        #expect(response.status == 200)
        #expect(response.text == "<h1>docs index</h1>")
        #expect(response["Content-Type"] == "text/html; charset=utf-8")
    }

    @Test(arguments: ["/.env", "/.git/config", "/.git/", "/sub/.hidden.txt", "/%2eenv", "/%2Egit/config"])
    func dotfile_is404(_ path: String) throws {
        let server = try makeServer()
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "GET", path)
        #expect(response.status == 404)
        #expect(!response.text.contains("SECRET"))
    }

    @Test(arguments: ["/blob.xyz123", "/noextension"])
    func unknownType_isOctetStreamAttachment(_ path: String) throws {
        let server = try makeServer()
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "GET", path)
        #expect(response.status == 200)
        #expect(response["Content-Type"] == "application/octet-stream")
        #expect(response["Content-Disposition"] == "attachment")
    }

    @Test func percentEncodedName_isServed() throws {
        let server = try makeServer()
        defer { server.stop() }
        try server.write("with space & ünïcode.txt", "spaced")
        let response = try RawClient.fetch(port: server.port, "GET", "/with%20space%20%26%20%C3%BCn%C3%AFcode.txt")
        #expect(response.status == 200)
        #expect(response.text == "spaced")
    }

    @Test func largeFile_arrivesWhole() throws {
        let server = try makeServer()
        defer { server.stop() }
        // Larger than the socket buffers, so the response must wait for the client to drain it.
        let size = 8 << 20
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) }
        try server.folder.write("site/big.bin", bytes: bytes)
        let client = try RawClient(port: server.port, timeout: 10)
        defer { client.close() }
        try client.send(RawClient.request("GET", "/big.bin"))
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.body.count == size)
        #expect(firstDifference(response.body, bytes) == nil)
    }
}
