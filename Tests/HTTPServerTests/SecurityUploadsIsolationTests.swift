import HTTPServer
import Testing

/// Finding 3 of the hostile probe: with the uploads folder inside the web root (`httpsh -d .` and the default
/// `--uploads uploads`), `/uploads%2Fevil.html`, `//uploads/evil.html` and `/./uploads/evil.html` were served by
/// the root's handler, without the sandboxing CSP and `nosniff`. An uploaded file must only ever come out of the
/// uploads handler, whatever the URL's spelling and wherever the folders lie.
@Suite struct SecurityUploadsIsolationTests {
    static let page = "<html><script>alert(document.cookie)</script></html>"

    /// A server whose uploads folder is `site/uploads`, inside the root, holding `evil.html`.
    private func serverWithUploadsInsideTheRoot() throws -> TestServer {
        try TestServer(files: ["hello.txt": "hello\n"], configure: { configuration in
            configuration.uploads = configuration.root + "/uploads"
        }, prepare: { folder in
            try folder.write("site/uploads/evil.html", Self.page)
        })
    }

    /// True when `response` did not hand out the page as active content: refused, or served with the uploads'
    /// protections.
    private func isInert(_ response: RawResponse) -> Bool {
        guard response.status == 200 else { return response.status == 404 }
        return response["Content-Security-Policy"]?.contains("sandbox") == true
            && response["X-Content-Type-Options"] == "nosniff"
    }

    @Test func uploadInsideTheRoot_isServedOnlyByTheUploadsHandler_whateverTheSpelling() throws {
        let server = try serverWithUploadsInsideTheRoot()
        defer { server.stop() }
        let spellings = ["/uploads%2Fevil.html", "//uploads/evil.html", "/./uploads/evil.html", "/uploads%2fevil.html",
                         "///uploads//evil.html", "/%2Fuploads/evil.html", "/.%2Fuploads/evil.html",
                         "/uploads/./evil.html", "/%75ploads/evil.html", "/UPLOADS/evil.html", "/UPLOADS/..",
                         "http://127.0.0.1/uploads%2Fevil.html"]
        for spelling in spellings {
            let response = try RawClient.fetch(port: server.port, "GET", spelling)
            #expect(isInert(response), "\(spelling) answered \(response.status) without the uploads' headers")
        }
        // The store's own door still opens, with its protections.
        let proper = try RawClient.fetch(port: server.port, "GET", "/uploads/evil.html")
        #expect(proper.status == 200)
        #expect(proper.text == Self.page)
        #expect(isInert(proper))
        #expect(try RawClient.fetch(port: server.port, "GET", "/hello.txt").status == 200)
    }

    /// The same request twice: the second may come from the file cache, which must not let it through either.
    @Test func uploadInsideTheRoot_staysRefusedOnARepeatedRequest() throws {
        let server = try serverWithUploadsInsideTheRoot()
        defer { server.stop() }
        for _ in 0..<3 {
            #expect(try RawClient.fetch(port: server.port, "GET", "/uploads%2Fevil.html").status == 404)
        }
    }

    @Test func rootListing_hidesTheUploadsFolder_whichHasItsOwnListing() throws {
        let server = try serverWithUploadsInsideTheRoot()
        defer { server.stop() }
        let root = try RawClient.fetch(port: server.port, "GET", "/")
        #expect(root.status == 200)
        #expect(root.text.contains("hello.txt"))
        #expect(!root.text.contains("uploads"))
        let store = try RawClient.fetch(port: server.port, "GET", "/uploads/")
        #expect(store.status == 200)
        #expect(store.text.contains("evil.html"))
        #expect(isInert(store))
    }

    /// A link inside the root that leads into the uploads folder is no second door.
    @Test func symlinkInTheRootIntoTheUploads_isRefused() throws {
        let server = try TestServer(files: ["hello.txt": "hello\n"], configure: { configuration in
            configuration.uploads = configuration.root + "/store"
        }, prepare: { folder in
            try folder.write("site/store/evil.html", Self.page)
            try folder.symlink("site/alias", to: "store")
            try folder.symlink("site/evil-link.html", to: "store/evil.html")
        })
        defer { server.stop() }
        for path in ["/alias/evil.html", "/evil-link.html", "/store/evil.html", "/alias/"] {
            let response = try RawClient.fetch(port: server.port, "GET", path)
            #expect(response.status == 404, "\(path) answered \(response.status)")
        }
        let root = try RawClient.fetch(port: server.port, "GET", "/")
        #expect(!root.text.contains("alias"))
        #expect(!root.text.contains("store"))
        #expect(isInert(try RawClient.fetch(port: server.port, "GET", "/uploads/evil.html")))
    }

    /// `--uploads` may itself be a link to a folder inside the root: the folder is compared, not the spelling.
    @Test func uploadsConfiguredThroughASymlink_isStillRefusedByTheRootHandler() throws {
        let server = try TestServer(configure: { configuration in
            configuration.uploads = configuration.root + "/../store-link"
        }, prepare: { folder in
            try folder.write("site/store/evil.html", Self.page)
            try folder.symlink("store-link", to: "site/store")
        })
        defer { server.stop() }
        #expect(try RawClient.fetch(port: server.port, "GET", "/store/evil.html").status == 404)
        #expect(isInert(try RawClient.fetch(port: server.port, "GET", "/uploads/evil.html")))
    }

    /// A root inside the uploads folder would serve every upload as the site: the server refuses to start.
    @Test func rootInsideTheUploadsFolder_refusesToStart() throws {
        #expect(throws: Server.StartError.self) {
            let server = try TestServer(configure: { configuration in
                configuration.root = configuration.uploads + "/site"
            }, prepare: { folder in
                try folder.write("uploads/site/index.html", "hi")
            })
            server.stop()
        }
    }
}
