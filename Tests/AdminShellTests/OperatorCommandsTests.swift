import AdminShell
import Glibc
import HTTPServer
import Testing

/// The commands an HAProxy or Redis operator reaches for, on a real server over loopback: timed blocks answered
/// 403, drain without exit, stats and slowlog resets, the connection list and kill.
@Suite struct OperatorCommandsTests {
    @Test func timedBlock_Answers403ThenLiftsByItself() throws {
        let server = try TestServer.shell()
        #expect(server.run("block 127.0.0.1 for 2s noisy").ok)
        #expect(server.get("/hello.txt")?.status == 403)
        let row = try #require(server.run("blocked").rowTexts.first)
        #expect(row.first == "127.0.0.1" && row.last == "noisy")
        #expect(row[2] != "never", "the expiry is shown")
        #expect(eventually(within: 6) { server.get("/hello.txt")?.status == 200 })
        #expect(server.run("blocked").rowTexts.isEmpty)
        #expect(!server.run("unblock 127.0.0.1").ok, "an expired block is gone")
    }

    @Test func drain_MakesReadyz503AndKeepsServing() throws {
        let server = try TestServer.shell()
        #expect(server.get("/readyz")?.status == 200)
        #expect(server.run("drain on").ok)
        #expect(server.get("/readyz")?.status == 503)
        #expect(server.get("/hello.txt")?.status == 200)
        #expect(server.status("ready") == "no (/readyz answers 503)")
        #expect(server.status("state") == "serving")
        #expect(server.run("drain off").ok)
        #expect(server.get("/readyz")?.status == 200)
        #expect(server.status("ready") == "yes")
    }

    @Test func statsReset_StartsTheCountsAgain() throws {
        let server = try TestServer.shell()
        for _ in 0..<3 { #expect(server.get("/hello.txt")?.status == 200) }
        #expect(eventually { server.run("stats").field("requests_2xx")?.value == .integer(3) })
        #expect(server.run("stats reset").ok)
        #expect(server.run("stats").field("requests_2xx")?.value == .integer(0))
        #expect(server.run("stats").field("since_start_requests")?.value == .integer(0))
        #expect(server.get("/hello.txt")?.status == 200)
        #expect(eventually { server.run("stats").field("requests_2xx")?.value == .integer(1) })
    }

    @Test func slowlog_ListsTheSlowestWithIdAndDecodedPath() throws {
        let server = try TestServer.shell()
        #expect(server.get("/hello%2Etxt")?.status == 200)
        #expect(server.get("/docs/")?.status == 200)
        #expect(eventually { server.run("slowlog").rowTexts.count == 2 })
        let rows = server.run("slowlog 1").rowTexts
        #expect(rows.count == 1)
        let all = server.run("slowlog").rowTexts
        #expect(Set(all.map { $0[6] }) == ["/hello.txt", "/docs/"])
        #expect(all.allSatisfy { $0[0].count == 16 && $0[2] == "200" && $0[3] == "127.0.0.1" })
        #expect(server.run("slowlog reset").ok)
        #expect(server.run("slowlog").rowTexts.isEmpty)
    }

    @Test func topAndCounters_ShowTheSamePath() throws {
        let server = try TestServer.shell()
        #expect(server.get("/hello%2Etxt")?.status == 200)
        #expect(eventually { !server.run("top").rowTexts.isEmpty })
        let top = server.run("top").rowTexts.filter { $0[0] == "path" }.map { $0[2] }
        let counters = server.run("counters").rowTexts.map { $0[1] }
        #expect(top == ["/hello.txt"])
        #expect(counters == top)
    }

    @Test func connections_ListsOpenOnesAndKillClosesOne() throws {
        let server = try TestServer.shell()
        let client = try RawClient(port: server.port)
        defer { client.close() }
        try client.send("GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        let waiting = try RawClient(port: server.port)
        defer { waiting.close() }
        try waiting.send("GET /hello.txt HTTP/1.1\r\n")

        var rows: [[String]] = []
        #expect(eventually {
            rows = server.run("connections").rowTexts
            return Set(rows.map { $0[3] }) == ["idle", "reading head"]
        }, "\(rows)")
        let idle = try #require(rows.first { $0[3] == "idle" }, "\(rows)")
        #expect(idle[1].hasPrefix("127.0.0.1:"))
        #expect(idle[4] == "1")
        #expect(Int(idle[5]) ?? 0 > 6, "bytes out counts the response")
        #expect(idle[6] == "-")

        let uploading = try RawClient(port: server.port)
        defer { uploading.close() }
        try uploading.send("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: 100\r\n\r\n{\"na")
        #expect(eventually {
            rows = server.run("connections").rowTexts
            return rows.contains { $0[3] == "reading body" && $0[6] == "POST /upload" }
        }, "the request under way is shown: \(rows)")

        #expect(server.run("kill \(idle[0])").ok)
        #expect(client.waitForClose())
        #expect(eventually { server.run("connections").rowTexts.count == 2 })
        #expect(!server.run("kill \(idle[0])").ok, "killing twice fails")
    }

    /// The request under way shows from its head until its answer, also after earlier answers on the same
    /// connection, and not after.
    @Test func connections_showTheSecondRequestUnderWayUntilItsAnswer() throws {
        let server = try TestServer.shell()
        let client = try RawClient(port: server.port)
        defer { client.close() }
        try client.send("GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        try client.send("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 13\r\n\r\n{\"a\":")
        var rows: [[String]] = []
        #expect(eventually {
            rows = server.run("connections").rowTexts
            return rows.count == 1 && rows[0][3] == "reading body"
        }, "\(rows)")
        #expect(rows.first?[4] == "1")
        #expect(rows.first?[6] == "POST /upload", "\(rows)")

        try client.send("\"hello\"}")
        #expect(try client.readResponse().status == 201)
        #expect(eventually {
            rows = server.run("connections").rowTexts
            return rows.count == 1 && rows[0][3] == "idle"
        }, "\(rows)")
        #expect(rows.first?[4] == "2")
        #expect(rows.first?[6] == "-", "\(rows)")
    }
}
