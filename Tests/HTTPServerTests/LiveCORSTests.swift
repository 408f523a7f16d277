import Testing
@testable import HTTPServer

/// httpsh's own CORS: the live `cors` setting over files, listings, uploads, JSON errors, `/metrics` and the health
/// endpoints, over real loopback sockets.
@Suite struct LiveCORSTests {
    static let app = "http://app.example:3000"

    /// A server wired like httpsh: standard routes (with `/metrics`); every `Server` answers CORS from the live
    /// setting.
    private func server(_ origins: CORSMiddleware.AllowedOrigins?) throws -> TestServer {
        try TestServer(files: ["hello.txt": "hello\n", "folder/a.txt": "a\n"], configure: { $0.cors = origins })
    }

    private func get(_ server: TestServer, _ path: String, origin: String?) throws -> RawResponse {
        try RawClient.fetch(port: server.port, "GET", path, headers: origin.map { [("Origin", $0)] } ?? [])
    }

    @Test(arguments: ["/hello.txt", "/folder/", "/missing.txt", "/metrics", "/healthz", "/readyz", "/uploads/"])
    func everyRoute_withAnAllowedOrigin_carriesAllowOrigin(path: String) throws {
        let server = try server(.list([Self.app]))
        defer { server.stop() }
        let response = try get(server, path, origin: Self.app)
        #expect(response["Access-Control-Allow-Origin"] == Self.app, "\(path) answered \(response.status)")
        #expect(response["Access-Control-Expose-Headers"] == "X-Request-ID")
        #expect(response.values("Vary").contains("Origin"))
    }

    @Test func upload_withAnAllowedOrigin_carriesAllowOrigin() throws {
        let server = try server(.list([Self.app]))
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "POST", "/upload",
                                           headers: [("Origin", Self.app), ("Content-Type", "application/json")],
                                           body: "{\"a\":1}")
        #expect(response.status == 201)
        #expect(response["Access-Control-Allow-Origin"] == Self.app)
    }

    @Test func preflight_forAnUpload_isAnswered204() throws {
        let server = try server(.list([Self.app]))
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "OPTIONS", "/upload", headers: [
            ("Origin", Self.app), ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type"),
        ])
        #expect(response.status == 204)
        #expect(response["Access-Control-Allow-Origin"] == Self.app)
        #expect(response["Access-Control-Allow-Methods"]?.contains("POST") == true)
        #expect(response["Access-Control-Allow-Headers"]?.contains("Content-Type") == true)
    }

    @Test func otherOrigin_getsNoAllowOrigin_butTheFile() throws {
        let server = try server(.list([Self.app]))
        defer { server.stop() }
        let response = try get(server, "/hello.txt", origin: "http://evil.example")
        #expect(response.status == 200 && response.text == "hello\n")
        #expect(response["Access-Control-Allow-Origin"] == nil)
    }

    @Test func off_byDefault_addsNothing() throws {
        let server = try server(nil)
        defer { server.stop() }
        let response = try get(server, "/hello.txt", origin: Self.app)
        #expect(response["Access-Control-Allow-Origin"] == nil)
        #expect(!response.values("Vary").contains("Origin"))
        let preflight = try RawClient.fetch(port: server.port, "OPTIONS", "/upload",
                                            headers: [("Origin", Self.app), ("Access-Control-Request-Method", "POST")])
        #expect(preflight["Access-Control-Allow-Origin"] == nil)
    }

    @Test func liveChange_appliesToTheNextRequest() throws {
        let server = try server(nil)
        defer { server.stop() }
        server.context.settings.cors.current = .any
        #expect(try get(server, "/hello.txt", origin: Self.app)["Access-Control-Allow-Origin"] == "*")
        server.context.settings.cors.current = .list(["https://other.example"])
        #expect(try get(server, "/hello.txt", origin: Self.app)["Access-Control-Allow-Origin"] == nil)
        #expect(try get(server, "/hello.txt", origin: "https://OTHER.example")["Access-Control-Allow-Origin"]
            == "https://OTHER.example")
        server.context.settings.cors.current = nil
        #expect(try get(server, "/hello.txt", origin: "https://other.example")["Access-Control-Allow-Origin"] == nil)
    }

    @Test(arguments: [
        ("*", CORSMiddleware.AllowedOrigins.any),
        ("https://a.example", .list(["https://a.example"])),
        ("https://a.example, http://localhost:3000", .list(["https://a.example", "http://localhost:3000"])),
        ("http://[::1]:8080", .list(["http://[::1]:8080"])),
    ])
    func originsText_parses(text: String, expected: CORSMiddleware.AllowedOrigins) {
        #expect(CORSMiddleware.AllowedOrigins(parsing: text) == expected)
    }

    @Test(arguments: ["", "a.example", "https://a.example/", "https://a.example/path", "ftp://a.example",
                      "https://a.example:99999", "https://", "https://a.example,", "https://a b", "http://[::1"])
    func originsText_thatIsNoOrigin_isRefused(text: String) {
        #expect(CORSMiddleware.AllowedOrigins(parsing: text) == nil)
    }
}
