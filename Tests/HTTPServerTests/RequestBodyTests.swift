import Glibc
import HTTPServer
import Testing

/// Request bodies on a buffered route: `Content-Length` and chunked framing, `Expect: 100-continue`, the size
/// limit, and the connection staying in step afterwards.
@Suite struct RequestBodyTests {
    /// A server with `POST /echo` answering `<length>:<body>` and a 64-byte-limited `POST /small`.
    private func makeServer() throws -> TestServer {
        try TestServer(routes: { router in
            router.post("/echo") { request in
                Response(text: "\(request.body.count):" + String(decoding: request.body, as: UTF8.self))
            }
            router.post("/small", body: .buffered(maxBytes: 64)) { request in
                Response(text: "\(request.body.count)")
            }
        })
    }

    @Test func contentLengthBody_reachesTheHandler() throws {
        let server = try makeServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        try client.send(RawClient.request("POST", "/echo", body: "hello, body"))
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "11:hello, body")
        expectStandardHeaders(response)
        // The connection is still in step.
        try client.send(RawClient.request("POST", "/echo", body: "again"))
        #expect(try client.readResponse().text == "5:again")
    }

    @Test func chunkedBody_reachesTheHandler_andTheNextRequestFollows() throws {
        let server = try makeServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        let head = "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        let body = "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n"
        try client.send(head + body + RawClient.request("POST", "/echo", body: "next"))
        let first = try client.readResponse()
        #expect(first.status == 200)
        #expect(first.text == "12:hello, world")
        #expect(try client.readResponse().text == "4:next")
    }

    @Test func chunkedBody_sentInPieces_isAssembled() throws {
        let server = try makeServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        try client.send("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
        for piece in ["3\r\n", "abc", "\r\n", "2\r", "\nde\r\n", "0\r\n", "\r\n"] {
            try client.send(piece)
            usleep(2_000)
        }
        #expect(try client.readResponse().text == "5:abcde")
    }

    @Test func brokenChunking_is400_andCloses() throws {
        let server = try makeServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        try client.send("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nabc\r\n0\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 400)
        #expect(response.closesConnection)
        #expect(client.waitForClose())
    }

    @Test func expect100Continue_getsContinueBeforeTheFinalResponse() throws {
        let server = try makeServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        try client.send("POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        let interim = try client.readResponse()
        #expect(interim.status == 100)
        #expect(interim.body.isEmpty)
        try client.send("data")
        let final = try client.readResponse()
        #expect(final.status == 200)
        #expect(final.text == "4:data")
    }

    @Test func expect100Continue_forABodyTooLarge_gets413Instead() throws {
        let server = try makeServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        try client.send("POST /small HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(response.closesConnection)
    }

    @Test func bodyOverTheRoutesLimit_is413() throws {
        let server = try makeServer()
        defer { server.stop() }
        let declared = try RawClient.fetch(port: server.port, "POST", "/small",
                                           body: String(repeating: "x", count: 65))
        #expect(declared.status == 413)
        let within = try RawClient.fetch(port: server.port, "POST", "/small", body: String(repeating: "x", count: 64))
        #expect(within.text == "64")

        let client = try RawClient(port: server.port)
        defer { client.close() }
        let chunk = String(repeating: "y", count: 40)
        try client.send("POST /small HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "28\r\n\(chunk)\r\n28\r\n\(chunk)\r\n0\r\n\r\n")
        let chunked = try client.readResponse()
        #expect(chunked.status == 413)
        #expect(chunked.closesConnection)
    }

    @Test func stalledBody_is408_thenCloses() throws {
        let server = try TestServer(configure: { $0.bodyTimeoutSeconds = 1 }, routes: { router in
            router.post("/echo") { Response(text: "\($0.body.count)") }
        })
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        try client.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc")
        let response = try client.readResponse()
        #expect(response.status == 408)
        #expect(response.closesConnection)
        #expect(client.waitForClose())
        #expect(eventually { server.context.stats.requestsInFlight == 0 }, "the timed-out request stays in flight")
    }

    @Test func clientLeavingMidBody_endsTheRequest() throws {
        let server = try makeServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        try client.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\npartial")
        #expect(eventually { server.context.stats.requestsInFlight == 1 })
        client.close()
        #expect(eventually { server.server.openConnections == 0 })
        #expect(server.context.stats.requestsInFlight == 0, "an abandoned request stays in flight")
        // A later request is served normally.
        #expect(try RawClient.fetch(port: server.port, "POST", "/echo", body: "ok").text == "2:ok")
    }

    @Test func bodyOnARouteThatDoesNotReadIt_closesAfterTheAnswer() throws {
        let server = try makeServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        // A 404 with an unread body: the body bytes must not be parsed as the next request.
        try client.send(RawClient.request("POST", "/nowhere", body: "GET /injected HTTP/1.1\r\nHost: h\r\n\r\n"))
        let response = try client.readResponse()
        #expect(response.status == 405)
        #expect(response.closesConnection)
        #expect(client.waitForClose())
        #expect(server.context.counters.count(for: "/injected") == 0)
    }
}
