import Foundation
import Glibc
import Testing
@testable import HTTPServer

/// Whether this process may mount a tmpfs (as root, or with CAP_SYS_ADMIN).
enum UploadTmpfs {
    static let canMount: Bool = {
        guard let probe = try? TemporaryDirectory(prefix: "httpsh-upload-probe") else { return false }
        defer { probe.remove() }
        guard mount("tmpfs", probe.path, "tmpfs", 0, "size=64k") == 0 else { return false }
        umount2(probe.path, Int32(MNT_DETACH))
        return true
    }()
}

/// A real full disk: the uploads folder on a 1 MiB tmpfs. Runs only where a tmpfs can be mounted.
@Suite(.enabled(if: UploadTmpfs.canMount, "needs permission to mount a tmpfs"))
struct UploadDiskFullTests {
    /// A server whose uploads folder is a 1 MiB tmpfs; stop it with `stop(beforeRemoving: unmount)`.
    private func fullDiskServer() throws -> TestServer {
        try TestServer.forUploads(maxUpload: 8 << 20) { folder in
            let uploads = folder.path("uploads")
            guard mount("tmpfs", uploads, "tmpfs", 0, "size=1m") == 0 else { throw TestFailure("mount failed") }
        }
    }

    private func unmount(_ server: TestServer) -> () -> Void {
        { umount2(server.uploads, Int32(MNT_DETACH)) }
    }

    @Test func jsonUploadOnAFullDisk_isAnswered507AndLeavesNothing() throws {
        let server = try fullDiskServer()
        defer { server.stop(beforeRemoving: unmount(server)) }
        let document = Array(("[" + String(repeating: "\"0123456789abcdef\",", count: 120_000) + "0]").utf8)

        let response = try server.request(UploadTestRequest.post(contentType: "application/json", body: document))

        #expect(response.status == 507)
        #expect(server.entries().isEmpty)
        // The space is free again: a small upload still works.
        let small = try server.request(UploadTestRequest.post(contentType: "application/json", body: Array("{}".utf8)))
        #expect(small.status == 201)
    }

    @Test func formOnAFullDisk_isAnswered507AndStoresNoneOfItsFiles() throws {
        let server = try fullDiskServer()
        defer { server.stop(beforeRemoving: unmount(server)) }
        var form = UploadTestForm()
        form.file("file", filename: "fits.bin", uploadRandomBytes(400_000))
        form.file("file", filename: "too-big.bin", uploadRandomBytes(900_000))

        let response = try server.request(UploadTestRequest.post(contentType: form.contentType, body: form.closed))

        #expect(response.status == 507)
        #expect(server.entries().isEmpty)
    }
}
