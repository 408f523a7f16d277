import HTTPServer
import Testing

/// Attempts to read outside the web root never return outside content, whatever the encoding or the link.
@Suite struct TraversalTests {
    /// A marker that exists only outside the root.
    static let secret = "TOP-SECRET-\(UInt32.random(in: 0...UInt32.max))"

    /// The root holds `public.txt`, a folder `a/`, and links that point outside; the secret sits next to the root.
    private func makeServer() throws -> TestServer {
        let server = try TestServer(files: ["public.txt": "public", "a/inside.txt": "inside"])
        try server.folder.write("secret.txt", Self.secret)
        try server.folder.write("other/secret.txt", Self.secret)
        try server.folder.symlink("site/link-file", to: server.folder.path("secret.txt"))
        try server.folder.symlink("site/link-dir", to: server.folder.path("other"))
        try server.folder.symlink("site/link-up", to: "..")
        return server
    }

    @Test(arguments: [
        "/../secret.txt",
        "/../../../../etc/passwd",
        "/a/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2E%2E/etc/passwd",
        "/..%2fsecret.txt",
        "/..%2f..%2fetc%2fpasswd",
        "/a/..%2f..%2fsecret.txt",
        "/%252e%252e/secret.txt",
        "/a\\..\\..\\secret.txt",
        "/a/%5c..%5c..%5csecret.txt",
        "/.%2e/secret.txt",
        "/link-file",
        "/link-dir/secret.txt",
        "/link-up/secret.txt",
        "/link-up/other/secret.txt",
        "http://h/../secret.txt",
        "/%00/../secret.txt",
    ])
    func escapeAttempt_neverServesOutsideContent(_ target: String) throws {
        let server = try makeServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        try client.send(RawClient.request("GET", target, headers: [("Connection", "close")]))
        let response = try client.readResponse()
        #expect(response.status == 404 || response.status == 400, "\(target) → \(response.status)")
        #expect(!response.text.contains(Self.secret))
        #expect(!response.text.contains("root:"))
        #expect(!response.text.contains(server.folder.path), "the answer names a server folder")
    }

    @Test func insideContent_isStillServed() throws {
        let server = try makeServer()
        defer { server.stop() }
        #expect(try RawClient.fetch(port: server.port, "GET", "/a/inside.txt").text == "inside")
        #expect(try RawClient.fetch(port: server.port, "GET", "/a/./inside.txt").text == "inside")
        #expect(try RawClient.fetch(port: server.port, "GET", "//a//inside.txt").text == "inside")
    }

    /// Every request's path is looked at eight bytes at a time for two dots in a row before any closer look: a
    /// `..` segment is journaled wherever its dots fall (in a word, across two, in the tail), and a path whose
    /// dots are apart, or in a longer name, is not.
    @Test func climbingPath_isJournaled_whereverItsDotsFall() throws {
        let server = try TestServer(files: ["a.txt": "a\n"])
        defer { server.stop() }
        var climbing = 0
        for length in 0..<20 {
            let prefix = "/" + String(repeating: "b", count: length)
            for (target, climbs) in [(prefix + "/../a.txt", true), (prefix + "/..", true), (prefix + "\\..\\a", true),
                                     (prefix + "/.x./a.b.c", false), (prefix + "..b/c..d", false), (prefix + ".", false)] {
                let client = try RawClient(port: server.port)
                defer { client.close() }
                try client.send(RawClient.request("GET", target, headers: [("Connection", "close")]))
                _ = try client.readResponse()
                if climbs { climbing += 1 }
                let journaled = server.context.securityEvents.totals().first { $0.kind == .traversal }?.count ?? 0
                #expect(journaled == climbing, "\(target)")
            }
        }
    }
}
