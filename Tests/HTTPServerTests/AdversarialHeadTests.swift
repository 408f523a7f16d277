import Foundation
import HTTPServer
import Testing

/// Hostile request heads: injected CR/LF and NUL bytes, absurd `Content-Length` values, oversized lines and
/// sections, thousands of fields and garbage after a valid request. Each gets its status, unparseable streams
/// are closed, and the server goes on serving.
@Suite struct AdversarialHeadTests {
    // MARK: - Raw bytes in the request line and fields

    /// Raw CR, LF and NUL where they may not be: each is a malformed request, never a second header or request.
    static let injected: [String] = [
        "GET /ok.txt\rX-Injected: 1 HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /ok.txt\r\nX-Injected: 1 HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /ok.txt HTTP/1.1\rX-Injected: 1\r\nHost: h\r\n\r\n",
        "GET /ok.txt HTTP/1.1\r\nHost: h\rX-Injected: 1\r\n\r\n",
        "GET /ok.txt HTTP/1.1\r\nHost: h\r\nX-A: b\rc\r\n\r\n",
        "GET /ok\u{0}.txt HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /ok.txt\u{0} HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /ok.txt HTTP/1.1\u{0}\r\nHost: h\r\n\r\n",
        "G\u{0}ET /ok.txt HTTP/1.1\r\nHost: h\r\n\r\n",
        "\u{0}GET /ok.txt HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /ok.txt HTTP/1.1\r\nHost: h\r\nX-A: b\u{0}c\r\n\r\n",
        "GET /ok.txt HTTP/1.1\r\nHost: h\r\nX\u{0}A: b\r\n\r\n",
        "GET /ok.txt HTTP/1.1\r\nHost: h\u{0}\r\n\r\n",
        "GET\t/ok.txt HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /ok.txt\tHTTP/1.1\r\nHost: h\r\n\r\n",
    ]

    @Test(arguments: injected)
    func rawControlBytesInTheHead_are400_andClose(_ request: String) throws {
        let server = try makeAdversarialServer()
        defer { server.stop() }
        let (response, client) = try adversarialExchange(server, request)
        defer { client.close() }
        #expect(response.status == 400, "\(request.debugDescription) → \(response.status)")
        #expect(response["X-Injected"] == nil)
        expectStandardHeaders(response)
        expectAnsweredAndClosed(response, client)
        expectStillServing(server)
    }

    /// Percent-encoded CR/LF cannot forge a response header: the query is never decoded into one, and a path
    /// that decodes to a control character is refused.
    @Test func encodedCRLF_neverBecomesAResponseHeader() throws {
        let server = try makeAdversarialServer()
        defer { server.stop() }
        let inPath = try RawClient.fetch(port: server.port, "GET", "/ok.txt%0d%0aSet-Cookie:%20a=1")
        #expect(inPath.status == 400)
        #expect(inPath["Set-Cookie"] == nil)

        let inQuery = try RawClient.fetch(port: server.port, "GET", "/ok.txt?%0d%0aSet-Cookie:%20a=1")
        #expect(inQuery.status == 200 && inQuery.text == "ok")
        #expect(inQuery["Set-Cookie"] == nil)

        // The folder redirect keeps the query as sent, still encoded, so its Location stays one line.
        let redirect = try RawClient.fetch(port: server.port, "GET", "/folder?%0d%0aSet-Cookie:%20a=1")
        #expect(redirect.status == 308)
        #expect(redirect["Set-Cookie"] == nil)
        #expect(redirect["Location"] == "/folder/?%0d%0aSet-Cookie:%20a=1")
        expectStillServing(server)
    }

    // MARK: - Content-Length

    @Test(arguments: ["99999999999999999999", "-1", "-0", "+5", "0x10", "1e3", "5.0", "5 5", "", " ", "٥", "５"])
    func contentLengthThatIsNotANumber_is400_andCloses(_ value: String) throws {
        let server = try makeAdversarialServer()
        defer { server.stop() }
        let (response, client) = try adversarialExchange(
            server, "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: \(value)\r\n\r\nhello")
        defer { client.close() }
        #expect(response.status == 400, "Content-Length: \(value) → \(response.status)")
        expectAnsweredAndClosed(response, client)
        expectStillServing(server)
    }

    /// Eighteen nines is a number, just far over any limit: 413 before a byte of the body is read.
    @Test(arguments: ["POST /echo", "GET /ok.txt", "POST /upload"])
    func hugeButValidContentLength_is413_andCloses(_ requestLine: String) throws {
        let server = try makeAdversarialServer()
        defer { server.stop() }
        let (response, client) = try adversarialExchange(
            server, "\(requestLine) HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
                + "Content-Length: 999999999999999999\r\n\r\n{}")
        defer { client.close() }
        #expect(response.status == 413)
        expectAnsweredAndClosed(response, client)
        expectStillServing(server)
    }

    // MARK: - Sizes

    @Test func requestLineOf100KiB_is414_andCloses() throws {
        let server = try makeAdversarialServer()
        defer { server.stop() }
        let path = "/" + String(repeating: "a", count: 100 * 1024)
        let (response, client) = try adversarialExchange(server, RawClient.request("GET", path))
        defer { client.close() }
        #expect(response.status == 414)
        expectAnsweredAndClosed(response, client)
        expectStillServing(server)
    }

    @Test func requestLineOf100KiBWithoutItsEnd_is414_andCloses() throws {
        let server = try makeAdversarialServer()
        defer { server.stop() }
        let (response, client) = try adversarialExchange(server, "GET /" + String(repeating: "a", count: 100 * 1024))
        defer { client.close() }
        #expect(response.status == 414)
        expectAnsweredAndClosed(response, client)
        expectStillServing(server)
    }

    @Test func headerValueOf70KiB_is431_andCloses() throws {
        let server = try makeAdversarialServer()
        defer { server.stop() }
        let value = String(repeating: "v", count: 70 * 1024)
        let (response, client) = try adversarialExchange(server, RawClient.request("GET", "/ok.txt",
                                                                                   headers: [("X-Big", value)]))
        defer { client.close() }
        #expect(response.status == 431)
        expectAnsweredAndClosed(response, client)
        expectStillServing(server)
    }

    @Test func tenThousandTinyHeaders_are431_andClose() throws {
        let server = try makeAdversarialServer()
        defer { server.stop() }
        let fields = (0..<10_000).map { ("X-\($0)", "v") }
        let (response, client) = try adversarialExchange(server, RawClient.request("GET", "/ok.txt", headers: fields))
        defer { client.close() }
        #expect(response.status == 431)
        expectAnsweredAndClosed(response, client)
        expectStillServing(server)
    }

    /// Just over the field count, in a small head: refused on the count, not the size.
    @Test func oneFieldOverTheCount_is431() throws {
        let server = try makeAdversarialServer()
        defer { server.stop() }
        let limit = RequestParser.Limits().maxHeaderCount
        // The Host field counts too.
        let fields = (0..<limit).map { ("X-\($0)", "v") }
        let (response, client) = try adversarialExchange(server, RawClient.request("GET", "/ok.txt", headers: fields))
        defer { client.close() }
        #expect(response.status == 431)
        expectAnsweredAndClosed(response, client)
        let atLimit = try RawClient.fetch(port: server.port, "GET", "/ok.txt",
                                          headers: (0..<(limit - 2)).map { ("X-\($0)", "v") })
        #expect(atLimit.status == 200)
    }

    // MARK: - Pipelining

    @Test func garbageAfterAValidRequest_isAnswered400AfterThe200_thenCloses() throws {
        let server = try makeAdversarialServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port, timeout: 10)
        defer { client.close() }
        try client.send(bytes: Array(RawClient.request("GET", "/ok.txt").utf8)
            + Array("\u{1}\u{2}GARBAGE \u{7f}\u{0} with no shape\r\n\r\n".utf8)
            + Array(RawClient.request("GET", "/ok.txt").utf8))
        let first = try client.readResponse()
        #expect(first.status == 200 && first.text == "ok")
        #expect(!first.closesConnection)
        let second = try client.readResponse()
        #expect(second.status == 400)
        expectAnsweredAndClosed(second, client)
        #expect(client.readToEnd().isEmpty, "the request after the garbage was answered")
        expectStillServing(server)
    }

    @Test func bodyOnGETWithContentLength_isConsumed_andTheNextRequestFollows() throws {
        let server = try makeAdversarialServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port, timeout: 10)
        defer { client.close() }
        // The body looks like a request: read as a request it would be a second answer for /folder/inside.txt.
        let body = RawClient.request("GET", "/folder/inside.txt")
        try client.send("GET /ok.txt HTTP/1.1\r\nHost: h\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
            + RawClient.request("GET", "/ok.txt", headers: [("X-Second", "1")]))
        let first = try client.readResponse()
        #expect(first.status == 200 && first.text == "ok")
        #expect(!first.closesConnection)
        let second = try client.readResponse()
        #expect(second.status == 200 && second.text == "ok")
        #expect(server.context.counters.count(for: "/folder/inside.txt") == 0, "the body was parsed as a request")
        #expect(server.context.counters.count(for: "/ok.txt") == 2)
    }

    // MARK: - Expect

    @Test func expectContinueWithAnUploadOverTheLimit_is413WithoutContinue() throws {
        let server = try makeAdversarialServer { $0.maxUploadBytes = 1024 }
        defer { server.stop() }
        let client = try RawClient(port: server.port, timeout: 10)
        defer { client.close() }
        try client.send("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
            + "Expect: 100-continue\r\nContent-Length: \(1 << 20)\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413, "the first answer was \(response.status), not 413")
        expectAnsweredAndClosed(response, client)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: server.uploads)) == [])
        expectStillServing(server)
    }
}
