import HTTPServer
import Testing

/// Request smuggling (RFC 9112 §6.1–6.3, §11.2): every framing a proxy in front of us might read differently is
/// refused with 400 (or 501 for a coding we do not implement) and the connection closed, so a request hidden in
/// the body never runs; the legal whitespace variants of `Transfer-Encoding` are served.
@Suite struct AdversarialSmugglingTests {
    /// A request hidden after the body, which must never be routed.
    static let smuggled = "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n"

    /// Field lines (each ending in CRLF) that frame a body ambiguously, with the status they must get.
    static let ambiguous: [(fields: String, status: Int)] = [
        // CL.TE and TE.CL: both framings at once.
        ("Content-Length: 6\r\nTransfer-Encoding: chunked\r\n", 400),
        ("Transfer-Encoding: chunked\r\nContent-Length: 6\r\n", 400),
        ("Content-Length: 0\r\nTransfer-Encoding: chunked\r\n", 400),
        // TE.TE: obfuscated codings that one parser might take for chunked and another not.
        ("Transfer-Encoding: xchunked\r\n", 400),
        ("Transfer-Encoding: chunkedx\r\n", 400),
        ("Transfer-Encoding: \"chunked\"\r\n", 400),
        ("Transfer-Encoding: chunked, identity\r\n", 400),
        ("Transfer-Encoding: identity\r\n", 400),
        ("Transfer-Encoding: chunked\r\nTransfer-Encoding: xchunked\r\n", 400),
        ("Transfer-Encoding: xchunked\r\nContent-Length: 6\r\n", 400),
        ("Transfer-Encoding : chunked\r\n", 400),
        ("Transfer-Encoding\t: chunked\r\n", 400),
        ("Transfer-Encoding\r\n : chunked\r\n", 400),
        ("X-Padding: a\r\n Transfer-Encoding: chunked\r\n", 400),
        ("X-Padding: a\r\n\tTransfer-Encoding: chunked\r\n", 400),
        ("Transfer-Encoding: chunked\u{0B}\r\n", 400),
        ("Transfer-Encoding: chunked\rX: y\r\n", 400),
        ("Transfer-Encoding:\r\n", 400),
        // Chunked applied twice is not a coding we lack: it is a malformed message (RFC 9112 §7.1).
        ("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", 400),
        ("Transfer-Encoding: chunked, chunked\r\n", 400),
        // A real coding before chunked: understood framing, unimplemented coding.
        ("Transfer-Encoding: gzip, chunked\r\n", 501),
        // Content-Length that disagrees with itself.
        ("Content-Length: 6\r\nContent-Length: 7\r\n", 400),
        ("Content-Length: 6, 7\r\n", 400),
    ]

    @Test(arguments: ambiguous)
    func ambiguousFraming_isRefused_closed_andHidesNoRequest(_ fields: String, _ status: Int) throws {
        let server = try makeAdversarialServer()
        defer { server.stop() }
        let (response, client) = try adversarialExchange(
            server, "POST /echo HTTP/1.1\r\nHost: h\r\n" + fields + "\r\n0\r\n\r\n" + Self.smuggled)
        defer { client.close() }
        #expect(response.status == status, "\(fields.debugDescription) → \(response.status)")
        expectStandardHeaders(response)
        expectAnsweredAndClosed(response, client)
        #expect(server.context.counters.count(for: "/smuggled") == 0, "the hidden request was routed")
        expectStillServing(server)
    }

    @Test func chunkedInHTTP10_isRefused() throws {
        let server = try makeAdversarialServer()
        defer { server.stop() }
        let (response, client) = try adversarialExchange(
            server, "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + Self.smuggled)
        defer { client.close() }
        #expect(response.status == 400)
        expectAnsweredAndClosed(response, client)
        #expect(server.context.counters.count(for: "/smuggled") == 0)
        expectStillServing(server)
    }

    /// Optional whitespace around a field value is legal (RFC 9110 §5.5), tab included, and the name is
    /// case-insensitive: each of these is plain chunked framing, so the body is read and the next request follows.
    @Test(arguments: [
        "Transfer-Encoding:\tchunked",
        "Transfer-Encoding: \t chunked \t",
        "Transfer-Encoding:chunked",
        "transfer-encoding: CHUNKED",
    ])
    func legalWhitespaceAroundChunked_isServed_andTheNextRequestFollows(_ field: String) throws {
        let server = try makeAdversarialServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port, timeout: 10)
        defer { client.close() }
        try client.send("POST /echo HTTP/1.1\r\nHost: h\r\n\(field)\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
            + RawClient.request("GET", "/ok.txt"))
        let echoed = try client.readResponse()
        #expect(echoed.status == 200)
        #expect(echoed.text == "5:hello")
        #expect(!echoed.closesConnection)
        let next = try client.readResponse()
        #expect(next.status == 200 && next.text == "ok")
    }
}
