import Testing
@testable import HTTPServer

@Suite struct ResponseSerializerTests {
    private func text(_ response: Response, bodyLength: Int, _ persistence: ResponseSerializer.Persistence) -> String {
        let date = Array("Sun, 06 Nov 1994 08:49:37 GMT".utf8)
        let head = ResponseSerializer.head(for: response, bodyLength: bodyLength, date: date, server: "httpsh",
                                           persistence: persistence, requestID: "00000000000000ff")
        return String(decoding: head, as: UTF8.self)
    }

    @Test func keepAliveHead_carriesStatusLengthAndKeepAliveFigures() {
        var response = Response(status: .ok)
        response.headers.add("Content-Type", "text/plain")
        let head = text(response, bodyLength: 1_048_576, .keepAlive(timeout: 30, remaining: 1000))
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: httpsh\r\n"))
        #expect(head.contains("\r\nContent-Length: 1048576\r\n"))
        #expect(head.contains("\r\nConnection: keep-alive\r\nKeep-Alive: timeout=30, max=1000\r\n"))
        #expect(head.contains("\r\nX-Request-ID: 00000000000000ff\r\n"))
        #expect(head.hasSuffix("\r\nContent-Type: text/plain\r\n\r\n"))
    }

    @Test func closingHead_withEmptyBody_saysZeroAndClose() {
        let head = text(Response(status: .notFound), bodyLength: 0, .close)
        #expect(head.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(head.contains("\r\nContent-Length: 0\r\nConnection: close\r\n"))
    }

    @Test func notModified_hasNoContentLength() {
        let head = text(Response(status: .notModified), bodyLength: 10, .keepAlive(timeout: 5, remaining: 1))
        #expect(head.hasPrefix("HTTP/1.1 304 Not Modified\r\n"))
        #expect(!head.contains("Content-Length"))
        #expect(head.contains("Keep-Alive: timeout=5, max=1\r\n"))
    }

    @Test(arguments: [0, 7, 9, 10, 99, 100, 1234, 65_536, Int.max, -42])
    func decimal_matchesStringDescription(_ value: Int) {
        var out: [UInt8] = []
        ResponseSerializer.appendDecimal(value, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == String(value))
    }
}
