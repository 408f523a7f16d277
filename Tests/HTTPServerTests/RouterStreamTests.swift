import HTTPServer
import Testing

/// `router.stream`: the body arrives piece by piece in a sink, whose `finish` answers; a request without a body
/// gets a sink that receives nothing and answers the same way; a refused body aborts the sink.
@Suite struct RouterStreamTests {
    /// Counts what it receives and answers `<bytes>:<pieces>:<body>`; records its `abort` in `events`.
    final class CountingSink: RequestBodySink {
        let events: Lock<[String]>
        private var received: [UInt8] = []
        private var pieces = 0

        init(events: Lock<[String]>) {
            self.events = events
        }

        func write(_ bytes: Span<UInt8>) throws {
            pieces += 1
            for index in bytes.indices { received.append(bytes[index]) }
        }

        func finish() throws -> Response {
            events.withLock { $0.append("finish") }
            return Response(text: "\(received.count):\(pieces):" + String(decoding: received, as: UTF8.self))
        }

        func abort() {
            events.withLock { $0.append("abort") }
        }
    }

    /// A server with `PUT /files/*name` streaming into a `CountingSink`, limited to 16 bytes.
    private func start(_ events: Lock<[String]>) throws -> TestServer {
        try TestServer(standardRoutes: false, routes: { router in
            router.stream(.put, "/files/*name", maxBytes: 16) { _ in CountingSink(events: events) }
        })
    }

    @Test func stream_deliversTheBodyToTheSink() throws {
        let events = Lock<[String]>([])
        let server = try start(events)
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "PUT", "/files/a", body: "hello")
        #expect(response.status == 200)
        #expect(response.text.hasPrefix("5:") && response.text.hasSuffix(":hello"), "\(response.text)")
        #expect(events.withLock { $0 } == ["finish"])
    }

    @Test func stream_chunkedBody_arrivesDecoded() throws {
        let events = Lock<[String]>([])
        let server = try start(events)
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        try client.send("PUT /files/a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.text.hasPrefix("7:") && response.text.hasSuffix(":abcdefg"), "\(response.text)")
    }

    /// The defect this suite was written for: an empty body used to reach a placeholder handler that threw 500.
    @Test func stream_contentLengthZero_answersFromFinish() throws {
        let events = Lock<[String]>([])
        let server = try start(events)
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "PUT", "/files/a", body: "")
        #expect(response.status == 200)
        #expect(response.text == "0:0:")
        #expect(events.withLock { $0 } == ["finish"])
    }

    @Test func stream_noBodyAtAll_answersFromFinish() throws {
        let events = Lock<[String]>([])
        let server = try start(events)
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "PUT", "/files/a")
        #expect(response.status == 200)
        #expect(response.text == "0:0:")
    }

    @Test func stream_announcedLengthOverTheLimit_is413BeforeASinkIsMade() throws {
        let events = Lock<[String]>([])
        let server = try start(events)
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "PUT", "/files/a", body: String(repeating: "x", count: 17))
        #expect(response.status == 413)
        #expect(events.withLock { $0 } == [])
    }

    @Test func stream_chunkedBodyOverTheLimit_is413AndAbortsTheSink() throws {
        let events = Lock<[String]>([])
        let server = try start(events)
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        try client.send("PUT /files/a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "10\r\n0123456789abcdef\r\n1\r\nX\r\n0\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(eventually { events.withLock { $0 } == ["abort"] }, "\(events.withLock { $0 })")
    }
}
