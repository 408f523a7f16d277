import Foundation
import Testing
@testable import HTTPServer

/// Finding 8 of the hostile probe, in the static files: `GET //evil.example` answered `308 Location:
/// //evil.example/` (an open redirect) when a top-level folder had that name, `/file.txt/` served the file, and a
/// listing of 16,600 uploaded files cost 140 ms a request.
@Suite struct SecurityStaticEdgeTests {
    @Test(arguments: ["//evil.example", "///evil.example", "/%2Fevil.example", "/%2F%2Fevil.example",
                      "/./evil.example", "//./evil.example", "/.//evil.example"])
    func folderRedirect_neverStartsWithTwoSlashes(target: String) throws {
        let server = try TestServer(files: ["evil.example/index.html": "folder"])
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "GET", target)
        #expect(response.status == 308)
        #expect(response["Location"] == "/evil.example/")
    }

    @Test func folderRedirect_keepsTheQuery_andEncodesTheName() throws {
        let server = try TestServer(files: ["a b/index.html": "folder"])
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "GET", "//a%20b?x=1")
        #expect(response.status == 308)
        #expect(response["Location"] == "/a%20b/?x=1")
    }

    @Test func uploadsFolderRedirect_staysUnderItsMount() throws {
        let server = try TestServer(prepare: { folder in try folder.makeDirectory("uploads/inner") })
        defer { server.stop() }
        #expect(try RawClient.fetch(port: server.port, "GET", "/uploads")["Location"] == "/uploads/")
        #expect(try RawClient.fetch(port: server.port, "GET", "/uploads//inner")["Location"] == "/uploads/inner/")
    }

    @Test(arguments: ["/file.txt/", "/file.txt/.", "/file.txt%2F", "/docs/page.html/", "/docs/page.html//"])
    func fileNamedLikeAFolder_is404(target: String) throws {
        let server = try TestServer(files: ["file.txt": "text", "docs/page.html": "<p>page</p>"])
        defer { server.stop() }
        #expect(try RawClient.fetch(port: server.port, "GET", target).status == 404)
    }

    /// The refusal holds once the file is in the cache under its plain name.
    @Test func fileNamedLikeAFolder_is404AfterTheFileWasServed() throws {
        let server = try TestServer(files: ["file.txt": "text"])
        defer { server.stop() }
        #expect(try RawClient.fetch(port: server.port, "GET", "/file.txt").status == 200)
        #expect(try RawClient.fetch(port: server.port, "GET", "/file.txt/").status == 404)
        #expect(try RawClient.fetch(port: server.port, "GET", "/file.txt").status == 200)
    }

    /// The rows a listing page shows (links of the table, `../` left out).
    private func rowNames(_ page: String) -> [String] {
        page.components(separatedBy: "<tr><td><a href=\"").dropFirst().compactMap { part in
            part.split(separator: "\"", maxSplits: 1).first.map(String.init)
        }.filter { $0 != "../" }
    }

    @Test func bigFolder_isListedUpToTheCap_withANoteOnTheRest() throws {
        let total = DirectoryListing.maxEntries + 7
        let server = try TestServer(prepare: { folder in
            try folder.makeDirectory("site/big/sub")
            for index in 0..<(total - 1) {
                try folder.write("site/big/f\(String(format: "%05d", index)).txt", "x")
            }
        })
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "GET", "/big/")
        #expect(response.status == 200)
        let names = rowNames(response.text)
        #expect(names.count == DirectoryListing.maxEntries)
        // Folders first, then names in order: the rows shown are the first of the whole folder.
        #expect(names.first == "sub/")
        #expect(names.last == "f\(String(format: "%05d", DirectoryListing.maxEntries - 2)).txt")
        #expect(response.text.contains("The first \(DirectoryListing.maxEntries) of \(total) entries are listed; 7 more are not shown."))
    }

    @Test func folderUnderTheCap_hasNoNote() throws {
        let server = try TestServer(files: ["small/a.txt": "a", "small/b.txt": "b"])
        defer { server.stop() }
        let response = try RawClient.fetch(port: server.port, "GET", "/small/")
        #expect(rowNames(response.text) == ["a.txt", "b.txt"])
        #expect(!response.text.contains("more are not shown"))
    }
}
