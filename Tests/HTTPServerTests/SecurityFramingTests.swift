import HTTPServer
import Testing

/// Finding 8 of the hostile probe, on the wire: chunked trailers had no size limit (80 MB accepted), a chunk size
/// over `--max-upload` waited 30 s for 408 instead of answering 413, and `HTTP://` (an upper-case scheme) in
/// absolute form was refused with 400.
@Suite struct SecurityFramingTests {
    private func echoServer(configure: (inout ApplicationConfiguration) -> Void = { _ in }) throws -> TestServer {
        try TestServer(configure: configure, routes: { router in
            router.post("/echo", body: .buffered(maxBytes: 1000)) { request in Response(text: "\(request.body.count)") }
        })
    }

    private func chunkedHead(_ path: String, contentType: String? = nil) -> String {
        "POST \(path) HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
            + (contentType.map { "Content-Type: \($0)\r\n" } ?? "") + "\r\n"
    }

    @Test func smallTrailerSection_isReadAndDropped() throws {
        let server = try echoServer()
        defer { server.stop() }
        let response = try RawClient.exchange(port: server.port,
                                              chunkedHead("/echo") + "3\r\nabc\r\n0\r\nX-Checksum: 1\r\n\r\n")
        #expect(response.status == 200)
        #expect(response.text == "3")
    }

    /// Trailers are a header section after the body: past the head's limit (64 KiB) they are refused like one.
    @Test func trailerSectionOverTheHeaderLimit_is431() throws {
        let server = try echoServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port, timeout: 5)
        defer { client.close() }
        let field = "X-Filler: " + String(repeating: "t", count: 1000) + "\r\n"
        try client.send(chunkedHead("/echo") + "3\r\nabc\r\n0\r\n")
        try? client.send(String(repeating: field, count: 80) + "\r\n")
        let response = try client.readResponse()
        #expect(response.status == 431)
        #expect(client.waitForClose())
    }

    @Test func trailerLimit_followsTheHeaderBytesLimit() throws {
        let server = try echoServer { $0.parserLimits.maxHeaderBytes = 2048 }
        defer { server.stop() }
        let field = "X-Filler: " + String(repeating: "t", count: 500) + "\r\n"
        let small = try RawClient.exchange(port: server.port, chunkedHead("/echo") + "0\r\n" + field + "\r\n")
        let large = try RawClient.exchange(port: server.port,
                                           chunkedHead("/echo") + "0\r\n" + String(repeating: field, count: 5) + "\r\n")
        #expect(small.status == 200)
        #expect(large.status == 431)
    }

    /// The size line alone says the body is too large: answered at once, long before the body timeout.
    @Test func chunkSizeOverTheRouteLimit_is413AtOnce() throws {
        let server = try echoServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port, timeout: 3)
        defer { client.close() }
        let started = monotonicSeconds()
        try client.send(chunkedHead("/echo") + "3E9\r\n")  // 1001 bytes, one over
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(monotonicSeconds() - started < 2)
    }

    @Test func chunkSizesAddingUpOverTheLimit_are413AtTheSizeLine() throws {
        let server = try echoServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port, timeout: 3)
        defer { client.close() }
        try client.send(chunkedHead("/echo") + "1F4\r\n" + String(repeating: "a", count: 500) + "\r\n1F5\r\n")
        #expect(try client.readResponse().status == 413)
    }

    @Test func chunkSizeOverMaxUpload_is413AtOnce() throws {
        let server = try TestServer { $0.maxUploadBytes = 4096 }
        defer { server.stop() }
        let client = try RawClient(port: server.port, timeout: 3)
        defer { client.close() }
        try client.send(chunkedHead("/upload", contentType: "application/json") + "FFFFFFFFFF\r\n[1,")
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(server.entries().isEmpty)
    }

    @Test func chunkOfExactlyTheLimit_isAccepted() throws {
        let server = try echoServer()
        defer { server.stop() }
        let response = try RawClient.exchange(port: server.port, chunkedHead("/echo") + "3E8\r\n"
                                              + String(repeating: "a", count: 1000) + "\r\n0\r\n\r\n")
        #expect(response.status == 200)
        #expect(response.text == "1000")
    }

    @Test(arguments: ["HTTP://127.0.0.1/hello.txt", "Http://127.0.0.1/hello.txt", "HTTPS://127.0.0.1/hello.txt",
                      "http://127.0.0.1/hello.txt"])
    func absoluteFormScheme_isMatchedWithoutRegardToCase(target: String) throws {
        let server = try TestServer(files: ["hello.txt": "hello\n"])
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "GET", target)
        #expect(response.status == 200)
        #expect(response.text == "hello\n")
    }

    /// The authority of an absolute-form target is what the host policy checks, whatever the scheme's case.
    @Test func upperCaseSchemeNamingAnotherHost_isRefusedByTheHostPolicy() throws {
        let server = try TestServer(files: ["hello.txt": "hello\n"]) { $0.allowedHosts = nil }
        defer { server.stop() }
        #expect(try RawClient.fetch(port: server.port, "GET", "HTTP://evil.example/hello.txt").status == 421)
        #expect(try RawClient.fetch(port: server.port, "GET", "HTTP://127.0.0.1/hello.txt").status == 200)
    }

    @Test(arguments: ["HTTPX://h/", "ftp://h/", "http:/h/", "http:h/"])
    func otherSchemes_areStill400(target: String) throws {
        let server = try TestServer(files: ["hello.txt": "hello\n"])
        defer { server.stop() }
        #expect(try RawClient.fetch(port: server.port, "GET", target).status == 400)
    }
}
