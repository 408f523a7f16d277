import Foundation
import Glibc
import Testing
@testable import HTTPServer

/// How stored uploads are served back, listed, swept and reported to the shell.
@Suite struct UploadServingTests {
    private func upload(_ server: TestServer, _ files: [(String, [UInt8])]) throws -> RawResponse {
        var form = UploadTestForm()
        for (name, content) in files { form.file("file", filename: name, content) }
        return try server.request(UploadTestRequest.post(contentType: form.contentType, body: form.closed))
    }

    @Test func uploadsFolder_isListedLikeADirectoryWithoutTemporaries() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        _ = try upload(server, [("listed one.txt", Array("1".utf8)), ("two.txt", Array("2".utf8))])
        let client = try server.connect()
        defer { client.close() }
        let request = UploadTestRequest.post(contentType: "application/json",
                                             body: Array(("[1," + String(repeating: " ", count: 1000) + "2]").utf8))
        try client.send(bytes: Array(request.dropLast(500)))
        // A JSON upload is now in progress: its temporary file exists, but must not show.
        #expect(eventually { server.entries().contains { $0.hasPrefix(".upload-") } })

        let listing = try server.request(UploadTestRequest.get("/uploads/"))

        #expect(listing.status == 200)
        #expect(listing.text.contains("href=\"listed%20one.txt\""))
        #expect(listing.text.contains("two.txt"))
        #expect(!listing.text.contains(".upload-"))
        try client.send(bytes: Array(request.suffix(500)))
        #expect(try client.readResponse().status == 201)
    }

    @Test func uploadsListing_followsTheLiveDirectoryListingSwitch() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        _ = try upload(server, [("a.txt", Array("a".utf8))])

        server.server.context.settings.directoryListing = false
        let refused = try server.request(UploadTestRequest.get("/uploads/"))
        let file = try server.request(UploadTestRequest.get("/uploads/a.txt"))

        #expect(refused.status == 403)
        #expect(file.status == 200)
    }

    @Test func uploadedActiveContent_isServedAsInertData() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        let page = Array("<html><script>alert(document.cookie)</script></html>".utf8)
        let script = Array("<?php system($_GET['c']); ?>".utf8)
        _ = try upload(server, [("page.html", page), ("shell.php", script), ("run.cgi", Array("#!/bin/sh\necho hi\n".utf8))])

        let html = try server.request(UploadTestRequest.get("/uploads/page.html"))
        let php = try server.request(UploadTestRequest.get("/uploads/shell.php"))
        let cgi = try server.request(UploadTestRequest.get("/uploads/run.cgi"))

        #expect(html.body == page)
        #expect(html["X-Content-Type-Options"] == "nosniff")
        #expect(html["Content-Security-Policy"]?.contains("sandbox") == true)
        #expect(html["Content-Security-Policy"]?.contains("default-src 'none'") == true)
        #expect(php.body == script)
        #expect(cgi.body == Array("#!/bin/sh\necho hi\n".utf8))
        #expect(php["Content-Type"]?.contains("php") != true)
        // Files are stored as written, never made executable.
        var info = stat()
        #expect(stat(server.uploads + "/run.cgi", &info) == 0)
        #expect(info.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH) == 0)
    }

    @Test func temporaryFiles_areNeverServed() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        let temporary = server.uploads + "/.upload-0123456789ab.tmp"
        #expect(FileManager.default.createFile(atPath: temporary, contents: Data("partial".utf8)))

        let response = try server.request(UploadTestRequest.get("/uploads/.upload-0123456789ab.tmp"))

        #expect(response.status == 404)
    }

    @Test func startUp_sweepsTemporaryFilesAndKeepsUploads() throws {
        let server = try TestServer.forUploads { folder in
            let uploads = folder.path("uploads")
            _ = FileManager.default.createFile(atPath: uploads + "/.upload-aaaaaaaaaaaa.tmp", contents: Data("half".utf8))
            _ = FileManager.default.createFile(atPath: uploads + "/.upload-bbbbbbbbbbbb.tmp", contents: Data())
            _ = FileManager.default.createFile(atPath: uploads + "/kept.txt", contents: Data("kept".utf8))
            _ = FileManager.default.createFile(atPath: uploads + "/.gitkeep", contents: Data())
        }
        defer { server.stop() }

        #expect(server.entries() == [".gitkeep", "kept.txt"])
        #expect(server.logs.lines.contains { $0.contains("removed 2 unfinished upload(s)") })
    }

    @Test func startUp_createsAMissingUploadsFolder() throws {
        let server = try TestServer.forUploads { folder in
            guard rmdir(folder.path("uploads")) == 0 else { throw TestFailure("rmdir failed: errno \(errno)") }
        }
        defer { server.stop() }
        var info = stat()
        #expect(stat(server.uploads, &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFDIR)
    }

    @Test func shellUploadsCommand_listsTheStoreNewestFirst() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        _ = try upload(server, [("older.txt", Array("old\n".utf8))])
        _ = try upload(server, [("newer.txt", Array("new\n".utf8))])
        // Modification times have one-second resolution in the listing: make the order unambiguous.
        var times = [timeval(tv_sec: 1_700_000_000, tv_usec: 0), timeval(tv_sec: 1_700_000_000, tv_usec: 0)]
        utimes(server.uploads + "/older.txt", &times)
        let bus = server.bus

        let reply = bus.send(.uploads(limit: nil))

        guard case .table(let columns, _) = reply.content else {
            Issue.record("expected a table, got \(reply)")
            return
        }
        let rows = reply.rowTexts
        #expect(columns.map(\.label) == ["NAME", "SIZE", "UPLOADED"])
        #expect(rows.map { $0[0] } == ["newer.txt", "older.txt"])
        #expect(rows[1] == ["older.txt", "4", "2023-11-14 22:13:20"])
    }

    @Test func shellUploadsShow_printsASmallTextUpload() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        _ = try upload(server, [("note.txt", Array("hello from a file\n".utf8)), ("blob.bin", [0xff, 0xfe, 0x00])])
        let bus = server.bus

        #expect(bus.send(.showUpload(name: "note.txt")) == .done("hello from a file\n"))
        #expect(bus.send(.showUpload(name: "blob.bin")).ok == false)
        #expect(bus.send(.showUpload(name: "missing.txt")).ok == false)
        #expect(bus.send(.showUpload(name: "../public/x")).ok == false)
    }
}
