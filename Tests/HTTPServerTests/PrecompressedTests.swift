import Testing
@testable import HTTPServer

/// Precompressed siblings over real sockets: which variant each `Accept-Encoding` gets, freshness, Range, 304,
/// HEAD, `Vary`, ETags, listings and the live switch.
@Suite struct PrecompressedTests {
    /// `page.html` with all three variants, each body naming itself, all as new as the original.
    private func server(variants: [String] = ["br", "zst", "gz"], olderThanOriginal: Set<String> = []) throws
        -> TestServer {
        let server = try TestServer(files: ["page.html": "<p>identity</p>\n"])
        for suffix in variants { try server.write("page.html.\(suffix)", "variant-\(suffix)") }
        // gzip -k and brotli -k keep the original's time: same second counts as fresh.
        try server.folder.setModified("site/page.html", seconds: 1_700_000_000)
        for suffix in variants {
            try server.folder.setModified("site/page.html.\(suffix)",
                                          seconds: olderThanOriginal.contains(suffix) ? 1_600_000_000 : 1_700_000_000)
        }
        return server
    }

    private func get(_ server: TestServer, _ headers: [(String, String)], path: String = "/page.html",
                     method: String = "GET") throws -> RawResponse {
        try RawClient.fetch(port: server.port, method, path, headers: headers)
    }

    @Test(arguments: [
        (nil, nil),
        ("gzip", "gzip"),
        ("gzip, deflate, br, zstd", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("zstd, gzip;q=0.9", "zstd"),
        ("gzip;q=1.0, zstd;q=0.9, br;q=0.8", "gzip"),
        ("*", "br"),
        ("*;q=0.1, gzip;q=0.5", "gzip"),
        ("br;q=0, *", "zstd"),
        ("GZIP", "gzip"),
        ("x-gzip", "gzip"),
        ("deflate", nil),
        ("identity", nil),
        ("gzip;q=0", nil),
        ("gzip;q=0, identity;q=0.5", nil),
        ("", nil),
    ] as [(String?, String?)])
    func acceptEncoding_choosesTheVariant(header: String?, expected: String?) throws {
        let server = try server()
        defer { server.stop() }
        let response = try get(server, header.map { [("Accept-Encoding", $0)] } ?? [])
        #expect(response.status == 200)
        #expect(response["Content-Encoding"] == expected)
        let suffix = ["br": "br", "zstd": "zst", "gzip": "gz"][expected ?? ""]
        #expect(response.text == (suffix.map { "variant-\($0)" } ?? "<p>identity</p>\n"))
        #expect(response["Content-Type"] == "text/html; charset=utf-8")
        #expect(response.values("Vary").contains("Accept-Encoding"), "every answer for a file with variants varies")
    }

    @Test func identityRefused_withoutAnAcceptableVariant_is406() throws {
        let server = try server(variants: ["gz"])
        defer { server.stop() }
        let refused = try get(server, [("Accept-Encoding", "br, identity;q=0")])
        #expect(refused.status == 406)
        #expect(refused.values("Vary").contains("Accept-Encoding"))
        #expect(try get(server, [("Accept-Encoding", "*;q=0")]).status == 406)
        let served = try get(server, [("Accept-Encoding", "gzip, identity;q=0")])
        #expect(served.status == 200 && served["Content-Encoding"] == "gzip")
    }

    @Test func variantOlderThanTheOriginal_isIgnored() throws {
        let server = try server(variants: ["gz", "br"], olderThanOriginal: ["gz"])
        defer { server.stop() }
        #expect(try get(server, [("Accept-Encoding", "gzip")])["Content-Encoding"] == nil)
        #expect(try get(server, [("Accept-Encoding", "gzip, br")])["Content-Encoding"] == "br")
    }

    @Test func fileWithoutVariants_doesNotVary() throws {
        let server = try TestServer(files: ["plain.txt": "plain\n"])
        defer { server.stop() }
        let response = try get(server, [("Accept-Encoding", "gzip, br")], path: "/plain.txt")
        #expect(response["Content-Encoding"] == nil && response.text == "plain\n")
        #expect(!response.values("Vary").contains("Accept-Encoding"))
    }

    @Test func eachVariant_hasItsOwnETag_and304AppliesToIt() throws {
        let server = try server()
        defer { server.stop() }
        var tags: [String] = []
        for coding in ["identity", "gzip", "br", "zstd"] {
            tags.append(try #require(try get(server, [("Accept-Encoding", coding)])["ETag"]))
        }
        #expect(Set(tags).count == 4, "\(tags)")
        #expect(tags[1].hasSuffix(".gz\""))

        let gzipTag = tags[1]
        let notModified = try get(server, [("Accept-Encoding", "gzip"), ("If-None-Match", gzipTag)])
        #expect(notModified.status == 304)
        #expect(notModified["ETag"] == gzipTag && notModified["Content-Encoding"] == "gzip")
        #expect(notModified.values("Vary").contains("Accept-Encoding"))
        // The gzip tag does not validate the Brotli representation, nor the original.
        #expect(try get(server, [("Accept-Encoding", "br"), ("If-None-Match", gzipTag)]).status == 200)
        #expect(try get(server, [("If-None-Match", gzipTag)]).status == 200)
    }

    @Test func range_appliesToTheVariantsBytes() throws {
        let server = try server()
        defer { server.stop() }
        let partial = try get(server, [("Accept-Encoding", "gzip"), ("Range", "bytes=7-9")])
        #expect(partial.status == 206)
        #expect(partial["Content-Encoding"] == "gzip")
        #expect(partial["Content-Range"] == "bytes 7-9/10")
        #expect(partial.text == "-gz")
        let beyond = try get(server, [("Accept-Encoding", "gzip"), ("Range", "bytes=10-")])
        #expect(beyond.status == 416 && beyond["Content-Range"] == "bytes */10")
        let tag = try #require(partial["ETag"])
        let ifRange = try get(server, [("Accept-Encoding", "br"), ("Range", "bytes=0-1"), ("If-Range", tag)])
        #expect(ifRange.status == 200 && ifRange.text == "variant-br", "another variant's tag must not satisfy If-Range")
    }

    @Test func head_matchesGet() throws {
        let server = try server()
        defer { server.stop() }
        let get = try get(server, [("Accept-Encoding", "zstd")])
        let head = try self.get(server, [("Accept-Encoding", "zstd")], method: "HEAD")
        #expect(head.status == 200 && head.body.isEmpty)
        for name in ["Content-Encoding", "Content-Length", "ETag", "Vary", "Content-Type", "Last-Modified"] {
            #expect(head[name] == get[name], "\(name)")
        }
        #expect(head["Content-Length"] == "11")  // "variant-zst"
    }

    @Test func variantRequestedByName_isServedAsItself() throws {
        let server = try server()
        defer { server.stop() }
        let response = try get(server, [("Accept-Encoding", "gzip, br")], path: "/page.html.gz")
        #expect(response.status == 200 && response.text == "variant-gz")
        #expect(response["Content-Type"] == "application/gzip")
        #expect(response["Content-Encoding"] == nil)
    }

    @Test func listing_hidesVariantsOfListedFiles_butNotLoneArchives() throws {
        let server = try server()
        defer { server.stop() }
        try server.write("lone.txt.gz", "archive")
        let page = try get(server, [], path: "/").text
        #expect(page.contains(">page.html<"))
        #expect(!page.contains("page.html.gz") && !page.contains("page.html.br") && !page.contains("page.html.zst"))
        #expect(page.contains(">lone.txt.gz<"))
    }

    @Test func off_servesTheOriginal_live() throws {
        let server = try server()
        defer { server.stop() }
        server.context.settings.precompressed = false
        let response = try get(server, [("Accept-Encoding", "gzip, br")])
        #expect(response["Content-Encoding"] == nil && response.text == "<p>identity</p>\n")
        #expect(!response.values("Vary").contains("Accept-Encoding"))
        server.context.settings.precompressed = true
        #expect(try get(server, [("Accept-Encoding", "gzip, br")])["Content-Encoding"] == "br")
    }

    @Test func symbolicLinkNamedLikeAVariant_isIgnored() throws {
        let server = try TestServer(files: ["page.html": "<p>identity</p>\n"])
        defer { server.stop() }
        try server.folder.write("secret.txt", "secret")
        try server.folder.symlink("site/page.html.gz", to: server.folder.path("secret.txt"))
        let response = try get(server, [("Accept-Encoding", "gzip")])
        #expect(response["Content-Encoding"] == nil && response.text == "<p>identity</p>\n")
    }

    @Test func cachedFile_keepsChoosingPerRequest() throws {
        let server = try server(variants: ["gz", "br"])
        defer { server.stop() }
        for _ in 0..<3 {
            for (header, expected) in [("gzip", "gzip"), ("", nil), ("br, gzip", "br"), ("identity", nil)] as [(String, String?)] {
                let response = try get(server, [("Accept-Encoding", header)])
                #expect(response["Content-Encoding"] == expected, "\(header)")
                #expect(response.values("Vary").contains("Accept-Encoding"))
            }
        }
        #expect(server.context.fileCache.usage.hits > 0)
    }

    @Test func variantMadeLater_andOriginalEditedLater_areSeenWithinASecond() throws {
        let server = try TestServer(files: ["page.html": "<p>identity</p>\n"])
        defer { server.stop() }
        try server.folder.setModified("site/page.html", seconds: 1_700_000_000)
        #expect(try get(server, [("Accept-Encoding", "gzip")])["Content-Encoding"] == nil)
        try server.write("page.html.gz", "variant-gz")
        #expect(eventually(within: 4) { (try? get(server, [("Accept-Encoding", "gzip")]))?["Content-Encoding"] == "gzip" })
        // Editing the original makes it newer than its variant: the stale variant stops being served.
        try server.folder.setModified("site/page.html.gz", seconds: 1_600_000_000)
        #expect(eventually(within: 4) {
            (try? get(server, [("Accept-Encoding", "gzip")])).map { $0["Content-Encoding"] == nil && $0.text == "<p>identity</p>\n" } == true
        })
    }
}

/// The `Accept-Encoding` parser on its own: weights, case, malformed parts.
@Suite struct AcceptEncodingTests {
    @Test(arguments: [
        ("gzip, deflate, br, zstd", [ContentCoding.br, .zstd, .gzip], true),
        ("gzip;q=0.8, br;q=0.9", [.br, .gzip], true),
        ("GZip ; Q=0.5 , Br;q=0.25", [.gzip, .br], true),
        ("zstd;q=1.000, gzip;q=0.999", [.zstd, .gzip], true),
        ("*;q=0.5, br;q=0", [.zstd, .gzip], true),
        ("gzip;q=0", [], true),
        ("identity;q=0", [], false),
        ("*;q=0", [], false),
        ("*;q=0, identity", [], true),
        ("gzip;q=2, br;q=abc", [.br, .gzip], true),
        ("gzip;level=9;q=0.3, br", [.br, .gzip], true),
        (",,, ;q=1, gzip", [.gzip], true),
        ("", [], true),
    ] as [(String, [ContentCoding], Bool)])
    func parses(header: String, codings: [ContentCoding], identityAllowed: Bool) {
        let accepted = AcceptEncoding(header)
        #expect(accepted.codings == codings)
        #expect(accepted.identityAllowed == identityAllowed)
    }
}
