import Foundation
import Glibc
import Testing
@testable import HTTPServer

/// `POST /upload` with `multipart/form-data` bodies, over real loopback sockets.
@Suite struct UploadMultipartTests {
    @Test func formWithTwoFilesAndAField_storesBothFilesAndEchoesTheField() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        var form = UploadTestForm()
        let first = Array("hello world\n".utf8)
        let second = uploadRandomBytes(10_000)
        form.file("file", filename: "a.txt", first, type: "text/plain")
        form.file("file", filename: "b.bin", second)
        form.field("note", "hi there")

        let response = try server.request(UploadTestRequest.post(contentType: form.contentType, body: form.closed))

        #expect(response.status == 201)
        #expect(response.json["status"] as? String == "success")
        #expect(response.files.map { $0["filepath"] as? String } == ["/uploads/a.txt", "/uploads/b.bin"])
        #expect(response.files.map { $0["size"] as? Int } == [first.count, second.count])
        #expect((response.json["fields"] as? [String: String]) == ["note": "hi there"])
        #expect(response["Location"] == "/uploads/a.txt")
        #expect(server.stored("a.txt") == first)
        #expect(server.stored("b.bin") == second)
        #expect(server.entries() == ["a.txt", "b.bin"])
        #expect(server.store.uploadsTotal == 2)
        #expect(server.store.uploadedBytesTotal == first.count + second.count)
    }

    @Test func binaryFileOfThreeMebibytes_roundTripsByteForByteWithRanges() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        let content = uploadRandomBytes(3 << 20)
        var form = UploadTestForm()
        form.file("file", filename: "random.bin", content)

        // Cut into small, odd-sized pieces so boundaries and CRLFs fall across reads.
        let client = try server.connect()
        defer { client.close() }
        let request = UploadTestRequest.post(contentType: form.contentType, body: form.closed)
        var offset = 0
        while offset < request.count {
            let end = min(offset + 65_537, request.count)
            try client.send(bytes: Array(request[offset..<end]))
            offset = end
        }
        let created = try client.readResponse()
        #expect(created.status == 201)

        let fetched = try server.request(UploadTestRequest.get("/uploads/random.bin"))
        #expect(fetched.status == 200)
        #expect(fetched.body.count == content.count)
        #expect(firstDifference(fetched.body, content) == nil)
        let range = try server.request(UploadTestRequest.get("/uploads/random.bin", ["Range: bytes=1000000-1000099"]))
        #expect(range.status == 206)
        #expect(range.body == Array(content[1_000_000...1_000_099]))
    }

    @Test func takenName_getsANumberedSuffixAndNeverOverwrites() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        var contents: [[UInt8]] = []
        for index in 0..<3 {
            var form = UploadTestForm()
            contents.append(Array("version \(index)\n".utf8))
            form.file("file", filename: "same.txt", contents[index])
            let response = try server.request(UploadTestRequest.post(contentType: form.contentType, body: form.closed))
            #expect(response.status == 201)
        }
        var twice = UploadTestForm()
        twice.file("file", filename: "report.tar.gz", [1])
        twice.file("file", filename: "report.tar.gz", [2])
        let response = try server.request(UploadTestRequest.post(contentType: twice.contentType, body: twice.closed))

        #expect(server.stored("same.txt") == contents[0])
        #expect(server.stored("same-1.txt") == contents[1])
        #expect(server.stored("same-2.txt") == contents[2])
        #expect(response.files.map { $0["name"] as? String } == ["report.tar.gz", "report.tar-1.gz"])
    }

    @Test func clientFileNames_areSanitised() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        var form = UploadTestForm()
        form.file("file", filename: "../../etc/passwd", Array("1".utf8))
        form.file("file", filename: ".htaccess", Array("2".utf8))
        form.file("file", filename: "C:\\Users\\me\\notes.txt", Array("3".utf8))
        form.file("file", filename: "bell\u{7}\u{1b}[31mred\u{7f}.txt", Array("4".utf8))
        form.file("file", filename: "invoice\u{202e}fdp.exe", Array("5".utf8))
        form.file("file", filename: "..", Array("6".utf8))
        form.file("file", filename: "index.html", Array("7".utf8))

        let response = try server.request(UploadTestRequest.post(contentType: form.contentType, body: form.closed))

        #expect(response.status == 201)
        let names = response.files.compactMap { $0["name"] as? String }
        #expect(names.count == 7)
        #expect(Array(names.prefix(5)) == ["passwd", "htaccess", "notes.txt", "bell[31mred.txt", "invoicefdp.exe"])
        #expect(names[5].wholeMatch(of: /upload_\d{8}_\d{6}_[0-9a-f]{6}/) != nil)
        #expect(names[6] == "index-1.html")
        #expect(response.files.map { $0["original"] as? String }.first == "../../etc/passwd")
        #expect(server.stored("passwd") == Array("1".utf8))
        #expect(!server.entries().contains { $0.hasPrefix(".") })
        #expect(FileManager.default.fileExists(atPath: server.folder.path + "/etc/passwd") == false)
    }

    @Test func emptyFileInput_isSkippedAndAFormWithoutFilesIsRefused() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        var form = UploadTestForm()
        form.file("file", filename: "", [])
        form.field("note", "nothing chosen")

        let response = try server.request(UploadTestRequest.post(contentType: form.contentType, body: form.closed))

        #expect(response.status == 400)
        #expect((response.json["detail"] as? String)?.contains("no file") == true)
        #expect(server.entries().isEmpty)
    }

    @Test func bodyWithoutClosingBoundary_isRefusedAndLeavesNothing() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        var form = UploadTestForm()
        form.file("file", filename: "a.txt", Array("complete part".utf8))

        let response = try server.request(UploadTestRequest.post(contentType: form.contentType, body: form.body))

        #expect(response.status == 400)
        #expect(server.entries().isEmpty)
    }

    @Test func multipartWithoutBoundary_isAnswered400() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        let response = try server.request(UploadTestRequest.post(contentType: "multipart/form-data", body: Array("x".utf8)))
        #expect(response.status == 400)
    }

    @Test func clientDisconnectingInTheSecondFile_leavesNeitherFileNorTemporaries() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        var form = UploadTestForm()
        form.file("file", filename: "first.bin", uploadRandomBytes(300_000))
        form.file("file", filename: "second.bin", uploadRandomBytes(600_000))
        let request = UploadTestRequest.post(contentType: form.contentType, body: form.closed)
        let client = try server.connect()

        try client.send(bytes: Array(request[..<(request.count - 300_000)]))
        #expect(eventually { server.entries().filter { $0.hasPrefix(".upload-") }.count == 2 })
        client.close()

        #expect(eventually { server.entries().isEmpty })
        #expect(server.store.uploadsTotal == 0)
    }

    @Test func chunkedMultipartUpload_isStored() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        var form = UploadTestForm()
        let content = uploadRandomBytes(200_000)
        form.file("file", filename: "chunked.bin", content)

        let response = try server.request(UploadTestRequest.chunked(contentType: form.contentType, body: form.closed,
                                                                    chunkSize: 777))

        #expect(response.status == 201)
        let stored = try #require(server.stored("chunked.bin"), "chunked.bin is not in the uploads folder")
        #expect(firstDifference(stored, content) == nil)
    }

    @Test func oversizedTextField_isRefusedWith413AndLeavesNothing() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        var form = UploadTestForm()
        form.file("file", filename: "a.txt", Array("a".utf8))
        form.field("note", String(repeating: "n", count: MultipartUploadSink.maxFieldBytes + 1))

        let response = try server.request(UploadTestRequest.post(contentType: form.contentType, body: form.closed))

        #expect(response.status == 413)
        #expect(server.entries().isEmpty)
    }
}
