import Testing
@testable import HTTPServer

/// A made request id is kept as a number and written into the head as digits; what a handler reads as
/// `request.id` must be the same text the client gets as `X-Request-ID`.
@Suite struct RequestIDTests {
    @Test func handlersRequestID_equalsTheResponseHeader_madeAndGiven() throws {
        var router = Router()
        router.get("/id") { request in .text(request.id) }
        let running = try TestServer(router: router)
        defer { running.stop() }
        let connection = try RawClient(port: running.port)
        defer { connection.close() }

        for _ in 0..<3 {
            try connection.send("GET /id HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let made = try connection.readResponse()
            let header = try #require(made["X-Request-ID"])
            #expect(made.text == header)
            #expect(header.utf8.count == 16 && UInt64(header, radix: 16) != nil)
        }
        try connection.send("GET /id HTTP/1.1\r\nHost: localhost\r\nX-Request-ID: trace-42\r\n\r\n")
        let given = try connection.readResponse()
        #expect(given["X-Request-ID"] == "trace-42")
        #expect(given.text == "trace-42")
    }
}
