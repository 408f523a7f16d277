import Glibc
import HTTPServer
import Testing

/// Persistent connections: HTTP/1.1 keep-alive by default, HTTP/1.0 opt-in, the advertised limits,
/// the per-connection request cap, and pipelined requests answered in order.
@Suite struct KeepAliveTests {
    static let files = ["a.txt": "alpha\n", "b.txt": "bravo!\n", "c.txt": "charlie\n"]

    @Test func http11_keepsTheConnection_andAdvertisesDecreasingMax() throws {
        let server = try TestServer(files: Self.files)
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }

        try client.send(RawClient.request("GET", "/a.txt"))
        let first = try client.readResponse()
        #expect(first.text == "alpha\n")
        #expect(first["Connection"] == "keep-alive")
        #expect(first["Keep-Alive"] == "timeout=30, max=1000")
        expectStandardHeaders(first)

        try client.send(RawClient.request("GET", "/b.txt"))
        let second = try client.readResponse()
        #expect(second.text == "bravo!\n")
        #expect(second["Keep-Alive"] == "timeout=30, max=999")
        #expect(server.server.context.stats.connectionsAccepted == 1)
    }

    /// A head that arrives whole is read in one pass, one that arrives in pieces step by step: the same request
    /// sent either way on one connection gets the same answer, as does a head of another shape (bare LF line
    /// ends), and a bad field name is refused with 400 either way.
    @Test func headsWholeOrInPieces_areAnsweredAlike() throws {
        let server = try TestServer(files: Self.files)
        defer { server.stop() }
        let request = RawClient.request("GET", "/a.txt", headers: [("User-Agent", "t"), ("Accept", "*/*")])
        let bad = RawClient.request("GET", "/a.txt", headers: [("Accept", "*/*"), ("Bad Name", "x")])
        for (text, expected) in [(request, 200), (bad, 400)] {
            for cut in [0, text.utf8.count - 8] {
                let client = try RawClient(port: server.port)
                defer { client.close() }
                try client.send(bytes: Array(text.utf8.prefix(cut)))
                usleep(50_000)  // read apart: the rest arrives as a second piece
                try client.send(bytes: Array(text.utf8.dropFirst(cut)))
                let response = try client.readResponse()
                #expect(response.status == expected, "\(text.debugDescription) cut at \(cut)")
                if expected == 200 {
                    #expect(response.text == "alpha\n")
                    try client.send("GET /b.txt HTTP/1.1\nHost: 127.0.0.1\nAccept: */*\n\n")
                    #expect(try client.readResponse().text == "bravo!\n")
                }
            }
        }
    }

    @Test func keepAliveHeader_followsTheConfiguration() throws {
        let server = try TestServer(files: Self.files) {
            $0.idleTimeoutSeconds = 7
            $0.maxRequestsPerConnection = 5
        }
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        try client.send(RawClient.request("GET", "/a.txt"))
        #expect(try client.readResponse()["Keep-Alive"] == "timeout=7, max=5")
    }

    @Test func connectionClose_fromTheClient_closesAfterTheResponse() throws {
        let server = try TestServer(files: Self.files)
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        try client.send(RawClient.request("GET", "/a.txt", headers: [("Connection", "close")]))
        let response = try client.readResponse()
        #expect(response.text == "alpha\n")
        #expect(response.closesConnection)
        #expect(response["Keep-Alive"] == nil)
        #expect(client.waitForClose())
    }

    @Test func http10_closesByDefault() throws {
        let server = try TestServer(files: Self.files)
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        try client.send(RawClient.request("GET", "/a.txt", version: "HTTP/1.0", host: nil))
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "alpha\n")
        #expect(response.closesConnection)
        #expect(client.waitForClose())
    }

    @Test func http10_withKeepAlive_keepsTheConnection() throws {
        let server = try TestServer(files: Self.files)
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        let request = RawClient.request("GET", "/a.txt", version: "HTTP/1.0", host: nil,
                                        headers: [("Connection", "keep-alive")])
        try client.send(request)
        let first = try client.readResponse()
        #expect(first["Connection"] == "keep-alive")
        try client.send(request)
        let second = try client.readResponse()
        #expect(second.text == "alpha\n")
        #expect(server.server.context.stats.connectionsAccepted == 1)
    }

    @Test func maxRequestsPerConnection_closesAfterTheNth() throws {
        let server = try TestServer(files: Self.files) { $0.maxRequestsPerConnection = 3 }
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        var advertised: [String?] = []
        var connections: [String?] = []
        for _ in 1...3 {
            try client.send(RawClient.request("GET", "/a.txt"))
            let response = try client.readResponse()
            #expect(response.text == "alpha\n")
            advertised.append(response["Keep-Alive"])
            connections.append(response["Connection"])
        }
        #expect(advertised == ["timeout=30, max=3", "timeout=30, max=2", nil])
        #expect(connections == ["keep-alive", "keep-alive", "close"])
        #expect(client.waitForClose())
    }

    @Test func pipelinedRequests_areAnsweredInOrder() throws {
        let server = try TestServer(files: Self.files)
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        try client.send(RawClient.request("GET", "/a.txt") + RawClient.request("GET", "/b.txt")
            + RawClient.request("GET", "/c.txt"))
        let texts = try (1...3).map { _ in try client.readResponse().text }
        #expect(texts == ["alpha\n", "bravo!\n", "charlie\n"])
    }

    @Test func pipelinedRequests_withAHeadAndAnErrorInTheMiddle_stayInOrder() throws {
        let server = try TestServer(files: Self.files)
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        try client.send(RawClient.request("HEAD", "/a.txt") + RawClient.request("GET", "/missing")
            + RawClient.request("GET", "/c.txt", headers: [("Connection", "close")]))
        let head = try client.readResponse(toHead: true)
        #expect(head.status == 200)
        #expect(head["Content-Length"] == "6")
        #expect(try client.readResponse().status == 404)
        let last = try client.readResponse()
        #expect(last.text == "charlie\n")
        #expect(client.waitForClose())
        #expect(client.readToEnd().isEmpty, "bytes after the last response")
    }

    @Test func pipelinedRequestsForLargeFiles_waitForTheClient_andStayInOrder() throws {
        let server = try TestServer()
        defer { server.stop() }
        // 40 responses of 100 KB are far more than the socket buffers hold: the server must park each write
        // until the client reads, and keep the requests not yet answered.
        try server.write("one.bin", String(repeating: "1", count: 100_000))
        try server.write("two.bin", String(repeating: "2", count: 100_000))
        let client = try RawClient(port: server.port, timeout: 10)
        defer { client.close() }
        let names = (0..<40).map { $0 % 2 == 0 ? "one" : "two" }
        try client.send(names.map { RawClient.request("GET", "/\($0).bin") }.joined())
        for (index, name) in names.enumerated() {
            let response = try client.readResponse()
            let expected = UInt8(ascii: name == "one" ? "1" : "2")
            #expect(response.body.count == 100_000 && response.body.allSatisfy { $0 == expected }, "response \(index)")
        }
    }

    @Test func requestSplitAcrossManyWrites_isServed() throws {
        let server = try TestServer(files: Self.files)
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        for byte in RawClient.request("GET", "/b.txt").utf8 {
            try client.send(bytes: [byte])
        }
        #expect(try client.readResponse().text == "bravo!\n")
    }
}
