import Glibc
import HTTPServer
import Testing

/// Finding 1 of the hostile probe: a client that sends only empty lines, or keeps a head coming forever, is cut
/// on time and cannot hold a worker or grow a buffer.
@Suite struct SecurityHeadDeadlineTests {
    @Test func oneEmptyLineBeforeTheRequestLine_isIgnored() throws {
        let head = try #require(RequestParser().parse("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n").head)
        #expect(head.rawPath == "/")
    }

    @Test func manyEmptyLinesBeforeTheRequestLine_are400() {
        let parser = RequestParser()
        #expect(parser.parse(String(repeating: "\r\n", count: 5) + "GET / HTTP/1.1\r\nHost: h\r\n\r\n").failureCode == 400)
        #expect(parser.parse(String(repeating: "\r\n", count: 100)).failureCode == 400)
    }

    /// The probe's attack: a stream of CRLF never completed a head, was never timed out, grew the buffer and was
    /// rescanned on every read. Now it is answered 400 as soon as it passes the few empty lines allowed.
    @Test func floodOfEmptyLines_isAnswered400AtOnce_andClosed() throws {
        let server = try TestServer(files: ["hello.txt": "hello\n"])
        defer { server.stop() }
        let flooder = try RawClient(port: server.port, timeout: 3)
        defer { flooder.close() }
        try? flooder.send(String(repeating: "\r\n", count: 32 * 1024))
        let response = try flooder.readResponse()
        #expect(response.status == 400)
        #expect(flooder.waitForClose())
        #expect(try RawClient.fetch(port: server.port, "GET", "/hello.txt").status == 200)
    }

    /// A head trickled in byte by byte gets 408 once the header timeout passes from its first byte, blank
    /// lines included, however often its bytes wake a worker.
    @Test func trickledHead_is408AfterTheHeaderTimeoutFromItsFirstByte() throws {
        let server = try TestServer(files: ["hello.txt": "hello\n"]) { $0.headerTimeoutSeconds = 1 }
        defer { server.stop() }
        let client = try RawClient(port: server.port, timeout: 5)
        defer { client.close() }
        let started = monotonicSeconds()
        try client.send("\r\nGET /hello.txt HTTP/1.1\r\n")
        var answered = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)
        while monotonicSeconds() - started < 4, poll(&answered, 1, 0) == 0 {
            guard (try? client.send("X")) != nil else { break }
            usleep(2_000)
        }
        #expect(monotonicSeconds() - started < 3)
        let response = try client.readResponse()
        #expect(response.status == 408)
    }
}
