import Glibc
import HTTPServer
import Testing

/// Folder listings over HTTP: escaped names, encoded links, folders first, live request counts, and 403 when
/// listings are turned off live.
@Suite struct DirectoryListingTests {
    /// One row of a listing as the browser sees it.
    struct Row: Equatable {
        var href: String
        var name: String
        var requests: Int
    }

    /// Reads the rows out of a listing page: `<tr><td><a href="…">…</a></td>…<td class="n">N</td></tr>`.
    private func rows(_ page: String) -> [Row] {
        page.components(separatedBy: "<tr><td><a href=\"").dropFirst().compactMap { part in
            guard let hrefEnd = part.firstIndex(of: "\""),
                  let nameStart = part.range(of: "\">"),
                  let nameEnd = part.range(of: "</a>"),
                  let rowEnd = part.range(of: "</td></tr>"),
                  let countStart = part[..<rowEnd.lowerBound].range(of: ">", options: .backwards)
            else { return nil }
            let count = Int(part[countStart.upperBound..<rowEnd.lowerBound]) ?? -1
            return Row(href: String(part[..<hrefEnd]), name: String(part[nameStart.upperBound..<nameEnd.lowerBound]),
                       requests: count)
        }
    }

    private func makeServer() throws -> TestServer {
        try TestServer(files: [
            "files/<b>&x.txt": "tricky",
            "files/b file.txt": "spaced",
            "files/A.txt": "upper",
            "files/.secret": "hidden",
            "files/zeta/inner.txt": "inner",
            "files/alpha/inner.txt": "inner",
        ])
    }

    @Test func listing_escapesNames_encodesLinks_putsFoldersFirst_andHidesDotfiles() throws {
        let server = try makeServer()
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "GET", "/files/")
        #expect(response.status == 200)
        #expect(response["Content-Type"] == "text/html; charset=utf-8")
        expectStandardHeaders(response)
        let page = response.text
        #expect(!page.contains("<b>&x"), "a file name reached the page unescaped")
        #expect(!page.contains(".secret"))
        #expect(page.contains("<title>Index of /files/</title>"))

        let listed = rows(page)
        #expect(listed.map(\.name) == ["../", "alpha/", "zeta/", "&lt;b&gt;&amp;x.txt", "A.txt", "b file.txt"])
        #expect(listed.map(\.href) == ["../", "alpha/", "zeta/", "%3Cb%3E%26x.txt", "A.txt", "b%20file.txt"])
    }

    @Test func listingLinks_leadToTheFiles() throws {
        let server = try makeServer()
        defer { server.stop() }
        let listed = rows(try RawClient.fetch(port: server.port, "GET", "/files/").text)
        let tricky = try #require(listed.first { $0.name == "&lt;b&gt;&amp;x.txt" })
        let response = try RawClient.fetch(port: server.port, "GET", "/files/" + tricky.href)
        #expect(response.status == 200)
        #expect(response.text == "tricky")
    }

    @Test func listing_showsHowOftenEachEntryWasRequested() throws {
        let server = try makeServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        defer { client.close() }
        let requests = ["/files/%3Cb%3E%26x.txt", "/files/%3Cb%3E%26x.txt", "/files/%3Cb%3E%26x.txt",
                        "/files/b%20file.txt", "/files/alpha/", "/files/alpha/"]
        for path in requests {
            try client.send(RawClient.request("GET", path))
            #expect(try client.readResponse().status == 200)
        }
        try client.send(RawClient.request("GET", "/files/"))
        let listed = rows(try client.readResponse().text)
        let counts = Dictionary(uniqueKeysWithValues: listed.map { ($0.name, $0.requests) })
        #expect(counts["&lt;b&gt;&amp;x.txt"] == 3)
        #expect(counts["b file.txt"] == 1)
        #expect(counts["alpha/"] == 2)
        #expect(counts["A.txt"] == 0)
        #expect(counts["zeta/"] == 0)
        #expect(server.context.counters.count(for: "/files/<b>&x.txt") == 3)
    }

    @Test func rootListing_hasNoParentLink() throws {
        let server = try makeServer()
        defer { server.stop() }
        let listed = rows(try RawClient.fetch(port: server.port, "GET", "/").text)
        #expect(listed.map(\.name) == ["files/"])
    }

    @Test func listingTurnedOffLive_is403_andOnAgainLists() throws {
        let server = try makeServer()
        defer { server.stop() }
        #expect(try RawClient.fetch(port: server.port, "GET", "/files/").status == 200)
        server.context.settings.directoryListing = false
        let refused = try RawClient.fetch(port: server.port, "GET", "/files/")
        #expect(refused.status == 403)
        #expect(!refused.text.contains("A.txt"))
        // Files and index pages are still served.
        #expect(try RawClient.fetch(port: server.port, "GET", "/files/A.txt").status == 200)
        server.context.settings.directoryListing = true
        #expect(try RawClient.fetch(port: server.port, "GET", "/files/").status == 200)
    }

    @Test func cachedListing_keepsCountsLive() throws {
        let server = try makeServer()
        defer { server.stop() }
        let first = rows(try RawClient.fetch(port: server.port, "GET", "/files/").text)
        #expect(first.first { $0.name == "A.txt" }?.requests == 0)
        for _ in 0..<2 { #expect(try RawClient.fetch(port: server.port, "GET", "/files/A.txt").status == 200) }
        let listed = rows(try RawClient.fetch(port: server.port, "GET", "/files/").text)
        #expect(listed.first { $0.name == "A.txt" }?.requests == 2)
    }

    @Test func cachedListing_showsAddedAndRemovedEntriesAtOnce() throws {
        let server = try makeServer()
        defer { server.stop() }
        #expect(!rows(try RawClient.fetch(port: server.port, "GET", "/files/").text).contains { $0.name == "new.txt" })
        try server.write("files/new.txt", "new")
        let added = rows(try RawClient.fetch(port: server.port, "GET", "/files/").text)
        #expect(added.contains { $0.name == "new.txt" })
        #expect(unlink(server.root + "/files/A.txt") == 0)
        let removed = rows(try RawClient.fetch(port: server.port, "GET", "/files/").text)
        #expect(!removed.contains { $0.name == "A.txt" })
    }

    @Test func cachedListing_showsAChangedSize_withinTheWindow() throws {
        let server = try makeServer()
        defer { server.stop() }
        #expect(try RawClient.fetch(port: server.port, "GET", "/files/").text.contains("<td class=\"n\">5 B</td>"))
        // Rewriting a file in place leaves the folder's times alone: only the window brings the new size.
        let fd = open(server.root + "/files/A.txt", O_WRONLY | O_APPEND)
        #expect(fd >= 0)
        #expect(write(fd, "-longer", 7) == 7)
        close(fd)
        #expect(eventually(within: 5) {
            (try? RawClient.fetch(port: server.port, "GET", "/files/").text.contains("<td class=\"n\">12 B</td>")) == true
        })
    }
}
