import Glibc
import Testing
@testable import HTTPServer

/// After refusing a request whose body is still arriving, the server stops writing but keeps reading until the
/// client is done, so the client sees the refusal and a clean end of stream, never a connection reset.
@Suite struct LingeringCloseTests {
    @Test func refusedBody_clientReadsTheAnswerAndAnOrderlyClose() throws {
        let server = try TestServer(files: ["a.txt": "a"])
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        try client.send("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n")
        try client.send(bytes: [UInt8](repeating: 0x61, count: 32 * 1024))
        let refusal = try client.readResponse()
        #expect(refusal.status == 413)
        #expect(refusal.closesConnection)

        // The server is discarding, not resetting: more of the body is accepted without error...
        for _ in 0..<8 { try client.send(bytes: [UInt8](repeating: 0x62, count: 16 * 1024)) }
        // ...and once the client stops sending, the end of stream is an orderly FIN.
        Glibc.shutdown(client.fd, Int32(SHUT_WR))
        var byte: UInt8 = 0
        let n = recv(client.fd, &byte, 1, 0)
        #expect(n == 0, "expected an orderly close, got \(n) (errno \(errno))")
    }

    /// A client that said `Connection: close` may still send a stray CRLF (RFC 9112 §2.2 has servers tolerate
    /// them) while a large answer waits for the socket: closing on those bytes unread would reset the connection
    /// and destroy the answer's tail in flight.
    @Test func closeRequested_strayCRLFWhileTheAnswerWaits_getsTheWholeAnswer() throws {
        let size = 24 << 20  // more than loopback's socket buffers hold, so the answer waits for the client
        let server = try TestServer(files: ["big.bin": String(repeating: "x", count: size)])
        defer { server.stop() }
        let client = try RawClient(port: server.port, timeout: 10)
        defer { client.close() }
        try client.send("GET /big.bin HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        usleep(50_000)
        try client.send("\r\n")
        usleep(300_000)
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.body.count == size)
    }

    @Test func lingeringConnection_isCutAfterTheLingerLimit() throws {
        let server = try TestServer(files: ["a.txt": "a"])
        defer { server.stop() }
        let client = try RawClient(port: server.port, timeout: 10)
        defer { client.close() }
        try client.send("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\nxyz")
        #expect(try client.readResponse().status == 413)
        // A client that neither sends nor closes is closed by the housekeeper after the linger limit.
        #expect(client.waitForClose())
        #expect(eventually { server.server.openConnections == 0 })
    }
}
