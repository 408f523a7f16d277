import Glibc
import HTTPServerTesting
import Testing
@testable import HTTPServer

/// Connections are edge-triggered: one event may stand for a request's bytes and the client's FIN behind them.
/// A read returns the bytes without the end of stream, so a server that parked after it would never hear of the
/// FIN again and keep the connection until a timeout. Found under ThreadSanitizer, where an upload cut off
/// half-way kept its temporary file for the 30 s body timeout.
@Suite struct EdgeTriggeredCloseTests {
    /// A parked keep-alive connection gets its last request and the FIN together: the server answers, then closes
    /// at once rather than after the idle timeout.
    @Test func requestAndFINInOneEvent_areAnsweredAndClosedAtOnce() throws {
        let server = try TestServer(files: ["a.txt": "a"], configure: { $0.idleTimeoutSeconds = 60 })
        defer { server.stop() }
        for _ in 0..<20 {
            let client = try RawClient(port: server.port, timeout: 3)
            defer { client.close() }
            try client.send(RawClient.request("GET", "/a.txt"))
            #expect(try client.readResponse().status == 200)
            // Parked and idle now; the next request and the FIN leave back to back and arrive as one edge.
            usleep(20_000)
            try client.send(RawClient.request("GET", "/a.txt"))
            Glibc.shutdown(client.fd, Int32(SHUT_WR))
            #expect(try client.readResponse().status == 200)
            #expect(client.waitForClose(), "the server kept a half-closed connection open")
        }
    }

    /// The case that was found: an upload's client sends part of the body and goes away; its temporary file goes
    /// at once, not when the body timeout cuts the connection.
    @Test func uploadCutOffHalfWay_isAbandonedAtOnce() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        let document = Array(("[" + String(repeating: "12345678,", count: 100_000) + "0]").utf8)
        let request = UploadTestRequest.post(contentType: "application/json", body: document)
        for _ in 0..<5 {
            let client = try server.connect()
            try client.send(bytes: Array(request[..<(request.count / 2)]))
            #expect(eventually { server.entries().contains { $0.hasPrefix(".upload-") } })
            // The last bytes and the FIN together, as a client that gives up sends them.
            try client.send(bytes: Array(request[(request.count / 2)..<(request.count / 2 + 1000)]))
            client.close()
            // Well within the 30 s body timeout that used to be what ended it.
            #expect(eventually(within: 5) { server.entries().isEmpty })
        }
        #expect(server.store.uploadsTotal == 0)
    }
}
