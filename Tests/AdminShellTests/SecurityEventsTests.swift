import AdminShell
import Foundation
import Glibc
import HTTPServer
import Testing

/// The security journal fed by real hostile requests over loopback, read back through `events --json`, `events top`
/// and `/metrics`; autoblock blocking and expiring.
@Suite struct SecurityEventsTests {
    /// The rows of `events 1000 --json` as the shell prints them.
    private func events(_ server: TestServer, _ arguments: String = "1000") throws -> [[String: Any]] {
        let reply = server.run("events \(arguments) --json")
        let object = try #require(JSONSerialization.jsonObject(with: Data(ReplyFormatter.json(reply).utf8))
            as? [String: Any])
        #expect(object["ok"] as? Bool == true)
        return try #require(object["rows"] as? [[String: Any]])
    }

    private func kinds(_ server: TestServer) throws -> [String] {
        try events(server).compactMap { $0["kind"] as? String }
    }

    /// Sends raw bytes on a fresh connection and reads the answer (nil when the server just closed).
    @discardableResult
    private func send(_ server: TestServer, _ text: String) throws -> RawResponse? {
        let client = try RawClient(port: server.port)
        defer { client.close() }
        try client.send(text)
        return try? client.readResponse()
    }

    @Test(arguments: [
        ("traversal", "GET /../../etc/passwd HTTP/1.1\r\nHost: h\r\n\r\n", 404),
        ("encoded_dot", "GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: h\r\n\r\n", 404),
        ("encoded_dot", "GET /folder/..%2f..%2fsecret HTTP/1.1\r\nHost: h\r\n\r\n", 404),
        ("smuggling", "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("smuggling", "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 400),
        ("bad_chunk", "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400),
        ("oversized_head", "GET /\(String(repeating: "a", count: 9000)) HTTP/1.1\r\nHost: h\r\n\r\n", 414),
        ("oversized_head", "GET / HTTP/1.1\r\nHost: h\r\n" + String(repeating: "X-A: b\r\n", count: 120) + "\r\n", 431),
        ("oversized_body", "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\n\r\n", 413),
        ("malformed_upload", "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"a\": 1,]", 400),
        ("malformed_upload", "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Type: image/png\r\nContent-Length: 3\r\n\r\nabc", 415),
        ("malformed_request", "GET / HTTP/1.1\r\nHost: h\r\nBad Header: x\r\n\r\n", 400),
    ])
    func hostileRequest_isAnsweredAndJournaled(kind: String, request: String, status: Int) throws {
        let server = try TestServer.shell { $0.maxUploadBytes = 1 << 20 }
        let response = try send(server, request)
        #expect(response?.status == status)
        let rows = try events(server)
        let row = try #require(rows.first { $0["kind"] as? String == kind }, "\(rows)")
        #expect(row["client"] as? String == "127.0.0.1")
        #expect((row["time"] as? String)?.hasSuffix("Z") == true)
        let id = try #require(row["request_id"] as? String)
        #expect(id == response?["X-Request-ID"], "the event names the request the client was answered for")
        #expect(!(row["detail"] as? String ?? "").isEmpty)
        #expect(rows.count == 1, "one request, one event: \(rows)")
    }

    @Test func hostMismatch_421_isJournaled() throws {
        let server = try TestServer.shell { $0.allowedHosts = ["good.example"] }
        let response = try send(server, "GET /hello.txt HTTP/1.1\r\nHost: evil.example\r\n\r\n")
        #expect(response?.status == 421)
        let row = try #require(try events(server).first)
        #expect(row["kind"] as? String == "host_mismatch")
        #expect(row["detail"] as? String == "evil.example")
    }

    @Test func rateLimited_429_isJournaled() throws {
        let server = try TestServer.shell()
        #expect(server.run("ratelimit 2/60 burst 2").ok)
        var statuses: [Int] = []
        for _ in 0..<4 { statuses.append(try send(server, "GET /hello.txt HTTP/1.1\r\nHost: h\r\n\r\n")?.status ?? 0) }
        #expect(statuses == [200, 200, 429, 429])
        #expect(try kinds(server) == ["rate_limited", "rate_limited"])
    }

    @Test func blockedClient_isJournaled() throws {
        let server = try TestServer.shell()
        #expect(server.run("block 127.0.0.1 test").ok)
        #expect(try send(server, "GET /hello.txt HTTP/1.1\r\nHost: h\r\n\r\n")?.status == 403)
        #expect(try kinds(server) == ["blocked"])
    }

    @Test func headerTimeout_408_isJournaled() throws {
        let server = try TestServer.shell { $0.headerTimeoutSeconds = 1 }
        let client = try RawClient(port: server.port, timeout: 10)
        defer { client.close() }
        try client.send("GET /hello.txt HTTP/1.1\r\nHost: h\r\n")
        #expect(try client.readResponse().status == 408)
        let row = try #require(try events(server).first)
        #expect(row["kind"] as? String == "header_timeout")
    }

    @Test func detail_withControlBytes_isEscapedInTheTable_andExactInJSON() throws {
        let server = try TestServer.shell()
        try send(server, "GET /%1b%5d0;owned%07/../x HTTP/1.1\r\nHost: h\r\n\r\n")
        let text = ReplyFormatter.text(server.run("events"))
        #expect(!text.contains("\u{1b}") && !text.contains("\u{07}"))
        #expect(text.contains("traversal"))
        let row = try #require(try events(server).first)
        #expect(row["detail"] as? String == "/%1b%5d0;owned%07/../x")
    }

    @Test func eventsFilters_byCountAndClient_andTopRanksClients() throws {
        let server = try TestServer.shell()
        for index in 0..<5 { try send(server, "GET /../\(index) HTTP/1.1\r\nHost: h\r\n\r\n") }
        let newest = try events(server, "2")
        #expect(newest.compactMap { $0["detail"] as? String } == ["/../3", "/../4"])
        #expect(try events(server, "client 127.0.0.0/8").count == 5)
        #expect(try events(server, "client 10.0.0.0/8").isEmpty)
        let top = server.run("events top")
        #expect(top.rowTexts.first?[0] == "127.0.0.1")
        #expect(top.rowTexts.first?[1] == "5")
        #expect(top.rowTexts.first?[3] == "traversal")
    }

    @Test func metrics_countEventsByKind() throws {
        let server = try TestServer.shell()
        for _ in 0..<3 { try send(server, "GET /../x HTTP/1.1\r\nHost: h\r\n\r\n") }
        try send(server, "GET /%2e%2e/x HTTP/1.1\r\nHost: h\r\n\r\n")
        let metrics = try RawClient.fetch(port: server.port, "GET", "/metrics").text
        #expect(metrics.contains("httpsh_security_events_total{kind=\"traversal\"} 3\n"))
        #expect(metrics.contains("httpsh_security_events_total{kind=\"encoded_dot\"} 1\n"))
        #expect(metrics.contains("httpsh_security_events_total{kind=\"header_timeout\"} 0\n"))
    }

    @Test func autoblock_blocksAtTheThreshold_andTheBlockExpires() throws {
        let server = try TestServer.shell()
        #expect(server.run("autoblock 3/60 for 2s").ok)
        #expect(server.status("autoblock") == "3/60s for 2s")
        for _ in 0..<2 { #expect(try send(server, "GET /../x HTTP/1.1\r\nHost: h\r\n\r\n")?.status == 404) }
        #expect(server.run("blocked").rowTexts.isEmpty)
        // The event that crosses the threshold blocks at once: its own request is refused already.
        #expect(try send(server, "GET /../x HTTP/1.1\r\nHost: h\r\n\r\n")?.status == 403)

        let blocked = server.run("blocked").rowTexts
        #expect(blocked.count == 1)
        #expect(blocked.first?[0] == "127.0.0.1")
        #expect(blocked.first?.contains { $0.hasPrefix("autoblock: 3 events in 60s") } == true, "\(blocked)")
        #expect(try send(server, "GET /hello.txt HTTP/1.1\r\nHost: h\r\n\r\n")?.status == 403)

        // The block lifts by itself: within its 2 s, plus the second it may have started into.
        #expect(eventually(within: 5) { (try? send(server, "GET /hello.txt HTTP/1.1\r\nHost: h\r\n\r\n"))??.status == 200 })
        #expect(server.run("blocked").rowTexts.isEmpty)
    }

    @Test func autoblock_isOffByDefault_andOffStopsIt() throws {
        let server = try TestServer.shell()
        #expect(server.status("autoblock") == "off")
        for _ in 0..<20 { try send(server, "GET /../x HTTP/1.1\r\nHost: h\r\n\r\n") }
        #expect(server.run("blocked").rowTexts.isEmpty)
        #expect(server.run("autoblock 2/60 for 1h").ok)
        #expect(server.run("autoblock off").ok)
        for _ in 0..<5 { try send(server, "GET /../x HTTP/1.1\r\nHost: h\r\n\r\n") }
        #expect(server.run("blocked").rowTexts.isEmpty)
    }
}
