import Foundation
import Glibc
import Testing
@testable import HTTPServer

/// Forms of many files: published durably with two disk syncs per request whatever the number of files, bounded
/// in files and in text, and holding no buffer per finished file; other clients are served meanwhile.
@Suite struct UploadDurabilityTests {
    /// A form of `count` one-byte files named `f0.txt`, `f1.txt`, ….
    static func form(files count: Int) -> UploadTestForm {
        var form = UploadTestForm()
        for index in 0..<count { form.file("file", filename: "f\(index).txt", [UInt8(ascii: "x")]) }
        return form
    }

    @Test func formOfTheMostFiles_isStoredWithTwoDiskSyncs() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        let form = Self.form(files: MultipartUploadSink.maxFiles)
        let before = server.store.diskSyncsTotal

        let response = try server.request(UploadTestRequest.post(contentType: form.contentType, body: form.closed))

        #expect(response.status == 201)
        #expect(response.files.count == MultipartUploadSink.maxFiles)
        #expect(server.store.diskSyncsTotal - before == 2)
        #expect(server.entries().count == MultipartUploadSink.maxFiles)
        #expect(server.stored("f99.txt") == [UInt8(ascii: "x")])
    }

    @Test func jsonUpload_isStoredWithTwoDiskSyncs() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        let before = server.store.diskSyncsTotal
        let response = try server.request(UploadTestRequest.post(contentType: "application/json", body: Array("[1]".utf8)))
        #expect(response.status == 201)
        #expect(server.store.diskSyncsTotal - before == 2)
    }

    @Test func formOfOneFileTooMany_isAnswered413AndLeavesNothing() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        let form = Self.form(files: MultipartUploadSink.maxFiles + 1)

        let response = try server.request(UploadTestRequest.post(contentType: form.contentType, body: form.closed))

        #expect(response.status == 413)
        #expect(String(decoding: response.body, as: UTF8.self).contains("a form may hold at most 100 files"))
        #expect(server.entries().isEmpty)
        #expect(server.store.diskSyncsTotal == 0)
    }

    @Test func textFieldsBeyondTheirTotal_areAnswered413AndLeaveNothing() throws {
        let server = try TestServer.forUploads()
        defer { server.stop() }
        var form = UploadTestForm()
        form.file("file", filename: "kept.txt", [1])
        let value = String(repeating: "a", count: MultipartUploadSink.maxFieldBytes)
        for index in 0...(MultipartUploadSink.maxFieldBytesTotal / MultipartUploadSink.maxFieldBytes) {
            form.field("note\(index)", value)
        }

        let response = try server.request(UploadTestRequest.post(contentType: form.contentType, body: form.closed))

        #expect(response.status == 413)
        #expect(String(decoding: response.body, as: UTF8.self).contains("text fields"))
        #expect(server.entries().isEmpty)
    }

    @Test func uploadFile_holdsABufferOnlyAsLargeAsItsDataAndNoneOnceSealed() throws {
        let folder = try TemporaryDirectory()
        let store = UploadStore(folder: folder.path)
        try store.prepare()
        let file = try store.createFile()

        try [UInt8(ascii: "x")].withUnsafeBytes { try file.append($0) }
        #expect(file.bufferCapacity < 1024)
        try [UInt8](repeating: 1, count: UploadFile.bufferSize - 1).withUnsafeBytes { try file.append($0) }
        #expect(file.bufferCapacity <= UploadFile.bufferSize + 64)
        try file.seal()
        #expect(file.bufferCapacity == 0)
        #expect(file.size == UploadFile.bufferSize)
    }

    @Test func formsOfManyFilesOnSeveralConnections_whileAnotherClientGets_everyRequestIsAnswered() throws {
        let server = try TestServer(files: ["hello.txt": "hello\n"]) { $0.workers = 2 }
        defer { server.stop() }
        let form = Self.form(files: MultipartUploadSink.maxFiles)
        let request = UploadTestRequest.post(contentType: form.contentType, body: form.closed)
        let statuses = Lock<[Int]>([])
        let done = DispatchGroup()
        for _ in 0..<4 {
            done.enter()
            Thread {
                defer { done.leave() }
                for _ in 0..<5 {
                    let status = (try? server.request(request))?.status ?? 0
                    statuses.withLock { $0.append(status) }
                }
            }.start()
        }

        // A GET between the forms is served by the worker a form does not hold.
        var gets = 0
        while statuses.withLock({ $0.count }) < 20, gets < 1000 {
            #expect(try server.request(UploadTestRequest.get("/hello.txt")).status == 200)
            gets += 1
        }

        #expect(done.wait(timeout: .now() + 60) == .success)
        #expect(statuses.withLock { $0 } == Array(repeating: 201, count: 20))
        #expect(gets > 0)
        #expect(server.store.diskSyncsTotal == 40)
    }
}
