import HTTPServer
import Testing

/// Hostile paths and ranges: `..` in every encoding, overlong and invalid UTF-8, NUL, double encoding, and
/// numbers too large for any integer in `Range`. Malformed paths are 400, climbing or hidden ones 404 (so the
/// layout does not leak), nothing outside the root ever comes out, and the server goes on serving.
@Suite struct AdversarialPathTests {
    /// Paths that try to climb out of the root once decoded: refused as hidden.
    @Test(arguments: [
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/%2e%2E/secret.txt",
        "/.%2e/secret.txt",
        "/%2e./secret.txt",
        "/folder/%2e%2e/%2e%2e/secret.txt",
        "/folder/..%2f..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/folder/%2e%2e%2f%2e%2e%2fsecret.txt",
    ])
    func encodedDotDot_is404(_ target: String) throws {
        try expect(target, status: 404)
    }

    /// Paths that are not valid once decoded: a backslash, invalid or overlong UTF-8, NUL.
    @Test(arguments: [
        "/..%5csecret.txt",
        "/folder/..%5c..%5csecret.txt",
        "/%5c..%5csecret.txt",
        "/%C0%AE%C0%AE/secret.txt",
        "/%c0%ae%c0%ae/",
        "/%c0%af..%c0%afsecret.txt",
        "/..%c0%afsecret.txt",
        "/%e0%80%ae%e0%80%ae/secret.txt",
        "/%FF",
        "/ok.txt%ff",
        "/%ED%A0%80",
        "/%F8%88%80%80%80",
        "/%00",
        "/ok.txt%00.html",
        "/%00/../secret.txt",
        "/%",
        "/%2",
        "/%zz",
    ])
    func undecodablePath_is400(_ target: String) throws {
        try expect(target, status: 400)
    }

    /// `%252e%252e` decodes once to the literal name `%2e%2e`: a file with that name is served, and nothing
    /// climbs, because the result is never decoded a second time.
    @Test func doubleEncoding_isDecodedExactlyOnce() throws {
        let server = try makeAdversarialServer()
        defer { server.stop() }
        let literal = try RawClient.fetch(port: server.port, "GET", "/%252e%252e")
        #expect(literal.status == 200)
        #expect(literal.text == "literal")
        let climbing = try RawClient.fetch(port: server.port, "GET", "/%252e%252e/secret.txt")
        #expect(climbing.status == 404)
        #expect(!climbing.text.contains(adversarialSecret))
        expectStillServing(server)
    }

    // MARK: - Range

    @Test func rangeEndingPastAnyInteger_isTheWholeFileAsPartial() throws {
        let server = try makeAdversarialServer()
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "GET", "/ok.txt",
                                           headers: [("Range", "bytes=0-99999999999999999999999")])
        #expect(response.status == 206)
        #expect(response["Content-Range"] == "bytes 0-1/2")
        #expect(response.text == "ok")
        expectStillServing(server)
    }

    @Test func rangeStartingPastAnyInteger_is416() throws {
        let server = try makeAdversarialServer()
        defer { server.stop() }
        for range in ["bytes=99999999999999999999999-", "bytes=99999999999999999999999-99999999999999999999999",
                      "bytes=9223372036854775808-"] {
            let response = try RawClient.fetch(port: server.port, "GET", "/ok.txt", headers: [("Range", range)])
            #expect(response.status == 416, "\(range) → \(response.status)")
            #expect(response["Content-Range"] == "bytes */2")
        }
        expectStillServing(server)
    }

    @Test func suffixLongerThanAnyInteger_isTheWholeFileAsPartial() throws {
        let server = try makeAdversarialServer()
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "GET", "/ok.txt",
                                           headers: [("Range", "bytes=-99999999999999999999999")])
        #expect(response.status == 206)
        #expect(response.text == "ok")
        expectStillServing(server)
    }

    // MARK: - Helpers

    /// Fetches `target` and checks the status, that no secret or server folder leaks, and that the server
    /// still serves afterwards.
    private func expect(_ target: String, status: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let server = try makeAdversarialServer()
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "GET", target)
        #expect(response.status == status, "\(target) → \(response.status)", sourceLocation: sourceLocation)
        #expect(!response.text.contains(adversarialSecret), sourceLocation: sourceLocation)
        #expect(!response.text.contains(server.folder.path), "the answer names a server folder",
                sourceLocation: sourceLocation)
        expectStillServing(server, sourceLocation: sourceLocation)
    }
}
