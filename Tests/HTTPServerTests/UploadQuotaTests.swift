import Foundation
import Glibc
import Testing
@testable import HTTPServer

/// `--uploads-quota`: the folder never holds more than the quota through uploads; one that would go beyond it is
/// answered 507 and leaves nothing behind, whatever was in the folder at start or deleted since.
@Suite struct UploadQuotaTests {
    /// A server with `quota` bytes of quota whose uploads folder already holds `existing` (600 bytes).
    static func server(quota: Int?) throws -> TestServer {
        try TestServer(configure: { $0.uploadsQuotaBytes = quota }, prepare: { folder in
            try folder.write("uploads/existing.bin", String(repeating: "e", count: 600))
        })
    }

    static func upload(_ server: TestServer, _ files: [(String, Int)]) throws -> RawResponse {
        var form = UploadTestForm()
        for (name, size) in files { form.file("file", filename: name, [UInt8](repeating: 7, count: size)) }
        return try server.request(UploadTestRequest.post(contentType: form.contentType, body: form.closed))
    }

    @Test func uploadBeyondTheQuota_countingWhatTheFolderHeldAtStart_isAnswered507AndLeavesNothing() throws {
        let server = try Self.server(quota: 1000)
        defer { server.stop() }

        #expect(try Self.upload(server, [("fits.bin", 400)]).status == 201)
        let refused = try Self.upload(server, [("over.bin", 1)])

        #expect(refused.status == 507)
        #expect(refused.text.contains("the uploads folder is full: 1 more bytes would take it past its quota of 1000 bytes"))
        #expect(server.entries() == ["existing.bin", "fits.bin"])
        let json = try server.request(UploadTestRequest.post(contentType: "application/json", body: Array("[1]".utf8)))
        #expect(json.status == 507)
        #expect(server.entries() == ["existing.bin", "fits.bin"])
    }

    @Test func formWhoseFilesFitAloneButNotTogether_isRefusedWhole() throws {
        let server = try Self.server(quota: 1000)
        defer { server.stop() }

        let response = try Self.upload(server, [("a.bin", 300), ("b.bin", 300)])

        #expect(response.status == 507)
        #expect(server.entries() == ["existing.bin"])
        #expect(server.store.uploadsTotal == 0)
    }

    @Test func fileLargerThanTheQuota_isRefusedAsItArrives() throws {
        let server = try Self.server(quota: 64 << 10)
        defer { server.stop() }

        let response = try Self.upload(server, [("big.bin", 1 << 20)])

        #expect(response.status == 507)
        #expect(response.text.contains("past its quota of 65536 bytes"))
        // Refused while the file arrived (as it grew past the quota), not once all of it was written.
        #expect(!response.text.contains("\(1 << 20) more bytes"))
        #expect(server.entries() == ["existing.bin"])
    }

    @Test func filesDeletedFromTheFolder_freeTheirRoom() throws {
        let server = try Self.server(quota: 1000)
        defer { server.stop() }
        #expect(try Self.upload(server, [("first.bin", 400)]).status == 201)
        #expect(try Self.upload(server, [("second.bin", 400)]).status == 507)

        #expect(unlink(server.uploads + "/existing.bin") == 0)

        // The folder is summed again before a refusal, at most once a second.
        #expect(eventually(within: 10) { (try? Self.upload(server, [("second.bin", 400)]))?.status == 201 })
        #expect(server.entries() == ["first.bin", "second.bin"])
    }

    @Test func configSetUploadsQuota_appliesToTheNextUploadAndOffLiftsIt() throws {
        let server = try Self.server(quota: nil)
        defer { server.stop() }
        #expect(try Self.upload(server, [("one.bin", 500)]).status == 201)

        #expect(server.bus.send(.configSet("uploads-quota", "1K")).ok)
        #expect(server.bus.send(.configGet("uploads-quota")).field("value")?.text == "1K")
        #expect(try Self.upload(server, [("two.bin", 500)]).status == 507)

        #expect(server.bus.send(.configSet("uploads-quota", "off")).ok)
        #expect(try Self.upload(server, [("two.bin", 500)]).status == 201)
        #expect(!server.bus.send(.configSet("uploads-quota", "lots")).ok)
    }

    @Test func status_showsTheQuotaAndWhatTheFolderUses() throws {
        let server = try Self.server(quota: 1000)
        defer { server.stop() }
        #expect(try Self.upload(server, [("fits.bin", 300)]).status == 201)

        let status = server.bus.send(.status)

        #expect(status.field("uploads_quota_bytes")?.value == .integer(1000))
        #expect(status.field("uploads_quota_used_bytes")?.value == .integer(900))
        #expect(status.field("uploads_quota_bytes")?.text == "1000")
        let off = try Self.server(quota: nil)
        defer { off.stop() }
        #expect(off.bus.send(.status).field("uploads_quota_bytes")?.text == "off")
    }
}
