import Foundation
import HTTPServer
import Testing

/// Every error status of the foundation, end to end over loopback, and the error body's two formats.
@Suite struct ErrorStatusTests {
    /// Sends `request` on a new connection and reads the one response.
    private func exchange(_ server: TestServer, _ request: String) throws -> (RawResponse, RawClient) {
        let client = try RawClient(port: server.port)
        try client.send(request)
        return (try client.readResponse(), client)
    }

    /// After an error that leaves the stream unparseable, the server answers `Connection: close` and closes.
    private func expectClosed(_ response: RawResponse, _ client: RawClient,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.closesConnection, sourceLocation: sourceLocation)
        #expect(client.waitForClose(), "the server kept the connection open", sourceLocation: sourceLocation)
    }

    @Test func missingHost_is400_andCloses() throws {
        let server = try TestServer(files: ["a.txt": "a"])
        defer { server.stop() }
        let (response, client) = try exchange(server, "GET /a.txt HTTP/1.1\r\nAccept: */*\r\n\r\n")
        #expect(response.status == 400)
        expectStandardHeaders(response)
        expectClosed(response, client)
    }

    @Test func smuggling_contentLengthWithChunked_is400_andCloses() throws {
        let server = try TestServer()
        defer { server.stop() }
        let (response, client) = try exchange(server, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(response.status == 400)
        expectClosed(response, client)
        #expect(server.context.counters.count(for: "/smuggled") == 0)
    }

    @Test func badPercentEncoding_is400() throws {
        let server = try TestServer()
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "GET", "/a%zz.txt")
        #expect(response.status == 400)
        #expect(try RawClient.fetch(port: server.port, "GET", "/a%00.txt").status == 400)
    }

    @Test func directoryWithoutIndex_whenListingIsOff_is403() throws {
        let server = try TestServer(files: ["folder/a.txt": "a"]) { $0.directoryListing = false }
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "GET", "/folder/")
        #expect(response.status == 403)
        expectStandardHeaders(response)
        #expect(!response.text.contains("a.txt"))
    }

    @Test func missingFile_is404_withHTMLByDefault() throws {
        let server = try TestServer()
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "GET", "/missing.txt")
        #expect(response.status == 404)
        #expect(response.reason == "Not Found")
        expectStandardHeaders(response)
        #expect(response["Content-Type"] == "text/html; charset=utf-8")
        #expect(response.text.hasPrefix("<!DOCTYPE html>"))
        #expect(response.text.contains("404 Not Found"))
        #expect(!response.text.contains(server.root), "the error page leaks the server's folder")
    }

    @Test func errorBody_isJSON_whenTheClientPrefersIt() throws {
        let server = try TestServer()
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "GET", "/missing.txt",
                                           headers: [("Accept", "application/json")])
        #expect(response.status == 404)
        #expect(response["Content-Type"] == "application/json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        #expect(object["status"] as? Int == 404)
        #expect(object["error"] as? String == "Not Found")
        #expect(object["request_id"] as? String == response["X-Request-ID"])
    }

    @Test func errorBody_isHTML_whenHTMLComesFirst() throws {
        let server = try TestServer()
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "GET", "/missing.txt",
                                           headers: [("Accept", "text/html,application/json;q=0.9")])
        #expect(response["Content-Type"] == "text/html; charset=utf-8")
    }

    @Test func wrongMethod_is405_withAllow() throws {
        let server = try TestServer(files: ["a.txt": "a"])
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "DELETE", "/a.txt")
        #expect(response.status == 405)
        expectStandardHeaders(response)
        #expect(response["Allow"] == "GET, HEAD, OPTIONS")
    }

    @Test func slowHead_is408_thenCloses() throws {
        let server = try TestServer { $0.headerTimeoutSeconds = 1 }
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        try client.send("GET / HTTP/1.1\r\nHost: h\r\n")
        let response = try client.readResponse()
        #expect(response.status == 408)
        expectStandardHeaders(response)
        expectClosed(response, client)
    }

    @Test func idleConnectionWithoutAnyRequest_isClosedWithout408() throws {
        let server = try TestServer { $0.idleTimeoutSeconds = 1 }
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        #expect(client.waitForClose())
        #expect(client.readToEnd().isEmpty, "an idle connection got bytes before closing")
    }

    @Test func longRequestLine_is414_andCloses() throws {
        let server = try TestServer()
        defer { server.stop() }
        let path = "/" + String(repeating: "a", count: 9000)
        let (response, client) = try exchange(server, RawClient.request("GET", path))
        #expect(response.status == 414)
        expectStandardHeaders(response)
        expectClosed(response, client)
    }

    @Test func hugeHeaderSection_is431_andCloses() throws {
        let server = try TestServer()
        defer { server.stop() }
        let big = String(repeating: "b", count: 70 * 1024)
        let (response, client) = try exchange(server, RawClient.request("GET", "/", headers: [("X-Big", big)]))
        #expect(response.status == 431)
        expectStandardHeaders(response)
        expectClosed(response, client)
    }

    @Test func tooManyHeaderFields_is431() throws {
        let server = try TestServer()
        defer { server.stop() }
        let fields = (1...150).map { ("X-Field-\($0)", "v") }
        let (response, client) = try exchange(server, RawClient.request("GET", "/", headers: fields))
        #expect(response.status == 431)
        expectClosed(response, client)
    }

    @Test func unknownMethod_is501() throws {
        let server = try TestServer(files: ["a.txt": "a"])
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "BREW", "/a.txt")
        #expect(response.status == 501)
        expectStandardHeaders(response)
    }

    @Test(arguments: ["HTTP/2.0", "HTTP/1.2"])
    func unsupportedVersion_is505_andCloses(_ version: String) throws {
        let server = try TestServer()
        defer { server.stop() }
        let (response, client) = try exchange(server, RawClient.request("GET", "/", version: version))
        #expect(response.status == 505)
        expectStandardHeaders(response)
        expectClosed(response, client)
    }

    @Test func connectionsPastTheLimit_get503WithRetryAfter_andClose() throws {
        let server = try TestServer(files: ["a.txt": "a"]) { $0.maxConnections = 2 }
        defer { server.stop() }
        let held = try (0..<2).map { _ in try RawClient(port: server.port) }
        defer { held.forEach { $0.close() } }
        #expect(eventually { server.server.openConnections == 2 })
        let extra = try RawClient(port: server.port)
        defer { extra.close() }
        let refused = try extra.readResponse()
        #expect(refused.status == 503)
        #expect(refused["Retry-After"] == "1")
        #expect(refused.closesConnection)
        #expect(extra.waitForClose())
        #expect(server.context.stats.connectionsRefused == 1)
        // The admitted ones are served.
        try held[0].send(RawClient.request("GET", "/a.txt"))
        #expect(try held[0].readResponse().text == "a")
    }

    @Test func options_is204_withAllow() throws {
        let server = try TestServer(files: ["a.txt": "a"])
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "OPTIONS", "/a.txt")
        #expect(response.status == 204)
        expectStandardHeaders(response)
        #expect(response["Allow"] == "GET, HEAD, OPTIONS")
        #expect(response.body.isEmpty)
    }

    @Test func optionsAsterisk_is204_withTheServersMethods() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        try client.send(RawClient.request("OPTIONS", "*"))
        let response = try client.readResponse()
        #expect(response.status == 204)
        let allowed = Set((response["Allow"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(allowed.isSuperset(of: ["GET", "HEAD", "OPTIONS"]))
        // The connection stays usable.
        try client.send(RawClient.request("GET", "/missing"))
        #expect(try client.readResponse().status == 404)
    }

    @Test func errorOnKeptAliveConnection_thatKeepsFramingIntact_keepsTheConnection() throws {
        let server = try TestServer(files: ["a.txt": "a"])
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        try client.send(RawClient.request("GET", "/missing"))
        let missing = try client.readResponse()
        #expect(missing.status == 404)
        #expect(!missing.closesConnection)
        try client.send(RawClient.request("GET", "/a.txt"))
        #expect(try client.readResponse().text == "a")
    }
}
